// The connection records a `conns --threads N` worker sends the main thread (conns-worker.ts →
// conns-shards.ts), as one Float64Array of numbers plus a table of the strings they refer to.
// Structured cloning the record objects themselves cost about three times the CPU (over 1 s for
// the 67 k records of the 1 M-packet bench, sender and receiver together). The fields are PRODUCT.md's record
// (src/track/record.ts ConnRecord), written and read back in the order buildRecord creates them,
// so the rebuilt objects have the same shape. Each record travels with its first and ending frame.

import type { StateName } from '../tcp/state.js';
import type { EventKind } from '../track/kinds.js';
import type { Close, ConnEvent, ConnRecord, Handshake, SideFigures } from '../track/record.js';

/** SideFigures' fields, in the order they travel. */
const FIGURE_KEYS = [
  'retransmissions',
  'ipBytes',
  'uniqueBytes',
  'rttSamples',
  'rttMinUsec',
  'rttMaxUsec',
  'rttSumUsec',
] as const satisfies readonly (keyof SideFigures)[];

/** Records in transit: numbers (string fields as indexes into `strings`, -1 for null). */
export interface EncodedRecords {
  nums: Float64Array;
  strings: string[];
}

/** Collects records into an EncodedRecords. */
export class RecordWriter {
  private nums = new Float64Array(1024);
  private n = 0;
  private strings: string[] = [];
  private readonly index = new Map<string, number>();

  /** Records written since the last take(). */
  count = 0;

  add(firstFrame: number, endFrame: number, r: ConnRecord): void {
    this.count++;
    this.num(firstFrame);
    this.num(endFrame);
    this.num(r.id);
    this.num(r.startUsec);
    this.num(r.endUsec);
    this.str(r.orig.ip);
    this.num(r.orig.port);
    this.str(r.resp.ip);
    this.num(r.resp.port);
    this.str(r.handshake);
    this.str(r.close);
    this.num(r.reset === null ? -1 : this.intern(r.reset));
    this.strList(r.states.orig);
    this.strList(r.states.resp);
    this.str(r.final.orig);
    this.str(r.final.resp);
    this.str(r.conn_state);
    this.str(r.history);
    this.num(r.completeness);
    this.num(r.packets.orig);
    this.num(r.packets.resp);
    this.num(r.bytes.orig);
    this.num(r.bytes.resp);
    this.num(r.rttHandshakeUsec);
    this.num(r.evicted ? 1 : 0);
    this.num(r.events.length);
    for (const e of r.events) {
      this.num(e.frame);
      this.num(e.timeUsec);
      this.str(e.from);
      this.str(e.kind);
    }
    const f = r.figures;
    this.num(f === undefined ? 0 : 1);
    if (f !== undefined) for (const d of [f.orig, f.resp]) for (const k of FIGURE_KEYS) this.num(d[k]);
  }

  /** What was written (the writer starts over). */
  take(): EncodedRecords {
    const out = { nums: this.nums.slice(0, this.n), strings: this.strings };
    this.n = 0;
    this.count = 0;
    this.strings = [];
    this.index.clear();
    return out;
  }

  private num(v: number): void {
    if (this.n === this.nums.length) {
      const grown = new Float64Array(this.nums.length * 2);
      grown.set(this.nums);
      this.nums = grown;
    }
    this.nums[this.n++] = v;
  }

  private intern(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  private str(s: string): void {
    this.num(this.intern(s));
  }

  private strList(l: readonly string[]): void {
    this.num(l.length);
    for (const s of l) this.str(s);
  }
}

/** Calls `each` with every record of `e`, rebuilt, with its first and ending frame. */
export function readRecords(
  e: EncodedRecords,
  each: (firstFrame: number, endFrame: number, rec: ConnRecord) => void,
): void {
  const { nums, strings } = e;
  let p = 0;
  const num = (): number => nums[p++]!;
  const str = (): string => strings[nums[p++]!]!;
  const nullableStr = (): string | null => {
    const i = nums[p++]!;
    return i === -1 ? null : strings[i]!;
  };
  const strList = (): StateName[] => {
    const n = num();
    const l: StateName[] = [];
    for (let i = 0; i < n; i++) l.push(str() as StateName);
    return l;
  };
  const events = (): ConnEvent[] => {
    const n = num();
    const l: ConnEvent[] = [];
    for (let i = 0; i < n; i++)
      l.push({ frame: num(), timeUsec: num(), from: str() as ConnEvent['from'], kind: str() as EventKind });
    return l;
  };
  const figures = (): SideFigures => {
    const d = {} as SideFigures;
    for (const k of FIGURE_KEYS) d[k] = num();
    return d;
  };
  while (p < nums.length) {
    const first = num();
    const end = num();
    const rec: ConnRecord = {
      id: num(),
      startUsec: num(),
      endUsec: num(),
      orig: { ip: str(), port: num() },
      resp: { ip: str(), port: num() },
      handshake: str() as Handshake,
      close: str() as Close,
      reset: nullableStr() as ConnRecord['reset'],
      states: { orig: strList(), resp: strList() },
      final: { orig: str() as StateName, resp: str() as StateName },
      conn_state: str(),
      history: str(),
      completeness: num(),
      packets: { orig: num(), resp: num() },
      bytes: { orig: num(), resp: num() },
      rttHandshakeUsec: num(),
      evicted: num() !== 0,
      events: events(),
    };
    if (num() === 1) rec.figures = { orig: figures(), resp: figures() };
    each(first, end, rec);
  }
}
