// The path between the lab's two hosts: one-way latency (half on each side of the middle tap),
// jitter, and fault rules — drop, duplicate or delay the Nth segment of a kind in a direction, or
// any segment with a probability drawn from the run's seeded PRNG. Without `reorder`, a direction
// stays FIFO whatever the jitter (as a single path does); with it, jitter may reorder segments.

import { type RandomSource, randomUnit } from '../tcp/random.js';
import type { Segment } from '../tcp/segment.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';

/** c2s: from the client host to the server host; s2c: back. */
export type Direction = 'c2s' | 's2c';

/** Kinds of segment a rule can match (a segment can be several: FIN with data is DATA and FIN). */
export type SegmentKind = 'SYN' | 'SYN+ACK' | 'ACK' | 'DATA' | 'FIN' | 'RST' | 'ANY';

export interface LinkRule {
  /** Which segments count (default ANY). */
  match?: SegmentKind | SegmentKind[];
  dir?: Direction | 'any';
  /** Act on the Nth matching segment (from 1) and `count` − 1 after it; omit to act on every match. */
  nth?: number;
  count?: number;
  /** Act only with this probability (seeded PRNG); default always. */
  probability?: number;
  action: 'drop' | 'duplicate' | 'delay';
  /** For `delay`: extra one-way delay (µs). */
  delayUs?: number;
  /** Where a drop happens: before the middle tap sees the segment, or after it (default). */
  /** `at-receiver`: it reaches the receiver's NIC (its tap sees it) and is dropped there, before TCP (Linux's nftables prerouting). */
  /** `at-sender`: its sender's own stack drops it on the way out, before any tap (Linux's nftables output hook). */
  where?: 'at-sender' | 'before-mid' | 'after-mid' | 'at-receiver';
  /** Only segments sent in [afterUs, beforeUs) of virtual time count (e.g. a link that goes down). */
  afterUs?: number;
  beforeUs?: number;
}

export interface LinkConfig {
  /** One-way latency, µs (default 10 ms). */
  latencyUs: number;
  /** Extra delay drawn uniformly from [0, jitterUs) per segment. */
  jitterUs: number;
  /** Let jitter reorder segments (default: each direction stays FIFO). */
  reorder: boolean;
  /** Probability that any segment is lost (after the middle tap). */
  lossProbability: number;
  /** Probability that any segment is duplicated. */
  duplicateProbability: number;
  rules: LinkRule[];
}

export const DEFAULT_LINK: LinkConfig = {
  latencyUs: 10_000,
  jitterUs: 0,
  reorder: false,
  lossProbability: 0,
  duplicateProbability: 0,
  rules: [],
};

/** One copy of a segment on the path: when the middle tap sees it and when it arrives. */
export interface Copy {
  /** undefined: lost before the middle. */
  midAt: number | undefined;
  /** undefined: lost before reaching the receiver. */
  arriveAt: number | undefined;
  /** It reaches the receiver's NIC at arriveAt and is dropped there (its TCP never sees it). */
  droppedAtReceiver?: boolean;
  /** Its sender's stack dropped it on the way out: no tap ever sees it. */
  droppedAtSender?: boolean;
}

export function segmentKinds(seg: Segment): SegmentKind[] {
  const f = seg.flags;
  const kinds: SegmentKind[] = ['ANY'];
  if (f & RST) kinds.push('RST');
  else if (f & SYN) kinds.push(f & ACK ? 'SYN+ACK' : 'SYN');
  else {
    if (seg.payload.length > 0) kinds.push('DATA');
    if (f & FIN) kinds.push('FIN');
    if (seg.payload.length === 0 && !(f & FIN) && f & ACK) kinds.push('ACK');
  }
  return kinds;
}

export class Link {
  readonly config: LinkConfig;
  private readonly matches: number[];
  private readonly lastArrival: Record<Direction, number> = { c2s: 0, s2c: 0 };

  constructor(
    config: Partial<LinkConfig>,
    private readonly random: RandomSource,
  ) {
    this.config = { ...DEFAULT_LINK, ...config, rules: config.rules ?? [] };
    this.matches = this.config.rules.map(() => 0);
  }

  /** Where the copies of a segment sent now in `dir` go. */
  route(now: number, dir: Direction, seg: Segment): Copy[] {
    const c = this.config;
    const kinds = segmentKinds(seg);
    let copies = 1;
    let extraDelay = 0;
    let dropWhere: 'at-sender' | 'before-mid' | 'after-mid' | 'at-receiver' | undefined;
    c.rules.forEach((rule, i) => {
      if (rule.dir && rule.dir !== 'any' && rule.dir !== dir) return;
      if (
        (rule.afterUs !== undefined && now < rule.afterUs) ||
        (rule.beforeUs !== undefined && now >= rule.beforeUs)
      )
        return;
      const wanted: SegmentKind[] =
        rule.match === undefined ? ['ANY'] : Array.isArray(rule.match) ? rule.match : [rule.match];
      if (!wanted.some((k) => kinds.includes(k))) return;
      const n = ++this.matches[i];
      if (rule.nth !== undefined && (n < rule.nth || n >= rule.nth + (rule.count ?? 1))) return;
      if (rule.probability !== undefined && randomUnit(this.random) >= rule.probability) return;
      if (rule.action === 'drop') dropWhere ??= rule.where ?? 'after-mid';
      else if (rule.action === 'duplicate') copies++;
      else extraDelay += rule.delayUs ?? 0;
    });
    if (c.lossProbability > 0 && randomUnit(this.random) < c.lossProbability) dropWhere ??= 'after-mid';
    if (c.duplicateProbability > 0 && randomUnit(this.random) < c.duplicateProbability) copies++;
    const half = Math.floor(c.latencyUs / 2);
    const out: Copy[] = [];
    for (let k = 0; k < copies; k++) {
      const jitter = c.jitterUs > 0 ? Math.floor(randomUnit(this.random) * c.jitterUs) : 0;
      const midAt = now + half + extraDelay;
      let arriveAt = midAt + (c.latencyUs - half) + jitter;
      if (!c.reorder) arriveAt = Math.max(arriveAt, this.lastArrival[dir]);
      const arrives = dropWhere === undefined || dropWhere === 'at-receiver';
      if (arrives) this.lastArrival[dir] = arriveAt;
      out.push({
        midAt: dropWhere === 'before-mid' || dropWhere === 'at-sender' ? undefined : midAt,
        arriveAt: arrives ? arriveAt : undefined,
        ...(dropWhere === 'at-receiver' ? { droppedAtReceiver: true } : {}),
        ...(dropWhere === 'at-sender' ? { droppedAtSender: true } : {}),
      });
      dropWhere = undefined; // a drop takes one copy; a duplicate made of it survives
    }
    return out;
  }
}
