// tcpdump's relative sequence numbers (print-tcp.c, tcp_seq_hash4/tcp_seq_hash6), reproduced
// exactly: one entry per address/port pair in a canonical order; an entry is (re)set by every
// segment with ACK set that is either the first one seen for the pair or carries SYN; segments
// without ACK are never looked up (so a bare SYN prints absolute numbers). Typed arrays and a
// chained hash index in typed arrays: no allocation per packet (only when the table grows).

const KEY_WORDS = 9; // src (4 words), dst (4 words), ports

export class TcpdumpSeqTable {
  private capacity = 256;
  private count = 0;
  private keys = new Uint32Array(this.capacity * KEY_WORDS);
  private version = new Uint8Array(this.capacity);
  private seqBase = new Uint32Array(this.capacity);
  private ackBase = new Uint32Array(this.capacity);
  private next = new Int32Array(this.capacity);
  /** Each entry's hash, and the first entry of each bucket (hash & heads.length - 1; -1 none). */
  private hashes = new Int32Array(this.capacity);
  private heads = new Int32Array(2 * this.capacity).fill(-1);
  private readonly key = new Uint32Array(KEY_WORDS);

  /** Base for the canonical-order sender's numbers (tcpdump's th->seq). */
  thSeq = 0;
  /** Base for the other side's numbers (tcpdump's th->ack). */
  thAck = 0;
  /** The segment travels against the canonical order (tcpdump's `rev`). */
  rev = false;
  /** The entry was created or reset by this segment: print absolute numbers. */
  fresh = false;

  /**
   * Looks up (or records) the pair of a segment with ACK set, exactly as tcpdump does. `src`/`dst`
   * hold the addresses from `off` (4 bytes for IPv4, 16 for IPv6). After the call, `rev`, `thSeq`,
   * `thAck` and `fresh` describe the entry.
   */
  lookup(
    ipVersion: number,
    src: Uint8Array,
    srcOff: number,
    dst: Uint8Array,
    dstOff: number,
    sport: number,
    dport: number,
    seq: number,
    ack: number,
    syn: boolean,
  ): void {
    const n = ipVersion === 6 ? 16 : 4;
    let rev = false;
    if (sport > dport) rev = true;
    else if (sport === dport && compareBytes(src, srcOff, dst, dstOff, n) > 0) rev = true;
    const k = this.key;
    k.fill(0);
    const a = rev ? dst : src;
    const aOff = rev ? dstOff : srcOff;
    const b = rev ? src : dst;
    const bOff = rev ? srcOff : dstOff;
    for (let i = 0; i < n; i++) {
      k[i >> 2] = ((k[i >> 2] << 8) | a[aOff + i]) >>> 0;
      k[4 + (i >> 2)] = ((k[4 + (i >> 2)] << 8) | b[bOff + i]) >>> 0;
    }
    k[8] = rev ? ((dport << 16) | sport) >>> 0 : ((sport << 16) | dport) >>> 0;
    let h = ipVersion;
    for (let i = 0; i < KEY_WORDS; i++) h = (Math.imul(h, 0x01000193) ^ k[i]) | 0;

    let idx = this.heads[h & (this.heads.length - 1)];
    while (idx >= 0 && (this.hashes[idx] !== h || !this.matches(idx, ipVersion))) idx = this.next[idx];
    this.rev = rev;
    if (idx < 0 || syn) {
      if (idx < 0) idx = this.insert(h, ipVersion);
      if (rev) {
        this.ackBase[idx] = seq;
        this.seqBase[idx] = (ack - 1) >>> 0;
      } else {
        this.seqBase[idx] = seq;
        this.ackBase[idx] = (ack - 1) >>> 0;
      }
      this.fresh = true;
    } else {
      this.fresh = false;
    }
    this.thSeq = this.seqBase[idx];
    this.thAck = this.ackBase[idx];
  }

  private matches(idx: number, ipVersion: number): boolean {
    if (this.version[idx] !== ipVersion) return false;
    const base = idx * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) if (this.keys[base + i] !== this.key[i]) return false;
    return true;
  }

  private insert(h: number, ipVersion: number): number {
    if (this.count === this.capacity) this.grow();
    const idx = this.count++;
    this.keys.set(this.key, idx * KEY_WORDS);
    this.version[idx] = ipVersion;
    this.hashes[idx] = h;
    const b = h & (this.heads.length - 1);
    this.next[idx] = this.heads[b];
    this.heads[b] = idx;
    return idx;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const keys = new Uint32Array(cap * KEY_WORDS);
    keys.set(this.keys);
    this.keys = keys;
    const version = new Uint8Array(cap);
    version.set(this.version);
    this.version = version;
    const seqBase = new Uint32Array(cap);
    seqBase.set(this.seqBase);
    this.seqBase = seqBase;
    const ackBase = new Uint32Array(cap);
    ackBase.set(this.ackBase);
    this.ackBase = ackBase;
    const hashes = new Int32Array(cap);
    hashes.set(this.hashes);
    this.hashes = hashes;
    // Twice as many buckets as entries; the chains are made again in entry order (each bucket's
    // chain keeps its newest entry first, as before: the first match found is the same).
    const heads = new Int32Array(2 * cap).fill(-1);
    const next = new Int32Array(cap);
    for (let i = 0; i < this.count; i++) {
      const b = hashes[i] & (heads.length - 1);
      next[i] = heads[b];
      heads[b] = i;
    }
    this.heads = heads;
    this.next = next;
    this.capacity = cap;
  }
}

/** memcmp over n bytes. */
function compareBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const d = a[aOff + i] - b[bOff + i];
    if (d !== 0) return d;
  }
  return 0;
}
