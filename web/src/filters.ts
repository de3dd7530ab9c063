// Filtering and sorting the connection list: by state (either endpoint passed through it), event
// kind, address/port, free text; sorted by any column. Works on row indices so 100 000 rows
// filter and sort without copying the rows; each column's sort key is computed once per set of
// rows (a number per row: addresses and words by rank), so a sort compares numbers only.

import { STATE_NAMES, stateFromName } from '../../src/tcp/state.js';
import { EVENT_KINDS, type EventKind, kindBit, kindsOf } from '../../src/track/kinds.js';
import type { ConnRow } from './protocol.js';
import type { Rows } from './row-columns.js';

export interface Filters {
  /** '' or a state name: either endpoint was in it at some point. */
  state: string;
  /** '' or an event kind. */
  kind: string;
  /** '' or a Zeek conn_state. */
  connState: string;
  /** "10.0.0.1", ":80", "10.0.0.1:80", "[::1]:443", "443": matches either endpoint. */
  addr: string;
  /** Free text, matched in the row's words (ids, endpoints, states, conn_state, history, events). */
  text: string;
}

export const NO_FILTERS: Filters = { state: '', kind: '', connState: '', addr: '', text: '' };

/** Every column the list sorts by (the worker ranks them all once the capture is read). */
export const SORT_KEYS = [
  'id',
  'client',
  'server',
  'handshake',
  'close',
  'finalOrig',
  'finalResp',
  'connState',
  'history',
  'duration',
  'packets',
  'bytes',
  'start',
  'bpsOrig',
  'bpsResp',
  'retrans',
  'rtt',
  'events',
] as const;

export type SortKey = (typeof SORT_KEYS)[number];

export interface Sort {
  key: SortKey;
  desc: boolean;
}

interface AddrMatch {
  ip: string | null;
  port: number | null;
}

export function parseAddr(text: string): AddrMatch | null {
  const s = text.trim();
  if (s === '') return null;
  if (/^\d+$/.test(s) && Number(s) <= 65535) return { ip: null, port: Number(s) };
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { ip: v6[1].toLowerCase(), port: v6[2] ? Number(v6[2]) : null };
  const port = /^:(\d+)$/.exec(s);
  if (port) return { ip: null, port: Number(port[1]) };
  const v4 = /^([\d.]+):(\d+)$/.exec(s);
  if (v4) return { ip: v4[1], port: Number(v4[2]) };
  return { ip: s.toLowerCase(), port: null };
}

function ipMatches(ip: string, m: AddrMatch): boolean {
  if (m.ip === null) return true;
  // A trailing dot or a partial address matches as a prefix ("10.0." matches 10.0.3.4).
  if (m.ip.endsWith('.') || m.ip.endsWith(':')) return ip.startsWith(m.ip);
  return ip === m.ip;
}

/**
 * Words a row answers to beyond its fields: what people type for a reset ("rst", "reset"), a
 * refusal, a FIN close, so the search speaks the close and event vocabulary of the CLI.
 */
function closeWords(r: ConnRow): string[] {
  const w: string[] = [];
  if (r.reset !== null || r.close.endsWith('reset') || r.handshake === 'refused') w.push('rst', 'reset');
  if (r.reset !== null) w.push(`reset:${r.reset}`);
  if (r.handshake === 'refused') w.push('refused', 'rej');
  if (r.close === 'orig' || r.close === 'resp' || r.close === 'both') w.push('fin');
  if (r.evicted) w.push('evicted');
  return w;
}

/** The words the text filter looks in, one string per row (built once per row). */
export function searchText(r: ConnRow): string {
  return [
    `#${r.id}`,
    `${r.origIp}:${r.origPort}`,
    `${r.respIp}:${r.respPort}`,
    `hs:${r.handshake}`,
    `close:${r.close}`,
    ...stateNames(r.statesMask),
    r.connState,
    r.history,
    ...closeWords(r),
    ...kindsOf(r.eventMask),
  ]
    .join(' ')
    .toLowerCase();
}

function stateNames(mask: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < STATE_NAMES.length; i++) if (mask & (1 << i)) out.push(STATE_NAMES[i]);
  return out;
}

/**
 * Every row's search words in one string (rows separated by newlines, which no search term holds),
 * so a search is a native `indexOf` over the whole list instead of a test per row; built by the
 * worker once the capture is read.
 */
export class SearchIndex {
  constructor(
    /** How many rows it covers (the first ones of the list). */
    readonly rows: number,
    readonly text: string,
    /** Where each row's words start in `text`. */
    readonly starts: Int32Array,
  ) {}

  static build(rows: Rows): SearchIndex {
    const parts: string[] = [];
    const starts = new Int32Array(rows.length);
    let at = 0;
    for (let i = 0; i < rows.length; i++) {
      const w = searchText(rows.build(i));
      starts[i] = at;
      parts.push(w);
      at += w.length + 1;
    }
    return new SearchIndex(rows.length, parts.join('\n'), starts);
  }

  /** The rows whose words hold every term (terms in lower case, no whitespace): 1 per match. */
  match(terms: readonly string[]): Uint8Array {
    const hits = new Uint8Array(this.rows);
    terms.forEach((term, k) => {
      let last = -1;
      for (let pos = this.text.indexOf(term); pos >= 0; pos = this.text.indexOf(term, pos + 1)) {
        // The row holding `pos`: the last start at or before it.
        let lo = last < 0 ? 0 : last;
        let hi = this.rows - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (this.starts[mid] <= pos) lo = mid;
          else hi = mid - 1;
        }
        if (lo !== last && hits[lo] === k) hits[lo] = k + 1;
        last = lo;
        // The rest of this row cannot add to it.
        pos = lo + 1 < this.rows ? this.starts[lo + 1] - 1 : this.text.length;
      }
    });
    for (let i = 0; i < hits.length; i++) hits[i] = hits[i] === terms.length ? 1 : 0;
    return hits;
  }
}

/** Search terms as the text filter reads them: lower case, split at whitespace. */
export function searchTerms(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

/** The row indices that pass the filters, in row order (columns read directly, words by index). */
export function filterRows(
  rows: Rows,
  words: (i: number) => string,
  f: Filters,
  index: SearchIndex | null = null,
): number[] {
  const stateBit = f.state ? 1 << (stateFromName(f.state) ?? 31) : 0;
  const kindMask =
    f.kind && (EVENT_KINDS as readonly string[]).includes(f.kind) ? kindBit(f.kind as EventKind) : 0;
  const addr = parseAddr(f.addr);
  const terms = searchTerms(f.text);
  const n = rows.length;
  // Rows the index covers are matched at once; any that came after it, one by one.
  const indexed = terms.length > 0 && index !== null && index.rows <= n ? index.match(terms) : null;
  const out: number[] = [];
  if (!stateBit && !kindMask && !f.connState && !addr && terms.length === 0) {
    for (let i = 0; i < n; i++) out.push(i);
    return out;
  }
  const states = rows.num('statesMask');
  const kinds = rows.num('eventMask');
  const connState = rows.words('connState');
  const wantConnState = f.connState ? rows.dictionary.indexOf(f.connState) : -1;
  if (f.connState && wantConnState < 0) return out;
  const origIp = rows.words('origIp');
  const respIp = rows.words('respIp');
  const origPort = rows.num('origPort');
  const respPort = rows.num('respPort');
  // Whether an address word matches, decided once per distinct address.
  const ipMatch = new Int8Array(rows.dictionary.length).fill(-1);
  const ipOk = (w: number): boolean => {
    if (ipMatch[w] < 0) ipMatch[w] = ipMatches(rows.dictionary[w], addr!) ? 1 : 0;
    return ipMatch[w] === 1;
  };
  const side = (ip: number, port: number) => ipOk(ip) && (addr!.port === null || port === addr!.port);
  for (let i = 0; i < n; i++) {
    if (stateBit && !(states[i] & stateBit)) continue;
    if (kindMask && !(kinds[i] & kindMask)) continue;
    if (wantConnState >= 0 && connState[i] !== wantConnState) continue;
    if (addr && !side(origIp[i], origPort[i]) && !side(respIp[i], respPort[i])) continue;
    if (indexed !== null && i < indexed.length) {
      if (indexed[i] === 0) continue;
    } else if (terms.length > 0) {
      const w = words(i);
      let all = true;
      for (const t of terms) {
        if (!w.includes(t)) {
          all = false;
          break;
        }
      }
      if (!all) continue;
    }
    out.push(i);
  }
  return out;
}

function compareIp(a: string, b: string): number {
  // IPv4 numerically, so 10.0.0.9 sorts before 10.0.0.10; IPv6 after IPv4, as text.
  const pa = a.split('.');
  const pb = b.split('.');
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d !== 0) return d;
    }
    return 0;
  }
  if (pa.length === 4) return -1;
  if (pb.length === 4) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Bits per second of payload over the connection's duration (Wireshark Conversations' bps), null under 1 µs. */
export function bitsPerSecond(bytes: number, durationUs: number): number | null {
  return durationUs > 0 ? (bytes * 8 * 1e6) / durationUs : null;
}

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ranks of the words a word column holds, in `compare` order (one entry per dictionary word). */
function wordRanks(rows: Rows, col: Uint32Array, compare: (a: string, b: string) => number): Float64Array {
  const used = new Uint8Array(rows.dictionary.length);
  for (let i = 0; i < rows.length; i++) used[col[i]] = 1;
  const distinct: number[] = [];
  for (let w = 0; w < used.length; w++) if (used[w]) distinct.push(w);
  distinct.sort((a, b) => compare(rows.dictionary[a], rows.dictionary[b]));
  const rank = new Float64Array(rows.dictionary.length);
  distinct.forEach((w, r) => {
    rank[w] = r;
  });
  return rank;
}

/** One number per row that orders the rows by `key` (missing values last). */
export function sortKeys(rows: Rows, key: SortKey): Float64Array {
  const n = rows.length;
  const out = new Float64Array(n);
  const MISSING = Number.MAX_VALUE;
  const copy = (col: Float64Array) => out.set(col.subarray(0, n));
  switch (key) {
    case 'id':
      copy(rows.num('id'));
      break;
    case 'client':
    case 'server': {
      const ip = rows.words(key === 'client' ? 'origIp' : 'respIp');
      const port = rows.num(key === 'client' ? 'origPort' : 'respPort');
      const rank = wordRanks(rows, ip, compareIp);
      for (let i = 0; i < n; i++) out[i] = rank[ip[i]] * 65536 + port[i];
      break;
    }
    case 'handshake':
    case 'close':
    case 'finalOrig':
    case 'finalResp':
    case 'connState':
    case 'history': {
      const col = rows.words(key);
      const rank = wordRanks(rows, col, cmpText);
      for (let i = 0; i < n; i++) out[i] = rank[col[i]];
      break;
    }
    case 'duration':
      copy(rows.num('durationUs'));
      break;
    case 'packets':
    case 'bytes': {
      const a = rows.num(key === 'packets' ? 'pktsOrig' : 'bytesOrig');
      const b = rows.num(key === 'packets' ? 'pktsResp' : 'bytesResp');
      for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      break;
    }
    case 'start':
      copy(rows.num('startUs'));
      break;
    case 'bpsOrig':
    case 'bpsResp': {
      const bytes = rows.num(key === 'bpsOrig' ? 'bytesOrig' : 'bytesResp');
      const dur = rows.num('durationUs');
      for (let i = 0; i < n; i++) out[i] = bitsPerSecond(bytes[i], dur[i]) ?? -1;
      break;
    }
    case 'retrans':
      copy(rows.num('retrans'));
      break;
    case 'rtt': {
      const rtt = rows.num('rttUs');
      for (let i = 0; i < n; i++) out[i] = rtt[i] >= 0 ? rtt[i] : MISSING;
      break;
    }
    case 'events':
      copy(rows.num('events'));
      break;
  }
  return out;
}

/** A row's rank in key order (equal keys, equal ranks): small integers a native sort can pack. */
export function keyRanks(keys: Float64Array): Int32Array {
  const distinct = Float64Array.from(keys).sort();
  let n = 0;
  for (let i = 0; i < distinct.length; i++)
    if (i === 0 || distinct[i] !== distinct[n - 1]) distinct[n++] = distinct[i];
  const out = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    let lo = 0;
    let hi = n - 1;
    const k = keys[i];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (distinct[mid] < k) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

/** Ids below 2^31 and ranks below 2^22 pack exactly into a double (2^53). */
const TIE = 2 ** 31;
const MAX_PACKED_ROWS = 2 ** 22;

/**
 * The filtered row indices in key order, ties by id (stable and predictable): each index packed
 * with its rank and id into one double and sorted natively, so 100 000 rows sort in milliseconds
 * without a JavaScript comparator. `indexOfId` maps an id back to its row.
 */
export function sortRows(
  rows: Rows,
  idx: readonly number[],
  ranks: Int32Array,
  desc: boolean,
  indexOfId: Int32Array,
): number[] {
  const sign = desc ? -1 : 1;
  if (rows.length >= MAX_PACKED_ROWS)
    return [...idx].sort((i, j) => sign * (ranks[i] - ranks[j]) || rows.id(i) - rows.id(j));
  const top = rows.length;
  const ids = rows.num('id');
  const packed = new Float64Array(idx.length);
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j];
    packed[j] = (desc ? top - ranks[i] : ranks[i]) * TIE + ids[i];
  }
  packed.sort();
  const out = new Array<number>(idx.length);
  for (let j = 0; j < packed.length; j++) out[j] = indexOfId[packed[j] % TIE];
  return out;
}
