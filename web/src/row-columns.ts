// Connection rows on their way from the worker to the page as columns: numbers in one transferred
// Float64Array per field, words (addresses, states, conn_state, history…) as indices into a small
// list of distinct strings. Structured clone of 50 000 row objects costs the page hundreds of
// milliseconds of deserialisation; these columns cost a memcpy-free transfer and one object per
// row built on the page side.

import type { StateName } from '../../src/tcp/state.js';
import type { ConnRow } from './protocol.js';

const NUMBERS = [
  'id',
  'origPort',
  'respPort',
  'startUs',
  'durationUs',
  'statesMask',
  'pktsOrig',
  'pktsResp',
  'bytesOrig',
  'bytesResp',
  'events',
  'eventMask',
  'retrans',
  'rttUs',
] as const;

const WORDS = [
  'origIp',
  'respIp',
  'handshake',
  'close',
  'reset',
  'finalOrig',
  'finalResp',
  'connState',
  'history',
] as const;

export type NumberField = (typeof NUMBERS)[number];
export type WordField = (typeof WORDS)[number];

/** One chunk of rows as columns (plain data: typed arrays are transferred, not copied). */
export interface RowChunk {
  n: number;
  numbers: Float64Array[];
  words: Uint32Array[];
  dictionary: string[];
  /** evicted, one byte per row. */
  evicted: Uint8Array;
}

/** Null travels as this word (no row field holds it). */
const NULL = '\u0000';

export function encodeRows(rows: readonly ConnRow[]): RowChunk {
  const n = rows.length;
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  const word = (s: string | null): number => {
    const k = s ?? NULL;
    let i = index.get(k);
    if (i === undefined) {
      i = dictionary.length;
      dictionary.push(k);
      index.set(k, i);
    }
    return i;
  };
  const numbers = NUMBERS.map((f: NumberField) => {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = rows[i][f];
    return col;
  });
  const words = WORDS.map((f: WordField) => {
    const col = new Uint32Array(n);
    for (let i = 0; i < n; i++) col[i] = word(rows[i][f]);
    return col;
  });
  const evicted = new Uint8Array(n);
  for (let i = 0; i < n; i++) evicted[i] = rows[i].evicted ? 1 : 0;
  return { n, numbers, words, dictionary, evicted };
}

/** What postMessage should transfer. */
export function transferables(c: RowChunk): ArrayBuffer[] {
  return [...c.numbers, ...c.words, c.evicted].map((a) => a.buffer as ArrayBuffer);
}

/**
 * The rows the page has, as columns (no object per row: fifty thousand row objects cost the page's
 * garbage collector hundreds of milliseconds, and each arriving chunk made more). A view of the
 * first `length` rows; `at(i)` builds a row object when one is shown (and keeps it, so a row drawn
 * again is the same object).
 */
export class Rows {
  constructor(
    readonly length: number,
    private readonly numbers: Float64Array[],
    private readonly wordCols: Uint32Array[],
    private readonly evicted: Uint8Array,
    /** Distinct words of every word column (append-only, shared by all views). */
    readonly dictionary: readonly string[],
    private readonly objects: (ConnRow | undefined)[],
  ) {}

  num(f: NumberField): Float64Array {
    return this.numbers[NUMBERS.indexOf(f)];
  }

  /** A word column: indices into `dictionary`. */
  words(f: WordField): Uint32Array {
    return this.wordCols[WORDS.indexOf(f)];
  }

  id(i: number): number {
    return this.numbers[0][i];
  }

  /** The row holding connection `id`, or -1. */
  indexOfId(id: number): number {
    const ids = this.numbers[0];
    for (let i = 0; i < this.length; i++) if (ids[i] === id) return i;
    return -1;
  }

  at(i: number): ConnRow {
    let r = this.objects[i];
    if (r === undefined) {
      r = this.build(i);
      this.objects[i] = r;
    }
    return r;
  }

  /** Row `i` as a new object, not kept (for a pass over every row). */
  build(i: number): ConnRow {
    const num = this.numbers;
    const w = this.wordCols;
    const d = this.dictionary;
    const reset = d[w[4][i]];
    return {
      id: num[0][i],
      origPort: num[1][i],
      respPort: num[2][i],
      startUs: num[3][i],
      durationUs: num[4][i],
      statesMask: num[5][i],
      pktsOrig: num[6][i],
      pktsResp: num[7][i],
      bytesOrig: num[8][i],
      bytesResp: num[9][i],
      events: num[10][i],
      eventMask: num[11][i],
      retrans: num[12][i],
      rttUs: num[13][i],
      origIp: d[w[0][i]],
      respIp: d[w[1][i]],
      handshake: d[w[2][i]],
      close: d[w[3][i]],
      reset: reset === NULL ? null : reset,
      finalOrig: d[w[5][i]] as StateName,
      finalResp: d[w[6][i]] as StateName,
      connState: d[w[7][i]],
      history: d[w[8][i]],
      evicted: this.evicted[i] === 1,
    };
  }

  static of(rows: readonly ConnRow[]): Rows {
    const t = new RowTable();
    t.append(encodeRows(rows));
    return t.view();
  }
}

/** The page's growing store of rows: chunks appended as they arrive, views handed to React. */
export class RowTable {
  private n = 0;
  private cap = 0;
  private numbers = NUMBERS.map(() => new Float64Array(0));
  private wordCols = WORDS.map(() => new Uint32Array(0));
  private evicted = new Uint8Array(0);
  private readonly dictionary: string[] = [];
  private readonly index = new Map<string, number>();
  private objects: (ConnRow | undefined)[] = [];

  get length(): number {
    return this.n;
  }

  append(c: RowChunk): void {
    const need = this.n + c.n;
    if (need > this.cap) {
      // Grown by copying into new arrays: views already handed out keep the old ones, still valid.
      this.cap = Math.max(need, this.cap * 2, 1024);
      this.numbers = this.numbers.map((a) => grown(new Float64Array(this.cap), a, this.n));
      this.wordCols = this.wordCols.map((a) => grown(new Uint32Array(this.cap), a, this.n));
      this.evicted = grown(new Uint8Array(this.cap), this.evicted, this.n);
    }
    for (let f = 0; f < NUMBERS.length; f++) this.numbers[f].set(c.numbers[f], this.n);
    const remap = c.dictionary.map((w) => {
      let i = this.index.get(w);
      if (i === undefined) {
        i = this.dictionary.length;
        this.dictionary.push(w);
        this.index.set(w, i);
      }
      return i;
    });
    for (let f = 0; f < WORDS.length; f++) {
      const to = this.wordCols[f];
      const from = c.words[f];
      for (let i = 0; i < c.n; i++) to[this.n + i] = remap[from[i]];
    }
    this.evicted.set(c.evicted, this.n);
    this.n = need;
  }

  /** The rows so far, as an immutable view (a new object, so React sees the change). */
  view(): Rows {
    return new Rows(this.n, this.numbers, this.wordCols, this.evicted, this.dictionary, this.objects);
  }
}

function grown<T extends Float64Array | Uint32Array | Uint8Array>(to: T, from: T, n: number): T {
  to.set(from.subarray(0, n));
  return to;
}
