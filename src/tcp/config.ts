// The endpoint's tunables, with Linux's defaults (net.ipv4.tcp_* sysctls of a 6.x kernel) so the
// lab's captures look like a Linux host's. Times are integer microseconds.

import type { RandomSource } from './random.js';

/**
 * Which TCP the endpoint is. 'rfc9293': the RFC's state machine and timers with Linux's default
 * numbers (the lab's named scenarios). 'linux': also what Linux does where the RFC leaves room
 * or Linux departs from it (docs/lab-packetdrill.md): its delayed-ACK rules (ato, rcv_mss, quick-ACK
 * counter), RTO = SRTT + max(4·RTTVAR, rto_min), tail loss probes (RFC 8985 §7), PSH at the end
 * of each burst, a RST for data reaching a closed socket, TCP_USER_TIMEOUT.
 */
export type StackPersonality = 'rfc9293' | 'linux';

/** How a sender probes a zero window (RFC 9293 §3.8.6.1). */
export type ZeroWindowProbeStyle = 'rfc' | 'linux';

export interface EndpointConfig {
  /** Uniform uint32 source for the ISN (RFC 9293 §3.4.1) and the timestamp offset: pass a seeded one. */
  random: RandomSource;
  localPort: number;
  /** MSS we announce (RFC 9293 §3.7.1): 1460 for Ethernet/IPv4. */
  mss: number;
  /** Our window-scale shift (RFC 7323 §2), or undefined to not offer the option. Linux: 7. */
  wscale: number | undefined;
  sack: boolean;
  timestamps: boolean;
  /** Receive buffer: the most unread data we accept (bounds RCV.WND). */
  rcvBufSize: number;
  initialRtoUs: number;
  minRtoUs: number;
  maxRtoUs: number;
  /** SYN retransmissions before giving up (tcp_syn_retries). */
  synRetries: number;
  /** SYN+ACK retransmissions before giving up (tcp_synack_retries). */
  synAckRetries: number;
  /** Data retransmissions before giving up (tcp_retries2). */
  dataRetries: number;
  /** Delayed-ACK timeout (Linux TCP_DELACK_MIN 40 ms; RFC 9293 §3.8.6.3 caps it at 500 ms); 0 acks at once. */
  delayedAckUs: number;
  /**
   * Linux's quick-ACK mode: the first data segments of a connection (up to 16, at most
   * RCV.BUF/(2·MSS)) are acknowledged at once, until the connection looks interactive (we send
   * data within the delayed-ACK time of receiving some: "pingpong"). false: always delay.
   */
  quickAck: boolean;
  /** TIME_WAIT length, 2×MSL (RFC 9293 §3.4.2 says MSL 2 min; Linux fixes TIME_WAIT at 60 s). */
  timeWaitUs: number;
  /** An orphaned FIN_WAIT_2 socket is dropped after this (tcp_fin_timeout). */
  finWait2TimeoutUs: number;
  /** SO_KEEPALIVE (RFC 9293 §3.8.4; RFC 1122 §4.2.3.6). */
  keepalive: boolean;
  keepaliveIdleUs: number;
  keepaliveIntervalUs: number;
  keepaliveProbes: number;
  zeroWindowProbe: ZeroWindowProbeStyle;
  /** Initial congestion window in segments (RFC 6928; Linux IW10). */
  initialCwndSegments: number;
  /**
   * The ISN for a connection (RFC 9293 §3.4.1: a 4 µs clock plus a keyed hash of the 4-tuple,
   * RFC 6528). Undefined: `random()`. The lab's hosts pass the RFC scheme so a new incarnation's
   * SYN lands above an old one's sequence space (what lets TIME_WAIT accept it).
   */
  issFor?: (now: number, localPort: number, remotePort: number) => number;
  /** Timestamp clock offset (Linux: per address pair); undefined: drawn from `random`. */
  tsOffset?: number;
  /** The personality (default 'rfc9293'). */
  stack: StackPersonality;
  /** Linux: tail loss probes (tcp_early_retrans 3 or 4; RFC 8985 §7). */
  tailLossProbe: boolean;
  /** TCP_USER_TIMEOUT (RFC 5482): give up when data stays unacknowledged this long; 0: off. */
  userTimeoutUs: number;
}

export const LINUX_DEFAULTS: Omit<EndpointConfig, 'random' | 'localPort'> = {
  mss: 1460,
  wscale: 7,
  sack: true,
  timestamps: true,
  rcvBufSize: 131072,
  initialRtoUs: 1_000_000,
  minRtoUs: 200_000,
  maxRtoUs: 120_000_000,
  synRetries: 6,
  synAckRetries: 5,
  dataRetries: 15,
  delayedAckUs: 40_000,
  quickAck: true,
  timeWaitUs: 60_000_000,
  finWait2TimeoutUs: 60_000_000,
  keepalive: false,
  keepaliveIdleUs: 7_200_000_000,
  keepaliveIntervalUs: 75_000_000,
  keepaliveProbes: 9,
  zeroWindowProbe: 'linux',
  initialCwndSegments: 10,
  stack: 'rfc9293',
  tailLossProbe: true,
  userTimeoutUs: 0,
};

export type EndpointOptions = Pick<EndpointConfig, 'random' | 'localPort'> & Partial<EndpointConfig>;

export function endpointConfig(options: EndpointOptions): EndpointConfig {
  return { ...LINUX_DEFAULTS, ...options };
}
