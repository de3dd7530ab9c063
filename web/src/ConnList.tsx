// The connection list: one row per connection, virtualised (only the rows in view exist in the
// DOM, so 100 000 connections scroll as smoothly as ten), sortable by any column, keyboard
// navigable (↑/↓, j/k, PgUp/PgDn, Home/End).

import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { formatBytes, formatDuration } from '../../src/report/timeline.js';
import { kindsOf } from '../../src/track/kinds.js';
import type { Sort, SortKey } from './filters.js';
import type { ConnRow } from './protocol.js';
import { StateChip } from './StateChip.js';

const ROW = 26;
const OVERSCAN = 12;

const COLUMNS: { key: SortKey; label: string; title: string; cls?: string }[] = [
  { key: 'id', label: 'id', title: 'connection id (as `synack conns`)', cls: 'num' },
  { key: 'client', label: 'client (orig)', title: 'the endpoint that sent the first SYN' },
  { key: 'server', label: 'server (resp)', title: 'the endpoint that answered' },
  { key: 'handshake', label: 'handshake', title: 'complete, simultaneous, refused, incomplete or unseen' },
  { key: 'close', label: 'close', title: 'who closed first (FIN or RST)' },
  { key: 'finalOrig', label: 'client final', title: "the client's last state" },
  { key: 'finalResp', label: 'server final', title: "the server's last state" },
  { key: 'connState', label: 'zeek', title: "Zeek's conn_state" },
  { key: 'history', label: 'history', title: "Zeek's history" },
  { key: 'duration', label: 'duration', title: 'first to last packet', cls: 'num' },
  { key: 'packets', label: 'pkts', title: 'packets client/server', cls: 'num' },
  { key: 'bytes', label: 'bytes', title: 'payload bytes client/server', cls: 'num' },
  { key: 'events', label: 'events', title: 'analysis events (retransmissions, resets, …)' },
];

function ep(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** One row; memoised, so scrolling renders only the rows that come into view. */
const Row = memo(function Row(props: {
  r: ConnRow;
  pos: number;
  sel: boolean;
  onSelect: (id: number) => void;
}) {
  const { r, pos, sel, onSelect } = props;
  const kinds = kindsOf(r.eventMask);
  return (
    <div
      role="option"
      aria-selected={sel}
      tabIndex={-1}
      className={`row${sel ? ' sel' : ''}${pos % 2 ? ' odd' : ''}`}
      style={{ transform: `translateY(${pos * ROW}px)` }}
      data-id={r.id}
      onClick={() => onSelect(r.id)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') onSelect(r.id);
      }}
    >
      <span className="num">{r.id}</span>
      <span className="mono" title={ep(r.origIp, r.origPort)}>
        {ep(r.origIp, r.origPort)}
      </span>
      <span className="mono" title={ep(r.respIp, r.respPort)}>
        {ep(r.respIp, r.respPort)}
      </span>
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
  rows: readonly ConnRow[];
  order: readonly number[];
  selected: number | null;
  onSelect: (id: number) => void;
  sort: Sort;
  onSort: (s: Sort) => void;
}) {
  const { rows, order, selected, onSelect, sort, onSort } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(400);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  const posOf = useMemo(() => {
    const m = new Map<number, number>();
    for (let p = 0; p < order.length; p++) m.set(rows[order[p]].id, p);
    return m;
  }, [rows, order]);
  const selPos = selected === null ? -1 : (posOf.get(selected) ?? -1);

  // Keep the selected row in view when it changes (keyboard, URL, first arrival).
  useEffect(() => {
    const el = scroller.current;
    if (!el || selPos < 0) return;
    const y = selPos * ROW;
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + ROW > el.scrollTop + el.clientHeight) el.scrollTop = y + ROW - el.clientHeight;
  }, [selPos]);

  const onKey = useCallback(
    (e: React.KeyboardEvent) => {
      if (order.length === 0) return;
      const page = Math.max(1, Math.floor(height / ROW) - 1);
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
      const at = Math.min(order.length - 1, Math.max(0, Math.max(selPos, 0) + d));
      onSelect(rows[order[at]].id);
    },
    [order, rows, selPos, height, onSelect],
  );

  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(order.length, Math.ceil((top + height) / ROW) + OVERSCAN);
  const visible: React.ReactNode[] = [];
  for (let p = first; p < last; p++) {
    const r = rows[order[p]];
    visible.push(<Row key={r.id} r={r} pos={p} sel={r.id === selected} onSelect={onSelect} />);
  }

  return (
    <div className="connlist">
      <div className="row head">
        {COLUMNS.map((c) => (
          <button
            type="button"
            key={c.key}
            className={`${c.cls ?? ''}${sort.key === c.key ? ' sorted' : ''}`}
            title={`${c.title} — click to sort`}
            onClick={() => onSort({ key: c.key, desc: sort.key === c.key ? !sort.desc : false })}
          >
            {c.label}
            {sort.key === c.key ? (sort.desc ? ' ▾' : ' ▴') : ''}
          </button>
        ))}
      </div>
      <div
        className="scroller"
        role="listbox"
        aria-label="connections"
        ref={scroller}
        tabIndex={0}
        onKeyDown={onKey}
        onScroll={(e) => setTop(e.currentTarget.scrollTop)}
        // A short list takes only the room it needs; a long one a third of the window.
        style={{ height: `min(34vh, ${Math.max(order.length, 4) * ROW + 2}px)` }}
        data-testid="conn-list"
      >
        <div className="spacer" style={{ height: order.length * ROW }}>
          {visible}
        </div>
        {order.length === 0 ? <div className="empty">no connection matches the filters</div> : null}
      </div>
    </div>
  );
}
