// One connection: the ladder (report/ladder-svg.ts, the SVG `synack ladder --svg` writes) with a
// hover card per arrow and click-to-inspect, beside the decoded packet and the story of the
// connection (report/explain.ts) in English or Chinese, the paragraph of the clicked packet
// highlighted.

import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { TAG_LABELS } from '../../src/report/annotate.js';
import { formatSeconds } from '../../src/report/timeline.js';
import type { ConnDetail, ConnRow, LadderPacket, PacketDetail } from './protocol.js';
import { StateChip } from './StateChip.js';

export type Lang = 'en' | 'zh';

const L = {
  en: {
    story: 'What happened',
    packet: 'Packet',
    clickHint: 'Click an arrow in the ladder to see that packet decoded and where it sits in the story.',
    client: 'client',
    server: 'server',
    states: 'States',
    after: 'states after it',
    noHeaders: 'Headers of this frame were not kept; the fields below come from the tracker.',
  },
  zh: {
    story: '连接经过',
    packet: '报文',
    clickHint: '点击梯形图中的箭头，查看该报文的解码结果及其在连接经过中的位置。',
    client: '客户端',
    server: '服务端',
    states: '状态',
    after: '之后的状态',
    noHeaders: '未保留该帧的首部，下面的字段来自跟踪器。',
  },
};

function ep(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function HoverCard({ p, x, y }: { p: LadderPacket; x: number; y: number }) {
  return (
    <div className="hovercard" style={{ left: x + 16, top: y + 12 }}>
      <div className="hc-title">
        frame {p.frame} · {p.from === 'orig' ? 'client → server' : 'server → client'}
      </div>
      <div className="mono">
        {p.flags} seq={p.relSeq} ack={p.relAck} len={p.len} win={p.win}
      </div>
      <div>
        +{formatSeconds(p.relUs)} s · {p.role}
        {p.lost ? ' · lost before its receiver' : ''}
      </div>
      <div className="hc-states">
        <StateChip s={p.orig} /> <span className="muted">/</span> <StateChip s={p.resp} />
      </div>
      {p.tags.length > 0 ? (
        <div className="hc-tags">{p.tags.map((t) => `[${TAG_LABELS[t]}]`).join(' ')}</div>
      ) : null}
    </div>
  );
}

function PacketCard({ d, arrow, lang }: { d: PacketDetail | null; arrow: LadderPacket; lang: Lang }) {
  const rec = d?.record ?? null;
  const fields: [string, string][] = [];
  if (rec) {
    const src = rec.src as { ip: string; port: number };
    const dst = rec.dst as { ip: string; port: number };
    const opts = (rec.options as { kind: string; [k: string]: unknown }[])
      .filter((o) => o.kind !== 'nop')
      .map((o) => {
        const { kind, ...rest } = o;
        const v = Object.values(rest);
        return v.length ? `${kind} ${v.join('/')}` : kind;
      });
    fields.push(
      ['time', String(rec.time)],
      ['from → to', `${ep(src.ip, src.port)} → ${ep(dst.ip, dst.port)}`],
      ['IP', `v${rec.ip_version} ttl ${rec.ttl} id ${rec.ip_id ?? '-'}${rec.df ? ' DF' : ''}`],
      ['flags', `${arrow.flags} [${rec.flags}]`],
      ['seq / ack', `${rec.seq} / ${rec.ack}`],
      ['relative', `seq=${rec.rel_seq} ack=${rec.rel_ack}`],
      ['len', String(rec.len)],
      ['window', `${rec.win} (scaled ${rec.win_scaled})`],
      ['options', opts.length ? opts.join(', ') : '—'],
      ['role', String(rec.role)],
    );
  } else {
    fields.push(
      ['flags', arrow.flags],
      ['relative', `seq=${arrow.relSeq} ack=${arrow.relAck}`],
      ['len', String(arrow.len)],
      ['window', String(arrow.win)],
      ['role', arrow.role],
    );
  }
  return (
    <div className="packet" data-testid="packet">
      <h3>
        {L[lang].packet} · frame {arrow.frame}{' '}
        <span className="muted">{arrow.from === 'orig' ? 'client → server' : 'server → client'}</span>
      </h3>
      {d?.tcpdump ? <pre className="tcpdump">{d.tcpdump}</pre> : null}
      {d && !rec ? <p className="muted">{L[lang].noHeaders}</p> : null}
      <dl>
        {fields.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className="mono">{v}</dd>
          </div>
        ))}
        <div>
          <dt>{L[lang].after}</dt>
          <dd>
            <StateChip s={arrow.orig} /> <StateChip s={arrow.resp} />
          </dd>
        </div>
        {arrow.tags.length ? (
          <div>
            <dt>tags</dt>
            <dd className="tags">{arrow.tags.map((t) => `[${TAG_LABELS[t]}]`).join(' ')}</dd>
          </div>
        ) : null}
      </dl>
    </div>
  );
}

export function ConnView(props: {
  detail: ConnDetail;
  row: ConnRow | undefined;
  lang: Lang;
  packet: PacketDetail | null;
  frame: number | null;
  onFrame: (frame: number) => void;
}) {
  const { detail, row, lang, packet, frame, onFrame } = props;
  const host = useRef<HTMLDivElement>(null);
  const story = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<{ p: LadderPacket; x: number; y: number } | null>(null);
  const byFrame = new Map(detail.arrows.map((a) => [a.frame, a]));

  // The SVG's own <title> tooltips would double the hover card: the card says more.
  useLayoutEffect(() => {
    const el = host.current;
    if (!el) return;
    el.innerHTML = detail.svg;
    for (const t of el.querySelectorAll('g.pkt > title')) t.remove();
    // A 1.5 px line is hard to point at: each arrow gets a wide transparent twin to catch the mouse.
    for (const line of el.querySelectorAll('g.pkt > line')) {
      const hit = line.cloneNode(false) as SVGLineElement;
      hit.removeAttribute('marker-end');
      hit.removeAttribute('stroke-dasharray');
      hit.setAttribute('class', 'hit');
      hit.setAttribute('stroke', 'transparent');
      hit.setAttribute('stroke-width', '14');
      line.after(hit);
    }
  }, [detail.svg]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new SVG loses the mark, so it is set again
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    for (const g of el.querySelectorAll('g.pkt.sel')) g.classList.remove('sel');
    if (frame !== null) el.querySelector(`g.pkt[data-frame="${frame}"]`)?.classList.add('sel');
  }, [frame, detail.svg]);

  const para = frame === null ? -1 : detail.spans.findIndex(([a, b]) => a > 0 && a <= frame && frame <= b);
  useEffect(() => {
    if (para < 0) return;
    story.current
      ?.querySelector(`[data-para="${para}"]`)
      ?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [para]);

  const pktOf = (target: EventTarget | null): LadderPacket | undefined => {
    const g = (target as Element | null)?.closest?.('g.pkt');
    return g ? byFrame.get(Number(g.getAttribute('data-frame'))) : undefined;
  };
  const arrow = frame === null ? undefined : byFrame.get(frame);
  const text = detail.explain[lang];

  return (
    <div className="connview">
      <div className="ladder-pane">
        <div className="conn-head">
          <h2>
            Connection {detail.id}
            {row ? (
              <span className="mono endpoints">
                {' '}
                {ep(row.origIp, row.origPort)} → {ep(row.respIp, row.respPort)}
              </span>
            ) : null}
          </h2>
          <div className="seqs">
            <div>
              <span className="who">{L[lang].client}</span>
              {detail.states.orig.map((s, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a state may repeat in the sequence
                <span key={i}>
                  {i > 0 ? <span className="arrow">→</span> : null}
                  <StateChip s={s} />
                </span>
              ))}
            </div>
            <div>
              <span className="who">{L[lang].server}</span>
              {detail.states.resp.map((s, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a state may repeat in the sequence
                <span key={i}>
                  {i > 0 ? <span className="arrow">→</span> : null}
                  <StateChip s={s} />
                </span>
              ))}
            </div>
          </div>
        </div>
        {/* biome-ignore lint/a11y/useKeyWithClickEvents: arrows are also reachable from the story and list */}
        {/* biome-ignore lint/a11y/noStaticElementInteractions: the SVG's arrows are the targets */}
        <div
          className="ladder"
          ref={host}
          data-testid="ladder"
          onMouseMove={(e) => {
            const p = pktOf(e.target);
            const box = e.currentTarget.getBoundingClientRect();
            setHover(
              p
                ? {
                    p,
                    x: e.clientX - box.left + e.currentTarget.scrollLeft,
                    y: e.clientY - box.top + e.currentTarget.scrollTop,
                  }
                : null,
            );
          }}
          onMouseLeave={() => setHover(null)}
          onClick={(e) => {
            const p = pktOf(e.target);
            if (p) onFrame(p.frame);
          }}
        />
        {hover ? <HoverCard {...hover} /> : null}
      </div>
      <aside className="side">
        {arrow ? (
          <PacketCard d={packet && packet.frame === arrow.frame ? packet : null} arrow={arrow} lang={lang} />
        ) : (
          <p className="hint">{L[lang].clickHint}</p>
        )}
        <h3>{L[lang].story}</h3>
        <div className="story" ref={story} data-testid="explain" lang={lang === 'zh' ? 'zh-CN' : 'en'}>
          {text.map((p, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: a shortcut; the ladder is the main way in
            <p
              // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs are positional
              key={i}
              data-para={i}
              className={`${i === para ? 'hl' : ''}${detail.spans[i][0] > 0 ? ' linked' : ''}`}
              onClick={() => {
                if (detail.spans[i][0] > 0) onFrame(detail.spans[i][0]);
              }}
            >
              {p}
            </p>
          ))}
        </div>
      </aside>
    </div>
  );
}
