// The floor `npm run bench` measures synack against: the same reader (src/cli/input.ts) and decoder
// (src/wire/decode.ts, reassembly on, as `conns` runs it) feeding the smallest flow table that
// still does a connection tool's per-packet work: open addressing with linear probing, one 64-byte
// slot (16 int32) per connection in one Int32Array, per-direction next sequence number, last ack,
// window, flags seen, packets and bytes, and one output line per ended connection (RST, or both
// FINs and the ACK of the second; the rest at end of input). No inference, no Zeek, no Wireshark:
// what is left between synack and this is the cost of the analyses, not of reading and decoding.
//
//   node dist/bench/floor.js FILE…   (lines to stdout; the bench discards them)

import { readRecords } from '../src/cli/input.js';
import { ipv4String, ipv6String } from '../src/report/tcpdump.js';
import { Decoder } from '../src/wire/decode.js';
import { ACK, DecodeStatus, FIN, Packet, RST } from '../src/wire/packet.js';

// Slot layout (int32 words). Endpoint A is the connection's first sender.
const USED = 0; // 0 free, else id (1-based, below 2^28) | IPV6 | FIN_A | FIN_B
const PORTS = 1; // portA << 16 | portB
const ADDR_A = 2; // IPv4 address, or for IPv6 the word index of both addresses in addr6
const ADDR_B = 3;
const FIRST_MS = 4; // milliseconds since the capture's first packet
const LAST_MS = 5;
const DIR_A = 6; // per direction: NEXT, ACKNO, WIN_FLAGS (window << 9 | flags), PKTS, BYTES
const DIR_B = 11;
const NEXT = 0;
const ACKNO = 1;
const WIN_FLAGS = 2;
const PKTS = 3;
const BYTES = 4;
const SLOT = 16;
const ID_MASK = 0x0fffffff;
const IPV6 = 1 << 28;
const FIN_A = 1 << 29;
const FIN_B = 1 << 30;

class Floor {
  private cap = 1 << 16;
  private slots: Int32Array = new Int32Array(this.cap * SLOT);
  private count = 0;
  private nextId = 1;
  private addr6 = new Int32Array(1 << 12);
  private addr6Used = 0;
  private t0 = -1;
  private text = '';
  ended = 0;

  packet(p: Packet): void {
    const v6 = p.ipVersion === 6;
    if (this.t0 < 0) this.t0 = p.tsUsec;
    const ms = Math.floor((p.tsUsec - this.t0) / 1000) | 0;
    // Symmetric hash: both directions land on the same chain.
    let h = (p.srcPort ^ p.dstPort) * 0x9e3779b1;
    const words = v6 ? 4 : 1;
    for (let i = 0; i < words; i++) h ^= Math.imul(p.src32[i]! ^ p.dst32[i]!, 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    const mask = this.cap - 1;
    const s = this.slots;
    let i = (h >>> 0) & mask;
    let fromA = true;
    for (;;) {
      const o = i * SLOT;
      if (s[o + USED] === 0) break;
      const dir = this.matches(o, p, v6);
      if (dir !== 0) {
        fromA = dir > 0;
        this.update(o, p, fromA, ms);
        return;
      }
      i = (i + 1) & mask;
    }
    // A new connection at slot i.
    const o = i * SLOT;
    s.fill(0, o, o + SLOT);
    s[o + USED] = this.nextId++;
    s[o + PORTS] = (p.srcPort << 16) | p.dstPort;
    if (v6) {
      if (this.addr6Used + 8 > this.addr6.length) {
        const grown = new Int32Array(this.addr6.length * 2);
        grown.set(this.addr6);
        this.addr6 = grown;
      }
      const w = this.addr6Used;
      for (let k = 0; k < 4; k++) {
        this.addr6[w + k] = p.src32[k]!;
        this.addr6[w + 4 + k] = p.dst32[k]!;
      }
      this.addr6Used += 8;
      s[o + ADDR_A] = w;
      s[o + ADDR_B] = w + 4;
      s[o + USED]! |= IPV6;
    } else {
      s[o + ADDR_A] = p.src32[0]!;
      s[o + ADDR_B] = p.dst32[0]!;
    }
    s[o + FIRST_MS] = ms;
    this.count++;
    this.update(o, p, true, ms);
    if (this.count * 2 > this.cap) this.grow();
  }

  /** 1 when p goes A→B in slot o, -1 when B→A, 0 when another connection. */
  private matches(o: number, p: Packet, v6: boolean): number {
    const s = this.slots;
    const ports = s[o + PORTS]!;
    const fwd = (p.srcPort << 16) | p.dstPort;
    const rev = (p.dstPort << 16) | p.srcPort;
    if (ports !== fwd && ports !== rev) return 0;
    if (((s[o + USED]! & IPV6) !== 0) !== v6) return 0;
    if (!v6) {
      if (ports === fwd && s[o + ADDR_A] === (p.src32[0]! | 0) && s[o + ADDR_B] === (p.dst32[0]! | 0))
        return 1;
      if (ports === rev && s[o + ADDR_A] === (p.dst32[0]! | 0) && s[o + ADDR_B] === (p.src32[0]! | 0))
        return -1;
      return 0;
    }
    const a = s[o + ADDR_A]!;
    const b = s[o + ADDR_B]!;
    if (ports === fwd && this.same6(a, p.src32) && this.same6(b, p.dst32)) return 1;
    if (ports === rev && this.same6(a, p.dst32) && this.same6(b, p.src32)) return -1;
    return 0;
  }

  private same6(w: number, addr: Uint32Array): boolean {
    const a = this.addr6;
    return (
      a[w] === (addr[0]! | 0) &&
      a[w + 1] === (addr[1]! | 0) &&
      a[w + 2] === (addr[2]! | 0) &&
      a[w + 3] === (addr[3]! | 0)
    );
  }

  private update(o: number, p: Packet, fromA: boolean, ms: number): void {
    const s = this.slots;
    const d = o + (fromA ? DIR_A : DIR_B);
    const flags = p.flags;
    let len = p.payloadLen;
    if (flags & 0x03) len++; // SYN and FIN take a sequence number
    s[d + NEXT] = (p.seq + len) | 0;
    if (flags & ACK) s[d + ACKNO] = p.ack | 0;
    s[d + WIN_FLAGS] = (p.window << 9) | ((s[d + WIN_FLAGS]! & 0x1ff) | flags);
    s[d + PKTS]!++;
    s[d + BYTES] = (s[d + BYTES]! + p.payloadLen) | 0;
    s[o + LAST_MS] = ms;
    let bits = s[o + USED]!;
    if (flags & FIN) bits |= fromA ? FIN_A : FIN_B;
    s[o + USED] = bits;
    const other = o + (fromA ? DIR_B : DIR_A);
    // Over: a reset, or both FINs sent and this ACK covers the other side's FIN.
    if (
      flags & RST ||
      ((bits & (FIN_A | FIN_B)) === (FIN_A | FIN_B) && flags & ACK && (p.ack | 0) === s[other + NEXT])
    )
      this.end(o);
  }

  private end(o: number): void {
    this.emit(o);
    this.ended++;
    this.count--;
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    const s = this.slots;
    const mask = this.cap - 1;
    let hole = o / SLOT;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const oj = j * SLOT;
      if (s[oj + USED] === 0) break;
      const home = this.home(oj);
      // Move j into the hole when its home is not cyclically in (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        s.copyWithin(hole * SLOT, oj, oj + SLOT);
        hole = j;
      }
    }
    s[hole * SLOT + USED] = 0;
  }

  /** The home bucket of the connection in slot o (the same hash as `packet`). */
  private home(o: number): number {
    const s = this.slots;
    const ports = s[o + PORTS]!;
    let h = ((ports >>> 16) ^ (ports & 0xffff)) * 0x9e3779b1;
    if ((s[o + USED]! & IPV6) !== 0) {
      const a = s[o + ADDR_A]!;
      const b = s[o + ADDR_B]!;
      for (let i = 0; i < 4; i++) h ^= Math.imul(this.addr6[a + i]! ^ this.addr6[b + i]!, 0x85ebca6b) >>> 0;
    } else h ^= Math.imul(s[o + ADDR_A]! ^ s[o + ADDR_B]!, 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    return (h >>> 0) & (this.cap - 1);
  }

  private grow(): void {
    const old = this.slots;
    const oldCap = this.cap;
    this.cap *= 2;
    this.slots = new Int32Array(this.cap * SLOT);
    const mask = this.cap - 1;
    for (let k = 0; k < oldCap; k++) {
      const o = k * SLOT;
      if (old[o + USED] === 0) continue;
      let i = this.homeOf(old, o);
      while (this.slots[i * SLOT + USED] !== 0) i = (i + 1) & mask;
      this.slots.set(old.subarray(o, o + SLOT), i * SLOT);
    }
  }

  private homeOf(arr: Int32Array, o: number): number {
    const saved = this.slots;
    this.slots = arr;
    const h = this.home(o);
    this.slots = saved;
    return h;
  }

  private addr(o: number, which: number): string {
    const s = this.slots;
    if ((s[o + USED]! & IPV6) !== 0) {
      const w = s[o + which]!;
      return ipv6String(new Uint8Array(this.addr6.buffer, w * 4, 16), 0);
    }
    return ipv4String(new Uint8Array(s.buffer, (o + which) * 4, 4), 0);
  }

  private emit(o: number): void {
    const s = this.slots;
    const ports = s[o + PORTS]!;
    const dir = (d: number) =>
      `${s[d + PKTS]} ${s[d + BYTES]! >>> 0} ${(s[d + WIN_FLAGS]! & 0x1ff).toString(16)} ${s[d + WIN_FLAGS]! >>> 9} ${s[d + NEXT]! >>> 0} ${s[d + ACKNO]! >>> 0}`;
    this.text +=
      `${s[o + USED]! & ID_MASK} ${this.addr(o, ADDR_A)}:${ports >>> 16} ${this.addr(o, ADDR_B)}:${ports & 0xffff} ` +
      `${((s[o + LAST_MS]! - s[o + FIRST_MS]!) / 1000).toFixed(3)} ${dir(o + DIR_A)} ${dir(o + DIR_B)}\n`;
    if (this.text.length >= 1 << 18) this.flush();
  }

  finish(): void {
    for (let k = 0; k < this.cap; k++) if (this.slots[k * SLOT + USED] !== 0) this.emit(k * SLOT);
    this.flush();
  }

  flush(): void {
    if (this.text !== '') process.stdout.write(this.text);
    this.text = '';
  }
}

const files = process.argv.slice(2);
const decoder = new Decoder({ reassemble: true, verifyChecksums: false });
const pkt = new Packet();
const floor = new Floor();
await readRecords(files, (rec) => {
  if (decoder.decode(rec, pkt) === DecodeStatus.TCP) floor.packet(pkt);
});
floor.finish();
