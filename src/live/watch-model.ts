// What `synack watch` knows between polls (TCPView's model): successive snapshots of the socket
// table diffed into new, changed and closed sockets (each highlighted for a few refreshes), the
// time each socket has spent in its state, per-state counts, state transitions as they are seen
// (for --changes, like bcc's tcpstates but from polling), and warnings when TIME_WAIT or
// CLOSE_WAIT pile up. Pure: the sockets and the time come in as arguments.
//
// A socket is identified by its 4-tuple, so a connection keeps its row when the kernel swaps its
// socket for a TIME_WAIT mini-socket (new inode 0) or a request socket for the accepted child.
// Sockets without a peer (LISTEN, unconnected CLOSE) add their inode: several can share a port
// (SO_REUSEPORT). Time in state counts from the first poll that saw the state, except for
// TIME_WAIT, whose elapsed time is exact: Linux's fixed 60 s minus what /proc says is left.
// Lasting CLOSE_WAIT is the classic leak: the peer closed, the kernel acknowledged, and the
// application never called close() (seed 002; RFC 9293 §3.6: CLOSE_WAIT waits for the user).

import {
  durationText,
  endpointText,
  type LeakGroup,
  type TimerKind,
  type Transition,
  type WatchRow,
  type WatchSocket,
  type WatchTimer,
} from '../report/watch-table.js';
import { TcpState } from '../tcp/state.js';
import { LINUX_TIME_WAIT_SEC, type ProcSocket, ProcTimer } from './proc-net.js';
import type { SocketOwners } from './proc-pids.js';
import { rowComparator, type SortKey } from './watch-sort.js';

export type { LeakGroup, Mark, Transition, WatchRow, WatchSocket } from '../report/watch-table.js';

export interface WatchFilter {
  /** Local or remote port. */
  port?: number;
  states?: ReadonlySet<TcpState>;
  /** Owned by this process (now or before TIME_WAIT). */
  pid?: number;
  /** Owned by this uid (sockets no process holds have uid 0). */
  uid?: number;
  /** Owned by a process of this command name (comm), now or before TIME_WAIT. */
  command?: string;
}

/** What the leak view knows of an owning process beyond its sockets. */
export interface ProcessFds {
  fds: number;
  fdLimit: number | null;
}

export interface WatchModelOptions {
  /** Refreshes a new/changed/closed socket stays highlighted (default 3). */
  highlightPolls?: number;
  /** CLOSE_WAIT held this long (ms) is reported as a leak (default 10 000). */
  closeWaitAgeMs?: number;
  /** The window (ms) over which growth is measured (default 10 000). */
  growthWindowMs?: number;
  /** TIME_WAIT rising by at least this many within the window warns (default 100). */
  timeWaitGrowth?: number;
  /** CLOSE_WAIT rising by at least this many within the window warns (default 3). */
  closeWaitGrowth?: number;
}

/** Joins /proc's sockets with their owners. */
export function watchSockets(sockets: readonly ProcSocket[], owners: SocketOwners): WatchSocket[] {
  return sockets.map((s) => {
    const pids = s.inode === 0 ? [] : (owners.pids.get(s.inode) ?? []);
    return {
      ipVersion: s.ipVersion,
      localIp: s.localIp,
      localPort: s.localPort,
      remoteIp: s.remoteIp,
      remotePort: s.remotePort,
      state: s.state,
      pids,
      command: commandOf(pids, owners.commands),
      inode: s.inode,
      timeWaitLeftMs: s.state === TcpState.TIME_WAIT && s.timer === ProcTimer.TIME_WAIT ? s.timerMs : -1,
      txQueue: s.txQueue,
      rxQueue: s.rxQueue,
      uid: s.uid,
      timer: timerOf(s),
    };
  });
}

const TIMER_KINDS: Partial<Record<ProcTimer, TimerKind>> = {
  [ProcTimer.RETRANSMIT]: 'retransmit',
  [ProcTimer.KEEPALIVE]: 'keepalive',
  [ProcTimer.TIME_WAIT]: 'timewait',
  [ProcTimer.ZERO_WINDOW_PROBE]: 'persist',
};

/**
 * The pending timer with the count ss -o shows beside it: retransmissions for the retransmit
 * timer, unanswered probes for keepalive and zero window probes (inet_diag.c), none for TIME_WAIT.
 */
function timerOf(s: ProcSocket): WatchTimer | null {
  const kind = TIMER_KINDS[s.timer];
  if (kind === undefined) return null;
  const count = kind === 'retransmit' ? s.retransmits : kind === 'timewait' ? 0 : s.probes;
  return { kind, leftMs: s.timerMs, count };
}

function commandOf(pids: readonly number[], commands: ReadonlyMap<number, string>): string | null {
  const names: string[] = [];
  for (const p of pids) {
    const c = commands.get(p);
    if (c !== undefined && !names.includes(c)) names.push(c);
  }
  return names.length === 0 ? null : names.join(',');
}

function hasPeer(s: WatchSocket): boolean {
  return s.remotePort !== 0 || (s.remoteIp !== '0.0.0.0' && s.remoteIp !== '::');
}

export function socketKey(s: WatchSocket): string {
  const base = `${s.ipVersion}|${s.localIp}|${s.localPort}|${s.remoteIp}|${s.remotePort}`;
  return hasPeer(s) ? base : `${base}|${s.inode}`;
}

/** Whether a row passes the filter. */
export function rowMatches(row: WatchRow, f: WatchFilter): boolean {
  const s = row.sock;
  if (f.port !== undefined && s.localPort !== f.port && s.remotePort !== f.port) return false;
  if (f.states !== undefined && !f.states.has(s.state)) return false;
  if (f.pid !== undefined && !s.pids.includes(f.pid) && !row.formerPids.includes(f.pid)) return false;
  if (f.uid !== undefined && s.uid !== f.uid) return false;
  if (f.command !== undefined && !commandMatches(f.command, s.command, row.formerCommand)) return false;
  return true;
}

/** `command` holds comm names joined by commas (several owners). */
function commandMatches(want: string, ...commands: (string | null)[]): boolean {
  return commands.some((c) => c?.split(',').includes(want) === true);
}

interface CountSample {
  atMs: number;
  timeWait: number;
  closeWait: number;
  /** The namespace's TcpExt ListenOverflows, null when unknown. */
  listenOverflows: number | null;
}

export class WatchModel {
  private readonly rowsByKey = new Map<string, WatchRow>();
  private readonly samples: CountSample[] = [];
  private polls = 0;
  private readonly highlightPolls: number;
  private readonly closeWaitAgeMs: number;
  private readonly growthWindowMs: number;
  private readonly timeWaitGrowth: number;
  private readonly closeWaitGrowth: number;

  constructor(
    opts: WatchModelOptions = {},
    private readonly filter: WatchFilter = {},
  ) {
    this.highlightPolls = opts.highlightPolls ?? 3;
    this.closeWaitAgeMs = opts.closeWaitAgeMs ?? 10_000;
    this.growthWindowMs = opts.growthWindowMs ?? 10_000;
    this.timeWaitGrowth = opts.timeWaitGrowth ?? 100;
    this.closeWaitGrowth = opts.closeWaitGrowth ?? 3;
  }

  /** Polls taken so far. */
  get pollCount(): number {
    return this.polls;
  }

  /**
   * Takes one poll's sockets at time `nowMs` and returns the transitions since the previous poll
   * (none for the first poll: what is there already is the baseline), filtered.
   */
  update(
    sockets: readonly WatchSocket[],
    nowMs: number,
    listenOverflows: number | null = null,
  ): Transition[] {
    const first = this.polls === 0;
    this.polls++;
    const transitions: Transition[] = [];
    const seen = new Set<string>();
    // Age the marks of the previous refresh; drop rows whose "closed" mark has run out.
    for (const [key, row] of this.rowsByKey) {
      if (row.markLeft > 0) row.markLeft--;
      if (row.markLeft === 0) {
        if (row.mark === 'closed') this.rowsByKey.delete(key);
        else row.mark = null;
      }
    }
    for (const s of sockets) {
      const key = socketKey(s);
      if (seen.has(key)) continue; // a socket moving between kernel tables during the read
      seen.add(key);
      const row = this.rowsByKey.get(key);
      const stateSinceMs = s.timeWaitLeftMs >= 0 ? nowMs - timeWaitElapsedMs(s.timeWaitLeftMs) : nowMs;
      if (row === undefined || row.mark === 'closed') {
        const fresh: WatchRow = {
          key,
          sock: s,
          formerPids: [],
          formerCommand: null,
          stateSinceMs,
          sinceStart: first && s.timeWaitLeftMs < 0,
          mark: first ? null : 'new',
          markLeft: first ? 0 : this.highlightPolls,
        };
        this.rowsByKey.set(key, fresh);
        if (!first) transitions.push(this.transition(fresh, nowMs, null, s.state, null));
        continue;
      }
      const prev = row.sock;
      if (prev.pids.length > 0 && s.pids.length === 0) {
        row.formerPids = prev.pids;
        row.formerCommand = prev.command;
      }
      row.sock = s;
      if (prev.state !== s.state) {
        const inFromMs = row.sinceStart ? null : nowMs - row.stateSinceMs;
        transitions.push(this.transition(row, nowMs, prev.state, s.state, inFromMs));
        row.stateSinceMs = stateSinceMs;
        row.sinceStart = false;
        row.mark = 'changed';
        row.markLeft = this.highlightPolls;
      }
    }
    for (const row of this.rowsByKey.values()) {
      if (seen.has(row.key) || row.mark === 'closed') continue;
      const inFromMs = row.sinceStart ? null : nowMs - row.stateSinceMs;
      transitions.push(this.transition(row, nowMs, row.sock.state, TcpState.CLOSED, inFromMs));
      row.mark = 'closed';
      row.markLeft = this.highlightPolls;
    }
    this.sample(nowMs, listenOverflows);
    return transitions.filter((t) => this.passes(t));
  }

  /** Rows to show (closed ones while their mark lasts), filtered, in display order or by `sort`. */
  rows(sort: readonly SortKey[] = []): WatchRow[] {
    const out: WatchRow[] = [];
    for (const row of this.rowsByKey.values()) if (rowMatches(row, this.filter)) out.push(row);
    return out.sort(rowComparator(sort));
  }

  /**
   * CLOSE_WAIT sockets grouped by owning process (those of no known owner together), filtered,
   * most sockets first. `minAgeMs`: only sockets in CLOSE_WAIT at least this long.
   */
  leaks(nowMs: number, minAgeMs = 0, fds: ReadonlyMap<number, ProcessFds> = new Map()): LeakGroup[] {
    const groups = new Map<string, LeakGroup & { peerSet: Set<string>; portSet: Set<number> }>();
    for (const row of this.rowsByKey.values()) {
      if (row.mark === 'closed' || row.sock.state !== TcpState.CLOSE_WAIT || !rowMatches(row, this.filter))
        continue;
      const age = this.timeInStateMs(row, nowMs);
      if (age < minAgeMs) continue;
      const s = row.sock;
      const key = s.pids.join(',');
      let g = groups.get(key);
      if (g === undefined) {
        const info = s.pids.length > 0 ? fds.get(s.pids[0]!) : undefined;
        g = {
          pids: s.pids,
          command: s.command,
          sockets: 0,
          oldestMs: -1,
          oldestSinceStart: false,
          newestMs: Number.POSITIVE_INFINITY,
          newestSinceStart: false,
          unreadBytes: 0,
          peers: 0,
          localPorts: [],
          fds: info?.fds ?? null,
          fdLimit: info?.fdLimit ?? null,
          peerSet: new Set(),
          portSet: new Set(),
        };
        groups.set(key, g);
      }
      g.sockets++;
      if (age > g.oldestMs) {
        g.oldestMs = age;
        g.oldestSinceStart = row.sinceStart;
      }
      if (age < g.newestMs) {
        g.newestMs = age;
        g.newestSinceStart = row.sinceStart;
      }
      g.unreadBytes += s.rxQueue;
      g.peerSet.add(s.remoteIp);
      g.portSet.add(s.localPort);
    }
    const out: LeakGroup[] = [];
    for (const { peerSet, portSet, ...g } of groups.values()) {
      g.peers = peerSet.size;
      g.localPorts = [...portSet].sort((a, b) => a - b);
      out.push(g);
    }
    // Known owners before the ownerless group; then most sockets, oldest first.
    return out.sort(
      (a, b) =>
        Number(a.pids.length === 0) - Number(b.pids.length === 0) ||
        b.sockets - a.sockets ||
        b.oldestMs - a.oldestMs ||
        (a.pids[0] ?? 0) - (b.pids[0] ?? 0),
    );
  }

  /** Open sockets per state (closed rows not counted), filtered. */
  counts(): Map<TcpState, number> {
    const counts = new Map<TcpState, number>();
    for (const row of this.rowsByKey.values()) {
      if (row.mark === 'closed' || !rowMatches(row, this.filter)) continue;
      counts.set(row.sock.state, (counts.get(row.sock.state) ?? 0) + 1);
    }
    return counts;
  }

  /** Time the row has been in its current state at `nowMs`. */
  timeInStateMs(row: WatchRow, nowMs: number): number {
    return Math.max(0, nowMs - row.stateSinceMs);
  }

  /** Warnings about TIME_WAIT and CLOSE_WAIT, as plain sentences. */
  warnings(nowMs: number): string[] {
    const out: string[] = [];
    // CLOSE_WAIT that lasts: grouped by owning process.
    for (const g of this.leaks(nowMs, this.closeWaitAgeMs)) {
      const who = g.pids.length > 0 ? `${g.command ?? '?'} (pid ${g.pids.join(',')})` : 'an unknown process';
      const n = g.sockets;
      out.push(
        `CLOSE_WAIT: ${n} socket${n === 1 ? '' : 's'} of ${who} for ${durationText(g.oldestMs)}${n > 1 ? ' or less' : ''}: ` +
          'the peer closed and the application has not called close() (a leak if it lasts)',
      );
    }
    const base = this.windowStart(nowMs);
    const last = this.samples[this.samples.length - 1];
    if (base !== undefined && last !== undefined && base !== last) {
      const span = durationText(last.atMs - base.atMs);
      const cw = last.closeWait - base.closeWait;
      if (cw >= this.closeWaitGrowth) {
        out.push(`CLOSE_WAIT growing: ${base.closeWait} → ${last.closeWait} in ${span}`);
      }
      if (base.listenOverflows !== null && last.listenOverflows !== null) {
        const dropped = last.listenOverflows - base.listenOverflows;
        if (dropped > 0) out.push(this.overflowWarning(dropped, span));
      }
      const tw = last.timeWait - base.timeWait;
      if (tw >= this.timeWaitGrowth) {
        const rate = (tw * 1000) / Math.max(1, last.atMs - base.atMs);
        out.push(
          `TIME_WAIT growing: ${base.timeWait} → ${last.timeWait} in ${span} (≈${rate.toFixed(0)}/s; ` +
            `each closed connection holds its port pair for ${LINUX_TIME_WAIT_SEC} s)`,
        );
      }
    }
    return out;
  }

  /** A listener's accept queue overflowed: say how often, and which listener's queue is longest. */
  private overflowWarning(dropped: number, span: string): string {
    let fullest: WatchRow | null = null;
    for (const row of this.rowsByKey.values()) {
      if (row.mark === 'closed' || row.sock.state !== TcpState.LISTEN) continue;
      if (fullest === null || row.sock.rxQueue > fullest.sock.rxQueue) fullest = row;
    }
    const s = fullest?.sock;
    const who =
      s === undefined || s.rxQueue === 0
        ? ''
        : `; longest accept queue: ${endpointText(s.localIp, s.localPort)} (Recv-Q ${s.rxQueue}` +
          `${s.pids.length > 0 ? `, ${s.pids.join(',')}/${s.command ?? '?'}` : ''}): the application is not accepting fast enough`;
    return (
      `listen queue overflow: ${dropped} connection attempt${dropped === 1 ? '' : 's'} dropped in ${span} ` +
      `(TcpExt ListenOverflows, this network namespace)${who}`
    );
  }

  private windowStart(nowMs: number): CountSample | undefined {
    for (const s of this.samples) if (nowMs - s.atMs <= this.growthWindowMs) return s;
    return undefined;
  }

  private sample(nowMs: number, listenOverflows: number | null): void {
    const c = this.counts();
    this.samples.push({
      atMs: nowMs,
      timeWait: c.get(TcpState.TIME_WAIT) ?? 0,
      closeWait: c.get(TcpState.CLOSE_WAIT) ?? 0,
      listenOverflows,
    });
    while (this.samples.length > 1 && nowMs - this.samples[0]!.atMs > this.growthWindowMs)
      this.samples.shift();
  }

  private transition(
    row: WatchRow,
    atMs: number,
    from: TcpState | null,
    to: TcpState,
    inFromMs: number | null,
  ): Transition {
    const s = row.sock;
    const own = s.pids.length > 0;
    return {
      atMs,
      sock: s,
      from,
      to,
      inFromMs,
      pids: own ? s.pids : row.formerPids,
      command: own ? s.command : row.formerCommand,
    };
  }

  private passes(t: Transition): boolean {
    const f = this.filter;
    const s = t.sock;
    if (f.port !== undefined && s.localPort !== f.port && s.remotePort !== f.port) return false;
    if (f.states !== undefined && !f.states.has(t.to) && (t.from === null || !f.states.has(t.from)))
      return false;
    if (f.pid !== undefined && !t.pids.includes(f.pid)) return false;
    if (f.uid !== undefined && s.uid !== f.uid) return false;
    if (f.command !== undefined && !commandMatches(f.command, t.command)) return false;
    return true;
  }
}

/** Elapsed TIME_WAIT from what /proc says is left of Linux's 60 s. */
export function timeWaitElapsedMs(leftMs: number): number {
  return Math.max(0, LINUX_TIME_WAIT_SEC * 1000 - leftMs);
}
