// One Zeek connection's worth of TCP analysis: what Zeek's TCP analyzer (TCPSessionAdapter and
// TCP_Endpoint) would record for the segments it is given, so that conn_state, history, the
// sequence-space byte counts and the ConnSize counters equal Zeek's conn.log row.
// Restated in our own code from Zeek's TCP analyzer and scripts/base/protocols/conn/main.zeek
// (conn_state()); PRODUCT.md "The connection record" and "`synack conns --zeek`".
//
// A is the sender of the connection's first segment; `origIsA` tells whether Zeek made A the
// originator (orientation rules in orientation.ts). The Packet is only read, never kept, and
// nothing is allocated per packet (history letters are packed into small integers).
//
// Zeek's timers (attempt, expire, close/delete, reset, partial close, inactivity) are kept, when
// asked for, as deadlines in microseconds after the first packet; ZeekConnLog (zeek-log.ts) fires
// them as capture time advances.

import { ACK, FIN, ipv4LengthField, type Packet, RST, SYN } from '../wire/packet.js';
import { DEFAULT_LIKELY_SERVER_PORTS, type PortSet } from './likely-server-ports.js';
import { flipAtFirstSegment, flipsAfterSynAckStart, isSynAck } from './orientation.js';
import { asInt } from './small-int.js';
import { laterThan } from './time-step.js';
import { ZeekEndpointState as S, seqDelta, ZeekEndpoint } from './zeek-endpoint.js';

/** Zeek's default TCP timer settings (init-bare.zeek), in microseconds. */
export const ZEEK_TIMERS = {
  tcpSynTimeout: 5_000_000,
  tcpSessionTimer: 6_000_000,
  tcpConnectionLinger: 5_000_000,
  tcpAttemptDelay: 5_000_000,
  tcpCloseDelay: 5_000_000,
  tcpResetDelay: 5_000_000,
  tcpPartialCloseDelay: 3_000_000,
  tcpInactivityTimeout: 300_000_000,
  /** Zeek starts a TCP session on the UDP inactivity timeout until the handshake is over. */
  udpInactivityTimeout: 60_000_000,
} as const;

export interface ZeekSummaryOptions {
  /** likely_server_ports used for the first-segment flip (default: a default Zeek run's). */
  ports?: PortSet;
  /** Zeek's report_gaps_for_partial (default false). */
  reportGapsForPartial?: boolean;
  /** Whether Zeek has a connection_partial_close handler (its partial-close timer). Default false. */
  partialCloseTimer?: boolean;
  /** Whether Zeek has a connection_reset handler (its reset timer after FIN then RST). Default true. */
  resetTimer?: boolean;
  /**
   * Keep Zeek's analyzer timers for nextDeadline()/fireTimers() (ZeekConnLog's table needs them).
   * Default false: a summary that only reports conn_state, history and counts does without them,
   * and its fireTimers() then knows only the inactivity timeout.
   */
  timers?: boolean;
}

/** Resolved options, made once and shared by every summary built with them. */
export class ZeekConfig {
  readonly ports: PortSet;
  readonly reportGapsForPartial: boolean;
  readonly partialCloseTimer: boolean;
  readonly resetTimer: boolean;
  readonly timers: boolean;

  constructor(options: ZeekSummaryOptions = {}) {
    this.ports = options.ports ?? DEFAULT_LIKELY_SERVER_PORTS;
    this.reportGapsForPartial = options.reportGapsForPartial ?? false;
    this.partialCloseTimer = options.partialCloseTimer ?? false;
    this.resetTimer = options.resetTimer ?? true;
    this.timers = options.timers ?? false;
  }
}

const DEFAULT_CONFIG = new ZeekConfig();

/**
 * A silent endpoint (nothing sent, nothing acknowledged): what B reads as until its endpoint is
 * made. Shared by every summary, so never written to (ZeekSummary.add() makes B's first).
 */
const SILENT = new ZeekEndpoint();

const TWO_30 = 1073741824;

// Connection-level history bits (Zeek's HIST_* masks), kept per side in ZeekSummary.bits.
const HIST_SYN = 0x1;
const HIST_FIN = 0x2;
const HIST_RST = 0x4;
const HIST_FIN_RST = 0x8;
const HIST_DATA = 0x10;
const HIST_ACK = 0x20;
const HIST_MULTI_FLAG = 0x40;

// ZeekSummary.bits: flags, then the originator's and the responder's HIST_* bits.
const A_IS_ORIG = 0x1;
const STARTED = 0x2;
/** First segment was a SYN+ACK that did not flip: an ACK or data next flips (Zeek PR #2191). */
const SYNACK_START = 0x4;
const PARTIAL = 0x8;
/** CheckPIA_FirstPacket: the originator / responder has sent a segment. */
const ORIG_SEEN = 0x10;
const RESP_SEEN = 0x20;
const ACTIVE = 0x40;
/** The handshake is over: the TCP inactivity timeout replaces the UDP one. */
const TCP_INACTIVITY = 0x80;
const SEEN_ORIG_SHIFT = 8;
const SEEN_RESP_SHIFT = 16;
const SEEN_MASK = 0x7f;

// What updateStateMachine() asks of connectionClosed().
const CLOSE = 1;
const GEN_EVENT = 2;

// ZeekTimers.pending bits.
const T_ATTEMPT = 0x1;
const T_EXPIRE = 0x2;
const T_DELETE = 0x4;
const T_RESET = 0x8;
const T_PARTIAL_CLOSE = 0x10;

/** Zeek's analyzer timers: deadlines in µs after the connection's first packet, when pending. */
class ZeekTimers {
  pending = 0;
  attempt = 0;
  expire = 0;
  delete = 0;
  reset = 0;
  partialClose = 0;

  clear(): void {
    this.pending = 0;
    this.attempt = 0;
    this.expire = 0;
    this.delete = 0;
    this.reset = 0;
    this.partialClose = 0;
  }
}

function isHandshake(s: S): boolean {
  return s === S.INACTIVE || s === S.SYN_SENT || s === S.SYN_ACK_SENT;
}

/** Swaps the originator's and the responder's halves of a pair of bits at `lo` and `hi`. */
function swapBits(bits: number, lo: number, hi: number): number {
  const x = bits & (lo | hi);
  return (bits & ~(lo | hi)) | ((x & lo) !== 0 ? hi : 0) | ((x & hi) !== 0 ? lo : 0);
}

export class ZeekSummary {
  // Memory: one is kept per open connection, so every field holds a small integer or a pointer
  // for V8 (no boxed doubles): flags in `bits`, letters packed, times relative to the start.
  private readonly a = new ZeekEndpoint();
  /**
   * B's endpoint, made by the first segment that can change it (see add()); until then B reads as
   * SILENT. A SYN nobody answers (a flood's every connection) never makes one.
   */
  private bMade: ZeekEndpoint | null = null;
  private readonly cfg: ZeekConfig;
  private bits = A_IS_ORIG | ACTIVE;
  // The history letters, five to a small integer (6 bits each: the letter's code & 0x3f, which
  // keeps A–Z, a–z and ^ apart and is never 0, so an empty slot ends the history), the rest
  // (rare) in an array.
  private hist0 = 0;
  private hist1 = 0;
  private histMore: number[] | null = null;
  // The first packet's time (µs since the epoch) as two small integers, and Zeek's last_time as
  // µs after it.
  private startHi = 0;
  private startLo = 0;
  private lastRel = 0;
  private readonly timers: ZeekTimers | null;

  constructor(options: ZeekSummaryOptions | ZeekConfig = DEFAULT_CONFIG) {
    this.cfg = options instanceof ZeekConfig ? options : new ZeekConfig(options);
    this.timers = this.cfg.timers ? new ZeekTimers() : null;
  }

  /** Back to a new summary's state (a recycled connection), same options: every field above. */
  reset(): void {
    this.a.reset();
    // Dropped: a new summary has none (a recycled connection is often a flood's next SYN).
    this.bMade = null;
    this.bits = A_IS_ORIG | ACTIVE;
    this.hist0 = 0;
    this.hist1 = 0;
    this.histMore = null;
    this.startHi = 0;
    this.startLo = 0;
    this.lastRel = 0;
    this.timers?.clear();
  }

  // ------------------------------------------------------------------ results

  /** Whether A (the sender of the first segment) is Zeek's originator. */
  get origIsA(): boolean {
    return (this.bits & A_IS_ORIG) !== 0;
  }

  /** B's endpoint to read (SILENT until made); add() makes it before anything writes to it. */
  private get b(): ZeekEndpoint {
    return this.bMade ?? SILENT;
  }

  private get orig(): ZeekEndpoint {
    return (this.bits & A_IS_ORIG) !== 0 ? this.a : this.b;
  }

  private get resp(): ZeekEndpoint {
    return (this.bits & A_IS_ORIG) !== 0 ? this.b : this.a;
  }

  private isOrig(ep: ZeekEndpoint): boolean {
    return (ep === this.a) === ((this.bits & A_IS_ORIG) !== 0);
  }

  private get isPartial(): boolean {
    return (this.bits & PARTIAL) !== 0;
  }

  private set isPartial(v: boolean) {
    this.bits = v ? this.bits | PARTIAL : this.bits & ~PARTIAL;
  }

  history(): string {
    let s = '';
    const n = this.histLength();
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.histAt(i));
    return s;
  }

  get origState(): S {
    return this.orig.state;
  }

  get respState(): S {
    return this.resp.state;
  }

  /** conn_state() of Zeek's scripts/base/protocols/conn/main.zeek, for TCP. */
  connState(): string {
    const os = this.orig.state;
    const rs = this.resp.state;
    const oInactive = os === S.INACTIVE || os === S.PARTIAL;
    const rInactive = rs === S.INACTIVE || rs === S.PARTIAL;
    if (rs === S.RESET) {
      if (
        os === S.SYN_SENT ||
        os === S.SYN_ACK_SENT ||
        (os === S.RESET && this.origBytes === 0n && this.respBytes === 0n)
      )
        return 'REJ';
      return oInactive ? 'RSTRH' : 'RSTR';
    }
    if (os === S.RESET) {
      if (rInactive) return this.synThenRstHistory() ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (rs === S.CLOSED && os === S.CLOSED) return 'SF';
    if (os === S.CLOSED) return rInactive ? 'SH' : 'S2';
    if (rs === S.CLOSED) return oInactive ? 'SHR' : 'S3';
    if (os === S.SYN_SENT && rs === S.INACTIVE) return 'S0';
    if (os === S.ESTABLISHED && rs === S.ESTABLISHED) return 'S1';
    return 'OTH';
  }

  /** Zeek's /^?S[^HAFGIQ]*R.*​/: an originator SYN, then a RST before any H, A, F, G, I or Q from it. */
  private synThenRstHistory(): boolean {
    const n = this.histLength();
    let i = 0;
    if (i < n && this.histAt(i) === 0x5e /* ^ */) i++;
    if (i >= n || this.histAt(i) !== 0x53 /* S */) return false;
    for (i++; i < n; i++) {
      const c = this.histAt(i);
      if (c === 0x52 /* R */) return true;
      if (c === 0x48 || c === 0x41 || c === 0x46 || c === 0x47 || c === 0x49 || c === 0x51) return false;
    }
    return false;
  }

  get origBytes(): bigint {
    return this.orig.size(this.resp);
  }

  get respBytes(): bigint {
    return this.resp.size(this.orig);
  }

  /** origBytes as a number (Number(origBytes) without the BigInt). */
  get origSize(): number {
    return this.orig.sizeNumber(this.resp);
  }

  get respSize(): number {
    return this.resp.sizeNumber(this.orig);
  }

  get missedBytes(): number {
    return this.a.missed + this.b.missed;
  }

  get origPkts(): number {
    return this.orig.pkts;
  }

  get origIpBytes(): number {
    return this.orig.ipBytes;
  }

  get respPkts(): number {
    return this.resp.pkts;
  }

  get respIpBytes(): number {
    return this.resp.ipBytes;
  }

  /** Capture time (µs since the epoch) of the first packet (0 before any). */
  get startUsec(): number {
    return this.startHi * TWO_30 + this.startLo;
  }

  /** Zeek's last_time (µs since the epoch). */
  get lastUsec(): number {
    return this.startUsec + this.lastRel;
  }

  /** Zeek's duration (µs): up to the last packet before both sides had closed. */
  get durationUsec(): number {
    return this.lastRel;
  }

  /** Zeek's inactivity timeout in force (µs). */
  get inactivityTimeout(): number {
    return (this.bits & TCP_INACTIVITY) !== 0
      ? ZEEK_TIMERS.tcpInactivityTimeout
      : ZEEK_TIMERS.udpInactivityTimeout;
  }

  /** Both endpoints have closed (FIN or RST processed). */
  get bothClosed(): boolean {
    return this.a.didClose && this.b.didClose;
  }

  // ------------------------------------------------------------------ history

  /** The number of history letters. */
  private histLength(): number {
    if (this.histMore !== null) return 10 + this.histMore.length;
    let n = 0;
    for (let w = this.hist0; n < 5 && (w & 0x3f) !== 0; w >>>= 6) n++;
    if (n < 5) return n;
    for (let w = this.hist1; n < 10 && (w & 0x3f) !== 0; w >>>= 6) n++;
    return n;
  }

  /** The character code of history letter i (< histLength()). */
  private histAt(i: number): number {
    if (i >= 10) return this.histMore![i - 10]!;
    const w = i < 5 ? this.hist0 : this.hist1;
    return ((w >>> (6 * (i % 5))) & 0x3f) | 0x40;
  }

  /** Appends the character code `code` (a letter or ^). */
  private addHistory(code: number): void {
    const i = this.histLength();
    if (i >= 10) {
      if (this.histMore === null) this.histMore = [];
      this.histMore.push(code);
    } else if (i < 5) this.hist0 |= (code & 0x3f) << (6 * i);
    else this.hist1 |= (code & 0x3f) << (6 * (i - 5));
  }

  private letter(ep: ZeekEndpoint, upper: number): number {
    return this.isOrig(ep) ? upper : upper | 0x20;
  }

  /** Adds the letter the first time; returns whether it had been seen before. */
  private checkHistory(ep: ZeekEndpoint, mask: number, upper: number): boolean {
    const m = mask << (this.isOrig(ep) ? SEEN_ORIG_SHIFT : SEEN_RESP_SHIFT);
    if ((this.bits & m) === 0) {
      this.bits |= m;
      this.addHistory(this.letter(ep, upper));
      return false;
    }
    return true;
  }

  /** Connection::FlipRoles: orig and resp swap and '^' is recorded. */
  private flipRoles(): void {
    this.bits = swapBits(this.bits ^ A_IS_ORIG, ORIG_SEEN, RESP_SEEN) & ~PARTIAL;
    this.addHistory(0x5e /* ^ */);
  }

  /**
   * The late flip of a connection that began at a SYN+ACK: the letters so far were the SYN+ACK's,
   * recorded for the side now known to be the responder, so they are rewritten as if the roles had
   * been right from the start (Zeek logs `^h…`).
   */
  private flipAfterSynAck(): void {
    // Letters swap case, and ^ goes in front (a rare path: a small array is fine here).
    const letters: number[] = [0x5e];
    const n = this.histLength();
    for (let i = 0; i < n; i++) {
      const c = this.histAt(i);
      letters.push((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? c ^ 0x20 : c);
    }
    this.hist0 = 0;
    this.hist1 = 0;
    this.histMore = null;
    for (const c of letters) this.addHistory(c);
    const seenOrig = (this.bits >> SEEN_ORIG_SHIFT) & SEEN_MASK;
    const seenResp = (this.bits >> SEEN_RESP_SHIFT) & SEEN_MASK;
    let bits = this.bits & ~((SEEN_MASK << SEEN_ORIG_SHIFT) | (SEEN_MASK << SEEN_RESP_SHIFT));
    bits |= (seenResp << SEEN_ORIG_SHIFT) | (seenOrig << SEEN_RESP_SHIFT);
    this.bits = swapBits(bits ^ A_IS_ORIG, ORIG_SEEN, RESP_SEEN) & ~PARTIAL;
    // The SYN+ACK's sender is the responder that answered a SYN we missed: established, as it
    // would have been had the first segment been flipped at once.
    const responder = this.resp;
    if (responder.state === S.SYN_ACK_SENT) this.setState(responder, S.ESTABLISHED);
  }

  private setState(ep: ZeekEndpoint, next: S): void {
    if (next === ep.state) return;
    const peer = ep === this.a ? this.b : this.a;
    // Leaving the handshake: the TCP inactivity timeout takes over.
    if (!isHandshake(next) && isHandshake(ep.state) && isHandshake(peer.state)) this.bits |= TCP_INACTIVITY;
    ep.enter(next);
  }

  // ------------------------------------------------------------------ reuse

  /**
   * Connection::IsReuse for a segment arriving on this connection's 4-tuple: a SYN (or, for a
   * half-seen connection, a SYN+ACK) that starts a new connection in Zeek's eyes.
   */
  isReuse(pkt: Packet, fromA: boolean): boolean {
    const flags = pkt.flags;
    if ((flags & SYN) === 0) return false;
    let connOrig = this.orig;
    if ((flags & ACK) !== 0) {
      if (this.orig.state !== S.INACTIVE) return false;
      connOrig = this.resp;
    }
    void fromA;
    if (!(this.a.didClose || this.b.didClose)) {
      const base = pkt.seq >>> 0;
      if (base === connOrig.startSeq) return false;
      if (
        (flags & ACK) === 0 &&
        connOrig.state === S.SYN_ACK_SENT &&
        this.resp.state === S.INACTIVE &&
        base === this.resp.startSeq
      )
        return false;
    }
    return true;
  }

  // ------------------------------------------------------------------ packets

  /** Feed one TCP segment; `fromA` is true when it comes from the first segment's sender. */
  add(pkt: Packet, fromA: boolean): void {
    const t = pkt.tsUsec;
    const flags = pkt.flags;
    if ((this.bits & STARTED) === 0) {
      this.bits |= STARTED;
      this.startHi = asInt(Math.floor(t / TWO_30));
      this.startLo = asInt(t - this.startHi * TWO_30);
      this.lastRel = 0;
      if (this.timers !== null) {
        this.timers.expire = ZEEK_TIMERS.tcpSynTimeout;
        this.timers.pending |= T_EXPIRE;
      }
      if (flipAtFirstSegment(flags, pkt.srcPort, pkt.dstPort, this.cfg.ports)) this.flipRoles();
      else if (isSynAck(flags)) this.bits |= SYNACK_START;
    }
    // Only B's own segments and A's segments carrying ACK, FIN or RST write to B's endpoint (its
    // sequence numbers from the ACK field, its state on a reset or close); a bare SYN, or any
    // segment from A without those flags, only reads it.
    if (this.bMade === null && (!fromA || (flags & (ACK | FIN | RST)) !== 0)) this.bMade = new ZeekEndpoint();
    const ep = fromA ? this.a : this.b;
    if (pkt.checksumStatus === 'bad') {
      if (ep.checksumError()) this.addHistory(this.letter(ep, 0x43 /* C */));
      return;
    }
    if ((this.bits & SYNACK_START) !== 0 && !(fromA && isSynAck(flags))) {
      this.bits &= ~SYNACK_START;
      // Only right after the SYN+ACK: anything recorded since (a bad checksum's `c`) ends the chance.
      if (this.histLength() === 1 && flipsAfterSynAckStart(flags, pkt.payloadLen)) this.flipAfterSynAck();
    }
    this.process(pkt, fromA, asInt(t - this.startUsec));
    // ConnSize: every segment that passed the checksum.
    ep.pkts++;
    ep.ipBytes += zeekIpTotalLen(pkt);
  }

  /** One segment through Zeek's TCP analyzer; `t` is its time in µs after the first packet. */
  private process(pkt: Packet, fromA: boolean, t: number): void {
    const ep = fromA ? this.a : this.b;
    const peer = fromA ? this.b : this.a;
    const isOrig = fromA === ((this.bits & A_IS_ORIG) !== 0);
    const flags = pkt.flags;
    const syn = (flags & SYN) !== 0;
    const fin = (flags & FIN) !== 0;
    const rst = (flags & RST) !== 0;
    const ack = (flags & ACK) !== 0;
    const baseSeq = pkt.seq >>> 0;
    const ackSeq = pkt.ack >>> 0;
    const len = pkt.payloadLen;

    // SetPartialStatus
    if (isOrig) {
      if ((this.bits & ORIG_SEEN) === 0) this.isPartial = !syn || ack;
    } else if ((this.bits & (RESP_SEEN | PARTIAL)) === 0) this.isPartial = !syn;

    let segLen = len;
    if (syn) segLen++;
    if (fin) segLen++;
    if (rst) segLen -= len;
    const seqOnePast = (baseSeq + segLen) >>> 0;

    // Only a SYN, or a first segment, sets an endpoint's sequence numbers.
    if (syn || ep.state === S.INACTIVE) this.initEndpoint(ep, syn, baseSeq, seqOnePast);

    // Negative exactly when Zeek's get_relative_seq() reports an underflow.
    const relSeq = ep.relativeSeq(baseSeq);

    if ((flags & (SYN | FIN | RST)) === 0) {
      // The common case: the side's D or A letter, recorded once.
      const mask = len > 0 ? HIST_DATA : ack ? HIST_ACK : 0;
      const seen = mask << (isOrig ? SEEN_ORIG_SHIFT : SEEN_RESP_SHIFT);
      if ((this.bits & seen) === 0 && mask !== 0) {
        this.bits |= seen;
        const upper = len > 0 ? 0x44 /* D */ : 0x41; /* A */
        this.addHistory(isOrig ? upper : upper | 0x20);
      }
    } else this.updateHistory(ep, flags, relSeq, len);

    // update_window(): a zero window is noted unless it rides a RST, follows the peer's FIN, or
    // comes from an endpoint that has reset.
    if (pkt.window === 0 && !rst && peer.state !== S.CLOSED && ep.state !== S.RESET && ep.zeroWindow())
      this.addHistory(this.letter(ep, 0x57 /* W */));

    if (!ep.didClose || !peer.didClose) this.lastRel = t;

    if (fin) ep.sawFin(relSeq + segLen);

    let relAck = 0;
    if (ack) {
      if (peer.state === S.INACTIVE) {
        relAck = 1;
        // init_peer: number the silent peer's data as though its SYN had been seen.
        peer.initSeqs((ackSeq - 1) >>> 0, (ackSeq - 1) >>> 0);
      } else {
        relAck = peer.relativeAckOf(ackSeq);
        if (relAck < 0) relAck = 0;
        else if (!rst) {
          const deltaAck = seqDelta(ackSeq, peer.ackSeq);
          if (!(ackSeq === 0 && deltaAck > 1048576) && deltaAck > 0) peer.updateAckSeq(ackSeq);
        }
      }
    }

    this.updateLastSeq(ep, seqOnePast, syn, fin, rst, len);

    // Without SYN, FIN or RST only a first segment moves the state machine.
    const close =
      (flags & (SYN | FIN | RST)) === 0 && ep.state !== S.INACTIVE
        ? 0
        : this.updateStateMachine(t, ep, peer, baseSeq, len, isOrig, syn, fin, rst, ack);

    // An ACK at or below the peer's trimmed point changes nothing there.
    if (ack && !peer.isTrimmed(relAck)) this.ackReceived(peer, relAck);

    // CheckPIA_FirstPacket
    this.bits |= isOrig ? ORIG_SEEN : RESP_SEEN;

    const relDataSeq = syn ? relSeq + 1 : relSeq;
    const captured = pkt.tcpCaptured - pkt.headerLen;
    if (len > 0 && captured >= len && !rst && relSeq >= 0) this.dataSent(ep, relDataSeq, len);

    if (close !== 0) this.connectionClosed(ep, peer, (close & GEN_EVENT) !== 0);
  }

  private initEndpoint(ep: ZeekEndpoint, syn: boolean, firstSeq: number, lastSeq: number): void {
    switch (ep.state) {
      case S.INACTIVE:
        if (syn) ep.initSeqs(firstSeq, lastSeq);
        else ep.initSeqs((firstSeq - 1) >>> 0, firstSeq);
        break;
      case S.SYN_SENT:
      case S.SYN_ACK_SENT:
        if (syn && firstSeq !== ep.startSeq) ep.initSeqs(firstSeq, lastSeq);
        break;
      case S.ESTABLISHED:
      case S.PARTIAL:
        if (syn) ep.initSeqs(firstSeq, lastSeq);
        break;
      case S.RESET:
        if (syn && ep.prevState === S.INACTIVE) ep.initSeqs(firstSeq, lastSeq);
        break;
      default:
        break;
    }
  }

  private updateHistory(ep: ZeekEndpoint, flags: number, relSeq: number, len: number): void {
    const syn = (flags & SYN) !== 0;
    const fin = (flags & FIN) !== 0;
    const rst = (flags & RST) !== 0;
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) this.checkHistory(ep, HIST_FIN_RST, 0x49 /* I */);
      else this.checkHistory(ep, HIST_MULTI_FLAG, 0x51 /* Q */);
    } else if (bits === 1) {
      if (syn) {
        const code = (flags & ACK) !== 0 ? 0x48 /* H */ : 0x53; /* S */
        if (this.checkHistory(ep, HIST_SYN, code) && relSeq !== ep.histLastSyn)
          this.addHistory(this.letter(ep, code));
        ep.histLastSyn = relSeq;
      }
      if (fin) {
        // A FIN's sequence number is at the end of its data.
        if (this.checkHistory(ep, HIST_FIN, 0x46 /* F */) && relSeq + len !== ep.histLastFin)
          this.addHistory(this.letter(ep, 0x46));
        ep.histLastFin = relSeq + len;
      }
      if (rst) {
        if (this.checkHistory(ep, HIST_RST, 0x52 /* R */) && relSeq !== ep.histLastRst)
          this.addHistory(this.letter(ep, 0x52));
        ep.histLastRst = relSeq;
      }
    } else if (len > 0) this.checkHistory(ep, HIST_DATA, 0x44 /* D */);
    else if ((flags & ACK) !== 0) this.checkHistory(ep, HIST_ACK, 0x41 /* A */);
  }

  private updateLastSeq(
    ep: ZeekEndpoint,
    lastSeq: number,
    syn: boolean,
    fin: boolean,
    rst: boolean,
    len: number,
  ): void {
    const deltaLast = seqDelta(lastSeq, ep.lastSeq);
    if ((syn || rst) && (deltaLast > 1048576 || deltaLast < -1048576)) {
      // An outlandish SYN or RST sequence number is not trusted.
    } else if (fin && ep.lastSeq === (ep.startSeq + 1) >>> 0) ep.updateLastSeq(lastSeq);
    else if (ep.state === S.RESET) {
      // Nothing after a reset is trusted.
    } else if (deltaLast > 0) ep.updateLastSeq(lastSeq);
    else if (len > 0 && ep.retransmitted()) this.addHistory(this.letter(ep, 0x54 /* T */));
  }

  /** Returns what connectionClosed() must do: CLOSE, with GEN_EVENT when Zeek generates one. */
  private updateStateMachine(
    t: number,
    ep: ZeekEndpoint,
    peer: ZeekEndpoint,
    baseSeq: number,
    len: number,
    isOrig: boolean,
    syn: boolean,
    fin: boolean,
    rst: boolean,
    ack: boolean,
  ): number {
    let close = 0;
    switch (ep.state) {
      case S.INACTIVE:
        close = this.inactiveState(t, ep, peer, baseSeq, len, isOrig, syn, fin, rst, ack);
        break;
      case S.SYN_SENT:
      case S.SYN_ACK_SENT:
        if (fin) {
          this.setState(ep, S.CLOSED);
          close = CLOSE | GEN_EVENT;
        }
        if (rst) {
          this.setState(ep, S.RESET);
          this.bits &= ~ACTIVE;
          close |= CLOSE;
        }
        break;
      case S.ESTABLISHED:
      case S.PARTIAL:
        if (syn && ep.state === S.PARTIAL && peer.state === S.INACTIVE && !ack) this.setState(ep, S.SYN_SENT);
        if (fin && !rst) {
          this.setState(ep, S.CLOSED);
          // A FIN after the peer's FIN-then-RST: that was a normal termination after all.
          if (peer.state === S.RESET && peer.prevState === S.CLOSED) this.setState(peer, S.CLOSED);
          close = CLOSE | GEN_EVENT;
        }
        if (rst) {
          const peerWasEstablishedReset = peer.state === S.RESET && peer.prevState === S.ESTABLISHED;
          this.setState(ep, S.RESET);
          close |= CLOSE;
          if (!peerWasEstablishedReset) this.bits &= ~ACTIVE;
        }
        break;
      case S.CLOSED:
        // A RST after our FIN, unless the peer has closed too (the FIN exchange already ended it).
        if (rst && peer.state !== S.CLOSED) {
          this.setState(ep, S.RESET);
          if (!ep.didClose) close = CLOSE;
          if (this.cfg.resetTimer && this.timers !== null) {
            this.timers.reset = t + ZEEK_TIMERS.tcpResetDelay;
            this.timers.pending |= T_RESET;
          }
        }
        break;
      default:
        break;
    }
    return close;
  }

  private inactiveState(
    t: number,
    ep: ZeekEndpoint,
    peer: ZeekEndpoint,
    baseSeq: number,
    len: number,
    isOrig: boolean,
    syn: boolean,
    fin: boolean,
    rst: boolean,
    ack: boolean,
  ): number {
    let close = 0;
    if (syn) {
      if (isOrig) {
        this.setState(ep, ack ? S.SYN_ACK_SENT : S.SYN_SENT);
        if (this.timers !== null) {
          this.timers.attempt = t + ZEEK_TIMERS.tcpAttemptDelay;
          this.timers.pending |= T_ATTEMPT;
        }
      } else {
        if (!ack && peer.state === S.SYN_ACK_SENT && baseSeq === ep.startSeq) {
          // The SYN+ACK was captured before the SYN it answers: flip and establish.
          this.flipRoles();
          this.setState(peer, S.ESTABLISHED);
          this.bits |= ORIG_SEEN;
        }
        if (peer.state === S.SYN_SENT) this.setState(peer, S.ESTABLISHED);
        this.setState(ep, S.ESTABLISHED);
      }
    }
    if (fin) {
      this.setState(ep, S.CLOSED);
      close = CLOSE | GEN_EVENT;
    }
    if (rst) {
      this.setState(ep, S.RESET);
      let isReject = false;
      if (isOrig) isReject = peer.state === S.ESTABLISHED;
      else isReject = peer.state === S.SYN_SENT || peer.state === S.SYN_ACK_SENT;
      close = isReject ? CLOSE : CLOSE | GEN_EVENT;
    }
    if (ep.state === S.INACTIVE) {
      if (!isOrig && len === 0 && this.orig.state === S.SYN_SENT) {
        // An ACK of the SYN before the SYN+ACK: not a partial connection.
      } else if (ack && peer.state === S.ESTABLISHED) {
        // The SYN was missed but the SYN+ACK seen: establish rather than call it partial.
        this.setState(ep, S.ESTABLISHED);
        this.bits = (this.bits & ~PARTIAL) | (isOrig ? ORIG_SEEN : RESP_SEEN);
      } else this.setState(ep, S.PARTIAL);
    }
    return close;
  }

  private ackReceived(ep: ZeekEndpoint, relAck: number): void {
    const peer = ep === this.a ? this.b : this.a;
    const clean = isClean(ep) && isClean(peer);
    const report = this.cfg.reportGapsForPartial || clean;
    const letters = ep.ackReceived(relAck, this.isPartial, clean, report);
    for (let i = 0; i < letters; i++) this.addHistory(this.letter(ep, 0x47 /* G */));
  }

  private dataSent(ep: ZeekEndpoint, relSeq: number, len: number): void {
    const acked = ep.relativeAck();
    let seq = relSeq;
    const upper = relSeq + len;
    if (seq < acked) {
      if (upper <= acked) return;
      seq = acked;
    }
    ep.dataArrived(seq, upper - seq);
  }

  private connectionClosed(ep: ZeekEndpoint, peer: ZeekEndpoint, genEvent: boolean): void {
    if (ep.didClose) return;
    ep.markClosed();
    const closeComplete = ep.state === S.RESET || peer.didClose || peer.state === S.INACTIVE;
    const timers = this.timers;
    if (closeComplete) {
      if ((ep.prevState !== S.INACTIVE || peer.state !== S.INACTIVE) && genEvent) this.bits &= ~ACTIVE;
      // CancelTimers(), then the connection is deleted tcp_close_delay after its last activity.
      if (timers !== null) {
        timers.pending = T_DELETE;
        timers.delete = this.lastRel + ZEEK_TIMERS.tcpCloseDelay;
      }
    } else if (timers === null) {
      // No timers kept.
    } else if (ep.prevState === S.INACTIVE) {
      if (this.cfg.partialCloseTimer) {
        timers.partialClose = this.lastRel + ZEEK_TIMERS.tcpPartialCloseDelay;
        timers.pending |= T_PARTIAL_CLOSE;
      }
    } else {
      const at = this.lastRel + ZEEK_TIMERS.tcpSessionTimer;
      if ((timers.pending & T_EXPIRE) === 0 || at < timers.expire) timers.expire = at;
      timers.pending |= T_EXPIRE;
    }
  }

  // ------------------------------------------------------------------ timers

  /** The earliest pending timer, in µs after the first packet (inactivity included). */
  private nextDeadlineRel(): number {
    let d = this.lastRel + this.inactivityTimeout;
    const timers = this.timers;
    if (timers === null) return d;
    const p = timers.pending;
    if ((p & T_ATTEMPT) !== 0 && timers.attempt < d) d = timers.attempt;
    if ((p & T_EXPIRE) !== 0 && timers.expire < d) d = timers.expire;
    if ((p & T_DELETE) !== 0 && timers.delete < d) d = timers.delete;
    if ((p & T_RESET) !== 0 && timers.reset < d) d = timers.reset;
    if ((p & T_PARTIAL_CLOSE) !== 0 && timers.partialClose < d) d = timers.partialClose;
    return d;
  }

  /** The earliest pending timer (µs since the epoch), inactivity included. */
  nextDeadline(): number {
    return this.startUsec + this.nextDeadlineRel();
  }

  /**
   * Fire every timer due at capture time `now` (µs), as Zeek's timer manager does before it
   * processes a packet of that time. Returns true when the connection is removed (its row is due).
   */
  fireTimers(now: number): boolean {
    const nowRel = now - this.startUsec;
    const timers = this.timers;
    for (;;) {
      const inactivityAt = this.lastRel + this.inactivityTimeout;
      const due = this.nextDeadlineRel();
      if (due > nowRel) return false;
      if (timers === null) return true;
      const p = timers.pending;
      const active = (this.bits & ACTIVE) !== 0;
      if ((p & T_DELETE) !== 0 && due === timers.delete) return true;
      if (due === inactivityAt) return true;
      if ((p & T_ATTEMPT) !== 0 && due === timers.attempt) {
        timers.pending &= ~T_ATTEMPT;
        if (
          active &&
          (this.orig.state === S.SYN_SENT || this.orig.state === S.SYN_ACK_SENT) &&
          this.resp.state === S.INACTIVE
        )
          return true;
      } else if ((p & T_RESET) !== 0 && due === timers.reset) {
        timers.pending &= ~T_RESET;
        if (active) return true;
      } else if ((p & T_PARTIAL_CLOSE) !== 0 && due === timers.partialClose) {
        timers.pending &= ~T_PARTIAL_CLOSE;
        const o = this.orig;
        const r = this.resp;
        if (
          active &&
          o.state !== S.INACTIVE &&
          r.state !== S.INACTIVE &&
          (!o.didClose || !r.didClose) &&
          o.state !== S.RESET &&
          r.state !== S.RESET
        )
          return true;
      } else {
        timers.pending &= ~T_EXPIRE;
        if (active) {
          if (this.expireDue(nowRel)) return true;
          // Strictly after this firing even where µs are beyond a double's precision.
          timers.expire = asInt(laterThan(nowRel + ZEEK_TIMERS.tcpSessionTimer, due));
          timers.pending |= T_EXPIRE;
        }
      }
    }
  }

  /** ExpireTimer: idle for tcp_connection_linger and closed in some sense, or never active. */
  private expireDue(nowRel: number): boolean {
    if (this.lastRel + ZEEK_TIMERS.tcpConnectionLinger >= nowRel) return false;
    const o = this.orig;
    const r = this.resp;
    if (o.didClose || r.didClose) {
      if (
        (o.didClose && r.didClose) ||
        o.state === S.RESET ||
        r.state === S.RESET ||
        o.state === S.INACTIVE ||
        r.state === S.INACTIVE
      )
        return true;
    }
    return r.state === S.INACTIVE && o.state === S.INACTIVE;
  }
}

/**
 * The IP length ConnSize adds up: the IPv4 header's own total-length field. A segmentation-offload
 * capture has 0 there (the decoder then takes the captured length for decoding); Zeek counts 0.
 */
function zeekIpTotalLen(pkt: Packet): number {
  const field = ipv4LengthField(pkt);
  return field >= 0 ? field : pkt.ipTotalLen;
}

/** Established, or closed cleanly straight from established (Zeek's reassembler gap test). */
function isClean(ep: ZeekEndpoint): boolean {
  return ep.state === S.ESTABLISHED || (ep.state === S.CLOSED && ep.prevState === S.ESTABLISHED);
}
