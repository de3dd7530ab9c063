// The decoding oracle: renders a decoded frame carrying TCP as Debian 12's tcpdump 4.99.3 prints
// it with `-n -tt` (no -v, no -e), byte for byte up to and including `length N`. The prefixes
// tcpdump prints without -e (SLL2 interface/direction, MPLS labels, PPPoE session, outer IP of
// IP-in-IP/GRE/VXLAN/Geneve tunnels, IPv6 extension headers) are re-read from the frame bytes at
// the offsets the decoder recorded; the TCP part follows print-tcp.c step by step, including its
// relative sequence numbers (tcpdump-seq.ts), its option spellings, `[bad opt]`, `[len N]` and the
// truncation markers (`[|tcp]`, and the `>` it appends after a failed length check).
// Known differences are listed in docs of the parity script (scripts/parity-tcpdump.ts).
// Pure: no I/O. The line is written as UTF-8 bytes into a LineBytes (`renderInto`: `read` writes
// it straight into its line queue or output chunk); `render` returns it as a string.

import { DecodeStatus, formatTime, Layer, MAX_LAYERS, type Packet } from '../wire/packet.js';
import { ipv4String, ipv6String } from './ip-text.js';
import { LineBytes, utf8 } from './line-bytes.js';
import { TcpdumpSeqTable } from './tcpdump-seq.js';

const IPPROTO_HOPOPTS = 0;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_DSTOPTS = 60;
const IPPROTO_DCCP = 33;
const IPPROTO_SCTP = 132;

const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_PUSH = 0x08;
const TH_ACK = 0x10;
const TH_URG = 0x20;
const TH_ECE = 0x40;
const TH_CWR = 0x80;

/** Thrown (as a value, never to callers) when tcpdump's GET_* macros would longjmp on truncation. */
const TRUNCATED = -1;

export interface TcpdumpRenderOptions {
  /** SLL2 interface index → name, as tcpdump resolves it on the reading host ('?' when unknown). */
  ifName?: (index: number) => string;
}

const SLL_PKTTYPES = ['In', 'B', 'M', 'P', 'Out'];

/** tcpdump's flag letters in its table order (bittok2str_nosep over tcp_flag_values). */
export function tcpdumpFlags(flags: number): string {
  let s = '';
  if (flags & TH_FIN) s += 'F';
  if (flags & TH_SYN) s += 'S';
  if (flags & TH_RST) s += 'R';
  if (flags & TH_PUSH) s += 'P';
  if (flags & TH_ACK) s += '.';
  if (flags & TH_URG) s += 'U';
  if (flags & TH_ECE) s += 'E';
  if (flags & TH_CWR) s += 'W';
  return s === '' ? 'none' : s;
}

// The address texts live in ip-text.ts (zeek-tsv.ts and line-bytes.ts use them without the renderer).
export { ipv4String, ipv6String };

function hex2(v: number): string {
  return v < 16 ? `0${v.toString(16)}` : v.toString(16);
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** PRIx64/PRIu64 of 8 bytes. */
function u64(b: Uint8Array, o: number): bigint {
  return (BigInt(u32(b, o)) << 32n) | BigInt(u32(b, o + 4));
}

export class TcpdumpRenderer {
  private readonly seqs = new TcpdumpSeqTable();
  /** Frames tcpdump never sees must not disturb its table: they get their own. */
  private readonly beyondSeqs = new TcpdumpSeqTable();
  private readonly ifName: (index: number) => string;

  // Per-line state of the TCP printer (fields, not locals, so helpers need no closures).
  private buf: Uint8Array = new Uint8Array(0);
  private snapEnd = 0;
  private proto = 'tcp';
  /** Beyond-tcpdump lines: an IPv4 total length of 0 (offload) means "what was captured". */
  private lenient = false;
  /** Where the line is being written. */
  private w: LineBytes;
  /** render()'s own writer. */
  private readonly scratch = new LineBytes();

  constructor(opts: TcpdumpRenderOptions = {}) {
    this.ifName = opts.ifName ?? (() => '?');
    this.w = this.scratch;
  }

  /**
   * The line tcpdump prints for this frame, cut after `length N` (VXLAN frames span two lines, as
   * in tcpdump), or '' when tcpdump shows no TCP header for it (non-first fragments, a datagram
   * reassembled by synack, encapsulations tcpdump stops at). `frame` is the record's bytes.
   */
  render(pkt: Packet, frame: Uint8Array): string {
    return this.text(pkt, frame, pkt.beyondTcpdump);
  }

  /**
   * The line for a frame where synack finds TCP that tcpdump would not show (802.1ah, Teredo,
   * GTP-U, IPv4 length 0 from segmentation offload): the inner datagram in tcpdump's syntax, with
   * relative numbers kept apart from tcpdump's own table.
   */
  renderBeyond(pkt: Packet, frame: Uint8Array): string {
    return this.text(pkt, frame, true);
  }

  /**
   * render (beyond false: tcpdump's own line) or renderBeyond (true) written into `w` after what
   * it holds; false when there is no line (nothing written).
   */
  renderInto(w: LineBytes, pkt: Packet, frame: Uint8Array, beyond: boolean): boolean {
    this.w = w;
    const start = w.pos;
    const ok = this.line(pkt, frame, beyond || pkt.beyondTcpdump);
    if (!ok) w.pos = start;
    this.w = this.scratch;
    return ok;
  }

  private text(pkt: Packet, frame: Uint8Array, beyond: boolean): string {
    const w = this.scratch;
    w.pos = 0;
    if (!this.line(pkt, frame, beyond)) return '';
    const s = DECODER.decode(w.buf.subarray(0, w.pos));
    w.pos = 0;
    return s;
  }

  private line(pkt: Packet, frame: Uint8Array, beyond: boolean): boolean {
    if (pkt.reassembled) return false;
    const st = pkt.status;
    if (
      beyond ? st !== DecodeStatus.TCP : st === DecodeStatus.NOT_TCP || st === DecodeStatus.UNSUPPORTED_LINK
    )
      return false;
    const ipIndex = innermostIp(pkt);
    if (ipIndex < 0) return false;
    this.buf = frame;
    this.lenient = beyond;
    const w = this.w;
    tcpdumpTimeInto(w, pkt.tsSec, pkt.tsNsec, pkt.tsRawFrac, pkt.tsFracNano);
    w.byte(0x20);
    // tcpdump's `length` starts as the on-wire length and each layer takes its header off.
    let wireEnd = pkt.origLen;
    let capEnd = frame.length;
    let mplsDone = false;
    if (!beyond) {
      for (let i = 0; i < ipIndex; i++) {
        const off = pkt.layerOffset[i];
        switch (pkt.layerKind[i] as Layer) {
          case Layer.SLL2: {
            const name = this.ifName(u32(frame, off + 4));
            w.text(`${name.padEnd(5)} ${(SLL_PKTTYPES[frame[off + 10]] ?? '?').padEnd(3)} `);
            break;
          }
          case Layer.MPLS: {
            if (mplsDone) break;
            mplsDone = true;
            w.text('MPLS');
            let o = off;
            for (;;) {
              const e = u32(frame, o);
              w.text(` (label ${e >>> 12}, tc ${(e >>> 9) & 7}${e & 0x100 ? ', [S]' : ''}, ttl ${e & 0xff})`);
              o += 4;
              if (e & 0x100 || o + 4 > capEnd) break;
            }
            w.text(' ');
            break;
          }
          case Layer.PPPOE: {
            // pppoe_print: the session payload length bounds what PPP and IP get.
            const pppoeLen = u16(frame, off + 4);
            const length = wireEnd - (off + 6);
            w.text(`PPPoE  [ses 0x${u16(frame, off + 2).toString(16)}] `);
            if (pppoeLen < length) wireEnd = off + 6 + pppoeLen;
            break;
          }
          case Layer.IPV4: {
            const hl = (frame[off] & 0x0f) * 4;
            const len = u16(frame, off + 2);
            const wire = wireEnd - off;
            w.text('IP ');
            if (len > wire) w.text(`truncated-ip - ${len - wire} bytes missing! `);
            const p = frame[off + 9];
            if (p !== IPPROTO_TCP && p !== IPPROTO_UDP && p !== IPPROTO_SCTP && p !== IPPROTO_DCCP) {
              w.text(`${ipv4String(frame, off + 12)} > ${ipv4String(frame, off + 16)}: `);
            }
            if (len >= hl) {
              wireEnd = off + len;
              if (wireEnd < capEnd) capEnd = wireEnd;
            }
            break;
          }
          case Layer.IPV6: {
            const plen = u16(frame, off + 4);
            w.text('IP6 ');
            const nh = frame[off + 6];
            if (nh !== IPPROTO_TCP && nh !== IPPROTO_UDP && nh !== IPPROTO_SCTP && nh !== IPPROTO_DCCP) {
              w.text(`${ipv6String(frame, off + 8)} > ${ipv6String(frame, off + 24)}: `);
            }
            if (plen !== 0) {
              wireEnd = off + 40 + plen;
              if (wireEnd < capEnd) capEnd = wireEnd;
            }
            break;
          }
          case Layer.UDP: {
            const ip = enclosingIp(pkt, i);
            if (ip < 0) return false;
            const ipOff = pkt.layerOffset[ip];
            const v6 = pkt.layerKind[ip] === Layer.IPV6;
            const src = v6 ? ipv6String(frame, ipOff + 8) : ipv4String(frame, ipOff + 12);
            const dst = v6 ? ipv6String(frame, ipOff + 24) : ipv4String(frame, ipOff + 16);
            w.text(`${src}.${u16(frame, off)} > ${dst}.${u16(frame, off + 2)}: `);
            break;
          }
          case Layer.GRE: {
            const flags = u16(frame, off);
            if ((flags & 7) !== 0) return false;
            const length = wireEnd - off;
            w.text('GREv0');
            let o = off + 4;
            if (flags & 0xc000 && (flags & 0x8000 || flags & 0x4000)) {
              w.text(`, sum 0x${u16(frame, o).toString(16)}, off 0x${u16(frame, o + 2).toString(16)}`);
              o += 4;
            }
            if (flags & 0x2000) {
              w.text(`, key=0x${u32(frame, o).toString(16)}`);
              o += 4;
            }
            if (flags & 0x1000) {
              w.text(`, seq ${u32(frame, o)}`);
              o += 4;
            }
            w.text(`, length ${length}: `);
            break;
          }
          case Layer.VXLAN: {
            const f = frame[off];
            w.text(
              `VXLAN, flags [${f & 0x08 ? 'I' : '.'}] (0x${hex2(f)}), vni ${(u32(frame, off + 4) >>> 8) >>> 0}\n`,
            );
            break;
          }
          case Layer.GENEVE: {
            const f = frame[off + 1];
            let fl = '';
            if (f & 0x80) fl += 'O';
            if (f & 0x40) fl += 'C';
            w.text(
              `Geneve, Flags [${fl === '' ? 'none' : fl}], vni 0x${(u32(frame, off + 4) >>> 8).toString(16)}`,
            );
            const proto = u16(frame, off + 2);
            if (proto !== 0x6558)
              w.text(
                `, proto ${proto === 0x0800 ? 'IPv4' : proto === 0x86dd ? 'IPv6' : 'Unknown'} (0x${proto.toString(16).padStart(4, '0')})`,
              );
            w.text(': ');
            break;
          }
          case Layer.ETHERNET:
          case Layer.VLAN:
          case Layer.SLL:
          case Layer.NULL_LOOP:
          case Layer.FDDI:
          case Layer.LLC_SNAP:
          case Layer.RAW_IP:
          case Layer.IPV6_EXT:
            break;
          default:
            // An encapsulation tcpdump does not descend into (the decoder should have flagged it).
            return false;
        }
      }
    }
    const ipOff = pkt.layerOffset[ipIndex];
    const wire = (beyond ? pkt.origLen : wireEnd) - ipOff;
    this.snapEnd = capEnd;
    const table = beyond ? this.beyondSeqs : this.seqs;
    return pkt.layerKind[ipIndex] === Layer.IPV6
      ? this.ip6(ipOff, wire, table)
      : this.ip4(ipOff, wire, table);
  }

  private ip4(off: number, wire: number, table: TcpdumpSeqTable): boolean {
    const b = this.buf;
    const hl = (b[off] & 0x0f) * 4;
    let len = u16(b, off + 2);
    this.w.bytes(B_IP);
    if (len > wire) this.w.text(`truncated-ip - ${len - wire} bytes missing! `);
    if (len < hl) {
      if (!this.lenient || len !== 0) return false;
      len = Math.min(wire, this.snapEnd - off);
    }
    if (off + len < this.snapEnd) this.snapEnd = off + len;
    const fragOff = u16(b, off + 6) & 0x1fff;
    if (fragOff !== 0 || b[off + 9] !== IPPROTO_TCP) return false;
    return this.tcp(off + hl, len - hl, 4, b, off + 12, off + 16, true, table);
  }

  private ip6(off: number, wire: number, table: TcpdumpSeqTable): boolean {
    const w = this.w;
    const b = this.buf;
    const plen = u16(b, off + 4);
    let len = plen !== 0 ? plen : wire - 40;
    if (plen !== 0 && off + 40 + plen < this.snapEnd) this.snapEnd = off + 40 + plen;
    w.bytes(B_IP6);
    let nh = b[off + 6];
    let cp = off + 40;
    if (nh !== IPPROTO_TCP && nh !== IPPROTO_UDP && nh !== IPPROTO_DCCP && nh !== IPPROTO_SCTP) {
      w.text(`${ipv6String(b, off + 8)} > ${ipv6String(b, off + 24)}: `);
    }
    // The decoder's one nesting limit (each header takes at least 8 bytes of the frame anyway).
    for (let guard = 0; guard < MAX_LAYERS && nh !== IPPROTO_TCP; guard++) {
      if (cp + 8 > this.snapEnd) return false;
      let advance: number;
      switch (nh) {
        case IPPROTO_HOPOPTS:
          w.text('HBH ');
          advance = (b[cp + 1] + 1) << 3;
          break;
        case IPPROTO_DSTOPTS:
          w.text('DSTOPT ');
          advance = (b[cp + 1] + 1) << 3;
          break;
        case IPPROTO_FRAGMENT: {
          const fo = u16(b, cp + 2) & 0xfff8;
          w.text(`frag (${fo}|${len - 8}) `);
          if (fo !== 0) return false;
          advance = 8;
          break;
        }
        case IPPROTO_ROUTING: {
          const rlen = b[cp + 1];
          const type = b[cp + 2];
          if (type !== 0 && type !== 2) return false;
          w.text(`RT6 (len=${rlen}, type=${type}${type === 0 ? ' [Deprecated]' : ''}, segleft=${b[cp + 3]}`);
          const rsv = u32(b, cp + 4);
          if (rsv !== 0) w.text(`, rsv=0x${rsv.toString(16)}`);
          if (rlen % 2 === 1) return false;
          for (let i = 0; i < rlen >> 1; i++) {
            if (cp + 8 + 16 * (i + 1) > this.snapEnd) return false;
            w.text(`, [${i}]${ipv6String(b, cp + 8 + 16 * i)}`);
          }
          w.text(') ');
          advance = (rlen + 1) << 3;
          break;
        }
        default:
          return false;
      }
      nh = b[cp];
      cp += advance;
      len -= advance;
    }
    if (nh !== IPPROTO_TCP) return false;
    return this.tcp(cp, len, 6, b, off + 8, off + 24, b[off + 6] === IPPROTO_TCP, table);
  }

  /** tcpdump's LENCHECK: 1 (bad opt) when the option claims more than the header holds, 2 when not captured. */
  private lenOk(l: number, hlen: number, cp: number): boolean {
    this.optFail = l > hlen ? 1 : this.has(cp, l) ? 0 : 2;
    return this.optFail === 0;
  }

  /** Outcome of the last lenOk: 0 fine, 1 bad opt, 2 not captured. */
  private optFail = 0;

  /** A GET_* of `n` bytes at `o` would succeed. */
  private has(o: number, n: number): boolean {
    return o + n <= this.snapEnd;
  }

  /**
   * print-tcp.c's tcp_print for the header at `th` with `length` bytes of IP payload. `withAddrs`:
   * the IP header's own next header is TCP (else tcpdump prints ports only).
   */
  private tcp(
    th: number,
    length: number,
    version: number,
    b: Uint8Array,
    srcOff: number,
    dstOff: number,
    withAddrs: boolean,
    table: TcpdumpSeqTable,
  ): boolean {
    const w = this.w;
    this.proto = 'tcp';
    if (!this.has(th + 2, 2)) {
      addrInto(w, version, b, srcOff);
      w.bytes(B_GT);
      addrInto(w, version, b, dstOff);
      w.text(': [|tcp]');
      return true;
    }
    const sport = u16(b, th);
    const dport = u16(b, th + 2);
    if (withAddrs) addrInto(w, version, b, srcOff);
    if (withAddrs) w.byte(0x2e);
    w.num(sport);
    w.bytes(B_GT);
    if (withAddrs) addrInto(w, version, b, dstOff);
    if (withAddrs) w.byte(0x2e);
    w.num(dport);
    w.bytes(B_COLON);
    if (!this.has(th, 20)) {
      w.text(' [|tcp]');
      return true;
    }
    let hlen = (b[th + 12] >> 4) * 4;
    if (hlen < 20) {
      w.text(` tcp ${(length - hlen) >>> 0} [bad hdr length ${hlen} - too short, < 20]`);
      return true;
    }
    let seq = u32(b, th + 4);
    let ack = u32(b, th + 8);
    const win = u16(b, th + 14);
    const urp = u16(b, th + 18);
    const flags = b[th + 13];
    w.bytes(FLAGS_TEXT[flags]!);
    let thSeq = 0;
    let thAck = 0;
    let rev = false;
    if (flags & TH_ACK) {
      table.lookup(version, b, srcOff, b, dstOff, sport, dport, seq, ack, (flags & TH_SYN) !== 0);
      rev = table.rev;
      thSeq = table.thSeq;
      thAck = table.thAck;
      if (!table.fresh) {
        if (rev) {
          seq = (seq - thAck) >>> 0;
          ack = (ack - thSeq) >>> 0;
        } else {
          seq = (seq - thSeq) >>> 0;
          ack = (ack - thAck) >>> 0;
        }
      }
    }
    if (hlen > length) {
      w.text(` [bad hdr length ${hlen} - too long, > ${length}]`);
      return true;
    }
    const payload = length - hlen;
    if (payload > 0 || flags & (TH_SYN | TH_FIN | TH_RST)) {
      w.bytes(B_SEQ);
      w.num(seq);
      if (payload > 0) {
        w.byte(0x3a);
        w.num((seq + payload) >>> 0);
      }
    }
    if (flags & TH_ACK) {
      w.bytes(B_ACK);
      w.num(ack);
    }
    w.bytes(B_WIN);
    w.num(win);
    if (flags & TH_URG) {
      w.bytes(B_URG);
      w.num(urp);
    }
    if (hlen > 20) {
      hlen -= 20;
      let cp = th + 20;
      w.bytes(B_OPTIONS);
      let ch = '';
      while (hlen > 0) {
        if (ch !== '') w.byte(0x2c);
        if (!this.has(cp, 1)) return this.cut('');
        const opt = b[cp++];
        let len: number;
        if (opt === 0 || opt === 1) len = 1;
        else {
          if (!this.has(cp, 1)) return this.cut('');
          len = b[cp++];
          if (len < 2 || len > hlen) return this.badOpt(ch);
          hlen--;
        }
        hlen--;
        let datalen = 0;
        const name = OPTION_BYTES[opt];
        if (name !== undefined) w.bytes(name);
        else w.text(`unknown-${opt}`);
        // LENCHECK: BAD when the option claims more than the header holds, TRUNC when not captured.
        this.optFail = 0;
        switch (opt) {
          case 2:
            datalen = 2;
            if (this.lenOk(2, hlen, cp)) {
              w.byte(0x20);
              w.num(u16(b, cp));
            }
            break;
          case 3:
            datalen = 1;
            if (this.lenOk(1, hlen, cp)) {
              w.byte(0x20);
              w.num(b[cp]);
            }
            break;
          case 5:
            datalen = len - 2;
            if (datalen % 8 !== 0) w.text(' invalid sack');
            else {
              w.text(` ${datalen / 8} `);
              for (let i = 0; i < datalen; i += 8) {
                if (!this.lenOk(i + 4, hlen, cp)) break;
                let s = u32(b, cp + i);
                if (!this.lenOk(i + 8, hlen, cp)) break;
                let e = u32(b, cp + i + 4);
                if (rev) {
                  s = (s - thSeq) >>> 0;
                  e = (e - thSeq) >>> 0;
                } else {
                  s = (s - thAck) >>> 0;
                  e = (e - thAck) >>> 0;
                }
                w.byte(0x7b);
                w.num(s);
                w.byte(0x3a);
                w.num(e);
                w.byte(0x7d);
              }
            }
            break;
          case 6:
          case 7:
          case 11:
          case 12:
          case 13:
            datalen = 4;
            if (this.lenOk(4, hlen, cp)) {
              w.byte(0x20);
              w.num(u32(b, cp));
            }
            break;
          case 8:
            datalen = 8;
            if (this.lenOk(8, hlen, cp)) {
              w.bytes(B_VAL);
              w.num(u32(b, cp));
              w.bytes(B_ECR);
              w.num(u32(b, cp + 4));
            }
            break;
          case 19: {
            datalen = 16;
            if (!this.lenOk(16, hlen, cp)) break;
            w.byte(0x20);
            const dataStart = th + (b[th + 12] >> 4) * 4;
            w.text(
              dataStart + payload > this.snapEnd
                ? 'snaplen too short, '
                : 'shared secret not supplied with -M, ',
            );
            w.text("can't check - ");
            for (let i = 0; i < 16; i++) w.text(hex2(b[cp + i]));
            break;
          }
          case 20:
            datalen = 2;
            if (this.lenOk(2, hlen, cp)) w.text(` cap ${hex2(b[cp])} id ${b[cp + 1]}`);
            break;
          case 29:
            datalen = len - 2;
            if (datalen < 2) w.text(' (invalid)');
            else {
              if (!this.lenOk(1, hlen, cp)) break;
              w.text(` keyid ${b[cp]}`);
              if (!this.lenOk(2, hlen, cp)) break;
              w.text(` rnextkeyid ${b[cp + 1]}`);
              if (datalen > 2) {
                w.text(' mac 0x');
                for (let i = 2; i < datalen; i++) {
                  if (!this.lenOk(i + 1, hlen, cp)) break;
                  w.text(hex2(b[cp + i]));
                }
              }
            }
            break;
          case 0:
          case 1:
          case 4:
            break;
          case 28: {
            datalen = 2;
            if (!this.lenOk(2, hlen, cp)) break;
            let uto = u16(b, cp);
            w.text(` 0x${uto.toString(16)}`);
            uto = uto & 1 ? (uto >> 1) * 60 : uto >> 1;
            w.text(` ${uto}`);
            break;
          }
          case 30: {
            datalen = len - 2;
            if (!this.lenOk(datalen, hlen, cp)) break;
            const saved = this.snapEnd;
            if (cp - 2 + len < this.snapEnd) this.snapEnd = cp - 2 + len;
            const r = this.mptcp(cp - 2, len, flags);
            this.snapEnd = saved;
            if (r === TRUNCATED) return this.cut('');
            w.text(this.mptcpText);
            if (r === 0) return this.badOpt(ch);
            break;
          }
          case 34:
            datalen = len - 2;
            if (!this.lenOk(datalen, hlen, cp)) break;
            w.byte(0x20);
            w.text(fastOpen(b, cp, datalen, false));
            break;
          case 254: {
            datalen = len - 2;
            if (!this.lenOk(datalen, hlen, cp)) break;
            if (datalen < 2) return this.badOpt(ch);
            const magic = u16(b, cp);
            w.byte(0x2d);
            if (magic === 0xf989) w.text(fastOpen(b, cp + 2, datalen - 2, true));
            else w.text(magic.toString(16).padStart(4, '0'));
            break;
          }
          default:
            datalen = len - 2;
            if (datalen) w.text(' 0x');
            for (let i = 0; i < datalen; i++) {
              if (!this.lenOk(i + 1, hlen, cp)) break;
              w.text(hex2(b[cp + i]));
            }
            break;
        }
        if (this.optFail === 1) return this.badOpt(ch);
        if (this.optFail === 2) return this.cut(ch !== '' ? '>' : '');
        cp += datalen;
        hlen -= datalen;
        datalen++;
        if (opt !== 0 && opt !== 1) datalen++;
        if (datalen !== len) w.text(`[len ${len}]`);
        ch = ',';
        if (opt === 0) break;
      }
      w.byte(0x5d);
    }
    w.bytes(B_LENGTH);
    w.num(payload);
    return true;
  }

  /** The line ends where a read fell off the capture: ` [|tcp]` (or mptcp), then `after`. */
  private cut(after: string): boolean {
    this.w.text(` [|${this.proto}]${after}`);
    return true;
  }

  /** The line ends at a malformed option (closing the option list when one was printed). */
  private badOpt(ch: string): boolean {
    this.w.text(`[bad opt]${ch !== '' ? ']' : ''}`);
    return true;
  }

  private mptcpText = '';

  private mptcpDone(text: string, result: number): number {
    this.mptcpText = text;
    return result;
  }

  /** print-mptcp.c: 1 printed, 0 bad (caller prints [bad opt]), TRUNCATED when a read fell off the end. */
  private mptcp(cp: number, len: number, flags: number): number {
    const b = this.buf;
    this.proto = 'mptcp';
    this.mptcpText = '';
    if (len < 3) return 0;
    if (!this.has(cp + 2, 1)) return TRUNCATED;
    const subtype = Math.min((b[cp + 2] >> 4) & 0xf, 8);
    let s = ` ${len} ${MPTCP_NAMES[subtype]}`;
    switch (subtype) {
      case 0: {
        if (
          !(
            ((len === 12 || len === 4) && flags & TH_SYN) ||
            ((len === 20 || len === 22) && (flags & (TH_SYN | TH_ACK)) === TH_ACK)
          )
        )
          return this.mptcpDone(s, 0);
        const version = b[cp + 2] & 0xf;
        if (version > 1) {
          s += ` Unknown Version (${version})`;
          return this.mptcpDone(s, 1);
        }
        s += ` v${version}`;
        if (!this.has(cp + 3, 1)) return this.mptcpDone(s, TRUNCATED);
        if (b[cp + 3] & 0x80) s += ' csum';
        if (len === 12 || len >= 20) {
          if (!this.has(cp + 4, 8)) return this.mptcpDone(s, TRUNCATED);
          s += ` {0x${u64(b, cp + 4).toString(16)}`;
          if (len >= 20) {
            if (!this.has(cp + 12, 8)) return this.mptcpDone(s, TRUNCATED);
            s += `,0x${u64(b, cp + 12).toString(16)}`;
          }
          s += '}';
        }
        return this.mptcpDone(s, 1);
      }
      case 1: {
        if (
          !(
            (len === 12 && flags & TH_SYN) ||
            (len === 16 && (flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) ||
            (len === 24 && flags & TH_ACK)
          )
        )
          return this.mptcpDone(s, 0);
        if (!this.has(cp, len)) return this.mptcpDone(s, TRUNCATED);
        if (len !== 24) {
          if (b[cp + 2] & 1) s += ' backup';
          s += ` id ${b[cp + 3]}`;
        }
        if (len === 12) s += ` token 0x${u32(b, cp + 4).toString(16)} nonce 0x${u32(b, cp + 8).toString(16)}`;
        else if (len === 16)
          s += ` hmac 0x${u64(b, cp + 4).toString(16)} nonce 0x${u32(b, cp + 12).toString(16)}`;
        else {
          s += ' hmac 0x';
          for (let i = 0; i < 20; i++) s += hex2(b[cp + 4 + i]);
        }
        return this.mptcpDone(s, 1);
      }
      case 2: {
        if (len < 4 || flags & TH_SYN) return this.mptcpDone(s, 0);
        if (!this.has(cp + 3, 1)) return this.mptcpDone(s, TRUNCATED);
        const f = b[cp + 3];
        if (f & 0x10) s += ' fin';
        let o = cp + 4;
        let rest = len - 4;
        if (f & 0x01) {
          s += ' ack ';
          if (f & 0x02) {
            if (rest < 8) return this.mptcpDone(s, 0);
            if (!this.has(o, 8)) return this.mptcpDone(s, TRUNCATED);
            s += u64(b, o).toString();
            o += 8;
            rest -= 8;
          } else {
            if (rest < 4) return this.mptcpDone(s, 0);
            if (!this.has(o, 4)) return this.mptcpDone(s, TRUNCATED);
            s += `${u32(b, o)}`;
            o += 4;
            rest -= 4;
          }
        }
        if (f & 0x04) {
          s += ' seq ';
          if (f & 0x08) {
            if (rest < 8) return this.mptcpDone(s, 0);
            if (!this.has(o, 8)) return this.mptcpDone(s, TRUNCATED);
            s += u64(b, o).toString();
            o += 8;
            rest -= 8;
          } else {
            if (rest < 4) return this.mptcpDone(s, 0);
            if (!this.has(o, 4)) return this.mptcpDone(s, TRUNCATED);
            s += `${u32(b, o)}`;
            o += 4;
            rest -= 4;
          }
          if (rest < 4) return this.mptcpDone(s, 0);
          if (!this.has(o, 4)) return this.mptcpDone(s, TRUNCATED);
          s += ` subseq ${u32(b, o)}`;
          o += 4;
          rest -= 4;
          if (rest < 2) return this.mptcpDone(s, 0);
          if (!this.has(o, 2)) return this.mptcpDone(s, TRUNCATED);
          s += ` len ${u16(b, o)}`;
          o += 2;
          rest -= 2;
          if (rest >= 2) {
            if (!this.has(o, 2)) return this.mptcpDone(s, TRUNCATED);
            s += ` csum 0x${u16(b, o).toString(16)}`;
            rest -= 2;
          }
        }
        return this.mptcpDone(s, rest !== 0 ? 0 : 1);
      }
      case 3: {
        if (!ADD_ADDR_LENGTHS.includes(len)) return this.mptcpDone(s, 0);
        if (!this.has(cp, len)) return this.mptcpDone(s, TRUNCATED);
        const echo = b[cp + 2] & 0xf;
        s += ` ${echo === 6 ? 'v0-ip6' : echo === 4 ? 'v0-ip4' : echo === 1 ? 'v1-echo' : echo === 0 ? 'v1' : '[bad version/echo]'}`;
        s += ` id ${b[cp + 3]}`;
        if (len <= 18) {
          s += ` ${ipv4String(b, cp + 4)}`;
          if (len === 10 || len === 18) s += `:${u16(b, cp + 8)}`;
          if (len === 16) s += ` hmac 0x${u64(b, cp + 8).toString(16)}`;
          if (len === 18) s += ` hmac 0x${u64(b, cp + 10).toString(16)}`;
        } else {
          s += ` ${ipv6String(b, cp + 4)}`;
          if (len === 22 || len === 30) s += `:${u16(b, cp + 20)}`;
          if (len === 28) s += ` hmac 0x${u64(b, cp + 20).toString(16)}`;
          if (len === 30) s += ` hmac 0x${u64(b, cp + 22).toString(16)}`;
        }
        return this.mptcpDone(s, 1);
      }
      case 4: {
        if (len < 4) return this.mptcpDone(s, 0);
        s += ' id';
        for (let i = 0; i < len - 3; i++) {
          if (!this.has(cp + 3 + i, 1)) return this.mptcpDone(s, TRUNCATED);
          s += ` ${b[cp + 3 + i]}`;
        }
        return this.mptcpDone(s, 1);
      }
      case 5: {
        if (len !== 3 && len !== 4) return this.mptcpDone(s, 0);
        s += b[cp + 2] & 1 ? ' backup' : ' non-backup';
        if (len === 4) {
          if (!this.has(cp + 3, 1)) return this.mptcpDone(s, TRUNCATED);
          s += ` id ${b[cp + 3]}`;
        }
        return this.mptcpDone(s, 1);
      }
      case 6:
      case 7:
        if (len !== 12) return this.mptcpDone(s, 0);
        if (!this.has(cp + 4, 8)) return this.mptcpDone(s, TRUNCATED);
        s += subtype === 6 ? ` seq ${u64(b, cp + 4)}` : ` key 0x${u64(b, cp + 4).toString(16)}`;
        return this.mptcpDone(s, 1);
      default:
        return this.mptcpDone(s, 1);
    }
  }
}

/** Option names as tcpdump's tcp_option_values (CCECHO really is the empty string in 4.99.3). */
const OPTION_NAMES: Record<number, string> = {
  0: 'eol',
  1: 'nop',
  2: 'mss',
  3: 'wscale',
  4: 'sackOK',
  5: 'sack',
  6: 'echo',
  7: 'echoreply',
  8: 'TS',
  11: 'cc',
  12: 'ccnew',
  13: '',
  19: 'md5',
  20: 'scps',
  28: 'uto',
  29: 'tcp-ao',
  30: 'mptcp',
  34: 'tfo',
  254: 'exp',
};

const ADD_ADDR_LENGTHS = [8, 10, 16, 18, 20, 22, 28, 30];

const MPTCP_NAMES = [
  'capable',
  'join',
  'dss',
  'add-addr',
  'rem-addr',
  'prio',
  'fail',
  'fast-close',
  'unknown',
];

function fastOpen(b: Uint8Array, cp: number, datalen: number, exp: boolean): string {
  let s = exp ? 'tfo' : '';
  if (datalen === 0) return `${s} cookiereq`;
  if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) return `${s} (invalid)`;
  s += ' cookie ';
  for (let i = 0; i < datalen; i++) s += hex2(b[cp + i]);
  return s;
}

/** An address as tcpdump prints it, written into `w`. */
function addrInto(w: LineBytes, version: number, b: Uint8Array, o: number): void {
  if (version === 6) {
    w.text(ipv6String(b, o));
    return;
  }
  w.num(b[o]);
  w.byte(0x2e);
  w.num(b[o + 1]);
  w.byte(0x2e);
  w.num(b[o + 2]);
  w.byte(0x2e);
  w.num(b[o + 3]);
}

const DECODER = new TextDecoder();
// The constant pieces of the TCP line, as bytes.
const B_IP = utf8('IP ');
const B_IP6 = utf8('IP6 ');
const B_GT = utf8(' > ');
const B_COLON = utf8(': ');
const B_SEQ = utf8(', seq ');
const B_ACK = utf8(', ack ');
const B_WIN = utf8(', win ');
const B_URG = utf8(', urg ');
const B_OPTIONS = utf8(', options [');
const B_VAL = utf8(' val ');
const B_ECR = utf8(' ecr ');
const B_LENGTH = utf8(', length ');
/** `Flags [S.]` for each flag byte. */
const FLAGS_TEXT = Array.from({ length: 256 }, (_, f) => utf8(`Flags [${tcpdumpFlags(f)}]`));
/** OPTION_NAMES as bytes, by option kind. */
const OPTION_BYTES: (Uint8Array | undefined)[] = Array.from({ length: 256 }, (_, k) =>
  OPTION_NAMES[k] === undefined ? undefined : utf8(OPTION_NAMES[k]),
);

/** Index of the IP layer that carries the TCP header (the last IPv4/IPv6 layer), or -1. */
function innermostIp(pkt: Packet): number {
  for (let i = pkt.layerCount - 1; i >= 0; i--) {
    const k = pkt.layerKind[i];
    if (k === Layer.IPV4 || k === Layer.IPV6) return i;
  }
  return -1;
}

/** The IP layer just outside layer `i`, or -1. */
function enclosingIp(pkt: Packet, i: number): number {
  for (let j = i - 1; j >= 0; j--) {
    const k = pkt.layerKind[j];
    if (k === Layer.IPV4 || k === Layer.IPV6) return j;
  }
  return -1;
}

/** tcpdumpTime's text written into `w`. */
function tcpdumpTimeInto(
  w: LineBytes,
  tsSec: number,
  tsNsec: number,
  rawFrac: number,
  fracNano: boolean,
): void {
  if (rawFrac < 0) {
    const low = tsSec >>> 0;
    const us = Math.floor(tsNsec / 1000);
    if (low < 0x80000000 && us >= 0 && us < 1_000_000) {
      // `${low}.${us padded to six digits}`, as formatTime writes it.
      w.usec(low * 1_000_000 + us);
      return;
    }
  }
  w.text(tcpdumpTime(tsSec, tsNsec, rawFrac, fracNano));
}

/**
 * `tcpdump -tt`'s time (4.99's ts_unix_print): the seconds cast to a 32-bit unsigned int; with bit
 * 31 set (2^31 s and later, far-future pcapng stamps, negative offsets) it prints
 * `[Error converting time]` instead of the time. A pcap fraction of a second or more (`rawFrac`,
 * as written; we carry it into the seconds) is printed as libpcap hands it over: the field read as
 * a signed 32-bit number, nanoseconds divided by 1000 (C's truncation), then `.%06u`, so µs
 * 1500000 prints `.1500000` after the unchanged seconds.
 */
export function tcpdumpTime(tsSec: number, tsNsec: number, rawFrac = -1, fracNano = false): string {
  if (rawFrac < 0) {
    const low = tsSec >>> 0; // ToUint32: the low 32 bits of the whole seconds, exactly
    if (low >= 0x80000000) return '[Error converting time]';
    return formatTime(low, tsNsec);
  }
  const perSecond = fracNano ? 1_000_000_000 : 1_000_000;
  const low = (tsSec - Math.floor(rawFrac / perSecond)) >>> 0;
  if (low >= 0x80000000) return '[Error converting time]';
  const signed = rawFrac | 0; // sf-pcap.c's bpf_int32 tv_usec
  const usec = (fracNano ? Math.trunc(signed / 1000) : signed) >>> 0;
  return `${low}.${String(usec).padStart(6, '0')}`;
}
