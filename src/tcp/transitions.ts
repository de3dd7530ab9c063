// The RFC 9293 state transition table, as data (§3.3.2 Figure 5 and §3.10). One table serves
// the lab's endpoint, the tracker's inference, the tests and the diagrams: neither may grow its own.

import { TcpState as S } from './state.js';

/** What moves an endpoint from one state to another. */
export enum TcpEvent {
  /** User: passive OPEN. */
  OPEN_PASSIVE = 0,
  /** User: active OPEN; a SYN is sent. */
  OPEN_ACTIVE = 1,
  /** User: CLOSE; a FIN is sent (or, before a SYN was sent, nothing). */
  CLOSE = 2,
  /** User: ABORT; a RST is sent (when synchronized). */
  ABORT = 3,
  /** Segment: a SYN without ACK arrives. */
  RCV_SYN = 4,
  /** Segment: a SYN+ACK acknowledging our SYN arrives. */
  RCV_SYN_ACK = 5,
  /** Segment: an ACK covering our SYN arrives. */
  RCV_ACK_OF_SYN = 6,
  /** Segment: a FIN arrives (in sequence) that does not acknowledge our FIN. */
  RCV_FIN = 7,
  /** Segment: an ACK covering our FIN arrives (no FIN from the peer in it). */
  RCV_ACK_OF_FIN = 8,
  /** Segment: a FIN arrives that also acknowledges our FIN. */
  RCV_FIN_ACK_OF_FIN = 9,
  /** Segment: an acceptable RST arrives (RFC 5961 §3: exactly RCV.NXT). */
  RCV_RST = 10,
  /** Timer: TIME_WAIT's 2×MSL ran out. */
  TIMEOUT_TIME_WAIT = 11,
  /** Timer: SYN or SYN+ACK retransmissions exhausted, or user timeout. */
  TIMEOUT_GIVE_UP = 12,
  /** Timer: Linux's tcp_fin_timeout for an orphaned FIN_WAIT_2 socket. */
  TIMEOUT_FIN_WAIT_2 = 13,
  /**
   * Segment: a SYN with a sequence number above RCV.NXT reaches TIME_WAIT and the endpoint steps
   * aside so a new connection can take the 4-tuple (Linux tcp_timewait_state_process TCP_TW_SYN;
   * RFC 6191). The new connection is a new endpoint (PRODUCT.md: port-reuse starts a new one).
   */
  RCV_SYN_REUSE = 14,
}

export const EVENT_NAMES = [
  'open-passive',
  'open-active',
  'close',
  'abort',
  'rcv-syn',
  'rcv-syn-ack',
  'rcv-ack-of-syn',
  'rcv-fin',
  'rcv-ack-of-fin',
  'rcv-fin-ack-of-fin',
  'rcv-rst',
  'timeout-time-wait',
  'timeout-give-up',
  'timeout-fin-wait-2',
  'rcv-syn-reuse',
] as const;

export interface Transition {
  readonly from: S;
  readonly event: TcpEvent;
  readonly to: S;
  /** What the endpoint sends as it moves ('' when nothing). */
  readonly sends: '' | 'SYN' | 'SYN+ACK' | 'ACK' | 'FIN' | 'RST';
  /** The RFC section (or 'Linux') this transition follows. */
  readonly rfc: string;
  /** A passive opener's SYN_RECEIVED returns to LISTEN on RST (§3.10.7.3/4); an active one goes to CLOSED. */
  readonly onlyIf?: 'passive' | 'active';
}

const SYNCHRONIZED = [S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK];

export const TRANSITIONS: readonly Transition[] = [
  { from: S.CLOSED, event: TcpEvent.OPEN_PASSIVE, to: S.LISTEN, sends: '', rfc: '3.10.1' },
  { from: S.CLOSED, event: TcpEvent.OPEN_ACTIVE, to: S.SYN_SENT, sends: 'SYN', rfc: '3.10.1' },
  { from: S.LISTEN, event: TcpEvent.OPEN_ACTIVE, to: S.SYN_SENT, sends: 'SYN', rfc: '3.10.2' },
  { from: S.LISTEN, event: TcpEvent.RCV_SYN, to: S.SYN_RECEIVED, sends: 'SYN+ACK', rfc: '3.10.7.2' },
  { from: S.LISTEN, event: TcpEvent.CLOSE, to: S.CLOSED, sends: '', rfc: '3.10.4' },
  { from: S.SYN_SENT, event: TcpEvent.RCV_SYN_ACK, to: S.ESTABLISHED, sends: 'ACK', rfc: '3.10.7.3' },
  // Simultaneous open: a SYN without ACK while our SYN is out.
  { from: S.SYN_SENT, event: TcpEvent.RCV_SYN, to: S.SYN_RECEIVED, sends: 'SYN+ACK', rfc: '3.10.7.3' },
  { from: S.SYN_SENT, event: TcpEvent.CLOSE, to: S.CLOSED, sends: '', rfc: '3.10.4' },
  { from: S.SYN_SENT, event: TcpEvent.ABORT, to: S.CLOSED, sends: '', rfc: '3.10.5' },
  { from: S.SYN_SENT, event: TcpEvent.RCV_RST, to: S.CLOSED, sends: '', rfc: '3.10.7.3' },
  { from: S.SYN_SENT, event: TcpEvent.TIMEOUT_GIVE_UP, to: S.CLOSED, sends: '', rfc: '3.10.8' },
  { from: S.SYN_RECEIVED, event: TcpEvent.RCV_ACK_OF_SYN, to: S.ESTABLISHED, sends: '', rfc: '3.10.7.4' },
  // The ACK of our SYN and the peer's FIN in one segment: ESTABLISHED, then at once CLOSE_WAIT.
  { from: S.SYN_RECEIVED, event: TcpEvent.RCV_FIN, to: S.CLOSE_WAIT, sends: 'ACK', rfc: '3.10.7.4' },
  { from: S.SYN_RECEIVED, event: TcpEvent.CLOSE, to: S.FIN_WAIT_1, sends: 'FIN', rfc: '3.10.4' },
  {
    from: S.SYN_RECEIVED,
    event: TcpEvent.RCV_RST,
    to: S.LISTEN,
    sends: '',
    rfc: '3.10.7.4',
    onlyIf: 'passive',
  },
  {
    from: S.SYN_RECEIVED,
    event: TcpEvent.RCV_RST,
    to: S.CLOSED,
    sends: '',
    rfc: '3.10.7.4',
    onlyIf: 'active',
  },
  // A SYN in the window of a passive SYN_RECEIVED (e.g. the real SYN after an old duplicate's).
  {
    from: S.SYN_RECEIVED,
    event: TcpEvent.RCV_SYN,
    to: S.LISTEN,
    sends: '',
    rfc: '3.10.7.4',
    onlyIf: 'passive',
  },
  { from: S.SYN_RECEIVED, event: TcpEvent.ABORT, to: S.CLOSED, sends: 'RST', rfc: '3.10.5' },
  { from: S.SYN_RECEIVED, event: TcpEvent.TIMEOUT_GIVE_UP, to: S.CLOSED, sends: '', rfc: '3.10.8' },
  { from: S.ESTABLISHED, event: TcpEvent.CLOSE, to: S.FIN_WAIT_1, sends: 'FIN', rfc: '3.10.4' },
  { from: S.ESTABLISHED, event: TcpEvent.RCV_FIN, to: S.CLOSE_WAIT, sends: 'ACK', rfc: '3.10.7.4' },
  { from: S.FIN_WAIT_1, event: TcpEvent.RCV_ACK_OF_FIN, to: S.FIN_WAIT_2, sends: '', rfc: '3.10.7.4' },
  // Simultaneous close: the peer's FIN crosses ours.
  { from: S.FIN_WAIT_1, event: TcpEvent.RCV_FIN, to: S.CLOSING, sends: 'ACK', rfc: '3.10.7.4' },
  // Merged FIN+ACK: the peer's FIN acknowledges ours, FIN_WAIT_2 is skipped.
  { from: S.FIN_WAIT_1, event: TcpEvent.RCV_FIN_ACK_OF_FIN, to: S.TIME_WAIT, sends: 'ACK', rfc: '3.10.7.4' },
  { from: S.FIN_WAIT_2, event: TcpEvent.RCV_FIN, to: S.TIME_WAIT, sends: 'ACK', rfc: '3.10.7.4' },
  { from: S.FIN_WAIT_2, event: TcpEvent.RCV_FIN_ACK_OF_FIN, to: S.TIME_WAIT, sends: 'ACK', rfc: '3.10.7.4' },
  { from: S.FIN_WAIT_2, event: TcpEvent.TIMEOUT_FIN_WAIT_2, to: S.CLOSED, sends: '', rfc: 'Linux' },
  { from: S.CLOSING, event: TcpEvent.RCV_ACK_OF_FIN, to: S.TIME_WAIT, sends: '', rfc: '3.10.7.4' },
  { from: S.CLOSE_WAIT, event: TcpEvent.CLOSE, to: S.LAST_ACK, sends: 'FIN', rfc: '3.10.4' },
  { from: S.LAST_ACK, event: TcpEvent.RCV_ACK_OF_FIN, to: S.CLOSED, sends: '', rfc: '3.10.7.4' },
  { from: S.TIME_WAIT, event: TcpEvent.TIMEOUT_TIME_WAIT, to: S.CLOSED, sends: '', rfc: '3.10.8' },
  // A new SYN in TIME_WAIT may reopen the connection (RFC 9293 §3.10.7.4 note; RFC 6191).
  { from: S.TIME_WAIT, event: TcpEvent.RCV_SYN, to: S.SYN_RECEIVED, sends: 'SYN+ACK', rfc: '3.10.7.4' },
  { from: S.TIME_WAIT, event: TcpEvent.RCV_SYN_REUSE, to: S.CLOSED, sends: '', rfc: 'Linux' },
  ...SYNCHRONIZED.map((from) => ({
    from,
    event: TcpEvent.RCV_RST,
    to: S.CLOSED,
    sends: '' as const,
    rfc: '3.10.7.4',
  })),
  ...SYNCHRONIZED.map((from) => ({
    from,
    event: TcpEvent.ABORT,
    to: S.CLOSED,
    sends: 'RST' as const,
    rfc: '3.10.5',
  })),
  { from: S.TIME_WAIT, event: TcpEvent.RCV_RST, to: S.CLOSED, sends: '', rfc: '3.10.7.4' },
  { from: S.TIME_WAIT, event: TcpEvent.ABORT, to: S.CLOSED, sends: '', rfc: '3.10.5' },
  { from: S.LISTEN, event: TcpEvent.ABORT, to: S.CLOSED, sends: '', rfc: '3.10.5' },
  { from: S.FIN_WAIT_1, event: TcpEvent.TIMEOUT_GIVE_UP, to: S.CLOSED, sends: '', rfc: '3.10.8' },
  { from: S.LAST_ACK, event: TcpEvent.TIMEOUT_GIVE_UP, to: S.CLOSED, sends: '', rfc: '3.10.8' },
  { from: S.CLOSING, event: TcpEvent.TIMEOUT_GIVE_UP, to: S.CLOSED, sends: '', rfc: '3.10.8' },
  { from: S.ESTABLISHED, event: TcpEvent.TIMEOUT_GIVE_UP, to: S.CLOSED, sends: '', rfc: '3.10.8' },
  { from: S.CLOSE_WAIT, event: TcpEvent.TIMEOUT_GIVE_UP, to: S.CLOSED, sends: '', rfc: '3.10.8' },
];

// Dense lookup: [from * EVENTS + event] -> to (or -1), built once from the table.
const EVENT_COUNT = EVENT_NAMES.length;
const NEXT_PASSIVE = new Int8Array(12 * EVENT_COUNT).fill(-1);
const NEXT_ACTIVE = new Int8Array(12 * EVENT_COUNT).fill(-1);
for (const t of TRANSITIONS) {
  const i = t.from * EVENT_COUNT + t.event;
  if (t.onlyIf !== 'active') NEXT_PASSIVE[i] = t.to;
  if (t.onlyIf !== 'passive') NEXT_ACTIVE[i] = t.to;
}

/**
 * The state `event` moves `from` to, or undefined when the table has no such transition
 * (the event does not change the state). `passive` tells whether the endpoint opened passively.
 */
export function nextState(from: S, event: TcpEvent, passive = true): S | undefined {
  const to = (passive ? NEXT_PASSIVE : NEXT_ACTIVE)[from * EVENT_COUNT + event];
  return to < 0 ? undefined : (to as S);
}

/** The table row for (from, event), for diagrams and explanations. */
export function findTransition(from: S, event: TcpEvent, passive = true): Transition | undefined {
  return TRANSITIONS.find(
    (t) =>
      t.from === from &&
      t.event === event &&
      (t.onlyIf === undefined || t.onlyIf === (passive ? 'passive' : 'active')),
  );
}
