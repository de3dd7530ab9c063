// The sans-IO TCP endpoint (RFC 9293): one connection's TCB and its state machine. Inputs are
// commands (listen, connect, send, read, shutdown, close, abort), handleSegment(now, seg) and
// handleTimeout(now); outputs are pollTransmit(), pollTimeout() and pollEvent() (state changes).
// No clock, no sockets, no Math.random: `now` (integer µs) and the random source come in.
//
// Read RFC 9293 §3.10 (event processing: the receive path below is numbered after §3.10.7.4's
// "SEGMENT ARRIVES" steps, as Linux's tcp_rcv_state_process is), RFC 5961 (§3 RST, §4 SYN, §5 ACK
// acceptance), RFC 6298 (retransmission timer), RFC 7323 (window scale, timestamps), RFC 2018
// (SACK), RFC 1122 §4.2.3.6 (keep-alive). Every state change goes through the one transition table
// (transitions.ts). Where this endpoint follows Linux instead of the RFC text, the comment says so.
//
// Checked against Linux 6.18 in network namespaces (client-close, merged-fin-ack): the same
// segments in the same order, the same SYN/SYN+ACK windows (64240, 65160) and options, the same
// immediate ACKs of the first data (quick-ACK) and delayed ACK of a FIN. Differences: Linux
// derives wscale from rmem_max (7 here) and autotunes the receive window (a fixed buffer here).
//
// Deliberate simplifications: no Nagle, no SACK-based recovery (SACK blocks are sent, not used by
// the sender), go-back-N after an RTO (as BSD/Linux do in effect with cwnd = 1), fast retransmit
// of one segment on the third duplicate ACK without NewReno's recovery phase, no PAWS, no urgent data.

import { ACK, FIN, PSH, RST, SYN } from '../wire/packet.js';
import { type EndpointConfig, type EndpointOptions, endpointConfig } from './config.js';
import { ReassemblyQueue } from './reassembly.js';
import { RtoEstimator } from './rto.js';
import { resetFor, type Segment, type TcpOptions } from './segment.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt } from './seq.js';
import { isSynchronized, TcpState as S, stateName } from './state.js';
import { EVENT_NAMES, findTransition, TcpEvent } from './transitions.js';

/** One state change, as the table row that made it. */
export interface StateChange {
  /** µs */
  at: number;
  from: S;
  to: S;
  event: TcpEvent;
  /** RFC 9293 section (or 'Linux') of the table row. */
  rfc: string;
  /** Why, in a few words (for ladders and test messages). */
  reason: string;
}

/** What handleSegment tells the caller to do with the segment afterwards. */
export enum Disposition {
  /** The endpoint consumed it. */
  CONSUMED = 0,
  /** TIME_WAIT stepped aside (now CLOSED) for a new SYN: hand the segment to the listener. */
  REUSE = 1,
}

const EMPTY = new Uint8Array(0);
/** RFC 9293 §3.7.1: the MSS assumed when the peer sends no MSS option. */
const DEFAULT_PEER_MSS = 536;
/** RFC 7323 §2.3: the largest shift. */
const MAX_WSCALE = 14;
/** Timestamp option bytes (10 + 2 NOPs) that Linux takes off the MSS for data. */
const TS_OPTION_BYTES = 12;
/** Linux TCP_MSS_DEFAULT: the first guess at the peer's segment size (icsk_ack.rcv_mss). */
const LINUX_INITIAL_RCV_MSS = 536;
/** Linux TCP_MAX_QUICKACKS. */
const LINUX_MAX_QUICKACKS = 16;
/** One jiffy at HZ=1000: a delayed ACK with ato 0 fires at the next tick. */
const JIFFY_US = 1000;
/** Linux TCP_TIMEOUT_MIN (2 jiffies): added to a loss probe's 2·SRTT when several packets are out. */
const LINUX_TIMEOUT_MIN_US = 2000;
/** Linux TCP_DELACK_MAX and the HZ/2 ceiling of ato. */
const LINUX_DELACK_MAX_US = 200_000;
const LINUX_ATO_CEILING_US = 500_000;

export class TcpEndpoint {
  readonly config: EndpointConfig;
  private stateValue = S.CLOSED;
  /** Opened by listen() (RFC 9293 §3.10.7.4: a passive SYN_RECEIVED returns to LISTEN on RST). */
  passive = false;
  readonly localPort: number;
  remotePort = 0;

  // Send sequence space (RFC 9293 §3.3.1). sndMax is BSD's snd_max: the highest sequence sent,
  // which sndNxt falls back below after an RTO (go-back-N).
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndMax = 0;
  /** The peer's window in bytes (scaled). */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  private maxSndWnd = 0;
  // Receive sequence space.
  irs = 0;
  rcvNxt = 0;

  // Negotiated options.
  /** Largest payload we send. */
  sndMss = DEFAULT_PEER_MSS;
  /** Both SYNs carried window scale (RFC 7323 §2.2): shifts apply. */
  wsOk = false;
  sndWscale = 0;
  rcvWscale = 0;
  sackOk = false;
  tsOk = false;
  private tsRecent = 0;
  private readonly tsOffset: number;

  // Send buffer: unacknowledged and unsent bytes; sendQueueSeq is the sequence of the first.
  private sendQueue: Uint8Array = EMPTY;
  private sendQueueSeq = 0;
  /** The user called shutdown/close: a FIN follows the data. */
  private finQueued = false;
  /** close() rather than shutdown(): the application is gone (Linux "orphan"). */
  private orphaned = false;
  /** A CLOSE in SYN_RECEIVED with data pending, processed once ESTABLISHED (§3.10.4). */
  private closeAfterHandshake = false;

  // Receive buffer.
  private readonly unread: Uint8Array[] = [];
  private unreadBytes = 0;
  private readonly ooo = new ReassemblyQueue();
  private lastAdvertised = 0;
  private ackNow = false;
  /** A duplicate range to report first in the next ACK's SACK option (RFC 2883 D-SACK; Linux only). */
  private dsack: [number, number] | undefined;
  private unackedSegments = 0;
  /** Linux quick-ACK state: ACKs still to send at once, interactive mode, last data arrival (µs). */
  private quickAcks = 0;
  private pingpong = false;
  private lastDataAt = -1;
  /** The 'linux' personality (config.stack). */
  private readonly linux: boolean;
  /** Linux icsk_ack.ato (µs): 0 until the first data arrives, then from TCP_ATO_MIN up. */
  private ato = 0;
  /** Linux icsk_ack.rcv_mss: the largest segment the peer seems to send. */
  private rcvMss = LINUX_INITIAL_RCV_MSS;
  /** RCV.NXT when we last sent an ACK (Linux rcv_wup). */
  private rcvWup = 0;
  /** The receive side was shut (shutdown(SHUT_RD) or close(): Linux RCV_SHUTDOWN). */
  private rcvShut = false;
  /** The peer's FIN was received (reads then end with EOF). */
  peerFinReceived = false;
  /** Tail loss probe deadline (µs, -1: none) and the SND.MAX a probe was sent at (-1: none this episode). */
  private tlpAt = -1;
  private tlpHigh = -1;
  /** Our FIN first left in a segment of its own (a loss probe then resends it alone). */
  private finSentAlone = false;
  /** When the oldest unacknowledged data went out (for TCP_USER_TIMEOUT), -1 when nothing is in flight. */
  private flightSince = -1;

  // Congestion control (RFC 5681, reduced: slow start, RTO collapse, fast retransmit).
  private cwnd = 0;
  private ssthresh = Number.MAX_SAFE_INTEGER;
  private dupAcks = 0;

  // Timers: absolute µs, -1 when not armed.
  readonly rto: RtoEstimator;
  private rtxAt = -1;
  private persist = false;
  /** Retransmissions of the current SYN / SYN+ACK / data since the last progress. */
  retransmits = 0;
  private rttSeq = -1;
  private rttStart = 0;
  private delAckAt = -1;
  private timeWaitAt = -1;
  private finWait2At = -1;
  private keepaliveAt = -1;
  private keepaliveProbesSent = 0;

  /** The time of the input being processed (for timestamps on segments built inside it). */
  private lastNow = 0;
  private readonly out: Segment[] = [];
  private readonly events: StateChange[] = [];
  /** Every state this endpoint was in, with when it entered it (starts with CLOSED at creation). */
  readonly history: { at: number; state: S }[] = [];
  /** RFC 5961 challenge ACKs sent, with why (for tests and the lab's notes). */
  readonly challenges: { at: number; why: string }[] = [];

  /**
   * TCP Fast Open (RFC 7413), set by the host: as a client, the cookie its SYN carries with data
   * (or an empty one: a cookie request); as a server, the cookie its SYN+ACK hands out, and
   * whether the SYN's cookie was valid (its data is accepted at once).
   */
  fastOpenCookie: Uint8Array | undefined;
  fastOpenAcceptData = false;
  /** Client: the cookie a SYN+ACK brought (the host caches it for the server's address). */
  fastOpenReceived: Uint8Array | undefined;
  /** Client: bytes the first SYN carried. */
  private synDataLen = 0;

  constructor(options: EndpointOptions, createdAt = 0) {
    this.config = endpointConfig(options);
    this.localPort = options.localPort;
    this.tsOffset = this.config.tsOffset ?? this.config.random();
    this.rto = new RtoEstimator(this.config);
    this.linux = this.config.stack === 'linux';
    this.history.push({ at: createdAt, state: S.CLOSED });
  }

  get challengeAcks(): number {
    return this.challenges.length;
  }

  get state(): S {
    return this.stateValue;
  }

  // ---------------------------------------------------------------- outputs

  pollTransmit(): Segment | undefined {
    return this.out.shift();
  }

  pollEvent(): StateChange | undefined {
    return this.events.shift();
  }

  /** The earliest armed timer (µs), or undefined when none is. */
  pollTimeout(): number | undefined {
    let t = -1;
    for (const at of [
      this.rtxAt,
      this.tlpAt,
      this.delAckAt,
      this.timeWaitAt,
      this.finWait2At,
      this.keepaliveAt,
    ]) {
      if (at >= 0 && (t < 0 || at < t)) t = at;
    }
    return t < 0 ? undefined : t;
  }

  /** Bytes received and not yet read by the application. */
  get readable(): number {
    return this.unreadBytes;
  }

  /** Bytes queued by send() and not yet acknowledged. */
  get unacknowledged(): number {
    return this.sendQueue.length;
  }

  /** Payload bytes per data segment now (what getsockopt(TCP_MAXSEG) reports once connected). */
  get segmentSize(): number {
    return this.dataMss();
  }

  /** The largest window the peer has offered (bytes, scaled): Linux's max_window. */
  get peerMaxWindow(): number {
    return this.maxSndWnd;
  }

  /** The congestion window in segments (tcpi_snd_cwnd). */
  get cwndSegments(): number {
    return Math.floor(this.cwnd / this.dataMss());
  }

  /** shutdown(SHUT_RD): nothing on the wire; Linux marks the receive side shut (RCV_SHUTDOWN). */
  shutdownRead(): void {
    this.rcvShut = true;
  }

  // ---------------------------------------------------------------- commands (RFC 9293 §3.10.1–5)

  /** Passive OPEN (§3.10.1). */
  listen(now: number): void {
    this.lastNow = now;
    if (this.stateValue !== S.CLOSED) return;
    this.passive = true;
    this.transition(now, TcpEvent.OPEN_PASSIVE, 'passive open');
  }

  /**
   * Active OPEN (§3.10.1): choose an ISN, send a SYN. With `fastOpen` (Linux sendto(MSG_FASTOPEN)
   * or TCP_FASTOPEN_CONNECT and a write): with a cookie the SYN carries the data (RFC 7413 §3);
   * without one it requests a cookie and the data waits for the handshake (tcp_send_syn_data's
   * fallback).
   */
  connect(now: number, remotePort: number, fastOpen?: { cookie?: Uint8Array; data: Uint8Array }): void {
    this.lastNow = now;
    if (this.stateValue !== S.CLOSED && this.stateValue !== S.LISTEN) return;
    this.remotePort = remotePort;
    this.passive = false;
    this.initSend(now);
    this.transition(now, TcpEvent.OPEN_ACTIVE, 'active open');
    let synData: Uint8Array = EMPTY;
    if (fastOpen) {
      this.sendQueue = fastOpen.data.slice();
      this.fastOpenCookie = fastOpen.cookie ?? new Uint8Array(0);
      if (fastOpen.cookie) {
        synData = this.sendQueue.subarray(
          0,
          Math.min(this.sendQueue.length, this.config.mss - TS_OPTION_BYTES),
        );
        this.synDataLen = synData.length;
        this.sndNxt = seqAdd(this.sndNxt, synData.length);
        this.sndMax = this.sndNxt;
      }
    }
    this.sendSyn(now, false, synData);
  }

  /** SEND (§3.10.2). Returns false when the connection is closing or closed. */
  send(now: number, bytes: Uint8Array): boolean {
    const s = this.stateValue;
    if (
      this.finQueued ||
      this.closeAfterHandshake ||
      !(s === S.SYN_SENT || s === S.SYN_RECEIVED || s === S.ESTABLISHED || s === S.CLOSE_WAIT)
    ) {
      return false;
    }
    const grown = new Uint8Array(this.sendQueue.length + bytes.length);
    grown.set(this.sendQueue);
    grown.set(bytes, this.sendQueue.length);
    this.sendQueue = grown;
    this.output(now);
    return true;
  }

  /** RECEIVE (§3.10.3): take up to `max` unread bytes; may send a window update. */
  read(now: number, max = Number.MAX_SAFE_INTEGER): Uint8Array {
    const n = Math.min(max, this.unreadBytes);
    const result = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.unread[0];
      const take = Math.min(chunk.length, n - filled);
      result.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take === chunk.length) this.unread.shift();
      else this.unread[0] = chunk.subarray(take);
    }
    this.unreadBytes -= n;
    // Receiver-side SWS avoidance (RFC 9293 §3.8.6.2.2): announce the window once it has opened
    // by min(RCV.BUFF/2, MSS) over what the peer last heard.
    if (n > 0 && isSynchronized(this.stateValue)) {
      const threshold = Math.min(this.config.rcvBufSize / 2, this.config.mss);
      if (this.rcvWnd() - this.lastAdvertised >= threshold && this.lastAdvertised < threshold) {
        this.ackNow = true;
        this.output(now);
      }
    }
    return result;
  }

  /** Half-close (CLOSE of §3.10.4): send a FIN after the queued data, keep receiving. */
  shutdown(now: number): void {
    const s = this.stateValue;
    if (s === S.LISTEN || s === S.SYN_SENT) {
      this.transition(now, TcpEvent.CLOSE, 'close before the connection was synchronized');
      return;
    }
    if (s === S.SYN_RECEIVED && this.sendQueue.length > 0) {
      // §3.10.4 SYN-RECEIVED: "If no SENDs have been issued and there is no pending data to send,
      // then form a FIN segment and send it, and enter FIN-WAIT-1 state; otherwise, queue for
      // processing after entering ESTABLISHED state": the state stays SYN_RECEIVED until then.
      this.closeAfterHandshake = true;
      return;
    }
    if (s === S.SYN_RECEIVED || s === S.ESTABLISHED || s === S.CLOSE_WAIT) {
      this.finQueued = true;
      this.transition(now, TcpEvent.CLOSE, s === S.CLOSE_WAIT ? 'close after the peer closed' : 'close');
      this.output(now);
    }
  }

  /**
   * The application closes the socket: shutdown(), and the endpoint is orphaned (an orphaned
   * FIN_WAIT_2 times out, Linux tcp_fin_timeout). Unread received data makes it a reset instead
   * (RFC 1122 §4.2.2.13; Linux tcp_close).
   */
  close(now: number): void {
    this.orphaned = true;
    this.rcvShut = true;
    if (this.unreadBytes > 0 && isSynchronized(this.stateValue)) {
      this.abort(now);
      return;
    }
    if (this.stateValue === S.FIN_WAIT_2) this.armFinWait2(now);
    this.shutdown(now);
  }

  /** ABORT (§3.10.5): RST when synchronized (Linux sends RST+ACK), then CLOSED. */
  abort(now: number): void {
    this.lastNow = now;
    const s = this.stateValue;
    if (s === S.CLOSED) return;
    if (s === S.SYN_RECEIVED || (isSynchronized(s) && s !== S.TIME_WAIT)) {
      this.out.push(this.segment(RST | ACK, this.sndNxt, EMPTY));
    }
    this.transition(now, TcpEvent.ABORT, 'abort');
  }

  // ---------------------------------------------------------------- timers (§3.10.8)

  handleTimeout(now: number): void {
    this.lastNow = now;
    if (this.delAckAt >= 0 && this.delAckAt <= now) {
      this.delAckAt = -1;
      this.ackNow = true;
      // Linux tcp_delack_timer: a delayed ACK that had to fire ends interactive mode (and
      // deflates ato), or, outside it, inflates ato.
      if (this.linux && !this.pingpong) this.ato = Math.min(this.ato * 2, this.rto.current());
      else if (this.linux) this.ato = this.config.delayedAckUs;
      this.pingpong = false;
    }
    if (this.tlpAt >= 0 && this.tlpAt <= now) {
      this.tlpAt = -1;
      this.tailLossProbe(now);
    }
    if (this.rtxAt >= 0 && this.rtxAt <= now) {
      this.rtxAt = -1;
      this.tlpAt = -1;
      if (this.persist) this.persistTimeout(now);
      else this.retransmitTimeout(now);
    }
    if (this.keepaliveAt >= 0 && this.keepaliveAt <= now) this.keepaliveTimeout(now);
    if (this.timeWaitAt >= 0 && this.timeWaitAt <= now) {
      this.transition(now, TcpEvent.TIMEOUT_TIME_WAIT, '2 MSL elapsed');
    }
    if (this.finWait2At >= 0 && this.finWait2At <= now) {
      this.transition(now, TcpEvent.TIMEOUT_FIN_WAIT_2, 'orphaned FIN_WAIT_2 timed out');
    }
    this.output(now);
  }

  private retransmitTimeout(now: number): void {
    const s = this.stateValue;
    // Our SYN is not acknowledged yet (SYN_SENT, SYN_RECEIVED, or FIN_WAIT_1 after a close in
    // SYN_RECEIVED): resend the SYN or SYN+ACK.
    if (!seqGt(this.sndUna, this.iss)) {
      const withAck = s !== S.SYN_SENT;
      const limit = withAck && this.passive ? this.config.synAckRetries : this.config.synRetries;
      if (this.retransmits >= limit) {
        this.transition(now, TcpEvent.TIMEOUT_GIVE_UP, `${withAck ? 'SYN+ACK' : 'SYN'} retries exhausted`);
        return;
      }
      this.retransmits++;
      this.rto.timedOut();
      this.rttSeq = -1;
      // Linux resends a Fast Open SYN without its data (the data skb waits behind it).
      if (!withAck) this.sndNxt = seqAdd(this.iss, 1);
      this.sendSyn(now, withAck);
      return;
    }
    if (this.sndUna === this.sndMax) return;
    if (this.userTimedOut(now)) {
      this.transition(now, TcpEvent.TIMEOUT_GIVE_UP, 'TCP_USER_TIMEOUT expired');
      return;
    }
    if (this.retransmits >= this.config.dataRetries) {
      // Linux gives up without a RST (tcp_write_err).
      this.transition(now, TcpEvent.TIMEOUT_GIVE_UP, 'retransmissions exhausted');
      return;
    }
    this.retransmits++;
    this.rto.timedOut();
    this.rttSeq = -1; // Karn: no sample from a retransmitted range
    // RFC 5681 §3.1: ssthresh = max(FlightSize/2, 2·SMSS), cwnd = 1 segment; resend from SND.UNA.
    this.ssthresh = Math.max(seqDiff(this.sndMax, this.sndUna) >>> 1, 2 * this.dataMss());
    this.cwnd = this.dataMss();
    this.sndNxt = this.sndUna;
  }

  /** TCP_USER_TIMEOUT (RFC 5482 §3; Linux tcp_write_timeout): data unacknowledged for that long. */
  private userTimedOut(now: number): boolean {
    const limit = this.config.userTimeoutUs;
    return limit > 0 && this.flightSince >= 0 && now - this.flightSince >= limit;
  }

  /** The RTO deadline from now, no later than the user timeout (Linux tcp_clamp_rto_to_user_timeout). */
  private rtoDeadline(now: number): number {
    const at = now + this.rto.current();
    const limit = this.config.userTimeoutUs;
    if (!this.linux || limit <= 0 || this.flightSince < 0 || this.retransmits === 0) return at;
    return Math.max(now + JIFFY_US, Math.min(at, this.flightSince + limit));
  }

  /**
   * Linux (RFC 8985 §7.2, tcp_schedule_loss_probe): with SACK, a probe timeout of 2·SRTT (plus
   * rto_min with one packet out, else 2 ms), never after the RTO, armed when none is pending.
   */
  private armLossProbe(now: number, restart: boolean): void {
    if (!this.linux || !this.config.tailLossProbe || !this.sackOk || this.persist) return;
    if (this.sndUna === this.sndMax || this.tlpHigh >= 0 || !seqGt(this.sndUna, this.iss)) {
      this.tlpAt = -1;
      return;
    }
    if (this.tlpAt >= 0 && !restart) return;
    const srtt = this.rto.srtt;
    const packetsOut = Math.ceil(seqDiff(this.sndMax, this.sndUna) / this.dataMss());
    let pto =
      srtt < 0
        ? this.config.initialRtoUs
        : 2 * srtt + (packetsOut <= 1 ? this.config.minRtoUs : LINUX_TIMEOUT_MIN_US);
    if (this.rtxAt >= 0) pto = Math.min(pto, this.rtxAt - now);
    this.tlpAt = now + Math.max(0, Math.round(pto));
  }

  /** RFC 8985 §7.3: send one new segment if the peer's window allows, else resend the last one. */
  private tailLossProbe(now: number): void {
    this.tlpHigh = this.sndMax;
    const s = this.stateValue;
    if (
      !(
        s === S.ESTABLISHED ||
        s === S.CLOSE_WAIT ||
        s === S.FIN_WAIT_1 ||
        s === S.CLOSING ||
        s === S.LAST_ACK
      )
    )
      return;
    if (this.sndUna === this.sndMax) return;
    const mss = this.dataMss();
    const end = this.dataEnd();
    const pending = seqDiff(end, this.sndMax);
    const room = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndMax);
    if (pending > 0 && room > 0 && this.sndNxt === this.sndMax) {
      const len = Math.min(mss, pending, room);
      const offset = seqDiff(this.sndMax, this.sendQueueSeq);
      const withFin = len === pending && this.finQueued;
      this.transmit(
        now,
        ACK | (withFin ? FIN : 0),
        this.sndMax,
        this.sendQueue.subarray(offset, offset + len),
      );
    } else {
      // The last segment sent: the FIN alone, or the last MSS of data (with the FIN if it rode on it).
      const finSent = this.finQueued && seqGt(this.sndMax, end);
      const dataEndSent = finSent ? end : this.sndMax;
      const len = finSent && this.finSentAlone ? 0 : Math.min(mss, seqDiff(dataEndSent, this.sndUna));
      const from = finSent && len === 0 ? end : seqAdd(dataEndSent, -len);
      const offset = seqDiff(from, this.sendQueueSeq);
      const payload = len > 0 ? this.sendQueue.subarray(offset, offset + len) : EMPTY;
      // Resent as it first left: the tail of a write carries PSH (tcp_push).
      this.out.push(this.segment(ACK | (finSent ? FIN : 0) | (payload.length > 0 ? PSH : 0), from, payload));
      this.clearAckPending();
      this.rttSeq = -1;
      if (this.flightSince < 0) this.flightSince = now;
    }
    this.tlpHigh = this.sndMax;
    // Linux tcp_send_loss_probe: the RTO restarts from the probe.
    this.rtxAt = this.rtoDeadline(now);
  }

  /** Zero-window probe (RFC 9293 §3.8.6.1), in the configured style. */
  private persistTimeout(now: number): void {
    this.rto.timedOut();
    if (this.config.zeroWindowProbe === 'linux') {
      // Linux tcp_xmit_probe_skb: an empty segment at SND.UNA−1, outside the peer's window, so the
      // peer must answer with an ACK carrying its current window.
      this.out.push(this.segment(ACK, seqAdd(this.sndUna, -1), EMPTY));
    } else {
      // RFC: one byte of new data beyond the zero window (retransmitted until the window opens).
      const at = this.sndUna;
      const offset = seqDiff(at, this.sendQueueSeq);
      if (offset < this.sendQueue.length) {
        this.out.push(this.segment(ACK, at, this.sendQueue.subarray(offset, offset + 1)));
        if (this.sndNxt === at) this.sndNxt = seqAdd(at, 1);
        if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
      }
    }
    this.clearAckPending();
    this.rtxAt = now + this.rto.current();
  }

  private keepaliveTimeout(now: number): void {
    const s = this.stateValue;
    if (
      !(s === S.ESTABLISHED || s === S.CLOSE_WAIT) ||
      this.sndMax !== this.sndUna ||
      this.sendQueue.length
    ) {
      this.keepaliveAt = now + this.config.keepaliveIdleUs;
      return;
    }
    if (this.keepaliveProbesSent >= this.config.keepaliveProbes) {
      // Linux tcp_keepalive_timer: tcp_send_active_reset, then tcp_write_err.
      this.out.push(this.segment(RST | ACK, this.sndNxt, EMPTY));
      this.transition(now, TcpEvent.TIMEOUT_GIVE_UP, 'keep-alive probes unanswered');
      return;
    }
    // RFC 9293 §3.8.4: <SEQ=SND.NXT−1>, no data (Linux sends no garbage byte).
    this.out.push(this.segment(ACK, seqAdd(this.sndNxt, -1), EMPTY));
    this.keepaliveProbesSent++;
    this.keepaliveAt = now + this.config.keepaliveIntervalUs;
  }

  // ---------------------------------------------------------------- SEGMENT ARRIVES (§3.10.7)

  handleSegment(now: number, seg: Segment): Disposition {
    this.lastNow = now;
    let disposition = Disposition.CONSUMED;
    switch (this.stateValue) {
      case S.CLOSED: {
        // §3.10.7.1: no TCB; answer anything but a RST with a RST.
        const rst = resetFor(seg);
        if (rst) this.out.push(rst);
        return disposition;
      }
      case S.LISTEN:
        this.segmentInListen(now, seg);
        break;
      case S.SYN_SENT:
        this.segmentInSynSent(now, seg);
        break;
      default:
        disposition = this.segmentInSynchronized(now, seg);
    }
    if (this.keepaliveAt >= 0) {
      this.keepaliveAt = now + this.config.keepaliveIdleUs;
      this.keepaliveProbesSent = 0;
    }
    this.output(now);
    return disposition;
  }

  /** §3.10.7.2 */
  private segmentInListen(now: number, seg: Segment): void {
    // First: check for a RST — ignore it.
    if (seg.flags & RST) return;
    // Second: an ACK in LISTEN is bad: <SEQ=SEG.ACK><CTL=RST>.
    if (seg.flags & ACK) {
      this.out.push(resetFor(seg)!);
      return;
    }
    // Third: a SYN. Data and FIN in the SYN are not queued (Linux without TFO does not either):
    // they go unacknowledged and the peer resends them.
    if (!(seg.flags & SYN)) return;
    this.remotePort = seg.srcPort;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.negotiate(seg.options);
    this.initSend(now);
    this.sndWnd = seg.window; // never scaled in a SYN (RFC 7323 §2.2)
    this.sndWl1 = seg.seq;
    this.transition(now, TcpEvent.RCV_SYN, 'SYN received');
    // A valid Fast Open cookie: the SYN's data goes to the application now (RFC 7413 §4.2.2) and
    // the SYN+ACK acknowledges it.
    if (this.fastOpenAcceptData && seg.payload.length > 0)
      this.acceptText(now, this.rcvNxt, this.trimTail(this.rcvNxt, seg.payload), false);
    this.sendSyn(now, true);
  }

  /** §3.10.7.3 */
  private segmentInSynSent(now: number, seg: Segment): void {
    const hasAck = (seg.flags & ACK) !== 0;
    // First: the ACK must cover our SYN and nothing unsent. An unacceptable SYN+ACK (an answer to
    // an old duplicate SYN) gets <SEQ=SEG.ACK><CTL=RST>: the reason a two-way handshake fails.
    if (hasAck && (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax))) {
      if (!(seg.flags & RST)) this.out.push(resetFor(seg)!);
      return;
    }
    // Second: a RST is acceptable only with an acceptable ACK (RFC 5961 §3.2 for SYN_SENT).
    if (seg.flags & RST) {
      if (hasAck) this.transition(now, TcpEvent.RCV_RST, 'connection refused');
      return;
    }
    // Fourth: the SYN.
    if (!(seg.flags & SYN)) return;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.negotiate(seg.options);
    this.sndWnd = seg.window;
    this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
    this.sndWl1 = seg.seq;
    if (hasAck) {
      this.sndWl2 = seg.ack;
      this.ackAdvanced(now, seg.ack);
      if (seg.options.fastOpen && seg.options.fastOpen.length > 0)
        this.fastOpenReceived = seg.options.fastOpen;
      // The SYN's data not acknowledged (no valid cookie, or Fast Open off at the server): it is
      // sent again right after the handshake (tcp_rcv_fastopen_synack).
      if (this.synDataLen > 0 && seqLt(this.sndUna, this.sndMax)) this.sndNxt = this.sndUna;
      this.transition(now, TcpEvent.RCV_SYN_ACK, 'SYN+ACK received');
      this.ackNow = true;
      // Data or FIN riding on the SYN+ACK: continue at step 6 without the SYN.
      if (seg.payload.length > 0 || seg.flags & FIN) {
        this.acceptText(
          now,
          seqAdd(seg.seq, 1),
          this.trimTail(seqAdd(seg.seq, 1), seg.payload),
          (seg.flags & FIN) !== 0,
        );
      }
    } else {
      // Simultaneous open: SYN_RECEIVED, send SYN+ACK with our original ISN.
      this.transition(now, TcpEvent.RCV_SYN, 'SYN received while SYN_SENT (simultaneous open)');
      this.sendSyn(now, true);
    }
  }

  /** §3.10.7.4: SYN_RECEIVED and the synchronized states. */
  private segmentInSynchronized(now: number, seg: Segment): Disposition {
    const s = this.stateValue;
    const flags = seg.flags;
    // Linux, before the RFC steps (tcp_timewait_state_process): a SYN above RCV.NXT, or with a
    // newer timestamp, reaching TIME_WAIT is a new incarnation; the old endpoint steps aside (RFC 6191).
    const newerTs = this.tsOk && seg.options.ts !== undefined && seqGt(seg.options.ts[0], this.tsRecent);
    if (
      s === S.TIME_WAIT &&
      (flags & (SYN | ACK | RST)) === SYN &&
      (seqGt(seg.seq, this.rcvNxt) || newerTs)
    ) {
      this.transition(now, TcpEvent.RCV_SYN_REUSE, 'new SYN in TIME_WAIT (port reuse)');
      return Disposition.REUSE;
    }
    if (s === S.SYN_RECEIVED && (flags & (SYN | RST)) === SYN) {
      // Linux tcp_check_req: the peer's retransmitted SYN makes a passive opener resend SYN+ACK
      // (the RFC's step 1 would answer with a bare ACK).
      if (!(flags & ACK) && this.passive && seg.seq === this.irs) {
        this.sendSyn(now, true);
        return Disposition.CONSUMED;
      }
      // Linux tcp_validate_incoming: on a simultaneous open, the peer's SYN+ACK (SEQ = IRS,
      // ACK = SND.NXT) completes the handshake instead of drawing a challenge ACK.
      if (flags & ACK && seqAdd(seg.seq, 1) === this.rcvNxt && seg.ack === this.sndNxt) {
        this.ackAdvanced(now, seg.ack);
        this.updateWindow(seg);
        this.transition(now, TcpEvent.RCV_ACK_OF_SYN, "peer's SYN+ACK (simultaneous open)");
        const ts = seg.options.ts;
        if (this.tsOk && ts && seqGe(ts[0], this.tsRecent)) this.tsRecent = ts[0];
        // Its SYN lies below RCV.NXT, a duplicate: acknowledged at once (§3.10.7.4 step 1, "an
        // acknowledgment should be sent in reply"); Linux's tcp_data_queue reports it as a D-SACK.
        this.ackNow = true;
        if (this.linux && this.sackOk) this.dsack = [seg.seq, this.rcvNxt];
        return Disposition.CONSUMED;
      }
    }

    // First: check the sequence number (the four cases of §3.10.7.4).
    if (!this.acceptable(seg)) {
      if (!(flags & RST)) {
        this.ackNow = true;
        // A retransmitted FIN restarts the 2 MSL wait (§3.10.7.4 step 8, TIME_WAIT).
        if (s === S.TIME_WAIT && flags & FIN) this.armTimeWait(now);
      }
      return Disposition.CONSUMED;
    }
    // RFC 7323 §4.3: remember the newest TSval from an acceptable segment, to echo it.
    const ts = seg.options.ts;
    if (this.tsOk && ts && seqGe(ts[0], this.tsRecent)) this.tsRecent = ts[0];
    // Trim to what is new and fits the window.
    let seq = seg.seq;
    let data = seg.payload;
    let syn = (flags & SYN) !== 0;
    let fin = (flags & FIN) !== 0;
    if (syn && seqLt(seq, this.rcvNxt)) {
      syn = false;
      seq = seqAdd(seq, 1);
    }
    const old = seqDiff(this.rcvNxt, seq);
    if (old > 0) {
      if (old > data.length) fin = false; // that FIN was already received
      data = data.subarray(Math.min(old, data.length));
      seq = this.rcvNxt;
    }
    const trimmed = this.trimTail(seq, data);
    if (trimmed.length < data.length) fin = false;
    data = trimmed;

    // Second: the RST bit (RFC 5961 §3.2): exactly RCV.NXT resets; elsewhere in the window it
    // draws a challenge ACK (the blind-reset defence).
    if (flags & RST) {
      if (seg.seq === this.rcvNxt) {
        this.transition(now, TcpEvent.RCV_RST, 'acceptable RST (SEG.SEQ = RCV.NXT)');
      } else {
        this.challengeAck('RST in the window but not at RCV.NXT');
      }
      return Disposition.CONSUMED;
    }
    // Fourth: a SYN in the window.
    if (syn) {
      if (s === S.SYN_RECEIVED && this.passive) {
        this.transition(now, TcpEvent.RCV_SYN, 'SYN in the window of a passive SYN_RECEIVED');
      } else {
        // RFC 5961 §4.2: challenge ACK, whatever the SYN's sequence number.
        this.challengeAck('SYN in a synchronized state');
      }
      return Disposition.CONSUMED;
    }
    // Fifth: the ACK field. Without ACK, drop.
    if (!(flags & ACK)) return Disposition.CONSUMED;
    const finInOrder = fin && seq === this.rcvNxt;
    if (s === S.SYN_RECEIVED) {
      if (!(seqGt(seg.ack, this.sndUna) && seqLe(seg.ack, this.sndMax))) {
        this.out.push(resetFor(seg)!);
        return Disposition.CONSUMED;
      }
      this.ackAdvanced(now, seg.ack);
      this.updateWindow(seg);
      // Step 5: "enter ESTABLISHED state and continue processing", also when the segment carries
      // a FIN: step 8 then moves ESTABLISHED → CLOSE_WAIT (Linux tcp_rcv_state_process sets
      // TCP_ESTABLISHED before tcp_fin too), so the true sequence shows ESTABLISHED.
      this.transition(now, TcpEvent.RCV_ACK_OF_SYN, 'ACK of our SYN');
    } else {
      // RFC 9293: an ACK of something not yet sent is answered with an ACK and dropped.
      if (seqGt(seg.ack, this.sndMax)) {
        this.ackNow = true;
        return Disposition.CONSUMED;
      }
      // RFC 5961 §5.2: an ACK older than SND.UNA − MAX.SND.WND is dropped with an ACK.
      if (seqLt(seg.ack, seqAdd(this.sndUna, -Math.max(this.maxSndWnd, 1)))) {
        this.challengeAck('ACK below SND.UNA − MAX.SND.WND');
        return Disposition.CONSUMED;
      }
      const before = this.sndWnd;
      if (seqGt(seg.ack, this.sndUna)) this.ackAdvanced(now, seg.ack);
      else this.maybeDuplicateAck(now, seg, data.length, fin);
      this.updateWindow(seg);
      if (before === 0 && this.sndWnd > 0 && this.persist) this.stopPersist();
      if (this.finAcked()) {
        if (s === S.FIN_WAIT_1 && !finInOrder) {
          this.transition(now, TcpEvent.RCV_ACK_OF_FIN, 'ACK of our FIN');
          if (this.orphaned) this.armFinWait2(now);
        } else if (s === S.CLOSING) {
          this.transition(now, TcpEvent.RCV_ACK_OF_FIN, 'ACK of our FIN (simultaneous close)');
          this.armTimeWait(now);
          return Disposition.CONSUMED;
        } else if (s === S.LAST_ACK) {
          this.transition(now, TcpEvent.RCV_ACK_OF_FIN, 'ACK of our FIN');
          return Disposition.CONSUMED;
        }
      }
    }
    // Linux tcp_rcv_state_process step 7 (RFC 1122 §4.2.2.13): new data for a socket whose
    // receive side is shut, in FIN_WAIT_1/2, resets the connection.
    const s3 = this.stateValue;
    if (
      this.linux &&
      this.rcvShut &&
      (s3 === S.FIN_WAIT_1 || s3 === S.FIN_WAIT_2) &&
      data.length > 0 &&
      seqGt(seqAdd(seq, data.length), this.rcvNxt)
    ) {
      const rst = resetFor(seg);
      if (rst) this.out.push(rst);
      this.transition(now, TcpEvent.ABORT, 'data arrived after close: reset (RFC 1122 §4.2.2.13)');
      return Disposition.CONSUMED;
    }
    // Sixth (URG) is not implemented. Seventh and eighth: text and FIN.
    if (data.length > 0 || fin) this.acceptText(now, seq, data, fin);
    return Disposition.CONSUMED;
  }

  /** The four acceptability cases of §3.10.7.4 step 1 (SEG.LEN counts SYN and FIN). */
  private acceptable(seg: Segment): boolean {
    const len = seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
    const wnd = this.rcvWnd();
    const right = seqAdd(this.rcvNxt, wnd);
    if (len === 0) return wnd === 0 ? seg.seq === this.rcvNxt : seqInRange(seg.seq, this.rcvNxt, right);
    if (wnd === 0) return false;
    return (
      seqInRange(seg.seq, this.rcvNxt, right) || seqInRange(seqAdd(seg.seq, len - 1), this.rcvNxt, right)
    );
  }

  /** Cut data that lies beyond the right edge of the receive window. */
  private trimTail(seq: number, data: Uint8Array): Uint8Array {
    const room = seqDiff(seqAdd(this.rcvNxt, this.rcvWnd()), seq);
    return data.length > room ? data.subarray(0, Math.max(0, room)) : data;
  }

  /** Steps 7 and 8: in-order data to the application, out-of-order data held, then the FIN. */
  private acceptText(now: number, seq: number, data: Uint8Array, fin: boolean): void {
    this.acceptTextAndFin(now, seq, data, fin);
    if (this.linux && (data.length > 0 || fin)) this.linuxAckCheck(now);
  }

  private acceptTextAndFin(now: number, seq: number, data: Uint8Array, fin: boolean): void {
    const s = this.stateValue;
    const receiving = s === S.ESTABLISHED || s === S.FIN_WAIT_1 || s === S.FIN_WAIT_2 || s === S.SYN_RECEIVED;
    let finReached = false;
    if (receiving) {
      if (seq === this.rcvNxt) {
        const hadHoles = !this.ooo.isEmpty;
        this.deliver(data);
        finReached = fin;
        if (!fin && hadHoles) {
          const more = this.ooo.takeContiguous(this.rcvNxt);
          for (const chunk of more.chunks) this.deliver(chunk);
          finReached = more.fin;
        }
        if (hadHoles)
          this.ackNow = true; // a hole filled: ACK at once (RFC 5681 §4.2)
        else if (data.length > 0 && this.linux) this.linuxDataReceived(now, data.length);
        else if (data.length > 0) this.scheduleAck(now);
      } else {
        // Beyond RCV.NXT: hold it and send a duplicate ACK at once (RFC 5681 §4.2).
        this.ooo.insert(seq, data, fin);
        this.ackNow = true;
      }
    } else if (fin && seq === this.rcvNxt) {
      // CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT: a retransmitted FIN is acknowledged again.
      this.ackNow = true;
      if (s === S.TIME_WAIT) this.armTimeWait(now);
    }
    if (!finReached) return;
    // Eighth: the FIN. Advance RCV.NXT over it and acknowledge it. Linux (tcp_fin) acknowledges
    // a FIN that moves to CLOSE_WAIT with a delayed ACK, so an application closing within the
    // delay sends FIN+ACK in one segment (the three-segment teardown); in FIN_WAIT_1/2 at once.
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.peerFinReceived = true;
    const s2 = this.stateValue;
    if (this.linux) {
      // Linux tcp_fin: ESTABLISHED → CLOSE_WAIT enters interactive (pingpong) mode, and the ACK
      // follows __tcp_ack_snd_check (linuxAckCheck); FIN_WAIT_1/2 acknowledge at once.
      if (s2 === S.ESTABLISHED || s2 === S.SYN_RECEIVED) this.pingpong = true;
      else this.ackNow = true;
    } else if ((s2 === S.ESTABLISHED || s2 === S.SYN_RECEIVED) && this.config.delayedAckUs > 0) {
      this.pingpong = true; // tcp_fin: inet_csk_enter_pingpong_mode
      if (this.delAckAt < 0) this.delAckAt = now + this.config.delayedAckUs;
    } else this.ackNow = true;
    switch (s2) {
      case S.SYN_RECEIVED:
        this.transition(now, TcpEvent.RCV_FIN, 'ACK of our SYN with FIN');
        break;
      case S.ESTABLISHED:
        this.transition(now, TcpEvent.RCV_FIN, 'FIN received');
        break;
      case S.FIN_WAIT_1:
        if (this.finAcked()) {
          this.transition(now, TcpEvent.RCV_FIN_ACK_OF_FIN, 'FIN acknowledging our FIN');
        } else {
          this.transition(now, TcpEvent.RCV_FIN, 'FIN crossed ours (simultaneous close)');
        }
        break;
      case S.FIN_WAIT_2:
        this.transition(now, TcpEvent.RCV_FIN, 'FIN received');
        break;
    }
    if (this.stateValue === S.TIME_WAIT) this.armTimeWait(now);
  }

  private deliver(data: Uint8Array): void {
    if (data.length === 0) return;
    this.unread.push(data.slice());
    this.unreadBytes += data.length;
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
  }

  /** Delayed ACK (RFC 9293 §3.8.6.3; RFC 1122 §4.2.3.2): every second full segment, else after the delay. */
  private scheduleAck(now: number): void {
    // Linux tcp_event_data_recv: the first data of a connection starts quick-ACK mode.
    if (this.lastDataAt < 0 && this.config.quickAck) {
      this.quickAcks = Math.max(2, Math.min(16, Math.floor(this.config.rcvBufSize / (2 * this.config.mss))));
    }
    this.lastDataAt = now;
    this.unackedSegments++;
    if (this.quickAcks > 0 && !this.pingpong) {
      this.quickAcks--;
      this.ackNow = true;
    } else if (this.config.delayedAckUs <= 0 || this.unackedSegments >= 2) this.ackNow = true;
    else if (this.delAckAt < 0) this.delAckAt = now + this.config.delayedAckUs;
  }

  /** Linux tcp_measure_rcv_mss and tcp_event_data_recv: rcv_mss, the quick-ACK count and ato. */
  private linuxDataReceived(now: number, len: number): void {
    if (len >= this.rcvMss) this.rcvMss = Math.min(len, this.config.mss);
    const atoMin = this.config.delayedAckUs;
    if (this.ato === 0) {
      this.incrQuickAck();
      this.ato = atoMin;
    } else {
      const gap = now - this.lastDataAt;
      if (gap <= atoMin / 2) this.ato = (this.ato >> 1) + atoMin / 2;
      else if (gap < this.ato) this.ato = Math.min((this.ato >> 1) + gap, this.rto.current());
      else if (gap > this.rto.current()) this.incrQuickAck();
    }
    this.lastDataAt = now;
    this.unackedSegments++;
  }

  /** Linux tcp_incr_quickack: up to RCV.WND / (2·rcv_mss) immediate ACKs, at least 2, at most 16. */
  private incrQuickAck(): void {
    const n = Math.floor(this.lastAdvertised / (2 * this.rcvMss)) || 2;
    this.quickAcks = Math.max(this.quickAcks, Math.min(n, LINUX_MAX_QUICKACKS));
  }

  /**
   * Linux __tcp_ack_snd_check: ACK at once when more than one full segment (rcv_mss) is
   * unacknowledged or in quick-ACK mode; else the delayed-ACK timer at ato (the next tick
   * while ato is 0, before any data), capped by SRTT and 200 ms in interactive mode.
   */
  private linuxAckCheck(now: number): void {
    if (this.ackNow) return;
    if (seqDiff(this.rcvNxt, this.rcvWup) > this.rcvMss || (this.quickAcks > 0 && !this.pingpong)) {
      this.ackNow = true;
      return;
    }
    if (this.delAckAt >= 0) return;
    let ato = this.ato;
    if (ato > this.config.delayedAckUs) {
      let maxAto = this.pingpong ? LINUX_DELACK_MAX_US : LINUX_ATO_CEILING_US;
      if (this.rto.srtt >= 0) maxAto = Math.min(maxAto, Math.max(this.rto.srtt, this.config.delayedAckUs));
      ato = Math.min(ato, maxAto);
    }
    this.delAckAt = now + (ato === 0 ? JIFFY_US : ato);
  }

  private challengeAck(why: string): void {
    this.challenges.push({ at: this.lastNow, why });
    this.ackNow = true;
  }

  /** SND.UNA advances to `ack`: free acknowledged data, take an RTT sample, manage the timer. */
  private ackAdvanced(now: number, ack: number): void {
    // The SYN's sequence number is not data: it does not open the congestion window.
    const acked = seqDiff(ack, this.sndUna) - (seqGt(this.sndUna, this.iss) ? 0 : 1);
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    const freed = Math.max(0, Math.min(seqDiff(ack, this.sendQueueSeq), this.sendQueue.length));
    if (freed > 0) {
      this.sendQueue = this.sendQueue.subarray(freed);
      this.sendQueueSeq = seqAdd(this.sendQueueSeq, freed);
    }
    if (this.rttSeq >= 0 && seqGe(ack, this.rttSeq)) {
      this.rto.sample(now - this.rttStart);
      this.rttSeq = -1;
    }
    this.rto.acknowledged();
    this.retransmits = 0;
    this.dupAcks = 0;
    this.flightSince = this.sndUna === this.sndMax ? -1 : now;
    if (this.tlpHigh >= 0 && seqGe(ack, this.tlpHigh)) this.tlpHigh = -1;
    // RFC 5681 §3.1: slow start below ssthresh, congestion avoidance above.
    const mss = this.dataMss();
    if (acked <= 0) {
      // nothing but our SYN was acknowledged
    } else if (this.cwnd < this.ssthresh) {
      // Linux tcp_slow_start counts every acknowledged segment (RFC 3465's byte counting without
      // its L limit); the RFC 5681 §3.1 rule grows by at most one SMSS per ACK.
      this.cwnd += this.linux ? Math.min(acked, this.ssthresh - this.cwnd) : Math.min(acked, mss);
    } else this.cwnd += Math.max(1, Math.floor((mss * mss) / this.cwnd));
    if (!this.persist) this.rtxAt = this.sndUna === this.sndMax ? -1 : this.rtoDeadline(now);
    // Linux tcp_set_xmit_timer: an ACK that advances restarts the loss probe timer.
    this.armLossProbe(now, true);
  }

  /** RFC 5681 §3.2: the third duplicate ACK resends the first unacknowledged segment. */
  private maybeDuplicateAck(now: number, seg: Segment, dataLen: number, fin: boolean): void {
    const duplicate =
      seg.ack === this.sndUna &&
      dataLen === 0 &&
      !fin &&
      this.sndMax !== this.sndUna &&
      seg.window << this.sndWscale === this.sndWnd;
    if (!duplicate) return;
    this.dupAcks++;
    if (this.dupAcks !== 3) return;
    const mss = this.dataMss();
    this.ssthresh = Math.max(seqDiff(this.sndMax, this.sndUna) >>> 1, 2 * mss);
    this.cwnd = this.ssthresh;
    this.rttSeq = -1;
    const offset = seqDiff(this.sndUna, this.sendQueueSeq);
    const len = Math.min(mss, this.sendQueue.length - offset);
    if (len > 0) {
      this.out.push(this.segment(ACK, this.sndUna, this.sendQueue.subarray(offset, offset + len)));
      this.clearAckPending();
      this.rtxAt = now + this.rto.current();
    }
  }

  /** §3.10.7.4 step 5: take SEG.WND when the segment is newer than the last update. */
  private updateWindow(seg: Segment): void {
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, seg.ack))) {
      this.sndWnd = seg.window << this.sndWscale;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      if (this.sndWnd > this.maxSndWnd) this.maxSndWnd = this.sndWnd;
    }
  }

  // ---------------------------------------------------------------- sending

  private initSend(now: number): void {
    const issFor = this.config.issFor;
    this.iss = (issFor ? issFor(now, this.localPort, this.remotePort) : this.config.random()) >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.sendQueueSeq = this.sndNxt;
  }

  /** Options of a received SYN or SYN+ACK (RFC 9293 §3.7.1, RFC 7323 §1.3, RFC 2018 §2). */
  private negotiate(o: TcpOptions): void {
    this.sndMss = Math.min(o.mss ?? DEFAULT_PEER_MSS, this.config.mss);
    this.wsOk = this.config.wscale !== undefined && o.wscale !== undefined;
    this.sndWscale = this.wsOk ? Math.min(o.wscale!, MAX_WSCALE) : 0;
    this.rcvWscale = this.wsOk ? this.config.wscale! : 0;
    this.sackOk = this.config.sack && o.sackOk === true;
    this.tsOk = this.config.timestamps && o.ts !== undefined;
    if (o.ts) this.tsRecent = o.ts[0];
    this.cwnd = this.config.initialCwndSegments * this.dataMss();
  }

  /** Payload bytes per segment: the MSS less the timestamp option (as Linux counts). */
  private dataMss(): number {
    return Math.max(1, this.sndMss - (this.tsOk ? TS_OPTION_BYTES : 0));
  }

  /** (Re)send our SYN or SYN+ACK; arms the retransmission timer. */
  private sendSyn(now: number, withAck: boolean, payload: Uint8Array = EMPTY): void {
    const active = !withAck;
    const options: TcpOptions = { mss: this.config.mss };
    // A SYN offers what we support; a SYN+ACK answers only what the SYN offered (RFC 7323 §1.3).
    if (active ? this.config.sack : this.sackOk) options.sackOk = true;
    if (active ? this.config.timestamps : this.tsOk)
      options.ts = [this.tsVal(now), active ? 0 : this.tsRecent];
    if (active ? this.config.wscale !== undefined : this.wsOk) options.wscale = this.config.wscale;
    // Fast Open: a client's SYN carries its cookie (or a request), its retransmissions too; a
    // server's first SYN+ACK the cookie it hands out (Linux's tcp_rtx_synack passes none).
    if (this.fastOpenCookie && (active || this.retransmits === 0)) options.fastOpen = this.fastOpenCookie;
    // Linux tcp_select_initial_window: the SYN's window is a whole number of segments (64240 for
    // MSS 1460; 65160 = 45 × 1448 in a SYN+ACK with timestamps).
    const segment = this.config.mss - (withAck && this.tsOk ? TS_OPTION_BYTES : 0);
    const unscaled = Math.min(this.rcvWnd(), 65535);
    this.lastAdvertised = unscaled >= segment ? unscaled - (unscaled % segment) : unscaled;
    this.out.push({
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: this.iss,
      ack: withAck ? this.rcvNxt : 0,
      flags: withAck ? SYN | ACK : SYN,
      window: this.lastAdvertised,
      options,
      payload,
    });
    if (withAck) this.clearAckPending();
    if (this.retransmits === 0) {
      this.rttSeq = seqAdd(this.iss, 1);
      this.rttStart = now;
    }
    this.rtxAt = now + this.rto.current();
  }

  /** A segment from our TCB: window, ACK, timestamps and SACK blocks filled in. */
  private segment(flags: number, seq: number, payload: Uint8Array): Segment {
    const wnd = this.rcvWnd();
    const field = Math.min(wnd >>> this.rcvWscale, 65535);
    this.lastAdvertised = field << this.rcvWscale;
    const options: TcpOptions = {};
    if (this.tsOk) options.ts = [this.tsVal(this.lastNow), this.tsRecent];
    if (this.sackOk && flags & ACK && !(flags & RST) && (!this.ooo.isEmpty || this.dsack)) {
      const max = this.tsOk ? 3 : 4;
      const blocks = this.ooo.isEmpty ? [] : this.ooo.sackBlocks(max);
      options.sack = this.dsack ? [this.dsack, ...blocks].slice(0, max) : blocks;
      this.dsack = undefined;
    }
    return {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq,
      ack: flags & ACK ? this.rcvNxt : 0,
      flags,
      window: field,
      options,
      payload,
    };
  }

  private tsVal(now: number): number {
    return (Math.floor(now / 1000) + this.tsOffset) >>> 0;
  }

  private rcvWnd(): number {
    return Math.max(0, this.config.rcvBufSize - this.unreadBytes);
  }

  private dataEnd(): number {
    return seqAdd(this.sendQueueSeq, this.sendQueue.length);
  }

  /** Our FIN was sent and acknowledged. */
  private finAcked(): boolean {
    return this.finQueued && seqGt(this.sndUna, this.dataEnd());
  }

  private clearAckPending(): void {
    this.ackNow = false;
    this.delAckAt = -1;
    if (this.linux) {
      // Linux tcp_event_ack_sent: rcv_wup moves up; each ACK uses up quick-ACKs (tcp_dec_quickack_mode).
      this.rcvWup = this.rcvNxt;
      if (this.unackedSegments > 0) this.quickAcks = Math.max(0, this.quickAcks - this.unackedSegments);
    }
    this.unackedSegments = 0;
  }

  /** Send what the windows allow, the FIN when its turn comes, and any ACK owed. */
  private output(now: number): void {
    this.lastNow = now;
    const s = this.stateValue;
    // A Fast Open server may answer before the handshake's ACK (Linux tcp_passive_fastopen):
    // its data follows the SYN+ACK within the first window.
    const canSend =
      (s === S.SYN_RECEIVED && this.fastOpenAcceptData) ||
      ((s === S.ESTABLISHED ||
        s === S.CLOSE_WAIT ||
        s === S.FIN_WAIT_1 ||
        s === S.CLOSING ||
        s === S.LAST_ACK) &&
        seqGt(this.sndUna, this.iss));
    if (canSend) {
      const mss = this.dataMss();
      const end = this.dataEnd();
      const firstOut = this.out.length;
      const maxBefore = this.sndMax;
      for (;;) {
        const limit = seqAdd(this.sndUna, Math.min(this.sndWnd, this.cwnd));
        const pending = seqDiff(end, this.sndNxt);
        if (pending > 0) {
          const len = Math.min(mss, pending, seqDiff(limit, this.sndNxt));
          if (len <= 0) break;
          const offset = seqDiff(this.sndNxt, this.sendQueueSeq);
          const last = len === pending;
          const withFin = last && this.finQueued;
          const flags = ACK | (last ? PSH : 0) | (withFin ? FIN : 0);
          this.transmit(now, flags, this.sndNxt, this.sendQueue.subarray(offset, offset + len));
        } else if (this.finQueued && this.sndNxt === end) {
          // Linux tcp_send_fin: the FIN goes out whatever the peer's window.
          if (this.sndNxt === this.sndMax) this.finSentAlone = true;
          this.transmit(now, FIN | ACK, this.sndNxt, EMPTY);
        } else break;
      }
      // Linux tcp_write_xmit: new data sent (re)starts the loss probe timer.
      if (this.sndMax !== maxBefore) this.armLossProbe(now, true);
      // Linux tcp_push: the last segment of what one call sends carries PSH, also when the
      // window or cwnd cut the write short.
      if (this.linux) {
        for (let i = this.out.length - 1; i >= firstOut; i--) {
          if (this.out[i].payload.length === 0) continue;
          this.out[i].flags |= PSH;
          break;
        }
      }
      // Nothing in flight, data waiting, window closed: the persist timer probes (§3.8.6.1).
      if (this.sndWnd === 0 && seqGt(end, this.sndNxt) && this.rtxAt < 0) {
        this.persist = true;
        this.rtxAt = now + this.rto.current();
      }
    }
    // §3.10.4 CLOSE in SYN_RECEIVED: "If no SENDs have been issued and there is no pending data
    // to send, then form a FIN segment and send it, and enter FIN-WAIT-1 state" (Linux
    // tcp_close_state SYN_RECV → FIN_WAIT1 and tcp_send_fin do the same): the FIN leaves at once,
    // before our SYN is acknowledged; with data queued it waits for the handshake like the data.
    const iss1 = seqAdd(this.iss, 1);
    if (
      s === S.FIN_WAIT_1 &&
      this.finQueued &&
      !seqGt(this.sndUna, this.iss) &&
      this.dataEnd() === iss1 &&
      this.sndNxt === iss1
    ) {
      this.transmit(now, FIN | ACK, iss1, EMPTY);
    }
    if (this.ackNow && s !== S.CLOSED && s !== S.LISTEN && s !== S.SYN_SENT) {
      this.out.push(this.segment(ACK, this.sndNxt, EMPTY));
      this.clearAckPending();
    }
  }

  private transmit(now: number, flags: number, seq: number, payload: Uint8Array): void {
    this.out.push(this.segment(flags, seq, payload));
    this.clearAckPending();
    const next = seqAdd(seq, payload.length + (flags & FIN ? 1 : 0));
    if (seqGt(next, this.sndMax)) {
      // Linux tcp_event_data_sent: answering data within the delayed-ACK time looks interactive.
      if (payload.length > 0 && this.lastDataAt >= 0 && now - this.lastDataAt < this.config.delayedAckUs) {
        this.pingpong = true;
      }
      // New data (not a retransmission): time it if nothing is being timed (Karn).
      if (this.rttSeq < 0 && this.retransmits === 0) {
        this.rttSeq = next;
        this.rttStart = now;
      }
      this.sndMax = next;
    }
    this.sndNxt = next;
    if (this.flightSince < 0) this.flightSince = now;
    if (this.rtxAt < 0 || this.persist) {
      this.persist = false;
      this.rtxAt = this.rtoDeadline(now);
    }
  }

  private stopPersist(): void {
    this.persist = false;
    // An RFC-style probe byte the peer refused is resent at once with what follows it.
    this.sndNxt = this.sndUna;
    this.rtxAt = this.sndUna === this.sndMax ? -1 : this.rtxAt;
    this.rto.acknowledged();
  }

  private armTimeWait(now: number): void {
    this.timeWaitAt = now + this.config.timeWaitUs;
  }

  private armFinWait2(now: number): void {
    this.finWait2At = now + this.config.finWait2TimeoutUs;
  }

  // ---------------------------------------------------------------- the table

  /** Every state change: the table decides the next state; timers follow the state. */
  private transition(now: number, event: TcpEvent, reason: string): void {
    const from = this.stateValue;
    const row = findTransition(from, event, this.passive);
    if (!row) {
      // A missing row is a bug in this file, never a property of the input.
      throw new Error(`tcp endpoint: no transition from ${stateName(from)} on ${EVENT_NAMES[event]}`);
    }
    const to = row.to;
    this.stateValue = to;
    this.events.push({ at: now, from, to, event, rfc: row.rfc, reason });
    this.history.push({ at: now, state: to });
    if (to === S.CLOSED || to === S.LISTEN) {
      this.rtxAt = this.tlpAt = this.delAckAt = this.timeWaitAt = this.finWait2At = this.keepaliveAt = -1;
      this.persist = false;
      this.ackNow = false;
      this.retransmits = 0;
      if (to === S.LISTEN && from !== S.CLOSED) this.finQueued = false;
      this.closeAfterHandshake = false;
    } else if (to === S.TIME_WAIT) {
      this.rtxAt = this.tlpAt = this.keepaliveAt = this.finWait2At = -1;
    } else if (to === S.ESTABLISHED && this.config.keepalive) {
      this.keepaliveAt = now + this.config.keepaliveIdleUs;
    }
    if (to === S.ESTABLISHED && from === S.SYN_RECEIVED && this.sndUna === this.sndMax) this.rtxAt = -1;
    if (
      this.closeAfterHandshake &&
      from === S.SYN_RECEIVED &&
      (to === S.ESTABLISHED || to === S.CLOSE_WAIT)
    ) {
      // The CLOSE queued in SYN_RECEIVED (§3.10.4) is processed now; its FIN follows the data.
      this.closeAfterHandshake = false;
      this.finQueued = true;
      this.transition(now, TcpEvent.CLOSE, 'close queued in SYN_RECEIVED');
    }
  }
}
