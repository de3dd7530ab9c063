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

type NumberField = (typeof NUMBERS)[number];
type WordField = (typeof WORDS)[number];

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

export function decodeRows(c: RowChunk, into: ConnRow[]): void {
  const num = c.numbers;
  const w = c.words;
  const d = c.dictionary;
  const word = (col: number, i: number) => d[w[col][i]];
  for (let i = 0; i < c.n; i++) {
    const reset = word(4, i);
    into.push({
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
      origIp: word(0, i),
      respIp: word(1, i),
      handshake: word(2, i),
      close: word(3, i),
      reset: reset === NULL ? null : reset,
      finalOrig: word(5, i) as StateName,
      finalResp: word(6, i) as StateName,
      connState: word(7, i),
      history: word(8, i),
      evicted: c.evicted[i] === 1,
    });
  }
}
