// The connection list: one row per connection, virtualised (only the rows in view exist in the
// DOM, so 100 000 connections scroll as smoothly as ten), sortable by any column (Wireshark
// Conversations' columns among them: start, bits/s each way, retransmissions, RTT), keyboard
// navigable (↑/↓, j/k, PgUp/PgDn, Home/End) as a listbox whose active row screen readers announce.
// The header scrolls sideways with the rows, so a narrow window cuts no column.

import { memo, useCallback, useEffect, useRef, useState } from 'react';
import { formatBytes, formatDuration, formatSeconds } from '../../src/report/timeline.js';
import { kindsOf } from '../../src/track/kinds.js';
import { bitsPerSecond, type Sort, type SortKey } from './filters.js';
import { type Lang, T } from './i18n.js';
import type { ConnRow } from './protocol.js';
import type { Rows } from './row-columns.js';
import { StateChip } from './StateChip.js';

const ROW = 26;
const OVERSCAN = 12;

type ColumnWord =
  | 'colId'
  | 'colClient'
  | 'colServer'
  | 'colStart'
  | 'colHandshake'
  | 'colClose'
  | 'colFinalOrig'
  | 'colFinalResp'
  | 'colZeek'
  | 'colHistory'
  | 'colDuration'
  | 'colPackets'
  | 'colBytes'
  | 'colBpsAB'
  | 'colBpsBA'
  | 'colRetrans'
  | 'colRtt'
  | 'colEvents';

const COLUMNS: { key: SortKey; word: ColumnWord; title: string; num?: boolean }[] = [
  { key: 'id', word: 'colId', title: 'connection id (as `synack conns`)', num: true },
  { key: 'client', word: 'colClient', title: 'the endpoint that sent the first SYN' },
  { key: 'server', word: 'colServer', title: 'the endpoint that answered' },
  { key: 'start', word: 'colStart', title: 'first packet, seconds after the capture began', num: true },
  { key: 'handshake', word: 'colHandshake', title: 'complete, simultaneous, refused, incomplete or unseen' },
  { key: 'close', word: 'colClose', title: 'who closed first (FIN or RST)' },
  { key: 'finalOrig', word: 'colFinalOrig', title: "the client's last state" },
  { key: 'finalResp', word: 'colFinalResp', title: "the server's last state" },
  { key: 'connState', word: 'colZeek', title: "Zeek's conn_state" },
  { key: 'history', word: 'colHistory', title: "Zeek's history" },
  { key: 'duration', word: 'colDuration', title: 'first to last packet', num: true },
  { key: 'packets', word: 'colPackets', title: 'packets client/server', num: true },
  { key: 'bytes', word: 'colBytes', title: 'payload bytes, both ways', num: true },
  { key: 'bpsOrig', word: 'colBpsAB', title: 'payload bits per second, client to server', num: true },
  { key: 'bpsResp', word: 'colBpsBA', title: 'payload bits per second, server to client', num: true },
  { key: 'retrans', word: 'colRetrans', title: 'retransmitted segments', num: true },
  { key: 'rtt', word: 'colRtt', title: 'handshake round trip at the capture point', num: true },
  { key: 'events', word: 'colEvents', title: 'analysis events (retransmissions, resets, …)' },
];

/** Bits per second the way Wireshark's Conversations prints them: k, M, G. */
export function formatBps(bps: number | null): string {
  if (bps === null) return '—';
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(1)} G`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} M`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(1)} k`;
  return bps.toFixed(0);
}

function formatRtt(us: number): string {
  if (us < 0) return '—';
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us} µs`;
}

/** The address shrinks (ellipsis) but the port never does: "[2001:db8:…::1]:443". */
function Endpoint({ ip, port }: { ip: string; port: number }) {
  const v6 = ip.includes(':');
  const text = v6 ? `[${ip}]:${port}` : `${ip}:${port}`;
  return (
    <span className="ep mono" title={text}>
      <span className="ip">{v6 ? `[${ip}]` : ip}</span>
      <span className="port">:{port}</span>
    </span>
  );
}

export function rowDomId(id: number): string {
  return `conn-row-${id}`;
}

/** One row; memoised, so scrolling renders only the rows that come into view. */
const Row = memo(function Row(props: {
  r: ConnRow;
  pos: number;
  sel: boolean;
  t0: number;
  /** Stable (the parent's callback), so rows that did not change are not rendered again. */
  onSelect: (id: number, how: 'click') => void;
}) {
  const { r, pos, sel, t0, onSelect } = props;
  const kinds = kindsOf(r.eventMask);
  return (
    <div
      role="option"
      id={rowDomId(r.id)}
      aria-selected={sel}
      className={`row${sel ? ' sel' : ''}${pos % 2 ? ' odd' : ''}`}
      style={{ transform: `translateY(${pos * ROW}px)` }}
      data-id={r.id}
      // Options are not Tab stops: the listbox holds focus and names the active one.
      tabIndex={-1}
      onClick={() => onSelect(r.id, 'click')}
      onKeyDown={(e) => {
        if (e.key === 'Enter') onSelect(r.id, 'click');
      }}
    >
      <span className="num">{r.id}</span>
      <Endpoint ip={r.origIp} port={r.origPort} />
      <Endpoint ip={r.respIp} port={r.respPort} />
      <span className="num">{formatSeconds(Math.max(0, r.startUs - t0))}</span>
      <span className={`hs hs-${r.handshake}`}>{r.handshake}</span>
      <span className={`close close-${r.close}`}>{r.close}</span>
      <span>
        <StateChip s={r.finalOrig} />
      </span>
      <span>
        <StateChip s={r.finalResp} />
      </span>
      <span className="mono">{r.connState}</span>
      <span className="mono" title={r.history}>
        {r.history}
      </span>
      <span className="num">{formatDuration(r.durationUs)}</span>
      <span className="num">
        {r.pktsOrig}/{r.pktsResp}
      </span>
      <span className="num">{formatBytes(r.bytesOrig + r.bytesResp)}</span>
      <span className="num">{formatBps(bitsPerSecond(r.bytesOrig, r.durationUs))}</span>
      <span className="num">{formatBps(bitsPerSecond(r.bytesResp, r.durationUs))}</span>
      <span className="num">{r.retrans || ''}</span>
      <span className="num">{formatRtt(r.rttUs)}</span>
      <span className="kinds" title={kinds.join(', ')}>
        {kinds.slice(0, 2).map((k) => (
          <span key={k} className={`kind kind-${k}`}>
            {k}
          </span>
        ))}
        {kinds.length > 2 ? <span className="more">+{kinds.length - 2}</span> : null}
        {r.events > 0 && kinds.length === 0 ? r.events : null}
      </span>
    </div>
  );
});

export function ConnList(props: {
  rows: Rows;
  order: readonly number[];
  selected: number | null;
  /** The selected row's position in `order` (-1: not in the list). */
  selPos: number;
  /** `keyboard`: a step with the arrow keys (history coalesces them). */
  onSelect: (id: number, how: 'click' | 'keyboard') => void;
  sort: Sort;
  onSort: (s: Sort) => void;
  /** Changes on every sort: the list goes back to its top. */
  sortEpoch: number;
  t0: number;
  lang: Lang;
  empty: string | null;
}) {
  const { rows, order, selected, selPos, onSelect, sort, onSort, sortEpoch, t0, lang, empty } = props;
  const t = T[lang];
  const scroller = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(400);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    // The observer reports the first size after layout (reading it here would force one).
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // After a sort the list shows its new top row (the sort is what the user asked to see).
  useEffect(() => {
    const el = scroller.current;
    if (el && sortEpoch > 0) {
      el.scrollTop = 0;
      setTop(0);
    }
  }, [sortEpoch]);

  // Keep the selected row in view when it changes (keyboard, URL, first arrival).
  // biome-ignore lint/correctness/useExhaustiveDependencies: follows the selection, not re-sorts
  useEffect(() => {
    const el = scroller.current;
    if (!el || selPos < 0) return;
    const head = ROW;
    const y = selPos * ROW;
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + ROW + head > el.scrollTop + el.clientHeight) el.scrollTop = y + ROW + head - el.clientHeight;
  }, [selected]);

  const onKey = useCallback(
    (e: React.KeyboardEvent) => {
      if (order.length === 0) return;
      const page = Math.max(1, Math.floor(height / ROW) - 2);
      const moves: Record<string, number> = {
        ArrowDown: 1,
        j: 1,
        ArrowUp: -1,
        k: -1,
        PageDown: page,
        PageUp: -page,
        Home: -order.length,
        End: order.length,
      };
      const d = moves[e.key];
      if (d === undefined) return;
      e.preventDefault();
      const at = Math.min(order.length - 1, Math.max(0, selPos < 0 ? 0 : selPos + d));
      onSelect(rows.id(order[at]), 'keyboard');
    },
    [order, rows, selPos, height, onSelect],
  );

  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(order.length, Math.ceil((top + height) / ROW) + OVERSCAN);
  const visible: React.ReactNode[] = [];
  for (let p = first; p < last; p++) {
    const r = rows.at(order[p]);
    visible.push(<Row key={r.id} r={r} pos={p} sel={r.id === selected} t0={t0} onSelect={onSelect} />);
  }
  // The active row exists in the DOM only when it is rendered (it is scrolled into view above).
  const active = selPos >= first && selPos < last && selected !== null ? rowDomId(selected) : undefined;

  return (
    <div
      className="connlist"
      ref={scroller}
      onScroll={(e) => setTop(e.currentTarget.scrollTop)}
      // A short list takes only the room it needs; a long one a third of the window.
      style={{ height: `min(34vh, ${(Math.max(order.length, 4) + 1) * ROW + 18}px)` }}
      data-testid="conn-scroller"
    >
      <div className="row head">
        {COLUMNS.map((c) => (
          <button
            type="button"
            key={c.key}
            className={`${c.num ? 'num' : ''}${sort.key === c.key ? ' sorted' : ''}`}
            title={`${c.title} — ${t.sortBy(t[c.word])}`}
            aria-pressed={sort.key === c.key}
            data-sort={c.key}
            onClick={() =>
              onSort({ key: c.key, desc: sort.key === c.key ? !sort.desc : c.num === true && c.key !== 'id' })
            }
          >
            {t[c.word]}
            {sort.key === c.key ? (sort.desc ? ' ▾' : ' ▴') : ''}
          </button>
        ))}
      </div>
      <div
        className="rows"
        role="listbox"
        aria-label={t.connsLabel}
        aria-activedescendant={active}
        tabIndex={0}
        onKeyDown={onKey}
        data-testid="conn-list"
        style={{ height: order.length * ROW }}
      >
        {visible}
      </div>
      {empty ? <div className="empty">{empty}</div> : null}
    </div>
  );
}
