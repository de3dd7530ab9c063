// Wireshark's TCP analysis flags (tcp.analysis.*), exactly where tshark 4.0.17 sets them with
// two-pass dissection (`tshark -2`), mapped to synack's event kinds (kinds.ts). This restates the
// rules of packet-tcp.c's tcp_analyze_sequence_number() and of the stream/port-reuse handling in
// dissect_tcp(); the stream table and per-direction state live in wireshark-stream.ts.
//
// These are Wireshark's heuristics, not RFC 9293 behaviour: where they look odd (unsigned
// counters, 0 meaning "unset", ACK fields read without the ACK flag) they are kept on purpose,
// because the point is to agree with tshark packet by packet.

import { seqGt, seqLe, seqLt } from '../tcp/seq.js';
import { ACK, DecodeStatus, FIN, type Packet, RST, SYN } from '../wire/packet.js';
import { FlowSlots, SL_STREAM } from './flow-slots.js';
import { K } from './kinds.js';
import {
  MAX_UNACKED_SEGMENTS,
  WSCALE_NONE,
  WSCALE_UNKNOWN,
  WsFlag,
  type WsFlow,
  WsStream,
  WsStreamTable,
} from './wireshark-stream.js';

export interface TcpAnalysisOptions {
  /**
   * Out-of-order threshold (ns) used until the stream's handshake RTT is known: Wireshark's
   * built-in 3 ms.
   */
  defaultOooThresholdNs?: number;
  /** tcp.fastrt_supersedes_ooo (default true): test fast retransmission before out-of-order. */
  fastRetransmissionFirst?: boolean;
  /** Forget streams silent this long (µs of capture time; default never), for constant memory. */
  forgetAfterUsec?: number;
  /** Remember at most this many streams, the least recently seen forgotten first (default no limit). */
  maxStreams?: number;
}

const SYN_FIN_RST = SYN | FIN | RST;
/** 2^64, to read a negative nanosecond difference the way Wireshark's guint64 does. */
const TWO_POW_64 = 2 ** 64;
/** Fast retransmission must follow the peer's last ACK within 20 ms. */
const FAST_RETRANSMISSION_WINDOW_NS = 20_000_000;

/** Nanoseconds from (sec0, nsec0) to (sec, nsec), wrapped to unsigned like a guint64. */
function elapsedNsUnsigned(sec: number, nsec: number, sec0: number, nsec0: number): number {
  const d = (sec - sec0) * 1e9 + (nsec - nsec0);
  return d < 0 ? d + TWO_POW_64 : d;
}

export class TcpAnalysis {
  private readonly table: WsStreamTable;
  /** The 4-tuples' slots: its own, or the flow table's once attached. */
  private slots = new FlowSlots();
  private readonly defaultOooThresholdNs: number;
  private readonly fastRetransmissionFirst: boolean;
  // Views onto the current packet's stream and its two flows (from / to the sender).
  private readonly s = new WsStream();
  private readonly fwd: WsFlow;
  private readonly rev: WsFlow;
  /** tcp.stream of the last packet given to process() (-1 when it was not TCP). */
  stream = -1;
  /** Wireshark's own flag bits (WsFlag) of the last packet, before mapping to our kinds. */
  wiresharkFlags = 0;

  constructor(opts: TcpAnalysisOptions = {}) {
    this.defaultOooThresholdNs = opts.defaultOooThresholdNs ?? 3_000_000;
    this.fastRetransmissionFirst = opts.fastRetransmissionFirst ?? true;
    this.table = new WsStreamTable(this.slots, opts.forgetAfterUsec, opts.maxStreams);
    this.fwd = this.table.newFlow();
    this.rev = this.table.newFlow();
  }

  /** Streams currently remembered (see TcpAnalysisOptions.forgetAfterUsec / maxStreams). */
  get size(): number {
    return this.table.size;
  }

  /** Number of tcp.stream values handed out so far. */
  get streamCount(): number {
    return this.table.streamCount;
  }

  /**
   * Shares the flow table's slots (before any packet): the table finds each packet's slot, and
   * calls expire() then processIn() instead of process().
   */
  attach(slots: FlowSlots): void {
    this.slots = slots;
    this.table.slots = slots;
  }

  /**
   * Analyses one packet, in capture order, finding its 4-tuple's slot itself; returns its tags as
   * a bitmask of kinds.ts bits (only the Wireshark-derived kinds). Non-TCP packets return 0 and
   * change nothing.
   */
  process(pkt: Packet): number {
    this.stream = -1;
    this.wiresharkFlags = 0;
    if (pkt.status !== DecodeStatus.TCP) return 0;
    this.expire(pkt.tsUsec);
    const slots = this.slots;
    let slot = slots.find(pkt);
    if (slot < 0) slot = slots.create();
    slots.touch(slot);
    return this.processIn(pkt, slot, slots.dir);
  }

  /** Streams silent past the horizon are forgotten at capture time `now` (before its packet's slot is used). */
  expire(now: number): void {
    this.table.expire(now);
  }

  /**
   * Analyses a TCP packet whose slot was found and used (touched) by the slots' owner; `dir`: 0
   * when sent by the slot's A. Returns its tags as process() does.
   */
  processIn(pkt: Packet, slot: number, dir: number): number {
    const flags = pkt.flags;
    const synAck = flags & (SYN | ACK);
    const sec = pkt.tsSec;
    const now = pkt.tsUsec;

    const table = this.table;
    const slots = this.slots;
    const s = this.s;
    const fwd = this.fwd;
    const rev = this.rev;
    let sdir: number;
    if ((slots.holds(slot) & SL_STREAM) === 0) {
      // A 4-tuple without a remembered stream starts one, its sender as A.
      slots.setStream(slot, dir);
      slots.touch(slot);
      table.begin(slot, now, false);
      sdir = 0;
    } else {
      sdir = slots.streamDir(slot, dir);
      table.used(slot, now);
    }
    table.load(slot, sdir, s, fwd, rev);
    let ws = 0;

    // A SYN whose sequence number differs from the ISN this side already used starts a new
    // stream ("TCP Port numbers reused"), whatever the old stream's state. The same ISN again
    // is a retransmitted SYN: Wireshark rewinds nextseq to the highest contiguous sequence
    // number first (an earlier RST may have carried any SEQ, issue 17616).
    if (synAck === SYN && fwd.baseSeqSet) {
      if (pkt.seq !== fwd.baseSeq) {
        slots.setStream(slot, dir);
        table.begin(slot, now, true);
        table.load(slot, 0, s, fwd, rev);
        ws |= WsFlag.REUSED_PORTS;
      } else {
        fwd.nextseq = fwd.maxseqtobeacked;
      }
    }
    // A SYN+ACK with a new ISN on a known stream: same stream, new base, flagged as reuse.
    if (synAck === (SYN | ACK) && fwd.baseSeqSet && pkt.seq !== fwd.baseSeq) {
      fwd.baseSeq = pkt.seq;
      ws |= WsFlag.REUSED_PORTS;
    }

    ws = this.analyzeSequence(s, fwd, rev, pkt, sec, ws);

    // Handshake bookkeeping Wireshark does after the analysis of the same packet.
    if (flags & SYN) {
      if (!(flags & ACK)) {
        s.sawSyn(sec, pkt.tsNsec);
      }
      fwd.isFirstAck = true;
    }
    if (synAck === ACK) {
      if (s.synSeen && s.firstRttNs === 0) {
        s.firstRttNs = (sec - s.synSec) * 1e9 + (pkt.tsNsec - s.synNsec);
      }
      fwd.isFirstAck = false;
    }
    // The window-scale option is stored from any segment that carries it (shift capped at 14).
    if (pkt.wscale >= 0) fwd.winScale = Math.min(pkt.wscale, 14);
    if (flags & SYN) verifyWindowScaling((flags & ACK) !== 0, fwd, rev);

    fwd.save();
    rev.savePeer();
    this.stream = s.index;
    this.wiresharkFlags = ws;
    // When the capture cuts the TCP header short (snaplen inside the options), tshark's second
    // pass throws while dissecting the options and never prints the analysis: the state above
    // was updated all the same (first pass), but the packet shows no flags.
    if (pkt.tcpCaptured < pkt.headerLen) return 0;
    return toKinds(ws, flags);
  }

  /** tcp_analyze_sequence_number(): the flag rules in Wireshark's order, then the state updates. */
  private analyzeSequence(
    s: WsStream,
    fwd: WsFlow,
    rev: WsFlow,
    pkt: Packet,
    sec: number,
    initial: number,
  ): number {
    const seq = pkt.seq >>> 0;
    const ack = pkt.ack >>> 0;
    const seglen = pkt.payloadLen;
    const flags = pkt.flags;
    const window = pkt.window;
    let f = initial;

    // Base sequence numbers (relative numbering); the reverse one from the first ACK field.
    if (!fwd.baseSeqSet) {
      fwd.baseSeq = flags & SYN ? seq : seq - 1;
      fwd.baseSeqSet = true;
    }
    if (!rev.baseSeqSet && flags & ACK) {
      rev.baseSeq = ack - 1;
      rev.baseSeqSet = true;
    }

    f |= forwardFlags(fwd, rev, seq, ack, seglen, flags, window);

    // A new ACK value resets the duplicate-ACK count.
    if (ack !== fwd.lastack) fwd.dupacknum = 0;

    // ACKed unseen segment: acknowledges beyond what the peer was seen to send contiguously.
    // Flagged once per gap: the peer's 'max seq to be acked' jumps to its highest sequence number
    // seen, so later ACKs of the same unseen bytes are not flagged again and the peer's next
    // segments (seq == maxseqtobeacked) move it on as before (tshark 4.0; later releases gate
    // the flag on the peer's duplicate-ACK count instead).
    if (rev.maxseqtobeacked !== 0 && seqGt(ack, rev.maxseqtobeacked) && flags & ACK) {
      f |= WsFlag.ACK_LOST_PACKET;
      rev.maxseqtobeacked = rev.nextseq;
    }

    // Retransmission / fast retransmission / spurious retransmission / out-of-order.
    if ((seglen > 0 || flags & (SYN | FIN)) && !(f & WsFlag.KEEP_ALIVE)) {
      let seqNotAdvanced = fwd.nextseq !== 0 && seqLt(seq, fwd.nextseq);
      // More than one byte starting at nextseq-1 follows a zero-window probe: it adds new data.
      if (seglen > 1 && (fwd.nextseq - 1) >>> 0 === seq) seqNotAdvanced = false;
      if (seglen > 0 && rev.lastack !== 0 && seqLe((seq + seglen) >>> 0, rev.lastack)) {
        f |= WsFlag.SPURIOUS_RETRANSMISSION;
      } else if (seqNotAdvanced) {
        const fast = this.isFastRetransmission(rev, seq, pkt, sec);
        const ooo =
          !fast || !this.fastRetransmissionFirst ? this.isOutOfOrder(s, fwd, seq, seglen, pkt, sec) : false;
        if (this.fastRetransmissionFirst ? fast : fast && !ooo) f |= WsFlag.FAST_RETRANSMISSION;
        else if (ooo) f |= WsFlag.OUT_OF_ORDER;
        else f |= WsFlag.RETRANSMISSION;
      }
    }

    // State updates (finished_checking_retransmission_type).
    let nextseq = (seq + seglen) >>> 0;
    if ((seglen > 0 || flags & (SYN | FIN)) && fwd.unackedCount < MAX_UNACKED_SEGMENTS) {
      // SYN and FIN count one sequence number, but only when the segment is remembered.
      if (flags & (SYN | FIN)) nextseq = (nextseq + 1) >>> 0;
      // As int32 (the same 32 bits): an unsigned one above 2^31 would be boxed for the call.
      fwd.addUnacked(nextseq | 0);
    }
    const isProbe = (f & WsFlag.ZERO_WINDOW_PROBE) !== 0;
    if ((seqGt(nextseq, fwd.nextseq) || fwd.nextseq === 0) && !isProbe) {
      fwd.nextseq = nextseq;
      fwd.setNextseqTime(sec, pkt.tsNsec);
    }
    if ((seq === fwd.maxseqtobeacked || fwd.maxseqtobeacked === 0) && !isProbe) {
      fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = window;
    fwd.lastack = ack;
    fwd.setLastackTime(sec, pkt.tsNsec);
    fwd.lastSegmentFlags = f;
    // Every segment's ACK field (even without the ACK flag) retires the peer's covered segments.
    rev.removeAcked(ack | 0);
    return f;
  }

  /** ≥ 2 duplicate ACKs from the peer for exactly this sequence number, within 20 ms. */
  private isFastRetransmission(rev: WsFlow, seq: number, pkt: Packet, sec: number): boolean {
    if (rev.dupacknum >>> 0 < 2 || rev.lastack !== seq) return false;
    return (
      elapsedNsUnsigned(sec, pkt.tsNsec, rev.lastackSec, rev.lastackNsec) < FAST_RETRANSMISSION_WINDOW_NS
    );
  }

  /**
   * Sent soon after the segment that set nextseq (within the handshake RTT, or 3 ms when unknown)
   * and not ending exactly at nextseq.
   */
  private isOutOfOrder(
    s: WsStream,
    fwd: WsFlow,
    seq: number,
    seglen: number,
    pkt: Packet,
    sec: number,
  ): boolean {
    const t = elapsedNsUnsigned(sec, pkt.tsNsec, fwd.nextseqSec, fwd.nextseqNsec);
    const rtt = s.firstRttNs;
    const threshold = rtt === 0 ? this.defaultOooThresholdNs : rtt < 0 ? rtt + TWO_POW_64 : rtt;
    const end = (seq + seglen + (pkt.flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    return t < threshold && fwd.nextseq !== end;
  }
}

/**
 * The checks on the segment as sent (Wireshark's rules up to `finished_fwd`), in order: zero
 * window probe, zero window, lost segment, keep-alive, window update, window full, keep-alive
 * ACK, zero window probe ACK, duplicate ACK. Updates the duplicate-ACK counter.
 */
function forwardFlags(
  fwd: WsFlow,
  rev: WsFlow,
  seq: number,
  ack: number,
  seglen: number,
  flags: number,
  window: number,
): number {
  let f = 0;
  const sameSeqAck = seglen === 0 && seq === fwd.nextseq && ack === fwd.lastack && !(flags & SYN_FIN_RST);
  // Zero window probe: 1 byte at the next expected sequence number into a zero window.
  if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) return WsFlag.ZERO_WINDOW_PROBE;
  // Zero window: window 0 on a segment without SYN/FIN/RST.
  if (window === 0 && !(flags & SYN_FIN_RST)) f |= WsFlag.ZERO_WINDOW;
  // Previous segment not captured: beyond the highest nextseq seen (RSTs excepted).
  if (fwd.nextseq !== 0 && seqGt(seq, fwd.nextseq) && !(flags & RST)) f |= WsFlag.LOST_PACKET;
  // Keep-alive: 0 or 1 byte starting one byte before nextseq.
  if ((seglen === 0 || seglen === 1) && seq === (fwd.nextseq - 1) >>> 0 && !(flags & SYN_FIN_RST)) {
    f |= WsFlag.KEEP_ALIVE;
  }
  // Window update: nothing new but the window.
  if (sameSeqAck && window !== 0 && window !== fwd.window) f |= WsFlag.WINDOW_UPDATE;
  // Window full: data reaching exactly the right edge of the peer's advertised window.
  if (seglen > 0 && rev.winScale !== WSCALE_UNKNOWN && !(flags & SYN_FIN_RST)) {
    const shift = rev.isFirstAck || rev.winScale === WSCALE_NONE ? 0 : rev.winScale;
    const edge = (rev.lastack + ((rev.window << shift) >>> 0)) >>> 0;
    if ((seq + seglen) >>> 0 === edge) f |= WsFlag.WINDOW_FULL;
  }
  // Keep-alive ACK: repeats the previous ACK right after the peer's keep-alive.
  if (sameSeqAck && window !== 0 && window === fwd.window && rev.lastSegmentFlags & WsFlag.KEEP_ALIVE) {
    return f | WsFlag.KEEP_ALIVE_ACK;
  }
  // Zero window probe ACK: repeats a zero-window ACK right after the peer's probe.
  if (sameSeqAck && window === 0 && fwd.window === 0 && rev.lastSegmentFlags & WsFlag.ZERO_WINDOW_PROBE) {
    return f | WsFlag.ZERO_WINDOW_PROBE_ACK;
  }
  // Duplicate ACK: same seq/ack/window, no payload.
  if (sameSeqAck && window !== 0 && window === fwd.window) {
    // Unsigned increment as Wireshark's guint32, its 0xffffffff ("-1") held as -1.
    const n = fwd.dupacknum === -1 ? 1 : (fwd.dupacknum + 1) >>> 0;
    fwd.dupacknum = n === 0xffffffff ? -1 : n;
    f |= WsFlag.DUPLICATE_ACK;
  }
  return f;
}

/** verify_tcp_window_scaling(): after a SYN or SYN+ACK, decide whether scaling is in use. */
function verifyWindowScaling(isSynAck: boolean, fwd: WsFlow, rev: WsFlow): void {
  if (fwd.winScale === WSCALE_UNKNOWN) {
    fwd.winScale = WSCALE_NONE;
    rev.winScale = WSCALE_NONE;
  } else if (isSynAck && rev.winScale === WSCALE_NONE) {
    fwd.winScale = WSCALE_NONE;
  }
}

/** Wireshark flags → our kinds; a retransmission becomes exactly one of its special kinds. */
function toKinds(ws: number, tcpFlags: number): number {
  if (ws === 0) return 0;
  let k = 0;
  if (ws & WsFlag.FAST_RETRANSMISSION) k |= K['fast-retransmission'];
  else if (ws & WsFlag.SPURIOUS_RETRANSMISSION) k |= K['spurious-retransmission'];
  else if (ws & WsFlag.RETRANSMISSION) {
    if (tcpFlags & SYN) k |= tcpFlags & ACK ? K['synack-retransmission'] : K['syn-retransmission'];
    else k |= K.retransmission;
  }
  if (ws & WsFlag.OUT_OF_ORDER) k |= K['out-of-order'];
  if (ws & WsFlag.LOST_PACKET) k |= K['previous-segment-not-captured'];
  if (ws & WsFlag.ACK_LOST_PACKET) k |= K['acked-unseen-segment'];
  if (ws & WsFlag.DUPLICATE_ACK) k |= K['dup-ack'];
  if (ws & WsFlag.ZERO_WINDOW) k |= K['zero-window'];
  if (ws & WsFlag.ZERO_WINDOW_PROBE) k |= K['zero-window-probe'];
  if (ws & WsFlag.ZERO_WINDOW_PROBE_ACK) k |= K['zero-window-probe-ack'];
  if (ws & WsFlag.KEEP_ALIVE) k |= K['keep-alive'];
  if (ws & WsFlag.KEEP_ALIVE_ACK) k |= K['keep-alive-ack'];
  if (ws & WsFlag.WINDOW_UPDATE) k |= K['window-update'];
  if (ws & WsFlag.WINDOW_FULL) k |= K['window-full'];
  if (ws & WsFlag.REUSED_PORTS) k |= K['port-reuse'];
  return k;
}
