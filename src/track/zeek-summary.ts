// One Zeek connection's worth of TCP analysis: what Zeek's TCP analyzer (TCPSessionAdapter and
// TCP_Endpoint) would record for the segments it is given, so that conn_state, history, the
// sequence-space byte counts and the ConnSize counters equal Zeek's conn.log row.
// Restated in our own code from Zeek's TCP analyzer and scripts/base/protocols/conn/main.zeek
// (conn_state()); PRODUCT.md "The connection record" and "`synack conns --zeek`".
//
// A is the sender of the connection's first segment; `origIsA` tells whether Zeek made A the
// originator (orientation rules in orientation.ts). The Packet is only read, never kept, and
// nothing is allocated per packet (history letters go into a byte buffer).
//
// Zeek's timers (attempt, expire, close/delete, reset, partial close, inactivity) are kept as
// deadlines in microseconds; ZeekConnLog (zeek-log.ts) fires them as capture time advances.

import { ACK, FIN, Layer, type Packet, RST, SYN } from '../wire/packet.js';
import { DEFAULT_LIKELY_SERVER_PORTS, type PortSet } from './likely-server-ports.js';
import { flipAtFirstSegment, flipsAfterSynAckStart, isSynAck } from './orientation.js';
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
}

const NEVER = Number.POSITIVE_INFINITY;

// Connection-level history bits (Zeek's HIST_* masks; the responder's are shifted by 16).
const HIST_SYN = 0x1;
const HIST_FIN = 0x2;
const HIST_RST = 0x4;
const HIST_FIN_RST = 0x8;
const HIST_DATA = 0x10;
const HIST_ACK = 0x20;
const HIST_MULTI_FLAG = 0x40;

const ORIG_SEEN = 1;
const RESP_SEEN = 2;

function isHandshake(s: S): boolean {
  return s === S.INACTIVE || s === S.SYN_SENT || s === S.SYN_ACK_SENT;
}

export class ZeekSummary {
  private readonly a = new ZeekEndpoint();
  private readonly b = new ZeekEndpoint();
  private readonly ports: PortSet;
  private readonly reportGapsForPartial: boolean;
  private readonly partialCloseEnabled: boolean;
  private readonly resetTimerEnabled: boolean;

  private aIsOrig = true;
  private started = false;
  /** First segment was a SYN+ACK that did not flip: an ACK or data next flips (Zeek PR #2191). */
  private synAckStart = false;
  // The history letters, five to a small integer (6 bits each: the letter's code & 0x3f, which
  // keeps A–Z, a–z and ^ apart), the rest (rare) in an array: no typed array per connection.
  private hist0 = 0;
  private hist1 = 0;
  private hist2 = 0;
  private histMore: number[] | null = null;
  private histLen = 0;
  private histSeen = 0;
  private isPartial = false;
  private firstPacketSeen = 0;
  private isActive = true;
  private missed = 0;

  /** Capture times (µs since the epoch) of the first packet and of Zeek's last_time. */
  startUsec = 0;
  lastUsec = 0;
  /** Zeek's inactivity timeout in force (µs). */
  inactivityTimeout: number = ZEEK_TIMERS.udpInactivityTimeout;

  // Analyzer timers (absolute µs; NEVER when not pending).
  attemptAt = NEVER;
  expireAt = NEVER;
  deleteAt = NEVER;
  resetAt = NEVER;
  partialCloseAt = NEVER;

  constructor(options: ZeekSummaryOptions = {}) {
    this.ports = options.ports ?? DEFAULT_LIKELY_SERVER_PORTS;
    this.reportGapsForPartial = options.reportGapsForPartial ?? false;
    this.partialCloseEnabled = options.partialCloseTimer ?? false;
    this.resetTimerEnabled = options.resetTimer ?? true;
  }

  /** Forget everything: the object can serve a new connection. */
  reset(): void {
    this.a.reset();
    this.b.reset();
    this.aIsOrig = true;
    this.started = false;
    this.synAckStart = false;
    this.hist0 = 0;
    this.hist1 = 0;
    this.hist2 = 0;
    this.histMore = null;
    this.histLen = 0;
    this.histSeen = 0;
    this.isPartial = false;
    this.firstPacketSeen = 0;
    this.isActive = true;
    this.missed = 0;
    this.startUsec = 0;
    this.lastUsec = 0;
    this.inactivityTimeout = ZEEK_TIMERS.udpInactivityTimeout;
    this.attemptAt = NEVER;
    this.expireAt = NEVER;
    this.deleteAt = NEVER;
    this.resetAt = NEVER;
    this.partialCloseAt = NEVER;
  }

  // ------------------------------------------------------------------ results

  /** Whether A (the sender of the first segment) is Zeek's originator. */
  get origIsA(): boolean {
    return this.aIsOrig;
  }

  private get orig(): ZeekEndpoint {
    return this.aIsOrig ? this.a : this.b;
  }

  private get resp(): ZeekEndpoint {
    return this.aIsOrig ? this.b : this.a;
  }

  history(): string {
    let s = '';
    for (let i = 0; i < this.histLen; i++) s += String.fromCharCode(this.histAt(i));
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
    let i = 0;
    if (i < this.histLen && this.histAt(i) === 0x5e /* ^ */) i++;
    if (i >= this.histLen || this.histAt(i) !== 0x53 /* S */) return false;
    for (i++; i < this.histLen; i++) {
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

  get missedBytes(): number {
    return this.missed;
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

  /** Zeek's duration (µs): up to the last packet before both sides had closed. */
  get durationUsec(): number {
    return this.lastUsec - this.startUsec;
  }

  /** Both endpoints have closed (FIN or RST processed). */
  get bothClosed(): boolean {
    return this.a.didClose && this.b.didClose;
  }

  // ------------------------------------------------------------------ history

  /** The character code of history letter i (< histLen). */
  private histAt(i: number): number {
    if (i >= 15) return this.histMore![i - 15]!;
    const w = i < 5 ? this.hist0 : i < 10 ? this.hist1 : this.hist2;
    return ((w >>> (6 * (i % 5))) & 0x3f) | 0x40;
  }

  /** Sets history letter i (≤ histLen) to the character code `code` (a letter or ^). */
  private histSet(i: number, code: number): void {
    if (i >= 15) {
      if (this.histMore === null) this.histMore = [];
      this.histMore[i - 15] = code;
      return;
    }
    const shift = 6 * (i % 5);
    const v = (code & 0x3f) << shift;
    const keep = ~(0x3f << shift);
    if (i < 5) this.hist0 = (this.hist0 & keep) | v;
    else if (i < 10) this.hist1 = (this.hist1 & keep) | v;
    else this.hist2 = (this.hist2 & keep) | v;
  }

  private addHistory(code: number): void {
    this.histSet(this.histLen++, code);
  }

  private letter(ep: ZeekEndpoint, upper: number): number {
    return ep === this.orig ? upper : upper | 0x20;
  }

  /** Adds the letter the first time; returns whether it had been seen before. */
  private checkHistory(ep: ZeekEndpoint, mask: number, upper: number): boolean {
    const m = ep === this.orig ? mask : mask << 16;
    if ((this.histSeen & m) === 0) {
      this.histSeen |= m;
      this.addHistory(this.letter(ep, upper));
      return false;
    }
    return true;
  }

  private checksumError(ep: ZeekEndpoint): void {
    if (++ep.chkCnt === ep.chkThresh) {
      this.addHistory(this.letter(ep, 0x43 /* C */));
      ep.chkThresh *= 10;
    }
  }

  private didRxmit(ep: ZeekEndpoint): void {
    if (++ep.rxmtCnt === ep.rxmtThresh) {
      this.addHistory(this.letter(ep, 0x54 /* T */));
      ep.rxmtThresh *= 10;
    }
  }

  private zeroWindow(ep: ZeekEndpoint): void {
    if (++ep.win0Cnt === ep.win0Thresh) {
      this.addHistory(this.letter(ep, 0x57 /* W */));
      ep.win0Thresh *= 10;
    }
  }

  private gapLetter(ep: ZeekEndpoint): void {
    if (++ep.gapCnt === ep.gapThresh) {
      this.addHistory(this.letter(ep, 0x47 /* G */));
      ep.gapThresh *= 10;
    }
  }

  /** Connection::FlipRoles: orig and resp swap and '^' is recorded. */
  private flipRoles(): void {
    this.aIsOrig = !this.aIsOrig;
    this.firstPacketSeen =
      ((this.firstPacketSeen & ORIG_SEEN) !== 0 ? RESP_SEEN : 0) |
      ((this.firstPacketSeen & RESP_SEEN) !== 0 ? ORIG_SEEN : 0);
    this.isPartial = false;
    this.addHistory(0x5e /* ^ */);
  }

  /**
   * The late flip of a connection that began at a SYN+ACK: the letters so far were the SYN+ACK's,
   * recorded for the side now known to be the responder, so they are rewritten as if the roles had
   * been right from the start (Zeek logs `^h…`).
   */
  private flipAfterSynAck(): void {
    this.aIsOrig = !this.aIsOrig;
    // Letters swap case, and ^ goes in front (a rare path: a small array is fine here).
    const letters: number[] = [0x5e];
    for (let i = 0; i < this.histLen; i++) {
      const c = this.histAt(i);
      letters.push((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? c ^ 0x20 : c);
    }
    this.histLen = letters.length;
    for (let i = 0; i < letters.length; i++) this.histSet(i, letters[i]!);
    this.histSeen = ((this.histSeen & 0xffff) << 16) | (this.histSeen >>> 16);
    this.firstPacketSeen =
      ((this.firstPacketSeen & ORIG_SEEN) !== 0 ? RESP_SEEN : 0) |
      ((this.firstPacketSeen & RESP_SEEN) !== 0 ? ORIG_SEEN : 0);
    this.isPartial = false;
    // The SYN+ACK's sender is the responder that answered a SYN we missed: established, as it
    // would have been had the first segment been flipped at once.
    const responder = this.resp;
    if (responder.state === S.SYN_ACK_SENT) this.setState(responder, S.ESTABLISHED);
  }

  private setState(ep: ZeekEndpoint, next: S): void {
    if (next === ep.state) return;
    const peer = ep === this.a ? this.b : this.a;
    // Leaving the handshake: the TCP inactivity timeout takes over.
    if (!isHandshake(next) && isHandshake(ep.state) && isHandshake(peer.state))
      this.inactivityTimeout = ZEEK_TIMERS.tcpInactivityTimeout;
    ep.prevState = ep.state;
    ep.state = next;
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
    if (!this.started) {
      this.started = true;
      this.startUsec = t;
      this.lastUsec = t;
      this.expireAt = t + ZEEK_TIMERS.tcpSynTimeout;
      if (flipAtFirstSegment(flags, pkt.srcPort, pkt.dstPort, this.ports)) this.flipRoles();
      else this.synAckStart = isSynAck(flags);
    }
    const ep = fromA ? this.a : this.b;
    if (pkt.checksumStatus === 'bad') {
      this.checksumError(ep);
      return;
    }
    if (this.synAckStart && !(fromA && isSynAck(flags))) {
      this.synAckStart = false;
      // Only right after the SYN+ACK: anything recorded since (a bad checksum's `c`) ends the chance.
      if (this.histLen === 1 && flipsAfterSynAckStart(flags, pkt.payloadLen)) this.flipAfterSynAck();
    }
    this.process(pkt, ep, t);
    // ConnSize: every segment that passed the checksum.
    ep.pkts++;
    ep.ipBytes += zeekIpTotalLen(pkt);
  }

  private process(pkt: Packet, ep: ZeekEndpoint, t: number): void {
    const peer = ep === this.a ? this.b : this.a;
    const isOrig = ep === this.orig;
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
      if ((this.firstPacketSeen & ORIG_SEEN) === 0) this.isPartial = !syn || ack;
    } else if ((this.firstPacketSeen & RESP_SEEN) === 0 && !this.isPartial) this.isPartial = !syn;

    let segLen = len;
    if (syn) segLen++;
    if (fin) segLen++;
    if (rst) segLen -= len;
    const seqOnePast = (baseSeq + segLen) >>> 0;

    this.initEndpoint(ep, syn, baseSeq, seqOnePast);

    const relSeq = ep.relativeSeq(baseSeq, ep.lastSeq, ep.seqWraps);
    const seqUnderflow = ep.underflow;

    this.updateHistory(ep, flags, relSeq, len);

    // update_window(): a zero window is noted unless it rides a RST, follows the peer's FIN, or
    // comes from an endpoint that has reset.
    if (pkt.window === 0 && !rst && peer.state !== S.CLOSED && ep.state !== S.RESET) this.zeroWindow(ep);

    if (!this.orig.didClose || !this.resp.didClose) this.lastUsec = t;

    if (fin) {
      ep.finCnt++;
      ep.finSeq = relSeq + segLen;
    }
    if (rst) ep.rstCnt++;

    let relAck = 0;
    if (ack) {
      if (peer.state === S.INACTIVE) {
        relAck = 1;
        // init_peer: number the silent peer's data as though its SYN had been seen.
        peer.initSeqs((ackSeq - 1) >>> 0, (ackSeq - 1) >>> 0);
      } else {
        relAck = peer.relativeSeq(ackSeq, peer.ackSeq, peer.ackWraps);
        if (peer.underflow) relAck = 0;
        else if (!rst) {
          const deltaAck = seqDelta(ackSeq, peer.ackSeq);
          if (!(ackSeq === 0 && deltaAck > 1048576) && deltaAck > 0) peer.updateAckSeq(ackSeq);
        }
      }
    }

    this.updateLastSeq(ep, seqOnePast, syn, fin, rst, len);

    this.doClose = false;
    this.genEvent = false;
    this.updateStateMachine(t, ep, peer, baseSeq, ackSeq, len, isOrig, syn, fin, rst, ack);

    if (ack) this.ackReceived(peer, relAck);

    // CheckPIA_FirstPacket
    this.firstPacketSeen |= isOrig ? ORIG_SEEN : RESP_SEEN;

    const relDataSeq = syn ? relSeq + 1 : relSeq;
    const captured = pkt.tcpCaptured - pkt.headerLen;
    if (len > 0 && captured >= len && !rst && !seqUnderflow) this.dataSent(ep, relDataSeq, len);

    if (this.doClose) this.connectionClosed(ep, peer, this.genEvent);
  }

  private doClose = false;
  private genEvent = false;

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
    else if (len > 0) this.didRxmit(ep);
  }

  private updateStateMachine(
    t: number,
    ep: ZeekEndpoint,
    peer: ZeekEndpoint,
    baseSeq: number,
    ackSeq: number,
    len: number,
    isOrig: boolean,
    syn: boolean,
    fin: boolean,
    rst: boolean,
    ack: boolean,
  ): void {
    switch (ep.state) {
      case S.INACTIVE:
        this.inactiveState(t, ep, peer, baseSeq, ackSeq, len, isOrig, syn, fin, rst, ack);
        break;
      case S.SYN_SENT:
      case S.SYN_ACK_SENT:
        if (fin) {
          this.setState(ep, S.CLOSED);
          this.doClose = this.genEvent = true;
        }
        if (rst) {
          this.setState(ep, S.RESET);
          this.isActive = false;
          this.doClose = true;
        }
        break;
      case S.ESTABLISHED:
      case S.PARTIAL:
        if (syn && ep.state === S.PARTIAL && peer.state === S.INACTIVE && !ack) this.setState(ep, S.SYN_SENT);
        if (fin && !rst) {
          this.setState(ep, S.CLOSED);
          // A FIN after the peer's FIN-then-RST: that was a normal termination after all.
          if (peer.state === S.RESET && peer.prevState === S.CLOSED) this.setState(peer, S.CLOSED);
          this.doClose = this.genEvent = true;
        }
        if (rst) {
          const peerWasEstablishedReset = peer.state === S.RESET && peer.prevState === S.ESTABLISHED;
          this.setState(ep, S.RESET);
          this.doClose = true;
          if (!peerWasEstablishedReset) this.isActive = false;
        }
        break;
      case S.CLOSED:
        // A RST after our FIN, unless the peer has closed too (the FIN exchange already ended it).
        if (rst && peer.state !== S.CLOSED) {
          this.setState(ep, S.RESET);
          if (!ep.didClose) this.doClose = true;
          if (this.resetTimerEnabled) this.resetAt = t + ZEEK_TIMERS.tcpResetDelay;
        }
        break;
      default:
        break;
    }
  }

  private inactiveState(
    t: number,
    ep: ZeekEndpoint,
    peer: ZeekEndpoint,
    baseSeq: number,
    ackSeq: number,
    len: number,
    isOrig: boolean,
    syn: boolean,
    fin: boolean,
    rst: boolean,
    ack: boolean,
  ): void {
    void ackSeq;
    if (syn) {
      if (isOrig) {
        this.setState(ep, ack ? S.SYN_ACK_SENT : S.SYN_SENT);
        this.attemptAt = t + ZEEK_TIMERS.tcpAttemptDelay;
      } else {
        if (!ack && peer.state === S.SYN_ACK_SENT && baseSeq === ep.startSeq) {
          // The SYN+ACK was captured before the SYN it answers: flip and establish.
          this.isPartial = false;
          this.flipRoles();
          this.setState(peer, S.ESTABLISHED);
          this.firstPacketSeen |= ORIG_SEEN;
        }
        if (peer.state === S.SYN_SENT) this.setState(peer, S.ESTABLISHED);
        this.setState(ep, S.ESTABLISHED);
      }
    }
    if (fin) {
      this.setState(ep, S.CLOSED);
      this.doClose = this.genEvent = true;
    }
    if (rst) {
      this.setState(ep, S.RESET);
      let isReject = false;
      if (isOrig) isReject = peer.state === S.ESTABLISHED;
      else isReject = peer.state === S.SYN_SENT || peer.state === S.SYN_ACK_SENT;
      this.doClose = true;
      this.genEvent = !isReject;
    }
    if (ep.state === S.INACTIVE) {
      if (!isOrig && len === 0 && this.orig.state === S.SYN_SENT) {
        // An ACK of the SYN before the SYN+ACK: not a partial connection.
      } else if (ack && peer.state === S.ESTABLISHED) {
        // The SYN was missed but the SYN+ACK seen: establish rather than call it partial.
        this.setState(ep, S.ESTABLISHED);
        this.isPartial = false;
        this.firstPacketSeen |= isOrig ? ORIG_SEEN : RESP_SEEN;
      } else this.setState(ep, S.PARTIAL);
    }
  }

  private ackReceived(ep: ZeekEndpoint, relAck: number): void {
    const peer = ep === this.a ? this.b : this.a;
    const clean = isClean(ep) && isClean(peer);
    const report = this.reportGapsForPartial || clean;
    ep.ackReceived(relAck, this.isPartial);
    if (ep.gapEvents === 0) return;
    if (clean) for (let i = 0; i < ep.gapEvents; i++) this.gapLetter(ep);
    if (report) this.missed += ep.gapBytes;
  }

  private dataSent(ep: ZeekEndpoint, relSeq: number, len: number): void {
    const acked = ep.toRelative(ep.ackSeq, ep.ackWraps);
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
    ep.didClose = true;
    const closeComplete = ep.state === S.RESET || peer.didClose || peer.state === S.INACTIVE;
    if (closeComplete) {
      if ((ep.prevState !== S.INACTIVE || peer.state !== S.INACTIVE) && genEvent) this.isActive = false;
      // CancelTimers(), then the connection is deleted tcp_close_delay after its last activity.
      this.attemptAt = NEVER;
      this.expireAt = NEVER;
      this.resetAt = NEVER;
      this.partialCloseAt = NEVER;
      this.deleteAt = this.lastUsec + ZEEK_TIMERS.tcpCloseDelay;
    } else if (ep.prevState === S.INACTIVE) {
      if (this.partialCloseEnabled) this.partialCloseAt = this.lastUsec + ZEEK_TIMERS.tcpPartialCloseDelay;
    } else {
      this.expireAt = Math.min(this.expireAt, this.lastUsec + ZEEK_TIMERS.tcpSessionTimer);
    }
  }

  // ------------------------------------------------------------------ timers

  /** The earliest pending timer (µs), inactivity included. */
  nextDeadline(): number {
    let d = this.lastUsec + this.inactivityTimeout;
    if (this.attemptAt < d) d = this.attemptAt;
    if (this.expireAt < d) d = this.expireAt;
    if (this.deleteAt < d) d = this.deleteAt;
    if (this.resetAt < d) d = this.resetAt;
    if (this.partialCloseAt < d) d = this.partialCloseAt;
    return d;
  }

  /**
   * Fire every timer due at capture time `now` (µs), as Zeek's timer manager does before it
   * processes a packet of that time. Returns true when the connection is removed (its row is due).
   */
  fireTimers(now: number): boolean {
    for (;;) {
      const inactivityAt = this.lastUsec + this.inactivityTimeout;
      const due = this.nextDeadline();
      if (due > now) return false;
      if (due === this.deleteAt) return true;
      if (due === inactivityAt) return true;
      if (due === this.attemptAt) {
        this.attemptAt = NEVER;
        if (
          this.isActive &&
          (this.orig.state === S.SYN_SENT || this.orig.state === S.SYN_ACK_SENT) &&
          this.resp.state === S.INACTIVE
        )
          return true;
      } else if (due === this.resetAt) {
        this.resetAt = NEVER;
        if (this.isActive) return true;
      } else if (due === this.partialCloseAt) {
        this.partialCloseAt = NEVER;
        const o = this.orig;
        const r = this.resp;
        if (
          this.isActive &&
          o.state !== S.INACTIVE &&
          r.state !== S.INACTIVE &&
          (!o.didClose || !r.didClose) &&
          o.state !== S.RESET &&
          r.state !== S.RESET
        )
          return true;
      } else {
        this.expireAt = NEVER;
        if (this.isActive) {
          if (this.expireDue(now)) return true;
          this.expireAt = now + ZEEK_TIMERS.tcpSessionTimer;
        }
      }
    }
  }

  /** ExpireTimer: idle for tcp_connection_linger and closed in some sense, or never active. */
  private expireDue(now: number): boolean {
    if (this.lastUsec + ZEEK_TIMERS.tcpConnectionLinger >= now) return false;
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
  if (pkt.ipVersion !== 4 || pkt.reassembled) return pkt.ipTotalLen;
  for (let i = pkt.layerCount - 1; i >= 0; i--) {
    if (pkt.layerKind[i] !== Layer.IPV4) continue;
    const o = pkt.layerOffset[i]!;
    const b = pkt.tcpBuf;
    return o + 4 <= b.length ? (b[o + 2]! << 8) | b[o + 3]! : pkt.ipTotalLen;
  }
  return pkt.ipTotalLen;
}

/** Established, or closed cleanly straight from established (Zeek's reassembler gap test). */
function isClean(ep: ZeekEndpoint): boolean {
  return ep.state === S.ESTABLISHED || (ep.state === S.CLOSED && ep.prevState === S.ESTABLISHED);
}
