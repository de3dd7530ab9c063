// The capture at a glance, like Wireshark's Expert Info: analysis events grouped by severity
// (severity.ts), each kind with its count, the connections it touches (a click filters the list)
// and its first occurrences (a click jumps to the packet in its ladder); resets counted by who
// sent them; then how connections opened and closed, Zeek's conn_state spread and the endpoints'
// final states.

import { TAG_LABELS } from '../../src/report/annotate.js';
import { formatSeconds } from '../../src/report/timeline.js';
import type { Filters } from './filters.js';
import { type Lang, T } from './i18n.js';
import type { CaptureSummary, KindCount } from './protocol.js';
import { StateChip } from './StateChip.js';
import { SEVERITIES } from './severity.js';

/** Zeek's conn_state codes, as its documentation spells them (and in Chinese). */
const CONN_STATES_ZH: Record<string, string> = {
  S0: '见到连接请求，无应答',
  S1: '已建立，未终止',
  SF: '正常建立并终止',
  REJ: '连接请求被拒绝',
  S2: '已建立，见到发起方的关闭尝试（无应答）',
  S3: '已建立，见到响应方的关闭尝试（无应答）',
  RSTO: '已建立，发起方中止（RST）',
  RSTR: '响应方发送了 RST',
  RSTOS0: '发起方发送 SYN 后又发送 RST，未见 SYN+ACK',
  RSTRH: '响应方发送 SYN+ACK 后又发送 RST，未见 SYN',
  SH: '发起方发送 SYN 后又发送 FIN，未见 SYN+ACK',
  SHR: '响应方发送 SYN+ACK 后又发送 FIN，未见 SYN',
  OTH: '未见 SYN，中途开始的流量',
};

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

function KindRow({
  k,
  s,
  lang,
  onFilter,
  onJump,
}: {
  k: KindCount;
  s: CaptureSummary;
  lang: Lang;
  onFilter: (f: Partial<Filters>) => void;
  onJump: (conn: number, frame: number) => void;
}) {
  const t = T[lang];
  return (
    <div className={`kindrow sev-${k.severity}`} data-kind={k.kind}>
      <details>
        <summary>
          <span className={`kind kind-${k.kind}`}>{k.kind}</span>
          <span className="label">[{TAG_LABELS[k.kind]}]</span>
          <span className="num" title={t.eventsCol}>
            {k.events.toLocaleString('en')}
          </span>
        </summary>
        {k.events > k.first.length ? (
          <p className="muted">{t.firstOf(k.first.length, k.events.toLocaleString('en'))}</p>
        ) : null}
        <ul className="jumps">
          {k.first.map((e) => (
            <li key={`${e.conn}-${e.frame}`}>
              <button type="button" className="linkish" onClick={() => onJump(e.conn, e.frame)}>
                {t.jumpTo(e.conn, e.frame, formatSeconds(Math.max(0, e.timeUs - s.startUs)))}
              </button>
            </li>
          ))}
        </ul>
      </details>
      <button
        type="button"
        className="linkish conns"
        title={t.showConns}
        onClick={() => onFilter({ kind: k.kind })}
      >
        {k.conns.toLocaleString('en')} {t.connsCol}
      </button>
    </div>
  );
}

export function EventSummary({
  s,
  lang,
  onFilter,
  onJump,
}: {
  s: CaptureSummary;
  lang: Lang;
  onFilter: (f: Partial<Filters>) => void;
  onJump: (conn: number, frame: number) => void;
}) {
  const t = T[lang];
  const resets = s.resets.orig + s.resets.resp + s.resets.both;
  return (
    <div className="summary" data-testid="events">
      <section className="expert">
        <h3>{t.expert}</h3>
        {s.kinds.length === 0 && resets === 0 && s.malformed === 0 ? (
          <p className="muted">{t.noEvents}</p>
        ) : null}
        {SEVERITIES.map((sev) => {
          const kinds = s.kinds.filter((k) => k.severity === sev);
          const extra = sev === 'error' ? s.malformed : sev === 'warning' ? resets : 0;
          if (kinds.length === 0 && extra === 0) return null;
          const total = kinds.reduce((a, k) => a + k.events, 0) + extra;
          return (
            <div key={sev} className={`severity sev-${sev}`} data-severity={sev}>
              <h4>
                <span className="sev-badge">{t.severity[sev]}</span>{' '}
                <span className="num" data-testid={`sev-${sev}`}>
                  {total.toLocaleString('en')}
                </span>
              </h4>
              {sev === 'error' && s.malformed > 0 ? <p>{t.malformed(s.malformed)}</p> : null}
              {sev === 'warning' && resets > 0 ? (
                <div className="resets" data-testid="resets">
                  <button type="button" className="linkish" onClick={() => onFilter({ text: 'rst' })}>
                    {t.resets}: {resets.toLocaleString('en')}
                  </button>{' '}
                  <span className="muted">{t.resetsLine(s.resets.orig, s.resets.resp, s.resets.both)}</span>
                </div>
              ) : null}
              {kinds.map((k) => (
                <KindRow key={k.kind} k={k} s={s} lang={lang} onFilter={onFilter} onJump={onJump} />
              ))}
            </div>
          );
        })}
      </section>
      <Bars
        title={t.zeekConnState}
        items={s.connStates}
        total={s.connections}
        render={(k) => (
          <>
            <b className="mono">{k}</b>{' '}
            <span className="muted">{(lang === 'zh' ? CONN_STATES_ZH : CONN_STATES)[k] ?? ''}</span>
          </>
        )}
        onPick={(k) => onFilter({ connState: k })}
      />
      <Bars
        title={t.handshake}
        items={s.handshakes}
        total={s.connections}
        onPick={(k) => onFilter({ text: `hs:${k}` })}
      />
      <Bars
        title={t.close}
        items={s.closes}
        total={s.connections}
        onPick={(k) => onFilter({ text: `close:${k}` })}
      />
      <Bars title={t.finals} items={s.finals} total={2 * s.connections} render={(k) => <StateChip s={k} />} />
    </div>
  );
}
