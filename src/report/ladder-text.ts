// The ladder diagram in a terminal: the client's line on the left, the server's on the right,
// each packet an arrow that steps down one row from its sender to its receiver (the textbook's
// sloping arrow), its label on the sender's half, each side's state written beside its line
// where it changes, the time since the first packet on the left. Pure: returns lines.

import type { EventKind } from '../track/kinds.js';
import {
  buildLadder,
  endpointText,
  type LadderArrow,
  type LadderModel,
  type LadderOptions,
} from './ladder-model.js';
import { type ConnTimeline, formatSeconds } from './timeline.js';

export interface LadderTextOptions extends LadderOptions {
  /** Total width in columns (default 100). */
  width?: number;
  /** `-t`: the time column in another format (default: seconds since the first packet). */
  time?: LadderTime;
}

/** The time column's text for a row (µs after the first packet, rows in order), its width and heading. */
export interface LadderTime {
  text: (relUs: number) => string;
  width: number;
  label: string;
}

const STATE_COL = 12; // "SYN_RECEIVED"
const MIN_ARROW = 24;

function clip(s: string, max: number): string {
  if (max <= 0) return '';
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

function tagText(tags: readonly EventKind[]): string {
  return tags.map((k) => `[${k}]`).join(' ');
}

export function renderLadderText(t: ConnTimeline, opts: LadderTextOptions = {}): string[] {
  return drawLadderText(buildLadder(t, opts), opts.width ?? 100, opts.time);
}

export function drawLadderText(m: LadderModel, width: number, time?: LadderTime): string[] {
  let maxUs = 0;
  for (const r of m.rows)
    maxUs = Math.max(maxUs, r.kind === 'arrow' ? r.relUs : r.kind === 'fold' ? r.endUs : 0);
  const timeText = time?.text ?? formatSeconds;
  const timeCol = Math.max(8, time?.width ?? formatSeconds(maxUs).length);
  // time, space, state, space, │, arrow area, │, space, state
  const fixed = timeCol + 1 + STATE_COL + 1 + 1 + 1 + 1 + STATE_COL;
  const area = Math.max(MIN_ARROW, width - fixed);
  const blankTime = ' '.repeat(timeCol);
  const left = (s: string | undefined) => (s ?? '').padStart(STATE_COL);
  const line = (time: string, l: string | undefined, mid: string, r: string | undefined) =>
    `${time.padStart(timeCol)} ${left(l)} │${mid}│ ${r ?? ''}`.trimEnd();

  const out: string[] = [];
  const client = `client ${endpointText(m.client)}`;
  const server = `server ${endpointText(m.server)}`;
  const headLeft = `${(time?.label ?? 'time (s)').padEnd(timeCol)} ${client}`;
  const totalWidth = fixed + area;
  const pad = Math.max(1, totalWidth - headLeft.length - server.length);
  out.push(`${headLeft}${' '.repeat(pad)}${server}`);
  out.push(line('', m.initial.orig, ' '.repeat(area), m.initial.resp));

  const centred = (text: string) => {
    const t = clip(text, area - 2);
    const before = Math.floor((area - t.length) / 2);
    return `${' '.repeat(before)}${t}${' '.repeat(area - before - t.length)}`;
  };
  for (let r = 0; r < m.rows.length; r++) {
    const row = m.rows[r];
    if (row.kind === 'fold') {
      out.push(line(timeText(row.startUs), undefined, centred(row.text), undefined));
      continue;
    }
    if (row.kind === 'gap') {
      out.push(line('', undefined, centred(row.text), undefined));
      continue;
    }
    const next = m.rows[r + 1];
    if (row.crossesNext && next?.kind === 'arrow' && next.from !== row.from) {
      out.push(...crossingRows(row, next, area, line, blankTime, timeText));
      r++;
      continue;
    }
    const [top, bottom, ...extra] = arrowRows(row, area);
    if (row.from === 'orig') {
      out.push(line(timeText(row.relUs), row.orig, top, undefined));
      out.push(line(blankTime, undefined, bottom, row.resp));
    } else {
      out.push(line(timeText(row.relUs), undefined, top, row.resp));
      out.push(line(blankTime, row.orig, bottom, undefined));
    }
    for (const e of extra) out.push(line(blankTime, undefined, e, undefined));
  }
  out.push(line('', undefined, ' '.repeat(area), undefined));
  const indent = ' '.repeat(timeCol + 1);
  for (const f of m.footer) out.push(`${indent}${f}`);
  out.push(`${indent}final: client ${m.final.orig}, server ${m.final.resp}`);
  const legend: string[] = [];
  if (m.marks.lost) legend.push('✗ never reached its receiver (lost, or dropped on arrival)');
  if (m.marks.dropped) legend.push('✗ dropped on arrival (the tap is beside its receiver)');
  if (m.marks.undecided) legend.push('?▶ the capture cannot tell whether it reached its receiver');
  if (m.rows.some((r) => r.kind === 'arrow' && r.crossesNext))
    legend.push('╳ in flight at the same time: the segments crossed');
  if (m.symbolic)
    legend.push(
      'x, y: the client’s and the server’s ISN; u: the first FIN; v, w: the other side’s ACK of it and its FIN',
    );
  legend.push('#n: frame number (as tcpdump and Wireshark count)');
  if (m.marks.unanswered) legend.push('╌▷ unanswered: sent again before it was acknowledged');
  for (const l of legend) out.push(`${indent}${l}`);
  return out;
}

/**
 * The two rows of one arrow, `area` columns each. orig → resp: label and bend on the top row
 * (`── SYN seq=0 ──╮`), the head on the bottom (`╰────▶`); resp → orig mirrored.
 */
/** The label with the frame number in front, as Wireshark's No. column. */
function numbered(a: LadderArrow): string {
  return `#${a.frame} ${a.label}`;
}

/** Tags, then the socket calls the arrow implies. */
function noteParts(a: LadderArrow): string[] {
  return [tagText(a.tags), ...a.calls.map((c) => `‹${c}›`)].filter((x) => x !== '');
}

function notes(a: LadderArrow): string {
  return noteParts(a).join(' ');
}

/** Notes too long for the arrow's own row, packed into rows of at most `max` columns (a part longer than a row is cut). */
function wrappedNotes(a: LadderArrow, max: number): string[] {
  const rows: string[] = [];
  for (const part of noteParts(a)) {
    const last = rows.length - 1;
    if (last >= 0 && rows[last].length + 1 + part.length <= max) rows[last] += ` ${part}`;
    else rows.push(clip(part, max));
  }
  return rows;
}

/**
 * Two segments in flight at once (simultaneous open or close): both leave on the first row, cross
 * in the middle (╳) and arrive on the third, so each side's state changes where its own segment
 * leaves and where the other's arrives.
 */
function crossingRows(
  a: LadderArrow,
  b: LadderArrow,
  area: number,
  line: (time: string, l: string | undefined, mid: string, r: string | undefined) => string,
  blankTime: string,
  timeText: (relUs: number) => string = formatSeconds,
): string[] {
  const [l, r] = a.from === 'orig' ? [a, b] : [b, a];
  const half = Math.floor(area / 2);
  const ll = clip(numbered(l), half - 4);
  const rl = clip(numbered(r), area - half - 4);
  const leftTop = `─ ${ll} ${'─'.repeat(Math.max(0, half - ll.length - 4))}╮`;
  const rightTop = `╭${'─'.repeat(Math.max(0, area - half - rl.length - 4))} ${rl} ─`;
  const cross = `${' '.repeat(half - 1)}╳${' '.repeat(area - half)}`;
  // ? beside a head: the capture cannot tell whether that segment arrived.
  // (no room for it on an arrow too short to draw)
  const lq = r.undecided && half >= 3 ? '?' : '';
  const rq = l.undecided && area - half >= 3 ? '?' : '';
  const bottom = `◀${lq}${'─'.repeat(half - 2 - lq.length)}╯╰${'─'.repeat(area - half - 2 - rq.length)}${rq}▶`;
  const first = a.relUs <= b.relUs ? a : b;
  const second = first === a ? b : a;
  const rows = [
    line(
      timeText(first.relUs),
      l.orig && l.from === 'orig' ? l.orig : undefined,
      `${leftTop}${rightTop}`,
      r.resp,
    ),
    line(second.relUs !== first.relUs ? timeText(second.relUs) : blankTime, undefined, cross, undefined),
    line(blankTime, r.orig, bottom, l.resp),
  ];
  const ln = notes(l);
  const rn = notes(r);
  if (ln || rn) {
    const lt = clip(ln, half - 2);
    const rt = clip(rn, area - half - 2);
    rows.push(
      line(blankTime, undefined, ` ${lt.padEnd(half - 1)}${rt.padStart(area - half - 1)} `, undefined),
    );
  }
  return rows;
}

function arrowRows(a: LadderArrow, area: number): string[] {
  const label = clip(numbered(a), area - 6);
  const tags = notes(a);
  const dash = a.unanswered && !a.lost ? '╌' : '─';
  const half = Math.floor(area / 2);
  if (a.from === 'orig') {
    // ─ label ─…─╮  above  tags ╰─…─▶
    const bend = Math.min(area - 2, Math.max(half, label.length + 3));
    const top = `─ ${label} ${'─'.repeat(Math.max(0, bend - label.length - 3))}╮${' '.repeat(area - bend - 1)}`;
    const run = area - bend - 1; // columns from after the bend to the line
    let tail: string;
    if (a.lost) {
      const stop = Math.max(1, Math.floor(run * 0.6));
      tail = `${'─'.repeat(stop - 1)}✗${' '.repeat(run - stop)}`;
    } else {
      // ? just before the head: the capture cannot tell whether it arrived.
      const q = a.undecided && run >= 2 ? '?' : '';
      tail = `${dash.repeat(run - 1 - q.length)}${q}${a.unanswered ? '▷' : '▶'}`;
    }
    const fits = tags.length <= bend - 2;
    const under = ` ${fits ? tags : ''}`.padEnd(bend);
    const rows = [top, `${under}╰${tail}`];
    if (!fits) for (const n of wrappedNotes(a, area - 2)) rows.push(` ${n}`.padEnd(area));
    return rows;
  }
  // ╭─ label ─…─  above  ◀─…─╯ tags
  const bend = Math.max(1, Math.min(half, area - label.length - 5));
  const top = `${' '.repeat(bend)}╭─ ${label} ${'─'.repeat(Math.max(0, area - bend - label.length - 4))}`;
  let head: string;
  if (a.lost) {
    const stop = Math.max(1, Math.floor(bend * 0.6));
    head = `${' '.repeat(bend - stop)}✗${'─'.repeat(stop - 1)}`;
  } else {
    const q = a.undecided && bend >= 2 ? '?' : '';
    head = `${a.unanswered ? '◁' : '◀'}${q}${dash.repeat(bend - 1 - q.length)}`;
  }
  const fits = tags.length <= area - bend - 4;
  const under = `  ${fits ? tags : ''}`.padEnd(area - bend - 1);
  const rows = [top, `${head}╯${under}`];
  if (!fits) for (const n of wrappedNotes(a, area - 2)) rows.push(`${n} `.padStart(area));
  return rows;
}
