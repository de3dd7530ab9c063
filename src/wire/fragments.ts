// IP fragment reassembly for IPv4 (RFC 791 §3.2, RFC 815 hole tracking) and IPv6 (RFC 8200 §4.5),
// with bounded memory and timeouts in capture time (never a clock). Datagrams are keyed by
// (version, source, destination, protocol for IPv4, identification). Policies, chosen for an
// observer that must not be steered by crafted input:
// - IPv6 overlaps drop the whole datagram (RFC 5722); IPv4 overlaps keep the bytes that arrived
//   first (exact duplicates are ignored silently).
// - A datagram larger than 65535 bytes or `maxDatagramBytes` is dropped (the "ping of death").
// - A datagram not completed within `timeoutSec` of its first fragment is dropped (Linux's
//   ipfrag_time is 30 s), and at most `maxHeldBytes` are held over all datagrams (oldest dropped).
// Not on the hot path: fragments are rare, so this allocates freely.

export enum FragmentResult {
  HELD = 0,
  COMPLETE = 1,
  REJECTED = 2,
}

class PendingDatagram {
  /** Payload bytes, growing as fragments arrive. */
  data: Uint8Array = new Uint8Array(0);
  /** Sorted, disjoint [start, end) ranges received, as a flat list. */
  readonly ranges: number[] = [];
  /** Payload length once the last fragment (MF = 0) has arrived, else -1. */
  total = -1;
  /** Some fragment was cut by the snaplen: bytes beyond its capture are zeros. */
  truncated = false;
  constructor(
    readonly key: string,
    readonly firstSeenSec: number,
  ) {}

  covered(): number {
    let n = 0;
    for (let i = 0; i < this.ranges.length; i += 2) n += this.ranges[i + 1] - this.ranges[i];
    return n;
  }
}

export interface ReassemblerOptions {
  timeoutSec?: number;
  maxDatagramBytes?: number;
  maxHeldBytes?: number;
}

export class Reassembler {
  readonly timeoutSec: number;
  readonly maxDatagramBytes: number;
  readonly maxHeldBytes: number;
  private readonly pending = new Map<string, PendingDatagram>();
  private heldBytes = 0;
  private readonly pendingNotes: string[] = [];
  /** Why the last fragment was rejected. */
  error = '';
  /** The last completed datagram's payload (valid until the next add). */
  datagram: Uint8Array = new Uint8Array(0);
  datagramLen = 0;
  datagramTruncated = false;
  /** Datagrams dropped: timed out, overlapping, oversized or evicted. */
  dropped = 0;

  constructor(opts: ReassemblerOptions = {}) {
    this.timeoutSec = opts.timeoutSec ?? 30;
    this.maxDatagramBytes = Math.min(opts.maxDatagramBytes ?? 65535, 65535);
    this.maxHeldBytes = opts.maxHeldBytes ?? 4 * 1024 * 1024;
  }

  /** Datagrams currently incomplete. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Notes for the decoder (one per call, '' when none are left). */
  takeNote(): string {
    return this.pendingNotes.shift() ?? '';
  }

  /**
   * Offers one fragment: `length` payload bytes at `fragOffset` of the datagram, of which
   * `captured` are present in `buf` from `start`.
   */
  add(
    version: 4 | 6,
    src: Uint8Array,
    dst: Uint8Array,
    id: number,
    proto: number,
    fragOffset: number,
    more: boolean,
    buf: Uint8Array,
    start: number,
    length: number,
    captured: number,
    nowSec: number,
  ): FragmentResult {
    this.expire(nowSec);
    const addrLen = version === 4 ? 4 : 16;
    let key = `${version}|${id}|${version === 4 ? proto : ''}|`;
    for (let i = 0; i < addrLen; i++) key += `${src[i]}.`;
    key += '>';
    for (let i = 0; i < addrLen; i++) key += `${dst[i]}.`;

    let dg = this.pending.get(key);
    if (dg !== undefined && nowSec - dg.firstSeenSec > this.timeoutSec) {
      this.drop(dg, 'IP fragments timed out before the datagram was complete');
      dg = undefined;
    }
    const end = fragOffset + length;
    const limit = version === 4 ? 65535 - 20 : 65535;
    if (end > limit || end > this.maxDatagramBytes) {
      if (dg !== undefined) this.drop(dg, '');
      return this.reject(
        `IP fragment ends at byte ${end}, beyond the ${Math.min(limit, this.maxDatagramBytes)} a datagram may hold`,
      );
    }
    if (more && length % 8 !== 0) {
      return this.reject(`IP fragment of ${length} bytes with more fragments is not a multiple of 8`);
    }
    if (dg === undefined) {
      dg = new PendingDatagram(key, nowSec);
      this.pending.set(key, dg);
    }
    if (!more) {
      if (dg.total !== -1 && dg.total !== end) {
        this.drop(dg, '');
        return this.reject('IP fragments disagree on the datagram length');
      }
      dg.total = end;
    }
    if (dg.total !== -1 && end > dg.total) {
      this.drop(dg, '');
      return this.reject('IP fragment beyond the end of its datagram');
    }
    if (captured < length) dg.truncated = true;
    const copyable = Math.max(0, Math.min(captured, length));

    // Where does this fragment overlap what is held?
    let exactDuplicate = false;
    let overlaps = false;
    const r = dg.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (r[i] === fragOffset && r[i + 1] === end) exactDuplicate = true;
      else if (r[i] < end && fragOffset < r[i + 1]) overlaps = true;
    }
    if (overlaps && version === 6) {
      this.drop(dg, 'overlapping IPv6 fragments: datagram dropped (RFC 5722)');
      return this.reject('overlapping IPv6 fragment');
    }
    if (overlaps) this.pendingNotes.push('overlapping IPv4 fragments: the bytes that came first were kept');
    if (!exactDuplicate && length > 0) {
      this.ensureCapacity(dg, end);
      // Copy only into the gaps between held ranges (first arrival wins).
      let pos = fragOffset;
      for (let i = 0; i <= r.length && pos < end; i += 2) {
        const gapEnd = i < r.length ? Math.min(r[i], end) : end;
        if (gapEnd > pos) {
          const from = start + (pos - fragOffset);
          const n = Math.min(gapEnd - pos, Math.max(0, copyable - (pos - fragOffset)));
          if (n > 0) dg.data.set(buf.subarray(from, from + n), pos);
        }
        if (i < r.length) pos = Math.max(pos, r[i + 1]);
      }
      insertRange(r, fragOffset, end);
    }
    if (dg.total === -1 || dg.covered() !== dg.total) {
      this.enforceBudget();
      return FragmentResult.HELD;
    }
    this.pending.delete(key);
    this.heldBytes -= dg.data.length;
    this.datagram = dg.data;
    this.datagramLen = dg.total;
    this.datagramTruncated = dg.truncated;
    return FragmentResult.COMPLETE;
  }

  private reject(reason: string): FragmentResult {
    this.error = reason;
    return FragmentResult.REJECTED;
  }

  private ensureCapacity(dg: PendingDatagram, end: number): void {
    if (dg.data.length >= end) return;
    const size = Math.min(Math.max(end, dg.data.length * 2, 2048), 65535);
    const grown = new Uint8Array(size);
    grown.set(dg.data);
    this.heldBytes += size - dg.data.length;
    dg.data = grown;
  }

  private drop(dg: PendingDatagram, note: string): void {
    this.pending.delete(dg.key);
    this.heldBytes -= dg.data.length;
    this.dropped++;
    if (note !== '') this.pendingNotes.push(note);
  }

  /** Drops datagrams older than the timeout (Map order is arrival order of first fragments). */
  private expire(nowSec: number): void {
    for (const dg of this.pending.values()) {
      if (nowSec - dg.firstSeenSec <= this.timeoutSec) break;
      this.drop(dg, 'IP fragments timed out before the datagram was complete');
    }
  }

  private enforceBudget(): void {
    for (const dg of this.pending.values()) {
      if (this.heldBytes <= this.maxHeldBytes) break;
      this.drop(dg, 'IP fragment buffer full: the oldest incomplete datagram was dropped');
    }
  }
}

/** Inserts [s, e) into a sorted list of disjoint ranges, merging neighbours. */
function insertRange(r: number[], s: number, e: number): void {
  let lo = s;
  let hi = e;
  const out: number[] = [];
  let placed = false;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i + 1] < lo) out.push(r[i], r[i + 1]);
    else if (r[i] > hi) {
      if (!placed) {
        out.push(lo, hi);
        placed = true;
      }
      out.push(r[i], r[i + 1]);
    } else {
      lo = Math.min(lo, r[i]);
      hi = Math.max(hi, r[i + 1]);
    }
  }
  if (!placed) out.push(lo, hi);
  r.length = 0;
  for (const v of out) r.push(v);
}
