// The page: which capture is open (a file `synack serve` was given, or one chosen or dropped
// here), the analysis worker's progress, the filtered and sorted connection list, and the views of
// the selected connection, the hosts and the events. The URL's hash (#file=N&conn=ID) names the
// served file and the connection, so a link opens the same view.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { formatBytes, formatDuration } from '../../src/report/timeline.js';
import { STATE_NAMES } from '../../src/tcp/state.js';
import { EVENT_KINDS } from '../../src/track/kinds.js';
import { ConnList } from './ConnList.js';
import { ConnView, type Lang } from './ConnView.js';
import { EventSummary } from './EventSummary.js';
import { type Filters, filterRows, NO_FILTERS, type Sort, searchText, sortRows } from './filters.js';
import { HostView } from './HostView.js';
import type {
  CaptureSummary,
  ConnDetail,
  ConnRow,
  FromWorker,
  HostsView,
  PacketDetail,
  Source,
  ToWorker,
} from './protocol.js';

interface ServedFile {
  index: number;
  name: string;
  size: number;
}

type Tab = 'conn' | 'hosts' | 'events';

function readHash(): { file: number | null; conn: number | null } {
  const h = new URLSearchParams(location.hash.replace(/^#/, ''));
  const num = (k: string) => (h.has(k) && /^\d+$/.test(h.get(k)!) ? Number(h.get(k)) : null);
  return { file: num('file'), conn: num('conn') };
}

export function App() {
  const worker = useRef<Worker | null>(null);
  const [served, setServed] = useState<ServedFile[]>([]);
  const [timeWaitS, setTimeWaitS] = useState(60);
  const [openFile, setOpenFile] = useState<{ served: number | null; name: string } | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number; frames: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rows, setRows] = useState<ConnRow[]>([]);
  const [summary, setSummary] = useState<CaptureSummary | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [detail, setDetail] = useState<ConnDetail | null>(null);
  const [frame, setFrame] = useState<number | null>(null);
  const [packet, setPacket] = useState<PacketDetail | null>(null);
  const [hosts, setHosts] = useState<HostsView | null>(null);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [sort, setSort] = useState<Sort>({ key: 'id', desc: false });
  const [tab, setTab] = useState<Tab>('conn');
  const [lang, setLang] = useState<Lang>('en');
  const [dragging, setDragging] = useState(false);
  const wantConn = useRef<number | null>(null);
  const openRef = useRef(openFile);
  openRef.current = openFile;

  const send = useCallback((m: ToWorker) => worker.current?.postMessage(m), []);

  const open = useCallback(
    (source: Source, servedIndex: number | null, conn: number | null) => {
      const name = source.kind === 'file' ? source.file.name : source.name;
      setOpenFile({ served: servedIndex, name });
      setProgress({ done: 0, total: source.kind === 'file' ? source.file.size : source.size, frames: 0 });
      setError(null);
      setRows([]);
      setSummary(null);
      setSelected(null);
      setDetail(null);
      setFrame(null);
      setPacket(null);
      setHosts(null);
      setFilters(NO_FILTERS);
      setTab('conn');
      wantConn.current = conn;
      send({ type: 'open', source, timeWaitS });
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

  useEffect(() => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    w.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      switch (m.type) {
        case 'progress':
          setProgress({ done: m.done, total: m.total, frames: m.frames });
          break;
        case 'done': {
          setProgress(null);
          setRows(m.rows);
          setSummary(m.summary);
          if (m.summary.fault) setError(m.summary.fault);
          const want = wantConn.current;
          const pick = want !== null && m.rows.some((r) => r.id === want) ? want : (m.rows[0]?.id ?? null);
          setSelected(pick);
          break;
        }
        case 'failed':
          setProgress(null);
          setError(m.message);
          break;
        case 'conn':
          setDetail(m.detail);
          break;
        case 'packet':
          setPacket(m.detail);
          break;
        case 'hosts':
          setHosts(m.view);
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
  }, []);

  // The served files, then the one the URL names (or the first).
  useEffect(() => {
    fetch('api/files')
      .then((r) => (r.ok ? r.json() : { files: [] }))
      .then((j: { files: ServedFile[]; timeWait?: number }) => {
        setServed(j.files);
        if (typeof j.timeWait === 'number') setTimeWaitS(j.timeWait);
        const h = readHash();
        const f = j.files.find((x) => x.index === (h.file ?? 0));
        if (f) {
          const name = f.name;
          setOpenFile({ served: f.index, name });
          // Opened once the time-wait setting is in (next effect).
          pendingServed.current = { f, conn: h.conn };
        }
      })
      .catch(() => setServed([]));
  }, []);
  const pendingServed = useRef<{ f: ServedFile; conn: number | null } | null>(null);
  useEffect(() => {
    const p = pendingServed.current;
    if (p && worker.current) {
      pendingServed.current = null;
      openServed(p.f, p.conn);
    }
  });

  // A link pasted or edited by hand.
  useEffect(() => {
    const onHash = () => {
      const h = readHash();
      const cur = openRef.current;
      if (h.file !== null && (cur?.served ?? -1) !== h.file) {
        const f = served.find((x) => x.index === h.file);
        if (f) openServed(f, h.conn);
      } else if (h.conn !== null) setSelected(h.conn);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [served, openServed]);

  // The selected connection: its ladder and story; and the URL that names it.
  useEffect(() => {
    setFrame(null);
    setPacket(null);
    if (selected === null) return;
    send({ type: 'conn', id: selected });
    const cur = openRef.current;
    const hash =
      cur?.served !== null && cur?.served !== undefined
        ? `#file=${cur.served}&conn=${selected}`
        : `#conn=${selected}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }, [selected, send]);

  useEffect(() => {
    if (tab === 'hosts' && hosts === null && summary !== null) send({ type: 'hosts' });
  }, [tab, hosts, summary, send]);

  const onFrame = useCallback(
    (f: number) => {
      setFrame(f);
      if (selected !== null) send({ type: 'packet', conn: selected, frame: f });
    },
    [selected, send],
  );

  const words = useMemo(() => rows.map(searchText), [rows]);
  const order = useMemo(
    () => sortRows(rows, filterRows(rows, words, filters), sort),
    [rows, words, filters, sort],
  );
  const row = useMemo(() => rows.find((r) => r.id === selected), [rows, selected]);
  const kindsPresent = useMemo(() => new Set(summary?.kinds.map((k) => k.kind) ?? []), [summary]);

  const chooseFiles = (list: FileList | null) => {
    const f = list?.[0];
    if (f) open({ kind: 'file', file: f }, null, null);
  };

  const setFilter = (f: Partial<Filters>) => setFilters((old) => ({ ...old, ...f }));
  const filtered = order.length !== rows.length;

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the whole page is a drop target for captures
    <div
      className={`app${dragging ? ' dragging' : ''}`}
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
          <span className="tagline">the life of every TCP connection</span>
        </div>
        <nav className="files">
          {served.map((f) => (
            <button
              type="button"
              key={f.index}
              className={openFile?.served === f.index ? 'on' : ''}
              onClick={() => {
                history.replaceState(null, '', `#file=${f.index}`);
                openServed(f, null);
              }}
              title={`${f.name} (${formatBytes(f.size)})`}
            >
              {f.name}
            </button>
          ))}
          {openFile && openFile.served === null ? (
            <button type="button" className="on" title="opened in this page">
              {openFile.name}
            </button>
          ) : null}
          <label className="open">
            Open capture…
            <input
              type="file"
              data-testid="file-input"
              accept=".pcap,.pcapng,.cap,.gz,.pkt,application/vnd.tcpdump.pcap"
              onChange={(e) => {
                chooseFiles(e.currentTarget.files);
                e.currentTarget.value = '';
              }}
            />
          </label>
        </nav>
        <div className="lang" title="language of the explanations">
          <button type="button" className={lang === 'en' ? 'on' : ''} onClick={() => setLang('en')}>
            English
          </button>
          <button type="button" className={lang === 'zh' ? 'on' : ''} onClick={() => setLang('zh')}>
            中文
          </button>
        </div>
      </header>

      {progress ? (
        <div className="progress" data-testid="progress">
          <div
            className="bar"
            style={{ width: `${progress.total ? (100 * progress.done) / progress.total : 0}%` }}
          />
          <span>
            Analysing {openFile?.name} in this browser: {formatBytes(progress.done)} of{' '}
            {formatBytes(progress.total)}
            {progress.frames ? `, ${progress.frames.toLocaleString('en')} frames` : ''}
          </span>
        </div>
      ) : null}
      {error ? (
        <div className="error" role="alert">
          {error}
        </div>
      ) : null}

      {summary ? (
        <div className="capture" data-testid="summary">
          <b>{summary.name}</b>
          <span>
            <b data-testid="conn-count">{summary.connections.toLocaleString('en')}</b> connections
          </span>
          <span>
            {summary.tcpPackets.toLocaleString('en')} TCP packets of {summary.frames.toLocaleString('en')}{' '}
            frames
          </span>
          <span>{formatDuration(Math.max(0, summary.endUs - summary.startUs))}</span>
          <span className="muted">
            analysed in {summary.analysisMs} ms · TIME_WAIT {timeWaitS} s
          </span>
          {summary.notes.map((n) => (
            <span key={n} className="note">
              {n}
            </span>
          ))}
        </div>
      ) : !progress && !openFile ? (
        <div className="welcome">
          <h1>Drop a capture here</h1>
          <p>
            pcap or pcapng, gzip'd or not. It is analysed in this browser, by the same code as the{' '}
            <code>synack</code> command line; nothing is uploaded. Or start <code>synack serve FILE…</code> to
            list files here.
          </p>
        </div>
      ) : null}

      {summary ? (
        <>
          <div className="filters">
            <input
              type="search"
              placeholder="search: id, address, state, conn_state, history, event…"
              value={filters.text}
              onChange={(e) => setFilter({ text: e.currentTarget.value })}
              data-testid="filter-text"
            />
            <input
              type="text"
              className="addr"
              placeholder="address or :port"
              value={filters.addr}
              onChange={(e) => setFilter({ addr: e.currentTarget.value })}
              data-testid="filter-addr"
            />
            <select
              value={filters.state}
              onChange={(e) => setFilter({ state: e.currentTarget.value })}
              data-testid="filter-state"
            >
              <option value="">any state</option>
              {STATE_NAMES.map((s) => (
                <option key={s} value={s}>
                  passed through {s}
                </option>
              ))}
            </select>
            <select
              value={filters.kind}
              onChange={(e) => setFilter({ kind: e.currentTarget.value })}
              data-testid="filter-kind"
            >
              <option value="">any event</option>
              {EVENT_KINDS.filter((k) => kindsPresent.has(k)).map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
            <select
              value={filters.connState}
              onChange={(e) => setFilter({ connState: e.currentTarget.value })}
              data-testid="filter-connstate"
            >
              <option value="">any conn_state</option>
              {summary.connStates.map(([k, n]) => (
                <option key={k} value={k}>
                  {k} ({n})
                </option>
              ))}
            </select>
            <span className="shown" data-testid="shown">
              {filtered
                ? `${order.length.toLocaleString('en')} of ${rows.length.toLocaleString('en')}`
                : `${rows.length.toLocaleString('en')}`}{' '}
              shown
            </span>
            {filtered ? (
              <button type="button" className="clear" onClick={() => setFilters(NO_FILTERS)}>
                clear filters
              </button>
            ) : null}
          </div>
          <ConnList
            rows={rows}
            order={order}
            selected={selected}
            onSelect={setSelected}
            sort={sort}
            onSort={setSort}
          />
          <div className="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={tab === 'conn'} onClick={() => setTab('conn')}>
              Connection{selected !== null ? ` ${selected}` : ''}
            </button>
            <button type="button" role="tab" aria-selected={tab === 'hosts'} onClick={() => setTab('hosts')}>
              Hosts
            </button>
            <button
              type="button"
              role="tab"
              aria-selected={tab === 'events'}
              onClick={() => setTab('events')}
            >
              Events{summary.kinds.length ? ` (${summary.kinds.reduce((a, k) => a + k.events, 0)})` : ''}
            </button>
          </div>
          <main>
            {tab === 'conn' ? (
              detail && detail.id === selected ? (
                <ConnView
                  detail={detail}
                  row={row}
                  lang={lang}
                  packet={packet}
                  frame={frame}
                  onFrame={onFrame}
                />
              ) : (
                <p className="muted pad">
                  {selected === null ? 'Select a connection in the list.' : 'Drawing…'}
                </p>
              )
            ) : null}
            {tab === 'hosts' ? (
              hosts ? (
                <HostView view={hosts} lang={lang} />
              ) : (
                <p className="muted pad">Computing the socket tables…</p>
              )
            ) : null}
            {tab === 'events' ? (
              <EventSummary
                s={summary}
                onFilter={(f) => {
                  setFilters({ ...NO_FILTERS, ...f });
                  setTab('conn');
                }}
              />
            ) : null}
          </main>
        </>
      ) : null}
      {dragging ? <div className="dropzone">Drop the capture to analyse it here</div> : null}
    </div>
  );
}
