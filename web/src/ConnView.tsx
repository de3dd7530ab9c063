// One connection: the ladder (report/ladder-svg.ts, the SVG `synack ladder --svg` writes) with a
// hover card per arrow, click-to-inspect and keyboard stepping (each arrow is a focusable button),
// folds that open on click, the "every packet" and time-proportional views, exports (SVG, PNG,
// pcap); beside it the decoded packet, pinned, above the story (report/explain.ts) in English or
// Chinese with the clicked packet's paragraph highlighted. Only the side panel scrolls to show
// it: the page and the list stay where they are.

import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { TAG_LABELS } from '../../src/report/annotate.js';
import { formatSeconds } from '../../src/report/timeline.js';
import { type Lang, T, translateLadder } from './i18n.js';
import { LadderRows, VIRTUAL_ROWS } from './ladder-rows.js';
import type { ConnDetail, ConnRow, LadderPacket, LadderView, PacketDetail } from './protocol.js';
import { StateChip } from './StateChip.js';

function ep(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function HoverCard({ p, x, y, lang }: { p: LadderPacket; x: number; y: number; lang: Lang }) {
  const t = T[lang];
  return (
    <div className="hovercard" style={{ left: x + 16, top: y + 12 }}>
      <div className="hc-title">
        {t.frameWord} {p.frame} · {p.from === 'orig' ? t.clientToServer : t.serverToClient}
      </div>
      <div className="mono">
        {p.flags} seq={p.relSeq} ack={p.relAck} len={p.len} win={p.win}
      </div>
      <div>
        +{formatSeconds(p.relUs)} s · {p.role}
        {p.lost ? ` · ${t.lostMark}` : ''}
      </div>
      <div className="hc-states">
        <StateChip s={p.orig} /> <span className="muted">/</span> <StateChip s={p.resp} />
      </div>
      {p.tags.length > 0 ? (
        <div className="hc-tags">{p.tags.map((k) => `[${TAG_LABELS[k]}]`).join(' ')}</div>
      ) : null}
    </div>
  );
}

function PacketCard({ d, arrow, lang }: { d: PacketDetail | null; arrow: LadderPacket; lang: Lang }) {
  const t = T[lang];
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
      [t.fieldTime, String(rec.time)],
      [t.fieldFromTo, `${ep(src.ip, src.port)} → ${ep(dst.ip, dst.port)}`],
      ['IP', `v${rec.ip_version} ttl ${rec.ttl} id ${rec.ip_id ?? '-'}${rec.df ? ' DF' : ''}`],
      [t.fieldFlags, `${arrow.flags} [${rec.flags}]`],
      ['seq / ack', `${rec.seq} / ${rec.ack}`],
      [t.fieldRelative, `seq=${rec.rel_seq} ack=${rec.rel_ack}`],
      [t.fieldLen, String(rec.len)],
      [t.fieldWindow, `${rec.win} (${t.fieldScaled} ${rec.win_scaled})`],
      [t.fieldOptions, opts.length ? opts.join(', ') : '—'],
      [t.fieldRole, String(rec.role)],
    );
  } else {
    fields.push(
      [t.fieldFlags, arrow.flags],
      [t.fieldRelative, `seq=${arrow.relSeq} ack=${arrow.relAck}`],
      [t.fieldLen, String(arrow.len)],
      [t.fieldWindow, String(arrow.win)],
      [t.fieldRole, arrow.role],
    );
  }
  return (
    <div className="packet" data-testid="packet">
      <h3>
        {t.packet} · {t.frameWord} {arrow.frame}{' '}
        <span className="muted">{arrow.from === 'orig' ? t.clientToServer : t.serverToClient}</span>
      </h3>
      {d?.tcpdump ? <pre className="tcpdump">{d.tcpdump}</pre> : null}
      {d && !rec ? <p className="muted">{t.noHeaders}</p> : null}
      <dl>
        {fields.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className="mono">{v}</dd>
          </div>
        ))}
        <div>
          <dt>{t.statesAfter}</dt>
          <dd>
            <StateChip s={arrow.orig} /> <StateChip s={arrow.resp} />
          </dd>
        </div>
        {arrow.tags.length ? (
          <div>
            <dt>{t.fieldTags}</dt>
            <dd className="tags">{arrow.tags.map((k) => `[${TAG_LABELS[k]}]`).join(' ')}</dd>
          </div>
        ) : null}
      </dl>
    </div>
  );
}

/** Scrolls `el` into view inside `box` only (never the page, unlike scrollIntoView). */
function revealIn(box: HTMLElement, el: HTMLElement, margin = 8): void {
  const b = box.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  if (r.top < b.top + margin) box.scrollTop += r.top - b.top - margin;
  else if (r.bottom > b.bottom - margin)
    box.scrollTop += Math.min(r.bottom - b.bottom + margin, r.top - b.top - margin);
}

/**
 * One arrow or fold made ready for the page: its <title> gone (the hover card says more), a wide
 * transparent twin of its line to catch the mouse, its words spaced and in the page's language,
 * and a role and spoken name (an arrow a focusable button, a fold a button that opens it).
 */
function prepareRow(
  g: SVGGElement,
  byFrame: Map<number, LadderPacket>,
  t: (typeof T)[Lang],
  lang: Lang,
): void {
  if (g.matches('g.fold')) {
    translateLadder(g, lang);
    const n = Number(g.getAttribute('data-last')) - Number(g.getAttribute('data-first')) + 1;
    g.setAttribute('role', 'button');
    g.setAttribute('tabindex', '0');
    g.setAttribute('aria-label', t.foldOpen(String(n)));
    return;
  }
  for (const title of g.querySelectorAll(':scope > title')) title.remove();
  // A 1.5 px line is hard to point at.
  for (const line of g.querySelectorAll(':scope > line')) {
    const hit = line.cloneNode(false) as SVGLineElement;
    hit.removeAttribute('marker-end');
    hit.removeAttribute('stroke-dasharray');
    hit.setAttribute('class', 'hit');
    hit.setAttribute('stroke', 'transparent');
    hit.setAttribute('stroke-width', '14');
    line.after(hit);
  }
  // A space ends each text so the words do not run together when read as one name.
  for (const x of g.querySelectorAll('text')) if (!x.textContent?.endsWith(' ')) x.append(' ');
  translateLadder(g, lang);
  const a = byFrame.get(Number(g.getAttribute('data-frame')));
  if (!a) return;
  g.setAttribute('role', 'button');
  g.setAttribute('tabindex', '-1');
  // The name starts with what the arrow shows (time, label, states), then says what it does not.
  const shown = (g.textContent ?? '').replace(/\s+/g, ' ').trim();
  g.setAttribute(
    'aria-label',
    `${shown} — ${t.arrowLabel(
      a.frame,
      a.from === 'orig' ? t.clientToServer : t.serverToClient,
      a.tags.length ? `[${a.tags.join(', ')}]` : a.role,
      `${a.orig} / ${a.resp}`,
    )}`,
  );
}

/** SVG elements take `focus({preventScroll})` like HTML ones. */
type Focusable = Element & { focus(o?: FocusOptions): void };

export function ConnView(props: {
  detail: ConnDetail;
  /** The ladder view asked for (the detail may still be the previous one's). */
  view: LadderView;
  row: ConnRow | undefined;
  lang: Lang;
  packet: PacketDetail | null;
  frame: number | null;
  onFrame: (frame: number) => void;
  onView: (v: LadderView) => void;
  onExport: (what: 'svg' | 'png' | 'pcap', svg: SVGSVGElement | null) => void;
}) {
  const { detail, view, row, lang, packet, frame, onFrame, onView, onExport } = props;
  const t = T[lang];
  const host = useRef<HTMLDivElement>(null);
  const side = useRef<HTMLElement>(null);
  const story = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<{ p: LadderPacket; x: number; y: number } | null>(null);
  const byFrame = new Map(detail.arrows.map((a) => [a.frame, a]));
  const frames = detail.arrows.map((a) => a.frame);

  const rowsRef = useRef<LadderRows | null>(null);

  // The SVG's own <title> tooltips would double the hover card: the card says more. Each arrow
  // becomes a focusable button with a spoken label; each fold a button that opens it. A long
  // ladder keeps only the rows near the view in the DOM (ladder-rows.ts).
  // biome-ignore lint/correctness/useExhaustiveDependencies: labels follow the SVG and the language
  useLayoutEffect(() => {
    const el = host.current;
    if (!el) return;
    rowsRef.current?.stop();
    rowsRef.current = null;
    el.innerHTML = detail.svg;
    const svg = el.querySelector('svg');
    if (!svg) return;
    svg.setAttribute('role', 'group');
    svg.setAttribute('aria-label', `${t.ladder} ${detail.id}`);
    const groups = [...svg.querySelectorAll<SVGGElement>(':scope > g.pkt, :scope > g.fold')];
    for (const x of svg.children) if (!x.matches('g.pkt, g.fold')) translateLadder(x, lang);
    const prepare = (g: SVGGElement) => prepareRow(g, byFrame, t, lang);
    if (groups.length <= VIRTUAL_ROWS) {
      for (const g of groups) prepare(g);
      return;
    }
    const rows = new LadderRows(el, groups, prepare);
    rowsRef.current = rows;
    rows.sync();
    return () => rows.stop();
  }, [detail.svg, lang]);

  /** The arrow of `frame` in the DOM (drawn now if the ladder keeps only the rows in view). */
  const arrowOf = (frame: number): SVGGElement | null =>
    rowsRef.current
      ? rowsRef.current.arrow(frame)
      : (host.current?.querySelector<SVGGElement>(`g.pkt[data-frame="${frame}"]`) ?? null);

  // The selected arrow: marked, and the one Tab reaches (roving tabindex).
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new SVG loses the mark, so it is set again
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const all = rowsRef.current?.groups ?? [...el.querySelectorAll<SVGGElement>('g.pkt')];
    for (const g of all) {
      g.classList.remove('sel');
      if (g.getAttribute('tabindex') === '0' && g.matches('g.pkt')) g.setAttribute('tabindex', '-1');
    }
    const target =
      (frame !== null ? arrowOf(frame) : null) ??
      (rowsRef.current ? rowsRef.current.first() : el.querySelector('g.pkt[role="button"]'));
    target?.setAttribute('tabindex', '0');
    if (frame !== null && target) {
      target.classList.add('sel');
      // In view inside the ladder's own scroller only.
      revealIn(el, target as unknown as HTMLElement, 24);
      rowsRef.current?.sync();
    }
  }, [frame, detail.svg, lang]);

  const para = frame === null ? -1 : detail.spans.findIndex(([a, b]) => a > 0 && a <= frame && frame <= b);
  // biome-ignore lint/correctness/useExhaustiveDependencies: follows the paragraph and the card
  useEffect(() => {
    const box = side.current;
    const p = para < 0 ? null : story.current?.querySelector<HTMLElement>(`[data-para="${para}"]`);
    if (!box || !p) return;
    // The packet card is sticky at the panel's top: the paragraph goes just below it.
    const card = box.querySelector<HTMLElement>('.packet');
    const cardBottom = card ? card.getBoundingClientRect().bottom : box.getBoundingClientRect().top;
    const r = p.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    if (r.top < cardBottom + 8) box.scrollTop -= cardBottom + 8 - r.top;
    else if (r.bottom > b.bottom - 8)
      box.scrollTop += Math.min(r.bottom - b.bottom + 8, r.top - cardBottom - 8);
  }, [para, packet]);

  const pktOf = (target: EventTarget | null): LadderPacket | undefined => {
    const g = (target as Element | null)?.closest?.('g.pkt');
    return g ? byFrame.get(Number(g.getAttribute('data-frame'))) : undefined;
  };
  const foldOf = (target: EventTarget | null): number | null => {
    const g = (target as Element | null)?.closest?.('g.fold');
    return g ? Number(g.getAttribute('data-first')) : null;
  };
  // The folds open now are the ones the worker opened (a jump opens one too).
  const openFold = (first: number) =>
    onView({ ...view, open: [...detail.view.open.filter((x) => x !== first), first] });

  const step = (d: number) => {
    if (frames.length === 0) return;
    const at = frame === null ? -1 : frames.indexOf(frame);
    const next = frames[Math.min(frames.length - 1, Math.max(0, at < 0 ? 0 : at + d))];
    onFrame(next);
    const g = arrowOf(next) as Focusable | null;
    g?.focus({ preventScroll: true });
  };

  const arrow = frame === null ? undefined : byFrame.get(frame);
  const text = detail.explain[lang];

  return (
    <div className="connview">
      <div className="ladder-pane">
        <div className="conn-head">
          <h2>
            {t.tabConn} {detail.id}
            {row ? (
              <span className="mono endpoints">
                {' '}
                {ep(row.origIp, row.origPort)} → {ep(row.respIp, row.respPort)}
              </span>
            ) : null}
          </h2>
          <div className="seqs">
            <div>
              <span className="who">{t.client}</span>
              {detail.states.orig.map((s, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a state may repeat in the sequence
                <span key={i}>
                  {i > 0 ? <span className="arrow">→</span> : null}
                  <StateChip s={s} />
                </span>
              ))}
            </div>
            <div>
              <span className="who">{t.server}</span>
              {detail.states.resp.map((s, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a state may repeat in the sequence
                <span key={i}>
                  {i > 0 ? <span className="arrow">→</span> : null}
                  <StateChip s={s} />
                </span>
              ))}
            </div>
          </div>
          <div className="ladder-tools">
            <label title={t.allPacketsTitle}>
              <input
                type="checkbox"
                checked={view.all}
                onChange={(e) => onView({ ...view, all: e.currentTarget.checked, open: [] })}
                data-testid="ladder-all"
              />{' '}
              {t.allPackets}
            </label>
            <label title={t.timeScaleTitle}>
              <input
                type="checkbox"
                checked={view.timeScale}
                onChange={(e) => onView({ ...view, timeScale: e.currentTarget.checked })}
                data-testid="ladder-time"
              />{' '}
              {t.timeScale}
            </label>
            <label title={t.symbolicTitle}>
              <input
                type="checkbox"
                checked={view.symbolic}
                onChange={(e) => onView({ ...view, symbolic: e.currentTarget.checked })}
                data-testid="ladder-symbolic"
              />{' '}
              {t.symbolic}
            </label>
            <span className="exports">
              <button
                type="button"
                onClick={() => onExport('svg', host.current?.querySelector('svg') ?? null)}
                data-testid="export-svg"
              >
                {t.exportSvg}
              </button>
              <button
                type="button"
                onClick={() => onExport('png', host.current?.querySelector('svg') ?? null)}
                data-testid="export-png"
              >
                {t.exportPng}
              </button>
              <button
                type="button"
                title={t.exportPcapTitle}
                onClick={() => onExport('pcap', null)}
                data-testid="export-pcap"
              >
                {t.exportPcap}
              </button>
            </span>
          </div>
        </div>
        {/* biome-ignore lint/a11y/noStaticElementInteractions: the SVG's arrows and folds are the buttons (role set on them) */}
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
          onScroll={() => rowsRef.current?.schedule()}
          onClick={(e) => {
            const f = foldOf(e.target);
            if (f !== null) return openFold(f);
            const p = pktOf(e.target);
            if (p) onFrame(p.frame);
          }}
          onKeyDown={(e) => {
            const f = foldOf(e.target);
            if (f !== null && (e.key === 'Enter' || e.key === ' ')) {
              e.preventDefault();
              openFold(f);
              return;
            }
            const moves: Record<string, number> = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 };
            if (moves[e.key] !== undefined) {
              e.preventDefault();
              step(moves[e.key]);
            } else if (e.key === 'Enter' || e.key === ' ') {
              const p = pktOf(e.target);
              if (p) {
                e.preventDefault();
                onFrame(p.frame);
              }
            }
          }}
        />
        {hover ? <HoverCard {...hover} lang={lang} /> : null}
      </div>
      <aside className="side" ref={side} data-testid="side">
        {arrow ? (
          <PacketCard d={packet && packet.frame === arrow.frame ? packet : null} arrow={arrow} lang={lang} />
        ) : (
          <p className="hint">{t.clickHint}</p>
        )}
        <h3>{t.story}</h3>
        <div className="story" ref={story} data-testid="explain" lang={lang === 'zh' ? 'zh-CN' : 'en'}>
          {text.map((p, i) =>
            detail.spans[i][0] > 0 ? (
              <button
                type="button"
                // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs are positional
                key={i}
                data-para={i}
                className={`para linked${i === para ? ' hl' : ''}`}
                onClick={() => onFrame(detail.spans[i][0])}
              >
                {p}
              </button>
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs are positional
              <p key={i} data-para={i} className={`para${i === para ? ' hl' : ''}`}>
                {p}
              </p>
            ),
          )}
        </div>
      </aside>
    </div>
  );
}
