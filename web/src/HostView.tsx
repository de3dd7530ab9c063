// The host view (`synack states --timeline` in pictures): per host, the number of sockets in each
// state over the capture as stacked areas, the table each host would have shown at the end, and
// the TIME_WAIT / port-exhaustion and SYN-flood findings with their advice.

import { formatSeconds } from '../../src/report/timeline.js';
import { STATE_NAMES } from '../../src/tcp/state.js';
import type { Lang } from './ConnView.js';
import type { HostsView } from './protocol.js';
import { STATE_COLOURS, StateChip } from './StateChip.js';

/** Chart stack order: every state a live socket can be in (CLOSED sockets are gone). */
const CHARTED_STATES = STATE_NAMES.filter((s) => s !== 'CLOSED');
const MAX_HOSTS = 8;

function Chart({
  times,
  series,
  startUs,
}: {
  times: number[];
  series: Record<string, number[]>;
  startUs: number;
}) {
  const W = 720;
  const H = 150;
  const pad = { l: 44, r: 10, t: 8, b: 22 };
  const n = times.length;
  const states = CHARTED_STATES.filter((s) => series[s]?.some((v) => v > 0));
  const totals = times.map((_, i) => states.reduce((a, s) => a + (series[s]?.[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const x = (i: number) => pad.l + ((W - pad.l - pad.r) * i) / Math.max(1, n - 1);
  const y = (v: number) => H - pad.b - ((H - pad.t - pad.b) * v) / max;
  const base = new Array<number>(n).fill(0);
  const areas = states.map((s) => {
    const vals = series[s] ?? [];
    const lower = base.slice();
    for (let i = 0; i < n; i++) base[i] += vals[i] ?? 0;
    // Steps, not slopes: each sample is the count at that instant, held until the next one.
    let d = `M${x(0)},${y(base[0])}`;
    for (let i = 1; i < n; i++) d += ` L${x(i)},${y(base[i - 1])} L${x(i)},${y(base[i])}`;
    d += ` L${x(n - 1)},${y(lower[n - 1])}`;
    for (let i = n - 1; i > 0; i--) d += ` L${x(i)},${y(lower[i - 1])} L${x(i - 1)},${y(lower[i - 1])}`;
    return <path key={s} d={`${d} Z`} fill={STATE_COLOURS[s]} opacity={0.9} />;
  });
  const span = (times[n - 1] - times[0]) * 1e6;
  return (
    <div className="chart">
      <svg width={W} height={H} role="img" aria-label="sockets per state over time">
        <line x1={pad.l} y1={y(0)} x2={W - pad.r} y2={y(0)} stroke="#b0bec5" />
        <line x1={pad.l} y1={y(max)} x2={W - pad.r} y2={y(max)} stroke="#eceff1" />
        <text x={pad.l - 6} y={y(max) + 4} textAnchor="end" fontSize="11" fill="#607d8b">
          {max}
        </text>
        <text x={pad.l - 6} y={y(0) + 4} textAnchor="end" fontSize="11" fill="#607d8b">
          0
        </text>
        {areas}
        <text x={pad.l} y={H - 6} fontSize="11" fill="#607d8b">
          +0 s
        </text>
        <text x={W - pad.r} y={H - 6} fontSize="11" fill="#607d8b" textAnchor="end">
          +{formatSeconds(Math.round(times[0] * 1e6 - startUs + span))} s
        </text>
      </svg>
      <div className="legend">
        {states.map((s) => (
          <span key={s}>
            <i style={{ background: STATE_COLOURS[s] }} />
            {s} <b>{Math.max(...(series[s] ?? [0]))}</b>
          </span>
        ))}
      </div>
    </div>
  );
}

export function HostView({ view, lang }: { view: HostsView; lang: Lang }) {
  const r = view.report;
  const tl = r.timeline;
  const hosts = tl
    ? Object.keys(tl.hosts)
        .map((h) => {
          const s = tl.hosts[h] as Record<string, number[]>;
          let peak = 0;
          for (let i = 0; i < tl.times.length; i++) {
            let t = 0;
            for (const k in s) t += s[k][i] ?? 0;
            peak = Math.max(peak, t);
          }
          return { h, peak };
        })
        .sort((a, b) => b.peak - a.peak || (a.h < b.h ? -1 : 1))
    : [];
  return (
    <div className="hostview" data-testid="hosts">
      <section className="findings">
        <h3>TIME_WAIT and port exhaustion</h3>
        {r.timewait.length === 0 ? (
          <p className="muted">No client was left with sockets in TIME_WAIT.</p>
        ) : null}
        {r.timewait.map((t) => (
          <div key={`${t.client}|${t.server}|${t.port}`} className={`finding${t.exhausted ? ' bad' : ''}`}>
            <div className="f-title">
              {t.exhausted ? 'PORT EXHAUSTION' : 'TIME_WAIT'} · {t.client} → {t.server}:{t.port}
            </div>
            <div className="f-nums">
              peak {t.max_time_wait} in TIME_WAIT · ports {t.ports.low}–{t.ports.high} · {t.rate}/s seen ·{' '}
              {t.sustainable_rate}/s sustainable with {view.timeWaitS} s TIME_WAIT
            </div>
            <p>{t.advice[lang]}</p>
          </div>
        ))}
        {r.synflood.map((f) => (
          <div key={`${f.server}|${f.port}`} className="finding bad">
            <div className="f-title">
              SYN FLOOD? {f.server}:{f.port}
            </div>
            <p>
              Up to {f.max_half_open} half-open connections (SYN_RECEIVED) at once, first at +
              {formatSeconds(Math.round(f.at * 1e6) - view.startUs)} s.
            </p>
          </div>
        ))}
      </section>
      <section>
        <h3>Sockets per state over time</h3>
        {hosts.length === 0 ? <p className="muted">No sockets.</p> : null}
        {hosts.slice(0, MAX_HOSTS).map(({ h }) => {
          const counts = r.hosts[h] ?? {};
          return (
            <div key={h} className="host">
              <div className="host-head">
                <span className="mono host-ip">{h}</span>
                <span className="muted">at the end:</span>
                {Object.keys(counts).length === 0 ? <span className="muted">no sockets</span> : null}
                {Object.entries(counts).map(([s, n]) => (
                  <span key={s} className="count">
                    <StateChip s={s} /> {n}
                  </span>
                ))}
              </div>
              {tl ? (
                <Chart
                  times={tl.times}
                  series={tl.hosts[h] as Record<string, number[]>}
                  startUs={view.startUs}
                />
              ) : null}
            </div>
          );
        })}
        {view.hostCount > Math.min(hosts.length, MAX_HOSTS) ? (
          <p className="muted">
            {view.hostCount - Math.min(hosts.length, MAX_HOSTS)} more hosts with fewer sockets (see{' '}
            <code>synack states --timeline</code>).
          </p>
        ) : null}
      </section>
    </div>
  );
}
