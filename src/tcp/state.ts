// RFC 9293's eleven connection states (§3.3.2) plus UNKNOWN for an endpoint an observer
// cannot place yet. Numeric in hot loops; names (as netstat and our JSON spell them) for display.

export enum TcpState {
  CLOSED = 0,
  LISTEN = 1,
  SYN_SENT = 2,
  SYN_RECEIVED = 3,
  ESTABLISHED = 4,
  FIN_WAIT_1 = 5,
  FIN_WAIT_2 = 6,
  CLOSE_WAIT = 7,
  CLOSING = 8,
  LAST_ACK = 9,
  TIME_WAIT = 10,
  UNKNOWN = 11,
}

export const STATE_NAMES = [
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RECEIVED',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
  'UNKNOWN',
] as const;

export type StateName = (typeof STATE_NAMES)[number];

export function stateName(s: TcpState): StateName {
  return STATE_NAMES[s];
}

export function stateFromName(name: string): TcpState | undefined {
  const i = (STATE_NAMES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : (i as TcpState);
}

/** States in which the endpoint has a synchronized connection (RFC 9293 §3.10.7.4). */
export function isSynchronized(s: TcpState): boolean {
  return s >= TcpState.ESTABLISHED && s <= TcpState.TIME_WAIT;
}
