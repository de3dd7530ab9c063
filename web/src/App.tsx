// The page: which capture is open (a file `synack serve` was given, or one chosen or dropped
// here), the analysis worker's progress through the whole pipeline, the filtered and sorted
// connection list (rows arrive in chunks as connections end), and the views of the selected
// connection, the hosts and the events. The URL's hash names the capture (#file=N for a served
// one, #local=NAME for one from this computer), the connection and the language, so a link opens
// the same view; choosing a connection is a history entry (Back returns to the previous one).

import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { formatBytes, formatDuration } from '../../src/report/timeline.js';
import { STATE_NAMES } from '../../src/tcp/state.js';
import { EVENT_KINDS } from '../../src/track/kinds.js';
import { ConnList } from './ConnList.js';
import { ConnView } from './ConnView.js';
import { saveBlob, svgToPng } from './download.js';
import { EventSummary } from './EventSummary.js';
import {
  type Filters,
  filterRows,
  keyRanks,
  NO_FILTERS,
  SearchIndex,
  type Sort,
  type SortKey,
  searchText,
  sortKeys,
  sortRows,
} from './filters.js';
import { HostView } from './HostView.js';
import { type Lang, T, translateLadder } from './i18n.js';
import type {
  CaptureSummary,
  ConnDetail,
  ExportKind,
  FromWorker,
  HostsView,
  LadderView,
  PacketDetail,
  Phase,
  Source,
  ToWorker,
} from './protocol.js';
import { RowTable } from './row-columns.js';

interface ServedFile {
  index: number;
  name: string;
  size: number;
}

const TABS = ['conn', 'hosts', 'events'] as const;
type Tab = (typeof TABS)[number];

interface HashState {
  file: number | null;
  local: string | null;
  conn: number | null;
  lang: Lang | null;
}

function readHash(): HashState {
  const h = new URLSearchParams(location.hash.replace(/^#/, ''));
  const num = (k: string) => (h.has(k) && /^\d+$/.test(h.get(k)!) ? Number(h.get(k)) : null);
  const lang = h.get('lang');
  return {
    file: num('file'),
    local: h.get('local'),
    conn: num('conn'),
    lang: lang === 'zh' || lang === 'en' ? lang : null,
  };
}

const LANG_KEY = 'synack.lang';

function initialLang(): Lang {
  const h = readHash().lang;
  if (h) return h;
  try {
    return localStorage.getItem(LANG_KEY) === 'zh' ? 'zh' : 'en';
  } catch {
    return 'en';
  }
}

const DEFAULT_VIEW: LadderView = { all: false, open: [], timeScale: false, symbolic: false };
/** Keyboard steps through the list closer together than this make one history entry. */
const STEP_COALESCE_MS = 1000;
/** Row chunks are shown at most this often while a capture loads (each showing sorts them all). */
const ROWS_FLUSH_MS = 1000;

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export function App() {
  const worker = useRef<Worker | null>(null);
  const [served, setServed] = useState<ServedFile[]>([]);
  const [timeWaitS, setTimeWaitS] = useState(60);
  // Where the capture was taken (`serve --tap`, or the select beside the summary): read by open().
  const [tap, setTap] = useState('auto');
  const tapRef = useRef(tap);
  tapRef.current = tap;
  const lastSource = useRef<Source | null>(null);
  const [openFile, setOpenFile] = useState<{ served: number | null; name: string } | null>(null);
  const [progress, setProgress] = useState<{
    phase: Phase;
    done: number;
    total: number;
    frames: number;
  } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const rowsRef = useRef(new RowTable());
  const [rowsVersion, setRowsVersion] = useState(0);
  const [ranksVersion, setRanksVersion] = useState(0);
  const flushTimer = useRef<number | null>(null);
  const workerRanks = useRef<Extract<FromWorker, { type: 'ranks' }> | null>(null);
  const rankCacheRef = useRef<{ rows: number; map: Map<SortKey, Int32Array> }>({ rows: -1, map: new Map() });
  const [summary, setSummary] = useState<CaptureSummary | null>(null);
  const [shownMs, setShownMs] = useState<number | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [view, setView] = useState<LadderView>(DEFAULT_VIEW);
  const [detail, setDetail] = useState<ConnDetail | null>(null);
  const [frame, setFrame] = useState<number | null>(null);
  const [packet, setPacket] = useState<PacketDetail | null>(null);
  const [hosts, setHosts] = useState<HostsView | null>(null);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [sort, setSort] = useState<Sort>({ key: 'id', desc: false });
  const [sortEpoch, setSortEpoch] = useState(0);
  const [tab, setTab] = useState<Tab>('conn');
  const [lang, setLang] = useState<Lang>(initialLang);
  const [dragging, setDragging] = useState(false);
  const [announce, setAnnounce] = useState('');
  const wantConn = useRef<number | null>(null);
  const focusFrame = useRef<number | null>(null);
  const loadStart = useRef(0);
  const lastStep = useRef(0);
  const openRef = useRef(openFile);
  openRef.current = openFile;
  const langRef = useRef(lang);
  langRef.current = lang;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  const fileInput = useRef<HTMLInputElement>(null);
  const t = T[lang];

  const send = useCallback((m: ToWorker) => worker.current?.postMessage(m), []);

  /** The URL for the current capture, `conn` and language. */
  const hashFor = useCallback((conn: number | null): string => {
    const cur = openRef.current;
    const parts: string[] = [];
    if (cur?.served !== null && cur?.served !== undefined) parts.push(`file=${cur.served}`);
    else if (cur) parts.push(`local=${encodeURIComponent(cur.name)}`);
    if (conn !== null) parts.push(`conn=${conn}`);
    if (langRef.current === 'zh') parts.push('lang=zh');
    return `#${parts.join('&')}`;
  }, []);

  const writeHash = useCallback(
    (conn: number | null, how: 'push' | 'replace') => {
      const hash = hashFor(conn);
      if (location.hash === hash) return;
      if (how === 'push') history.pushState(null, '', hash);
      else history.replaceState(null, '', hash);
    },
    [hashFor],
  );

  const open = useCallback(
    (source: Source, servedIndex: number | null, conn: number | null) => {
      const name = source.kind === 'file' ? source.file.name : source.name;
      setOpenFile({ served: servedIndex, name });
      openRef.current = { served: servedIndex, name };
      setProgress({
        phase: 'read',
        done: 0,
        total: source.kind === 'file' ? source.file.size : source.size,
        frames: 0,
      });
      setError(null);
      setNotice(null);
      rowsRef.current = new RowTable();
      workerRanks.current = null;
      setRowsVersion((v) => v + 1);
      setSummary(null);
      setShownMs(null);
      setSelected(null);
      setDetail(null);
      setView(DEFAULT_VIEW);
      setFrame(null);
      setPacket(null);
      setHosts(null);
      setFilters(NO_FILTERS);
      setTab('conn');
      wantConn.current = conn;
      loadStart.current = performance.now();
      lastSource.current = source;
      send({ type: 'open', source, timeWaitS, tap: tapRef.current });
    },
    [send, timeWaitS],
  );

  const openServed = useCallback(
    (f: ServedFile, conn: number | null) =>
      // Absolute: the worker would resolve a relative URL against its own script's address.
      open(
        { kind: 'url', url: new URL(`files/${f.index}`, location.href).href, name: f.name, size: f.size },
        f.index,
        conn,
      ),
    [open],
  );

  /** Shows the rows received so far: urgently with the summary, else as a transition. */
  const flushRows = useCallback((urgent: boolean) => {
    if (flushTimer.current !== null) {
      clearTimeout(flushTimer.current);
      flushTimer.current = null;
    }
    const bump = () => setRowsVersion((v) => v + 1);
    // While loading it is not urgent: React renders it in slices, between which the page answers.
    if (urgent) bump();
    else startTransition(bump);
  }, []);

  useEffect(() => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    w.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      switch (m.type) {
        case 'progress':
          setProgress({ phase: m.phase, done: m.done, total: m.total, frames: m.frames });
          break;
        case 'rows': {
          rowsRef.current.append(m.rows);
          if (flushTimer.current === null)
            flushTimer.current = window.setTimeout(() => flushRows(false), ROWS_FLUSH_MS);
          break;
        }
        case 'done': {
          flushRows(true);
          setProgress(null);
          setSummary(m.summary);
          setShownMs(performance.now() - loadStart.current);
          if (m.summary.fault) setError(m.summary.fault);
          const rows = rowsRef.current.view();
          const want = wantConn.current;
          wantConn.current = null;
          if (want !== null) {
            if (rows.indexOfId(want) >= 0) setSelected(want);
            // A link to a connection this capture does not have: say so, leave the URL as it is.
            else setNotice(T[langRef.current].noSuchConn(want, rows.length.toLocaleString('en')));
          } else if (rows.length > 0) {
            const ids = rows.num('id');
            let first = ids[0];
            for (let i = 1; i < rows.length; i++) if (ids[i] < first) first = ids[i];
            setSelected(first);
            writeHash(first, 'replace');
          }
          break;
        }
        case 'ranks': {
          // For every row of the capture: used now if the page shows them all, else once it does.
          workerRanks.current = m;
          const cache = rankCacheRef.current;
          if (m.rows === cache.rows)
            for (const r of m.ranks) if (!cache.map.has(r.key)) cache.map.set(r.key, r.ranks);
          // The search index joins the list's inputs (a search typed meanwhile is run on it).
          startTransition(() => setRanksVersion((v) => v + 1));
          break;
        }
        case 'failed':
          setProgress(null);
          setError(m.message);
          break;
        case 'conn':
          if (m.id !== selectedRef.current) break;
          setDetail(m.detail);
          if (focusFrame.current !== null && m.detail) {
            const f = focusFrame.current;
            focusFrame.current = null;
            setFrame(f);
            send({ type: 'packet', conn: m.id, frame: f });
          }
          break;
        case 'packet':
          setPacket(m.detail);
          break;
        case 'hosts':
          setHosts(m.view);
          break;
        case 'export':
          if (m.error !== null || m.data === null) setError(m.error ?? `${m.name}: export failed`);
          else saveBlob(m.name, new Blob([m.data], { type: m.mime }));
          break;
      }
    };
    // A worker that dies (out of memory on a huge capture) must not leave the progress bar hanging.
    w.onerror = (ev) => {
      ev.preventDefault();
      setProgress(null);
      setError(`The analysis stopped: ${ev.message || 'the worker crashed (out of memory?)'}`);
    };
    return () => w.terminate();
  }, [flushRows, send, writeHash]);

  // The served files, then the capture the URL names (a served one, or the first).
  const pendingServed = useRef<{ f: ServedFile; conn: number | null } | null>(null);
  useEffect(() => {
    fetch('api/files')
      .then((r) => (r.ok ? r.json() : { files: [] }))
      .then((j: { files: ServedFile[]; timeWait?: number; tap?: string }) => {
        setServed(j.files);
        if (typeof j.timeWait === 'number') setTimeWaitS(j.timeWait);
        if (typeof j.tap === 'string') {
          tapRef.current = j.tap;
          setTap(j.tap);
        }
        const h = readHash();
        if (h.local !== null) {
          // A file from this computer: the page cannot reopen it, the user can.
          setOpenFile({ served: null, name: h.local });
          wantConn.current = h.conn;
          setNotice(T[langRef.current].localGone(h.local));
          return;
        }
        const f = j.files.find((x) => x.index === (h.file ?? 0));
        if (f) {
          setOpenFile({ served: f.index, name: f.name });
          // Opened once the time-wait setting is in (next effect).
          pendingServed.current = { f, conn: h.conn };
        }
      })
      .catch(() => setServed([]));
  }, []);
  useEffect(() => {
    const p = pendingServed.current;
    if (p && worker.current) {
      pendingServed.current = null;
      openServed(p.f, p.conn);
    }
  });

  // Back, Forward, or a link edited by hand.
  useEffect(() => {
    const onNav = () => {
      const h = readHash();
      if (h.lang && h.lang !== langRef.current) setLang(h.lang);
      const cur = openRef.current;
      if (h.file !== null && (cur?.served ?? -1) !== h.file) {
        const f = served.find((x) => x.index === h.file);
        if (f) openServed(f, h.conn);
      } else if (h.conn !== null && h.conn !== selectedRef.current) {
        if (rowsRef.current.view().indexOfId(h.conn) >= 0) {
          setNotice(null);
          setView((v) => ({ ...v, open: [] }));
          setSelected(h.conn);
        } else if (summary) {
          setSelected(null);
          setNotice(T[langRef.current].noSuchConn(h.conn, rowsRef.current.length.toLocaleString('en')));
        }
      }
    };
    window.addEventListener('popstate', onNav);
    window.addEventListener('hashchange', onNav);
    return () => {
      window.removeEventListener('popstate', onNav);
      window.removeEventListener('hashchange', onNav);
    };
  }, [served, openServed, summary]);

  /** A connection chosen by the user: a history entry (keyboard steps close together share one). */
  const choose = useCallback(
    (id: number, how: 'click' | 'keyboard' | 'jump') => {
      if (id === selectedRef.current) return;
      const now = performance.now();
      const coalesce = how === 'keyboard' && now - lastStep.current < STEP_COALESCE_MS;
      lastStep.current = how === 'keyboard' ? now : 0;
      setNotice(null);
      setView((v) => ({ ...v, open: [] }));
      setSelected(id);
      writeHash(id, coalesce ? 'replace' : 'push');
    },
    [writeHash],
  );

  // The selected connection's ladder and story, for the current view of the ladder.
  useEffect(() => {
    setFrame(null);
    setPacket(null);
    if (selected === null) {
      setDetail(null);
      return;
    }
    send({ type: 'conn', id: selected, view, focus: focusFrame.current });
  }, [selected, view, send]);

  useEffect(() => {
    if (tab === 'hosts' && hosts === null && summary !== null) send({ type: 'hosts' });
  }, [tab, hosts, summary, send]);

  const changeLang = (l: Lang) => {
    setLang(l);
    langRef.current = l;
    try {
      localStorage.setItem(LANG_KEY, l);
    } catch {
      // storage off: the URL still carries it
    }
    if (openRef.current) writeHash(selectedRef.current, 'replace');
  };

  const onFrame = useCallback(
    (f: number) => {
      setFrame(f);
      if (selected !== null) send({ type: 'packet', conn: selected, frame: f });
    },
    [selected, send],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: rowsVersion says when rowsRef grew
  const rows = useMemo(() => rowsRef.current.view(), [rowsVersion]);
  const words = useMemo(() => {
    const cache: string[] = [];
    return (i: number) => {
      let w = cache[i];
      if (w === undefined) {
        w = searchText(rows.build(i));
        cache[i] = w;
      }
      return w;
    };
  }, [rows]);
  const indexOfId = useMemo(() => {
    let max = 0;
    const ids = rows.num('id');
    for (let i = 0; i < rows.length; i++) if (ids[i] > max) max = ids[i];
    const m = new Int32Array(max + 1).fill(-1);
    for (let i = 0; i < rows.length; i++) m[ids[i]] = i;
    return m;
  }, [rows]);
  // Each column's ranks for this set of rows: the worker's (sent once the capture is read), or
  // computed here when a column is sorted before they come.
  const rankCache = useMemo(() => {
    const c = { rows: rows.length, map: new Map<SortKey, Int32Array>() };
    const w = workerRanks.current;
    if (w?.rows === rows.length) for (const r of w.ranks) c.map.set(r.key, r.ranks);
    rankCacheRef.current = c;
    return c.map;
  }, [rows]);
  // The worker's search index, once it covers these rows (it comes with the ranks).
  // biome-ignore lint/correctness/useExhaustiveDependencies: ranksVersion says when the worker's index came
  const searchIndex = useMemo(() => {
    const w = workerRanks.current;
    return w && w.rows === rows.length ? new SearchIndex(w.rows, w.search.text, w.search.starts) : null;
  }, [rows, ranksVersion]);
  // Only a text search reads it (so its arrival does not sort the list again).
  const searchWith = filters.text.trim() === '' ? null : searchIndex;
  const order = useMemo(() => {
    const idx = filterRows(rows, words, filters, searchWith);
    let ranks = rankCache.get(sort.key);
    if (!ranks) {
      ranks = keyRanks(sortKeys(rows, sort.key));
      rankCache.set(sort.key, ranks);
    }
    return sortRows(rows, idx, ranks, sort.desc, indexOfId);
  }, [rows, words, filters, sort, rankCache, indexOfId, searchWith]);
  /** Each row's position in the list (-1: filtered out). */
  const positions = useMemo(() => {
    const p = new Int32Array(rows.length).fill(-1);
    for (let j = 0; j < order.length; j++) p[order[j]] = j;
    return p;
  }, [rows, order]);
  const selIndex = selected === null || selected >= indexOfId.length ? -1 : indexOfId[selected];
  const row = selIndex < 0 ? undefined : rows.at(selIndex);
  const filtered = order.length !== rows.length;
  const selPos = selIndex < 0 ? -1 : positions[selIndex];
  const selectedShown = selected === null || selPos >= 0;
  const kindsPresent = useMemo(() => new Set(summary?.kinds.map((k) => k.kind) ?? []), [summary]);
  const t0 = summary?.startUs ?? (rows.length ? rows.num('startUs')[0] : 0);

  // What a screen reader hears when the list's current row changes.
  useEffect(() => {
    if (row)
      setAnnounce(
        T[langRef.current].announceConn(
          row.id,
          `${row.origIp}:${row.origPort}`,
          `${row.respIp}:${row.respPort}`,
          row.handshake,
          row.close,
        ),
      );
  }, [row]);

  const chooseFiles = (list: FileList | null) => {
    const f = list?.[0];
    if (!f) return;
    // A link to this file (#local=NAME) reopens the connection it names once the file is chosen again.
    const h = readHash();
    const conn = h.local === f.name ? h.conn : null;
    open({ kind: 'file', file: f }, null, conn);
    if (conn === null)
      history.pushState(null, '', `#local=${encodeURIComponent(f.name)}${lang === 'zh' ? '&lang=zh' : ''}`);
  };

  const setFilter = (f: Partial<Filters>) => setFilters((old) => ({ ...old, ...f }));

  const baseName = (openFile?.name ?? 'capture').replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '');
  const exportList = (kind: Exclude<ExportKind, 'pcap'>) =>
    send({
      type: 'export',
      kind,
      ids: order.map((i) => rows.id(i)),
      name: `${baseName}.conns.${kind === 'ndjson' ? 'ndjson' : kind}`,
    });

  const exportConn = async (what: 'svg' | 'png' | 'pcap') => {
    if (!detail) return;
    const name = `${baseName}.conn${detail.id}`;
    if (what === 'pcap') {
      send({ type: 'export', kind: 'pcap', ids: [detail.id], name: `${name}.pcap` });
      return;
    }
    // The SVG as `synack ladder --svg` writes it (its labels in Chinese on the Chinese page).
    let svg = detail.svg;
    if (lang === 'zh') {
      const doc = new DOMParser().parseFromString(detail.svg, 'image/svg+xml');
      translateLadder(doc.documentElement, lang);
      svg = new XMLSerializer().serializeToString(doc);
    }
    try {
      if (what === 'svg') saveBlob(`${name}.svg`, new Blob([svg], { type: 'image/svg+xml' }));
      else saveBlob(`${name}.png`, await svgToPng(svg));
    } catch (err) {
      setError(`${name}.${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const jump = (conn: number, f: number) => {
    setFilters(NO_FILTERS);
    setTab('conn');
    focusFrame.current = f;
    if (conn === selectedRef.current) {
      // Same connection: ask again with the focus (its fold opens).
      send({ type: 'conn', id: conn, view, focus: f });
    } else choose(conn, 'jump');
  };

  const noRows = rows.length === 0;
  const emptyText =
    order.length > 0 ? null : noRows ? (summary?.fault || error ? null : t.noConns) : t.noMatch;
  const showList = summary !== null && !(noRows && (summary.fault || error));
  const eventCount = summary ? summary.kinds.reduce((a, k) => a + k.events, 0) : 0;
  const tabLabel = (name: Tab): string => {
    if (name === 'conn') return `${t.tabConn}${selected !== null ? ` ${selected}` : ''}`;
    if (name === 'hosts') return t.tabHosts;
    return `${t.tabEvents}${eventCount ? ` (${eventCount.toLocaleString('en')})` : ''}`;
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the whole page is a drop target for captures
    <div
      className={`app${dragging ? ' dragging' : ''}`}
      lang={lang === 'zh' ? 'zh-CN' : 'en'}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.target === e.currentTarget) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        chooseFiles(e.dataTransfer.files);
      }}
    >
      <header>
        <div className="brand">
          <span className="logo">
            syn<b>ack</b>
          </span>
          <span className="tagline">{t.tagline}</span>
        </div>
        <nav className="files" aria-label={t.servedFiles}>
          {served.map((f) => (
            <button
              type="button"
              key={f.index}
              className={openFile?.served === f.index ? 'on' : ''}
              aria-current={openFile?.served === f.index ? 'true' : undefined}
              onClick={() => {
                history.pushState(null, '', `#file=${f.index}${lang === 'zh' ? '&lang=zh' : ''}`);
                openServed(f, null);
              }}
              title={`${f.name} (${formatBytes(f.size)})`}
            >
              {f.name}
            </button>
          ))}
          {openFile && openFile.served === null ? (
            <button type="button" className="on" aria-current="true" title="opened in this page">
              {openFile.name}
            </button>
          ) : null}
        </nav>
        <button
          type="button"
          className="open"
          title={t.openCaptureTitle}
          onClick={() => fileInput.current?.click()}
          data-testid="open-capture"
        >
          {t.openCapture}
        </button>
        <input
          ref={fileInput}
          type="file"
          className="hidden-input"
          tabIndex={-1}
          aria-hidden="true"
          data-testid="file-input"
          accept=".pcap,.pcapng,.cap,.gz,.pkt,application/vnd.tcpdump.pcap"
          onChange={(e) => {
            chooseFiles(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
        {/* biome-ignore lint/a11y/useSemanticElements: a pair of toggle buttons, labelled as one group */}
        <div className="lang" role="group" aria-label={t.langGroup}>
          <button
            type="button"
            className={lang === 'en' ? 'on' : ''}
            aria-pressed={lang === 'en'}
            onClick={() => changeLang('en')}
          >
            English
          </button>
          <button
            type="button"
            className={lang === 'zh' ? 'on' : ''}
            aria-pressed={lang === 'zh'}
            lang="zh-CN"
            onClick={() => changeLang('zh')}
          >
            中文
          </button>
        </div>
      </header>

      {progress ? (
        <div
          className="progress"
          data-testid="progress"
          role="progressbar"
          aria-label={openFile?.name ?? 'capture'}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={
            progress.phase === 'finish'
              ? 100
              : Math.round(progress.total ? (100 * progress.done) / progress.total : 0)
          }
          data-phase={progress.phase}
        >
          <div
            className={`bar${progress.phase === 'finish' ? ' busy' : ''}`}
            style={{
              width: `${progress.phase === 'finish' ? 100 : progress.total ? (100 * progress.done) / progress.total : 0}%`,
            }}
          />
          <span>
            {progress.phase === 'finish'
              ? t.finishing(openFile?.name ?? '')
              : t.analysing(openFile?.name ?? '', formatBytes(progress.done), formatBytes(progress.total))}
            {progress.frames ? `, ${t.frames(progress.frames.toLocaleString('en'))}` : ''}
            {rows.length ? ` · ${rows.length.toLocaleString('en')} ${t.connections}` : ''}
          </span>
        </div>
      ) : null}
      {error ? (
        <div className="error" role="alert" data-testid="error">
          {error}
        </div>
      ) : null}
      {notice ? (
        <div className="notice" role="status" data-testid="notice">
          {notice}
          {openFile?.served === null && !summary ? (
            <button type="button" className="linkish" onClick={() => fileInput.current?.click()}>
              {t.openCapture}
            </button>
          ) : null}
        </div>
      ) : null}

      {summary && showList ? (
        <div className="capture" data-testid="summary">
          <b>{summary.name}</b>
          <span>
            <b data-testid="conn-count">{summary.connections.toLocaleString('en')}</b> {t.connections}
          </span>
          <span>{t.tcpOf(summary.tcpPackets.toLocaleString('en'), summary.frames.toLocaleString('en'))}</span>
          <span>{formatDuration(Math.max(0, summary.endUs - summary.startUs))}</span>
          <span className="muted" data-testid="timing">
            {t.analysedIn(formatMs(shownMs ?? summary.analysisMs))} · TIME_WAIT {timeWaitS} s
          </span>
          <label className="tap">
            {t.tapLabel}{' '}
            <select
              data-testid="tap"
              value={tap}
              title={t.tapTitle}
              onChange={(e) => {
                const v = e.target.value;
                tapRef.current = v;
                setTap(v);
                const source = lastSource.current;
                // The same capture analysed again: states and arrivals depend on where it was taken.
                if (source) open(source, openRef.current?.served ?? null, selectedRef.current);
              }}
            >
              {[...new Set(['auto', 'client', 'server', 'mid', tap])].map((v) => (
                <option key={v} value={v}>
                  {t.tapName(v)}
                </option>
              ))}
            </select>
          </label>
          {summary.notes.map((n) => (
            <span key={n} className="note">
              {n}
            </span>
          ))}
        </div>
      ) : !progress && !openFile ? (
        <div className="welcome">
          <h1>{t.dropHere}</h1>
          <p>{t.welcome}</p>
        </div>
      ) : null}

      {showList || (progress && rows.length > 0) ? (
        <>
          <div className="filters">
            <input
              type="search"
              aria-label={t.search}
              placeholder={t.searchPlaceholder}
              value={filters.text}
              onChange={(e) => setFilter({ text: e.currentTarget.value })}
              data-testid="filter-text"
            />
            <input
              type="text"
              className="addr"
              aria-label={t.addr}
              placeholder={t.addrPlaceholder}
              value={filters.addr}
              onChange={(e) => setFilter({ addr: e.currentTarget.value })}
              data-testid="filter-addr"
            />
            <select
              aria-label={t.stateFilter}
              value={filters.state}
              onChange={(e) => setFilter({ state: e.currentTarget.value })}
              data-testid="filter-state"
            >
              <option value="">{t.anyState}</option>
              {STATE_NAMES.map((s) => (
                <option key={s} value={s}>
                  {t.passedThrough(s)}
                </option>
              ))}
            </select>
            <select
              aria-label={t.kindFilter}
              value={filters.kind}
              onChange={(e) => setFilter({ kind: e.currentTarget.value })}
              data-testid="filter-kind"
            >
              <option value="">{t.anyEvent}</option>
              {EVENT_KINDS.filter((k) => kindsPresent.has(k) || filters.kind === k).map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
            <select
              aria-label={t.connStateFilter}
              value={filters.connState}
              onChange={(e) => setFilter({ connState: e.currentTarget.value })}
              data-testid="filter-connstate"
            >
              <option value="">{t.anyConnState}</option>
              {(summary?.connStates ?? []).map(([k, n]) => (
                <option key={k} value={k}>
                  {k} ({n})
                </option>
              ))}
            </select>
            {filtered ? (
              <button type="button" className="clear linkish" onClick={() => setFilters(NO_FILTERS)}>
                {t.clearFilters}
              </button>
            ) : null}
            <span className="shown" data-testid="shown" aria-live="polite">
              {t.shown(order.length.toLocaleString('en'), filtered ? rows.length.toLocaleString('en') : null)}
            </span>
            {summary ? (
              // biome-ignore lint/a11y/useSemanticElements: a group of buttons with one label
              <span className="export-list" role="group" aria-label={t.exportList}>
                <span className="muted">{t.exportList}:</span>
                <button type="button" onClick={() => exportList('ndjson')} data-testid="export-ndjson">
                  NDJSON
                </button>
                <button type="button" onClick={() => exportList('csv')} data-testid="export-csv">
                  CSV
                </button>
                <button type="button" onClick={() => exportList('parquet')} data-testid="export-parquet">
                  Parquet
                </button>
              </span>
            ) : null}
          </div>
          <ConnList
            rows={rows}
            order={order}
            selected={selected}
            selPos={selPos}
            onSelect={choose}
            sort={sort}
            onSort={(s) => {
              setSort(s);
              setSortEpoch((e) => e + 1);
            }}
            sortEpoch={sortEpoch}
            t0={t0}
            lang={lang}
            empty={emptyText}
          />
        </>
      ) : null}
      {showList ? (
        <>
          <div className="tabs" role="tablist">
            {TABS.map((name) => (
              <button
                key={name}
                type="button"
                role="tab"
                id={`tab-${name}`}
                aria-controls="tabpanel"
                aria-selected={tab === name}
                onClick={() => setTab(name)}
              >
                {tabLabel(name)}
              </button>
            ))}
          </div>
          <main id="tabpanel" role="tabpanel" aria-labelledby={`tab-${tab}`} className={`tab-${tab}`}>
            {tab === 'conn' ? (
              !selectedShown && selected !== null ? (
                <p className="muted pad" data-testid="hidden-by-filter">
                  {t.hiddenByFilter(selected)}{' '}
                  <button type="button" className="linkish" onClick={() => setFilters(NO_FILTERS)}>
                    {t.clearFilters}
                  </button>
                </p>
              ) : detail && detail.id === selected ? (
                <ConnView
                  detail={detail}
                  view={view}
                  row={row}
                  lang={lang}
                  packet={packet}
                  frame={frame}
                  onFrame={onFrame}
                  onView={setView}
                  onExport={(what) => void exportConn(what)}
                />
              ) : (
                <p className="muted pad">{selected === null ? t.selectConn : t.drawing}</p>
              )
            ) : null}
            {tab === 'hosts' ? (
              hosts ? (
                <HostView view={hosts} lang={lang} />
              ) : (
                <p className="muted pad">{t.computingHosts}</p>
              )
            ) : null}
            {tab === 'events' && summary ? (
              <EventSummary
                s={summary}
                lang={lang}
                onFilter={(f) => {
                  setFilters({ ...NO_FILTERS, ...f });
                  setTab('conn');
                }}
                onJump={jump}
              />
            ) : null}
          </main>
        </>
      ) : null}
      <div className="sr-only" aria-live="polite" data-testid="announce">
        {announce}
      </div>
      {dragging ? <div className="dropzone">{t.dropNow}</div> : null}
    </div>
  );
}
