// The ladder diagram as a standalone SVG document (for `synack ladder --svg` and the web UI):
// the same model as the terminal picture (ladder-model.ts), drawn as the textbooks draw it —
// two vertical lines, arrows sloping down from sender to receiver with their label along them,
// each side's state boxed beside its line where it changes. Pure: returns a string.

import type { StateName } from '../tcp/state.js';
import {
  buildLadder,
  endpointText,
  type LadderArrow,
  type LadderModel,
  type LadderOptions,
} from './ladder-model.js';
import { type ConnTimeline, formatSeconds, type Side } from './timeline.js';

export interface LadderDrawOptions {
  /** Rows placed by time (one px scale for the connection), not one row per arrow. */
  timeScale?: boolean;
}

export interface LadderSvgOptions extends LadderOptions, LadderDrawOptions {
  /** Width in px (default 960). */
  width?: number;
}

const FONT = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace";
const ROW = 34; // vertical room of one arrow
const DROP = 22; // how far an arrow slopes down from sender to receiver
const FOLD_ROW = 36;
const GAP_ROW = 26; // a pause: '⋯ 1.000 s, RTO ⋯'
const HEAD = 84; // header height (titles and initial states)
const BOX_HEIGHT = 17; // a state box
const BOX_GAP = BOX_HEIGHT + 3; // least distance between the centres of two state boxes on one side

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Colours that group states the way people read them: opening, open, closing, gone. */
function stateColour(s: StateName): string {
  switch (s) {
    case 'ESTABLISHED':
      return '#2e7d32';
    case 'SYN_SENT':
    case 'SYN_RECEIVED':
    case 'LISTEN':
      return '#1565c0';
    case 'FIN_WAIT_1':
    case 'FIN_WAIT_2':
    case 'CLOSE_WAIT':
    case 'CLOSING':
    case 'LAST_ACK':
      return '#ef6c00';
    case 'TIME_WAIT':
      return '#6a1b9a';
    case 'UNKNOWN':
      return '#757575';
    default:
      return '#424242';
  }
}

function stateBox(x: number, y: number, s: StateName, anchor: 'start' | 'end'): string {
  const w = s.length * 7.3 + 10;
  const bx = anchor === 'start' ? x : x - w;
  const c = stateColour(s);
  return (
    `<rect x="${bx.toFixed(1)}" y="${y - 9}" width="${w.toFixed(1)}" height="${BOX_HEIGHT}" rx="3" fill="#fff" stroke="${c}"/>` +
    `<text x="${(bx + w / 2).toFixed(1)}" y="${y + 4}" text-anchor="middle" fill="${c}" font-weight="bold">${esc(s)}</text>`
  );
}

export function renderLadderSvg(t: ConnTimeline, opts: LadderSvgOptions = {}): string {
  return drawLadderSvg(buildLadder(t, opts), opts.width ?? 960, opts);
}

export function drawLadderSvg(m: LadderModel, width: number, opts: LadderDrawOptions = {}): string {
  const xL = Math.round(width * 0.24);
  const xR = Math.round(width * 0.8);
  const timeX = 70;
  const layout = opts.timeScale ? layoutByTime(m) : layoutRows(m);
  let height = layout.end + 6;
  // Footer notes, the final states, and the legend, one line per mark (always one: #n).
  const legendLines =
    1 +
    (m.marks.lost ? 1 : 0) +
    (m.marks.dropped ? 1 : 0) +
    (m.marks.undecided ? 1 : 0) +
    (m.marks.unanswered ? 1 : 0) +
    (m.symbolic ? 1 : 0) +
    (m.rows.some((r) => r.kind === 'arrow' && r.crossesNext) ? 1 : 0);
  const footLines = m.footer.length + 1 + legendLines;
  const linesEnd = height + 6;
  height += 24 + footLines * 18;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">`,
  );
  parts.push(
    '<defs>' +
      '<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#263238"/></marker>' +
      '<marker id="head-open" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#fff" stroke="#263238"/></marker>' +
      '</defs>',
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(
    `<text x="${xL}" y="22" text-anchor="middle" font-size="14" font-weight="bold">client</text>` +
      `<text x="${xL}" y="38" text-anchor="middle" fill="#455a64">${esc(endpointText(m.client))}</text>` +
      `<text x="${xR}" y="22" text-anchor="middle" font-size="14" font-weight="bold">server</text>` +
      `<text x="${xR}" y="38" text-anchor="middle" fill="#455a64">${esc(endpointText(m.server))}</text>` +
      `<text x="${timeX}" y="38" text-anchor="end" fill="#455a64">time (s)</text>`,
  );
  parts.push(
    `<line x1="${xL}" y1="${HEAD - 22}" x2="${xL}" y2="${linesEnd}" stroke="#263238" stroke-width="2"/>` +
      `<line x1="${xR}" y1="${HEAD - 22}" x2="${xR}" y2="${linesEnd}" stroke="#263238" stroke-width="2"/>`,
  );
  parts.push(stateBox(xL - 8, HEAD - 22, m.initial.orig, 'end'));
  parts.push(stateBox(xR + 8, HEAD - 22, m.initial.resp, 'start'));

  m.rows.forEach((r, i) => {
    const y = layout.tops[i];
    if (r.kind === 'fold') {
      const mid = y + FOLD_ROW / 2 - 2;
      parts.push(
        `<g class="fold" data-first="${r.firstIndex}" data-last="${r.lastIndex}">` +
          `<text x="${timeX}" y="${mid + 4}" text-anchor="end" fill="#607d8b">${formatSeconds(r.startUs)}</text>` +
          `<rect x="${xL + 12}" y="${mid - 10}" width="${xR - xL - 24}" height="20" rx="4" fill="#eceff1" stroke="#90a4ae" stroke-dasharray="4 3"/>` +
          `<text x="${(xL + xR) / 2}" y="${mid + 4}" text-anchor="middle" fill="#37474f">${esc(r.text)}</text></g>`,
      );
      return;
    }
    if (r.kind === 'gap') {
      const mid = y + GAP_ROW / 2;
      parts.push(
        `<text x="${(xL + xR) / 2}" y="${mid + 4}" text-anchor="middle" fill="#78909c" font-style="italic">${esc(r.text)}</text>` +
          `<line x1="${xL}" y1="${y + 4}" x2="${xL}" y2="${y + GAP_ROW - 4}" stroke="#fff" stroke-width="3" stroke-dasharray="3 3"/>` +
          `<line x1="${xR}" y1="${y + 4}" x2="${xR}" y2="${y + GAP_ROW - 4}" stroke="#fff" stroke-width="3" stroke-dasharray="3 3"/>`,
      );
      return;
    }
    const prev = m.rows[i - 1];
    const crossing = r.crossesNext || (prev?.kind === 'arrow' && prev.crossesNext);
    parts.push(arrowSvg(r, y, xL, xR, timeX, crossing ? 2 * DROP : DROP, !r.crossesNext && crossing));
  });
  let fy = linesEnd + 22;
  for (const f of m.footer) {
    parts.push(`<text x="${xL}" y="${fy}" fill="#37474f">${esc(f)}</text>`);
    fy += 18;
  }
  parts.push(
    `<text x="${xL}" y="${fy}" fill="#37474f">final: client <tspan fill="${stateColour(m.final.orig)}" font-weight="bold">${m.final.orig}</tspan>, server <tspan fill="${stateColour(m.final.resp)}" font-weight="bold">${m.final.resp}</tspan></text>`,
  );
  fy += 18;
  const legend: string[] = [];
  if (m.marks.lost) legend.push('✗ never reached its receiver (lost, or dropped on arrival)');
  if (m.marks.dropped) legend.push('✗ dropped on arrival (the tap is beside its receiver)');
  if (m.marks.undecided) legend.push('? the capture cannot tell whether it reached its receiver');
  if (m.marks.unanswered) legend.push('dashed: unanswered, sent again before it was acknowledged');
  if (m.rows.some((r) => r.kind === 'arrow' && r.crossesNext))
    legend.push('crossing: in flight at the same time');
  if (m.symbolic) legend.push('x, y: the ISNs; u: the first FIN; v, w: the ACK of it and the second FIN');
  legend.push('#n: frame number');
  for (const l of legend) {
    parts.push(`<text x="${xL}" y="${fy}" fill="#607d8b">${esc(l)}</text>`);
    fy += 18;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Arrows with tags need room for the tag line under the label. */
function rowHeight(r: LadderModel['rows'][number]): number {
  if (r.kind === 'fold') return FOLD_ROW;
  if (r.kind === 'gap') return GAP_ROW;
  const h = ROW + (r.tags.length > 0 ? 12 : 0) + (r.calls.length > 0 ? 12 : 0);
  // Two crossing arrows share their rows: the first takes the room of both, the second none.
  return r.crossesNext ? h + DROP + 12 : h;
}

/**
 * The top of each row, and where the rows end. A state box sits level with the arrow's start on
 * the sender's side and with its head on the receiver's; when a side changes state on two arrows
 * in a row (CLOSE_WAIT as the FIN arrives, LAST_ACK as its own FIN leaves), the second row moves
 * down until its box clears the one above it.
 */
function layoutRows(m: LadderModel): { tops: number[]; end: number } {
  const tops: number[] = [];
  // Centre of the last state box drawn on each side: the initial states in the header.
  const lastBox = { orig: HEAD - 22, resp: HEAD - 22 };
  let y = HEAD + 4;
  m.rows.forEach((r, i) => {
    const prev = m.rows[i - 1];
    // The second of two crossing arrows starts level with the first (both left at once).
    if (r.kind === 'arrow' && prev?.kind === 'arrow' && prev.crossesNext) {
      tops.push(tops[i - 1]);
      for (const side of ['orig', 'resp'] as const)
        if (r[side]) lastBox[side] = tops[i - 1] + boxOffset(r, side, 2 * DROP);
      return;
    }
    const drop = r.kind === 'arrow' && r.crossesNext ? 2 * DROP : DROP;
    if (r.kind === 'arrow') {
      for (const side of ['orig', 'resp'] as const) {
        if (r[side]) y = Math.max(y, lastBox[side] + BOX_GAP - boxOffset(r, side, drop));
      }
      for (const side of ['orig', 'resp'] as const) {
        if (r[side]) lastBox[side] = y + boxOffset(r, side, drop);
      }
    }
    tops.push(y);
    y += rowHeight(r);
  });
  return { tops, end: y };
}

/**
 * Time of a row since the connection's first packet: a fold's first segment; a gap marker sits
 * at the row before it (in a time-proportional ladder the pause itself is the space after it).
 */
function rowUs(r: LadderModel['rows'][number], beforeUs: number): number {
  return r.kind === 'fold' ? r.startUs : r.kind === 'gap' ? beforeUs : r.relUs;
}

/**
 * Tops proportional to time: one scale for the connection, chosen so its span takes about one
 * row per arrow (at least 400 px, at most 6 000); rows closer than a few pixels are pushed apart
 * just enough to stay apart, so bursts stay readable and pauses show as empty space. Crossing
 * arrows start level, as in the row layout.
 */
function layoutByTime(m: LadderModel): { tops: number[]; end: number } {
  const rows = m.rows;
  let spanUs = 0;
  for (const r of rows) spanUs = Math.max(spanUs, rowUs(r, spanUs));
  const height = Math.min(6000, Math.max(400, rows.length * ROW));
  const scale = spanUs > 0 ? height / spanUs : 0;
  const tops: number[] = [];
  let y = HEAD + 4;
  let last = Number.NEGATIVE_INFINITY;
  let atUs = 0;
  rows.forEach((r, i) => {
    const prev = rows[i - 1];
    atUs = rowUs(r, atUs);
    const top =
      r.kind === 'arrow' && prev?.kind === 'arrow' && prev.crossesNext
        ? tops[i - 1]
        : Math.max(HEAD + 4 + atUs * scale, last + 6);
    tops.push(top);
    last = top;
    y = Math.max(y, top + rowHeight(r));
  });
  return { tops, end: Math.max(y, last + ROW) };
}

/** How far below its row's top an arrow puts `side`'s state box: the sender's at the tail, the receiver's at the head. */
function boxOffset(a: LadderArrow, side: Side, drop = DROP): number {
  return a.from === side ? 0 : drop;
}

function arrowSvg(
  a: LadderArrow,
  y: number,
  xL: number,
  xR: number,
  timeX: number,
  drop = DROP,
  /** The second of two crossing arrows: its time goes under the first's. */
  second = false,
): string {
  const fromX = a.from === 'orig' ? xL : xR;
  const toX = a.from === 'orig' ? xR : xL;
  const y0 = y;
  const y1 = y + drop;
  const out: string[] = [];
  const isReset = a.label.startsWith('RST');
  const colour = isReset ? '#c62828' : '#263238';
  out.push(`<g class="pkt" data-frame="${a.frame}">`);
  out.push(
    `<title>frame ${a.frame}: ${esc(a.label)}${a.tags.length ? ` [${esc(a.tags.join(', '))}]` : ''}</title>`,
  );
  out.push(
    `<text x="${timeX}" y="${y0 + (second ? 18 : 4)}" text-anchor="end" fill="#607d8b">${formatSeconds(a.relUs)}</text>`,
  );
  if (a.lost) {
    const f = 0.62;
    const ex = fromX + (toX - fromX) * f;
    const ey = y0 + (y1 - y0) * f;
    out.push(
      `<line x1="${fromX}" y1="${y0}" x2="${ex.toFixed(1)}" y2="${ey.toFixed(1)}" stroke="${colour}" stroke-width="1.5"/>` +
        `<path d="M${(ex - 5).toFixed(1)},${(ey - 5).toFixed(1)} l10,10 m0,-10 l-10,10" stroke="#c62828" stroke-width="2.5"/>`,
    );
  } else {
    const dash = a.unanswered ? ' stroke-dasharray="6 4"' : '';
    const head = a.unanswered ? 'head-open' : 'head';
    out.push(
      `<line x1="${fromX}" y1="${y0}" x2="${toX}" y2="${y1}" stroke="${colour}" stroke-width="1.5"${dash} marker-end="url(#${head})"/>`,
    );
    // Arrival undecided: a ? on the arrow, short of its head.
    if (a.undecided) {
      const qx = fromX + (toX - fromX) * 0.9;
      const qy = y0 + (y1 - y0) * 0.9 - 5;
      out.push(
        `<text class="undecided" x="${qx.toFixed(1)}" y="${qy.toFixed(1)}" text-anchor="middle" fill="#ef6c00" font-weight="bold">?</text>`,
      );
    }
  }
  // The label rides along the arrow, just above it.
  const angle = (Math.atan2(y1 - y0, toX - fromX) * 180) / Math.PI;
  const rot = a.from === 'orig' ? angle : angle + 180;
  // A lost arrow stops short: centre its label on the part that is drawn.
  // Crossing arrows carry their labels near their own start, clear of the crossing.
  const at = drop > DROP ? 0.27 : (a.lost ? 0.62 : 1) / 2;
  const mx = fromX + (toX - fromX) * at;
  const my = y0 + (y1 - y0) * at;
  const along = (dy: number, fill: string, text: string, extra = '') =>
    `<text x="${mx.toFixed(1)}" y="${(my + dy).toFixed(1)}" text-anchor="middle" fill="${fill}"${extra} transform="rotate(${rot.toFixed(2)} ${mx.toFixed(1)} ${my.toFixed(1)})">${esc(text)}</text>`;
  out.push(along(-4, colour, `#${a.frame} ${a.label}`));
  let below = 12;
  if (a.tags.length > 0) {
    out.push(along(below, '#d84315', a.tags.map((k) => `[${k}]`).join(' '), ' font-size="11"'));
    below += 12;
  }
  if (a.calls.length > 0)
    out.push(along(below, '#1565c0', a.calls.join(' · '), ' font-size="11" font-style="italic"'));
  if (a.orig) out.push(stateBox(xL - 8, y0 + boxOffset(a, 'orig', drop), a.orig, 'end'));
  if (a.resp) out.push(stateBox(xR + 8, y0 + boxOffset(a, 'resp', drop), a.resp, 'start'));
  out.push('</g>');
  return out.join('');
}
