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

import { durationText, type Transition, type WatchRow, type WatchSocket } from '../report/watch-table.js';
import { TcpState } from '../tcp/state.js';
import { LINUX_TIME_WAIT_SEC, type ProcSocket, ProcTimer } from './proc-net.js';
import type { SocketOwners } from './proc-pids.js';

export type { Mark, Transition, WatchRow, WatchSocket } from '../report/watch-table.js';

export interface WatchFilter {
  /** Local or remote port. */
  port?: number;
  states?: ReadonlySet<TcpState>;
  /** Owned by this process (now or before TIME_WAIT). */
  pid?: number;
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
    };
  });
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
  return true;
}

/** Display order: listeners first, then by local address/port, remote address/port. */
function compareRows(x: WatchRow, y: WatchRow): number {
  const lx = x.sock.state === TcpState.LISTEN ? 0 : 1;
  const ly = y.sock.state === TcpState.LISTEN ? 0 : 1;
  if (lx !== ly) return lx - ly;
  const a = x.sock;
  const b = y.sock;
  return (
    a.ipVersion - b.ipVersion ||
    cmp(a.localIp, b.localIp) ||
    a.localPort - b.localPort ||
    cmp(a.remoteIp, b.remoteIp) ||
    a.remotePort - b.remotePort ||
    a.inode - b.inode
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface CountSample {
  atMs: number;
  timeWait: number;
  closeWait: number;
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
  update(sockets: readonly WatchSocket[], nowMs: number): Transition[] {
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
    this.sample(nowMs);
    return transitions.filter((t) => this.passes(t));
  }

  /** Rows to show (closed ones while their mark lasts), filtered, in display order. */
  rows(): WatchRow[] {
    const out: WatchRow[] = [];
    for (const row of this.rowsByKey.values()) if (rowMatches(row, this.filter)) out.push(row);
    return out.sort(compareRows);
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
    const leaks = new Map<string, { n: number; oldestMs: number }>();
    for (const row of this.rowsByKey.values()) {
      if (row.mark === 'closed' || row.sock.state !== TcpState.CLOSE_WAIT || !rowMatches(row, this.filter))
        continue;
      const age = this.timeInStateMs(row, nowMs);
      if (age < this.closeWaitAgeMs) continue;
      const s = row.sock;
      const who = s.pids.length > 0 ? `${s.command ?? '?'} (pid ${s.pids.join(',')})` : 'an unknown process';
      const g = leaks.get(who) ?? { n: 0, oldestMs: 0 };
      g.n++;
      g.oldestMs = Math.max(g.oldestMs, age);
      leaks.set(who, g);
    }
    for (const [who, g] of leaks) {
      out.push(
        `CLOSE_WAIT: ${g.n} socket${g.n === 1 ? '' : 's'} of ${who} for ${durationText(g.oldestMs)}${g.n > 1 ? ' or less' : ''}: ` +
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

  private windowStart(nowMs: number): CountSample | undefined {
    for (const s of this.samples) if (nowMs - s.atMs <= this.growthWindowMs) return s;
    return undefined;
  }

  private sample(nowMs: number): void {
    const c = this.counts();
    this.samples.push({
      atMs: nowMs,
      timeWait: c.get(TcpState.TIME_WAIT) ?? 0,
      closeWait: c.get(TcpState.CLOSE_WAIT) ?? 0,
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
    return true;
  }
}

/** Elapsed TIME_WAIT from what /proc says is left of Linux's 60 s. */
export function timeWaitElapsedMs(leftMs: number): number {
  return Math.max(0, LINUX_TIME_WAIT_SEC * 1000 - leftMs);
}
