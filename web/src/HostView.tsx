// The host view (`synack states --timeline` in pictures), as the worker cut it down
// (host-summary.ts): port exhaustion and near-exhaustion first, the top TIME_WAIT pairs, SYN
// floods, the other pairs as one line; then the busiest hosts' sockets per state over time as
// stacked areas with the table each would have shown at the end. The findings list draws only
// the entries in view, however many there are.

import { useState } from 'react';
import { formatSeconds } from '../../src/report/timeline.js';
import { STATE_NAMES, type StateName } from '../../src/tcp/state.js';
import { type Lang, T } from './i18n.js';
import type { HostChart, HostFinding, HostsView } from './protocol.js';
import { STATE_COLOURS, StateChip } from './StateChip.js';

/** Chart stack order: every state a live socket can be in (CLOSED sockets are gone). */
const CHARTED_STATES = STATE_NAMES.filter((s) => s !== 'CLOSED');
/** Height of one finding in the list (title and numbers; its advice shows below the list). */
const FINDING = 84;
const FINDINGS_SHOWN = 5;

function Chart({ c, times, startUs, lang }: { c: HostChart; times: number[]; startUs: number; lang: Lang }) {
  const W = 720;
  const H = 150;
  const pad = { l: 44, r: 10, t: 8, b: 22 };
  const n = times.length;
  const series = c.series;
  const states = CHARTED_STATES.filter((s) => series[s]?.some((v) => v > 0));
  const max = Math.max(1, c.peak);
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
  const spanUs = n > 0 ? times[n - 1] - startUs : 0;
  return (
    <div className="chart">
      <svg width={W} height={H} role="img" aria-label={T[lang].chartLabel(c.host)}>
        <line x1={pad.l} y1={y(0)} x2={W - pad.r} y2={y(0)} className="axis" />
        <line x1={pad.l} y1={y(max)} x2={W - pad.r} y2={y(max)} className="grid" />
        <text x={pad.l - 6} y={y(max) + 4} textAnchor="end" fontSize="11" className="tick">
          {max}
        </text>
        <text x={pad.l - 6} y={y(0) + 4} textAnchor="end" fontSize="11" className="tick">
          0
        </text>
        {areas}
        <text x={pad.l} y={H - 6} fontSize="11" className="tick">
          +0 s
        </text>
        <text x={W - pad.r} y={H - 6} fontSize="11" textAnchor="end" className="tick">
          +{formatSeconds(Math.max(0, spanUs))} s
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

function findingTitle(f: HostFinding, lang: Lang): string {
  const t = T[lang];
  return f.why === 'exhausted' ? t.portExhaustion : f.why === 'near' ? t.nearExhaustion : t.twTop;
}

function findingClass(f: HostFinding): string {
  return `finding${f.why === 'exhausted' ? ' bad' : f.why === 'near' ? ' warn' : ''}`;
}

/**
 * The findings, virtualised: a fixed-height box that draws only the entries scrolled into it;
 * the chosen one's advice (what to do about it) in full below.
 */
function Findings({ view, lang }: { view: HostsView; lang: Lang }) {
  const t = T[lang];
  const [top, setTop] = useState(0);
  const [sel, setSel] = useState(0);
  const all = view.findings;
  const height = Math.min(all.length, FINDINGS_SHOWN) * FINDING;
  const first = Math.max(0, Math.floor(top / FINDING) - 2);
  const last = Math.min(all.length, Math.ceil((top + height) / FINDING) + 2);
  const items: React.ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const f = all[i];
    items.push(
      <div key={`${f.client}|${f.server}|${f.port}`} className="f-slot" style={{ top: i * FINDING }}>
        <button
          type="button"
          className={`${findingClass(f)}${i === sel ? ' on' : ''}`}
          aria-pressed={i === sel}
          onClick={() => setSel(i)}
        >
          <span className="f-title">
            {findingTitle(f, lang)} · {f.client} → {f.server}:{f.port}
          </span>
          <span className="f-nums">
            {t.twNums(f.max_time_wait, f.ports.low, f.ports.high, f.rate, f.sustainable_rate, view.timeWaitS)}
          </span>
        </button>
      </div>,
    );
  }
  const chosen = all[Math.min(sel, all.length - 1)];
  return (
    <>
      <section
        className="findings-list"
        style={{ height }}
        onScroll={(e) => setTop(e.currentTarget.scrollTop)}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
        tabIndex={0}
        aria-label={t.twTitle}
        data-testid="findings"
      >
        <div style={{ height: all.length * FINDING, position: 'relative' }}>{items}</div>
      </section>
      {chosen ? (
        <div className={`${findingClass(chosen)} f-detail`} data-testid="finding-advice" aria-live="polite">
          <div className="f-title">
            {findingTitle(chosen, lang)} · {chosen.client} → {chosen.server}:{chosen.port}
          </div>
          <p>{chosen.advice[lang]}</p>
        </div>
      ) : null}
    </>
  );
}

export function HostView({ view, lang }: { view: HostsView; lang: Lang }) {
  const t = T[lang];
  const shown = view.charts.length;
  return (
    <div className="hostview" data-testid="hosts">
      <section className="findings">
        <h3>{t.twTitle}</h3>
        {view.findings.length === 0 && view.rest.pairs === 0 ? <p className="muted">{t.noTw}</p> : null}
        {view.findings.length > 0 ? <Findings view={view} lang={lang} /> : null}
        {view.rest.pairs > 0 ? (
          <p className="muted rest" data-testid="hosts-rest">
            {t.twRest(
              view.rest.pairs.toLocaleString('en'),
              view.rest.maxPeak,
              view.rest.sockets.toLocaleString('en'),
            )}
          </p>
        ) : null}
        {view.synflood.map((f) => (
          <div key={`${f.server}|${f.port}`} className="finding bad">
            <div className="f-title">
              {t.synFlood} {f.server}:{f.port}
            </div>
            <p>{t.synFloodText(f.max_half_open, formatSeconds(Math.round(f.at * 1e6) - view.startUs))}</p>
          </div>
        ))}
      </section>
      <section>
        <h3>{t.perState}</h3>
        <p className="muted">{t.hostsComputed(view.computeMs, view.hostCount.toLocaleString('en'))}</p>
        {shown === 0 ? <p className="muted">{t.noSockets}</p> : null}
        {view.charts.map((c) => (
          <div key={c.host} className="host">
            <div className="host-head">
              <span className="mono host-ip">{c.host}</span>
              <span className="muted">{t.atEnd}</span>
              {Object.keys(c.end).length === 0 ? <span className="muted">{t.noSockets}</span> : null}
              {Object.entries(c.end).map(([s, n]) => (
                <span key={s} className="count">
                  <StateChip s={s as StateName} /> {n}
                </span>
              ))}
            </div>
            <Chart c={c} times={view.times} startUs={view.startUs} lang={lang} />
          </div>
        ))}
        {view.hostCount > shown ? <p className="muted">{t.moreHosts(view.hostCount - shown)}</p> : null}
      </section>
    </div>
  );
}
