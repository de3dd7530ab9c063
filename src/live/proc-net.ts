// The host's TCP socket table as the kernel prints it in /proc/net/tcp and /proc/net/tcp6
// (net/ipv4/tcp_ipv4.c get_tcp4_sock/get_timewait4_sock/get_openreq4, net/ipv6/tcp_ipv6.c).
// Read directly, no `ss` subprocess. /proc/net is per network namespace: this reads the
// namespace of the calling process.
//
// Format facts the parser relies on:
// - Addresses are the raw in-memory __be32 words printed with %08X, i.e. each 32-bit word is
//   read in the host's byte order: 127.0.0.1 is `0100007F` on little-endian machines. IPv6 is
//   four such words. Ports are already in host order (%04X of ntohs).
// - `st` uses Linux's numbering (include/net/tcp_states.h): 01 ESTABLISHED, 02 SYN_SENT,
//   03 SYN_RECV, 04 FIN_WAIT1, 05 FIN_WAIT2, 06 TIME_WAIT, 07 CLOSE, 08 CLOSE_WAIT, 09 LAST_ACK,
//   0A LISTEN, 0B CLOSING, 0C NEW_SYN_RECV (a request socket, which netstat and ss show as
//   SYN_RECV): mapped onto RFC 9293's names of src/tcp/state.ts.
// - `tr` is the pending timer (0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero window
//   probe) and `tm->when` its remaining time in clock ticks (USER_HZ, 100 per second), hex.
//   For TIME_WAIT it is what is left of Linux's fixed 60 s (TCP_TIMEWAIT_LEN).
// - `retrnsmt` is icsk_retransmits (a request socket's SYN-ACK timeouts) and the column after
//   `uid` is icsk_probes_out: ss -o prints the first as a retransmit timer's count and the second
//   as a keepalive or zero window probe timer's (net/ipv4/inet_diag.c inet_sk_diag_fill).
// - For a listener, rx_queue is the accept queue's length (sk_ack_backlog) and tx_queue is 0:
//   its backlog limit, which ss shows as Send-Q, reaches user space only over sock_diag netlink.
// - TIME_WAIT and request sockets have inode 0 and uid 0: no process owns them; nor does a
//   connection still waiting in a listener's accept queue.

import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { addrString } from '../report/zeek-tsv.js';
import { TcpState } from '../tcp/state.js';

/** Linux's TIME_WAIT length (include/net/tcp.h TCP_TIMEWAIT_LEN), seconds. */
export const LINUX_TIME_WAIT_SEC = 60;
/** USER_HZ: the unit of /proc's timer column. */
const CLOCK_TICKS_PER_SEC = 100;

export enum ProcTimer {
  NONE = 0,
  RETRANSMIT = 1,
  KEEPALIVE = 2,
  TIME_WAIT = 3,
  ZERO_WINDOW_PROBE = 4,
}

/** One line of /proc/net/tcp{,6}. */
export interface ProcSocket {
  ipVersion: 4 | 6;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  state: TcpState;
  /** Linux's own state number (1..12), for what our names fold together (NEW_SYN_RECV). */
  linuxState: number;
  txQueue: number;
  rxQueue: number;
  timer: ProcTimer;
  /** Remaining time of the pending timer, in milliseconds (0 when none). */
  timerMs: number;
  retransmits: number;
  /** Unanswered keepalive or zero window probes (icsk_probes_out). */
  probes: number;
  uid: number;
  /** Socket inode (0 for TIME_WAIT and request sockets). */
  inode: number;
}

/** Linux state number (tcp_states.h) → our state. */
const LINUX_STATES: readonly TcpState[] = [
  TcpState.UNKNOWN, // 0: unused
  TcpState.ESTABLISHED, // 01 TCP_ESTABLISHED
  TcpState.SYN_SENT, // 02 TCP_SYN_SENT
  TcpState.SYN_RECEIVED, // 03 TCP_SYN_RECV (a full socket, e.g. Fast Open)
  TcpState.FIN_WAIT_1, // 04 TCP_FIN_WAIT1
  TcpState.FIN_WAIT_2, // 05 TCP_FIN_WAIT2
  TcpState.TIME_WAIT, // 06 TCP_TIME_WAIT
  TcpState.CLOSED, // 07 TCP_CLOSE
  TcpState.CLOSE_WAIT, // 08 TCP_CLOSE_WAIT
  TcpState.LAST_ACK, // 09 TCP_LAST_ACK
  TcpState.LISTEN, // 0A TCP_LISTEN
  TcpState.CLOSING, // 0B TCP_CLOSING
  TcpState.SYN_RECEIVED, // 0C TCP_NEW_SYN_RECV: a request socket, netstat's SYN_RECV
];

export function stateFromLinux(n: number): TcpState {
  return LINUX_STATES[n] ?? TcpState.UNKNOWN;
}

const scratch = new Uint8Array(16);

/** Writes the 32-bit word of `hex` (8 hex digits, printed from host order) into scratch at `at`. */
function putWord(hex: string, from: number, at: number, littleEndian: boolean): boolean {
  const w = Number.parseInt(hex.slice(from, from + 8), 16);
  if (!Number.isFinite(w)) return false;
  if (littleEndian) {
    scratch[at] = w & 0xff;
    scratch[at + 1] = (w >>> 8) & 0xff;
    scratch[at + 2] = (w >>> 16) & 0xff;
    scratch[at + 3] = w >>> 24;
  } else {
    scratch[at] = w >>> 24;
    scratch[at + 1] = (w >>> 16) & 0xff;
    scratch[at + 2] = (w >>> 8) & 0xff;
    scratch[at + 3] = w & 0xff;
  }
  return true;
}

/** `ADDR:PORT` of /proc → [ip text, port], or null when malformed. */
function parseEndpoint(field: string, ipVersion: 4 | 6, littleEndian: boolean): [string, number] | null {
  const colon = field.indexOf(':');
  const hexLen = ipVersion === 4 ? 8 : 32;
  if (colon !== hexLen) return null;
  for (let i = 0; i < hexLen; i += 8) if (!putWord(field, i, i / 2, littleEndian)) return null;
  const port = Number.parseInt(field.slice(colon + 1), 16);
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) return null;
  return [addrString(scratch.subarray(0, ipVersion === 4 ? 4 : 16), ipVersion), port];
}

/**
 * Parses the text of /proc/net/tcp (ipVersion 4) or /proc/net/tcp6 (6). Lines that do not parse
 * (the header, a kernel with a different layout) are skipped. `littleEndian`: the byte order of
 * the host that wrote the text.
 */
export function parseProcNetTcp(text: string, ipVersion: 4 | 6, littleEndian = true): ProcSocket[] {
  const out: ProcSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
    if (f.length < 10 || !f[0]!.endsWith(':')) continue;
    const local = parseEndpoint(f[1]!, ipVersion, littleEndian);
    const remote = parseEndpoint(f[2]!, ipVersion, littleEndian);
    const st = Number.parseInt(f[3]!, 16);
    const [tx, rx] = f[4]!.split(':');
    const [tr, when] = f[5]!.split(':');
    if (local === null || remote === null || !Number.isInteger(st)) continue;
    const timer = Number.parseInt(tr ?? '0', 16) as ProcTimer;
    // jiffies_delta_to_clock_t clamps expired timers to 0; the column is unsigned hex.
    const ticks = Number.parseInt(when ?? '0', 16) || 0;
    out.push({
      ipVersion,
      localIp: local[0],
      localPort: local[1],
      remoteIp: remote[0],
      remotePort: remote[1],
      state: stateFromLinux(st),
      linuxState: st,
      txQueue: Number.parseInt(tx ?? '0', 16) || 0,
      rxQueue: Number.parseInt(rx ?? '0', 16) || 0,
      timer,
      timerMs: timer === ProcTimer.NONE ? 0 : Math.round((ticks * 1000) / CLOCK_TICKS_PER_SEC),
      retransmits: Number.parseInt(f[6]!, 16) || 0,
      uid: Number.parseInt(f[7]!, 10) || 0,
      probes: Number.parseInt(f[8]!, 10) || 0,
      inode: Number.parseInt(f[9]!, 10) || 0,
    });
  }
  return out;
}

/**
 * Every TCP socket of this network namespace, IPv4 then IPv6. A missing file (IPv6 disabled)
 * contributes nothing; an unreadable /proc/net/tcp is an error for the caller to report.
 */
export function readProcNetTcp(root = '/proc'): ProcSocket[] {
  const le = endianness() === 'LE';
  const v4 = parseProcNetTcp(readFileSync(`${root}/net/tcp`, 'latin1'), 4, le);
  let v6: ProcSocket[] = [];
  try {
    v6 = parseProcNetTcp(readFileSync(`${root}/net/tcp6`, 'latin1'), 6, le);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return v4.concat(v6);
}
