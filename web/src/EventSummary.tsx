// The capture at a glance: how connections opened and closed, Zeek's conn_state spread, the
// endpoints' final states, and every analysis event kind with its count. Each line filters the
// connection list to what it counts.

import { TAG_LABELS } from '../../src/report/annotate.js';
import type { EventKind } from '../../src/track/kinds.js';
import type { Filters } from './filters.js';
import type { CaptureSummary } from './protocol.js';
import { StateChip } from './StateChip.js';

/** Zeek's conn_state codes, as its documentation spells them. */
const CONN_STATES: Record<string, string> = {
  S0: 'attempt seen, no reply',
  S1: 'established, not terminated',
  SF: 'normal establishment and termination',
  REJ: 'attempt rejected',
  S2: 'established, close attempt by originator seen (no reply)',
  S3: 'established, close attempt by responder seen (no reply)',
  RSTO: 'established, originator aborted (RST)',
  RSTR: 'responder sent a RST',
  RSTOS0: 'originator sent SYN then RST, no SYN+ACK seen',
  RSTRH: 'responder sent SYN+ACK then RST, no SYN seen',
  SH: 'originator sent SYN then FIN, no SYN+ACK seen',
  SHR: 'responder sent SYN+ACK then FIN, no SYN seen',
  OTH: 'no SYN seen, midstream traffic',
};

function Bars({
  title,
  items,
  total,
  render,
  onPick,
}: {
  title: string;
  items: [string, number][];
  total: number;
  render?: (k: string) => React.ReactNode;
  onPick?: (k: string) => void;
}) {
  return (
    <section className="bars">
      <h3>{title}</h3>
      {items.map(([k, n]) => (
        <button type="button" key={k} className="bar" onClick={() => onPick?.(k)} disabled={!onPick}>
          <span className="label">{render ? render(k) : k}</span>
          <span className="track">
            <span className="fill" style={{ width: `${(100 * n) / Math.max(1, total)}%` }} />
          </span>
          <span className="n">{n}</span>
        </button>
      ))}
    </section>
  );
}

export function EventSummary({
  s,
  onFilter,
}: {
  s: CaptureSummary;
  onFilter: (f: Partial<Filters>) => void;
}) {
  return (
    <div className="summary" data-testid="events">
      <section className="bars kinds-table">
        <h3>Analysis events</h3>
        {s.kinds.length === 0 ? (
          <p className="muted">No retransmissions, resets out of window or other events.</p>
        ) : null}
        <table>
          <thead>
            <tr>
              <th>kind</th>
              <th>as Wireshark/synack labels it</th>
              <th className="num">events</th>
              <th className="num">connections</th>
            </tr>
          </thead>
          <tbody>
            {s.kinds.map((k) => (
              <tr key={k.kind} onClick={() => onFilter({ kind: k.kind })} title="show these connections">
                <td>
                  <span className={`kind kind-${k.kind}`}>{k.kind}</span>
                </td>
                <td>[{TAG_LABELS[k.kind as EventKind]}]</td>
                <td className="num">{k.events}</td>
                <td className="num">{k.conns}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <Bars
        title="Zeek conn_state"
        items={s.connStates}
        total={s.connections}
        render={(k) => (
          <>
            <b className="mono">{k}</b> <span className="muted">{CONN_STATES[k] ?? ''}</span>
          </>
        )}
        onPick={(k) => onFilter({ connState: k })}
      />
      <Bars
        title="Handshake"
        items={s.handshakes}
        total={s.connections}
        onPick={(k) => onFilter({ text: `hs:${k}` })}
      />
      <Bars
        title="Close"
        items={s.closes}
        total={s.connections}
        onPick={(k) => onFilter({ text: `close:${k}` })}
      />
      <Bars
        title="Final states (both endpoints)"
        items={s.finals}
        total={2 * s.connections}
        render={(k) => <StateChip s={k} />}
      />
    </div>
  );
}
