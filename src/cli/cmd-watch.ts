// `synack watch [--interval S] [--once] [--json] [--changes] [--leaks] [-e] [--sort KEYS]
// [--port P] [--state S] [--pid N] [--uid N] [--command NAME]`: the live socket table of this
// machine (TCPView for Linux terminals; ss -tanoep's fields), from /proc/net/tcp{,6} and
// /proc/PID/fd. On a terminal it redraws every interval (q quits, p or space pauses, s and r
// change the sort, c shows the CLOSE_WAIT leak view, e the extended columns); without a terminal,
// or with --once, it prints one snapshot; --json prints that snapshot as one object per socket per
// line (PRODUCT.md, contract); --changes prints one line per state change as polls see it, until
// interrupted; --leaks prints the CLOSE_WAIT leak view instead of the table. The model (diffing,
// timers, warnings, leak grouping) is src/live/watch-model.ts.

import type { Command } from 'commander';
import { readProcNetTcp } from '../live/proc-net.js';
import { readListenOverflows } from '../live/proc-netstat.js';
import { readFdLimit, readSocketOwners, type SocketOwners } from '../live/proc-pids.js';
import { type ProcessFds, type WatchFilter, WatchModel, watchSockets } from '../live/watch-model.js';
import { parseSortKeys, SORT_KEYS, type SortKey, SortUsage, sortText } from '../live/watch-sort.js';
import {
  leakJson,
  leakLines,
  type ScreenMode,
  screenLines,
  snapshotText,
  transitionJson,
  transitionLine,
  type WatchView,
  watchJson,
} from '../report/watch-table.js';
import { stateFromName, TcpState } from '../tcp/state.js';

export interface WatchOptions {
  interval?: string;
  once?: boolean;
  json?: boolean;
  changes?: boolean;
  port?: string;
  state?: string;
  pid?: string;
  uid?: string;
  command?: string;
  sort?: string;
  extended?: boolean;
  leaks?: boolean;
}

class WatchUsage extends Error {}

/** netstat's and ss's spellings → ours. */
const STATE_ALIASES: Record<string, TcpState> = {
  ESTAB: TcpState.ESTABLISHED,
  SYN_RECV: TcpState.SYN_RECEIVED,
  NEW_SYN_RECV: TcpState.SYN_RECEIVED,
  FIN_WAIT1: TcpState.FIN_WAIT_1,
  FIN_WAIT2: TcpState.FIN_WAIT_2,
  CLOSE: TcpState.CLOSED,
  UNCONN: TcpState.CLOSED,
  LISTENING: TcpState.LISTEN,
};

/** `--state` values (comma-separated, any of our/netstat/ss spellings) → the set of states. */
export function parseStates(text: string): Set<TcpState> {
  const out = new Set<TcpState>();
  for (const raw of text.split(',')) {
    const name = raw.trim().toUpperCase().replace(/-/g, '_');
    if (name === '') continue;
    const st = stateFromName(name) ?? STATE_ALIASES[name];
    if (st === undefined) throw new WatchUsage(`--state: unknown state '${raw.trim()}'`);
    out.add(st);
  }
  return out;
}

function parseFilter(o: WatchOptions): WatchFilter {
  const f: WatchFilter = {};
  const int = (v: string, name: string, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new WatchUsage(`${name} wants an integer 0..${max}, not '${v}'`);
    return n;
  };
  if (o.port !== undefined) f.port = int(o.port, '--port', 65535);
  if (o.pid !== undefined) f.pid = int(o.pid, '--pid', 2 ** 31 - 1);
  if (o.uid !== undefined) f.uid = int(o.uid, '--uid', 2 ** 32 - 1);
  if (o.command !== undefined) f.command = o.command;
  if (o.state !== undefined) f.states = parseStates(o.state);
  return f;
}

function parseInterval(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.05)
    throw new WatchUsage(`--interval wants seconds (at least 0.05), not '${v}'`);
  return n;
}

/** The owners' open fds and limits, for the leak view (limits read only for CLOSE_WAIT owners). */
function processFds(owners: SocketOwners, model: WatchModel, nowMs: number): Map<number, ProcessFds> {
  const out = new Map<number, ProcessFds>();
  for (const g of model.leaks(nowMs)) {
    const pid = g.pids[0];
    if (pid === undefined || out.has(pid)) continue;
    out.set(pid, { fds: owners.fdCounts.get(pid) ?? 0, fdLimit: readFdLimit(pid) });
  }
  return out;
}

/** One poll of the socket table, into the model; returns the transitions. */
function poll(model: WatchModel) {
  const sockets = readProcNetTcp();
  const owners = readSocketOwners(new Set(sockets.map((s) => s.inode).filter((i) => i !== 0)));
  const overflows = readListenOverflows();
  const now = Date.now();
  return { transitions: model.update(watchSockets(sockets, owners), now, overflows), now, owners };
}

function view(model: WatchModel, nowMs: number, sort: readonly SortKey[] = []): WatchView {
  return {
    rows: model.rows(sort),
    counts: model.counts(),
    warnings: model.warnings(nowMs),
    nowMs,
    timeInStateMs: (row) => model.timeInStateMs(row, nowMs),
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** --changes: one line per transition until SIGINT/SIGTERM. */
async function runChanges(model: WatchModel, intervalMs: number, json: boolean): Promise<void> {
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  poll(model);
  while (!stop) {
    await sleep(intervalMs);
    if (stop) break;
    const { transitions } = poll(model);
    if (transitions.length > 0) {
      process.stdout.write(
        `${transitions.map((t) => (json ? transitionJson(t) : transitionLine(t))).join('\n')}\n`,
      );
    }
  }
}

/** What the screen's keys change. */
interface ScreenState {
  sort: SortKey[];
  extended: boolean;
  leaks: boolean;
  paused: boolean;
}

/** `s`: the next sort key (after the last one in use), ascending; from the last key back to none. */
function nextSort(sort: readonly SortKey[]): SortKey[] {
  const last = sort[sort.length - 1];
  const i = last === undefined ? -1 : SORT_KEYS.indexOf(last.name);
  const name = SORT_KEYS[i + 1];
  return name === undefined ? [] : [{ name, descending: false }];
}

/** The interactive screen: alternate buffer, redraw each interval; keys as the title lists them. */
async function runScreen(model: WatchModel, intervalSec: number, st: ScreenState): Promise<void> {
  const out = process.stdout;
  const stdin = process.stdin;
  let done = false;
  let wake: (() => void) | null = null;
  let owners: SocketOwners | null = null;
  const draw = () => {
    const now = Date.now();
    const mode: ScreenMode = {
      extended: st.extended,
      sortText: sortText(st.sort),
      leaks: st.leaks
        ? model.leaks(now, 0, owners === null ? new Map() : processFds(owners, model, now))
        : null,
    };
    const lines = screenLines(
      view(model, now, st.sort),
      {
        width: out.columns ?? 80,
        height: out.rows ?? 24,
        color: true,
        paused: st.paused,
        intervalSec,
      },
      mode,
    );
    out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\x1b[J`);
  };
  const finish = () => {
    done = true;
    wake?.();
  };
  const onKey = (buf: Buffer) => {
    for (const b of buf) {
      const key = String.fromCharCode(b);
      if (key === 'q' || key === 'Q' || b === 0x03) finish();
      else if (key === 'p' || key === 'P' || key === ' ') st.paused = !st.paused;
      else if (key === 's') st.sort = nextSort(st.sort);
      else if (key === 'r' && st.sort.length > 0)
        st.sort = st.sort.map((k) => ({ ...k, descending: !k.descending }));
      else if (key === 'c') st.leaks = !st.leaks;
      else if (key === 'e') st.extended = !st.extended;
      else continue;
      if (!done) draw();
    }
  };
  out.write('\x1b[?1049h\x1b[?25l');
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  out.on('resize', draw);
  process.once('SIGINT', finish);
  process.once('SIGTERM', finish);
  try {
    owners = poll(model).owners;
    draw();
    while (!done) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, intervalSec * 1000);
      });
      wake = null;
      if (done) break;
      if (!st.paused) owners = poll(model).owners;
      draw();
    }
  } finally {
    stdin.off('data', onKey);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    out.off('resize', draw);
    out.write('\x1b[?25h\x1b[?1049l');
  }
}

export async function runWatch(opts: WatchOptions): Promise<number> {
  const filter = parseFilter(opts);
  const intervalSec = parseInterval(opts.interval);
  const sort = parseSortKeys(opts.sort ?? '');
  const model = new WatchModel({}, filter);
  if (opts.changes) {
    await runChanges(model, intervalSec * 1000, !!opts.json);
    return 0;
  }
  if (opts.once || opts.json || !process.stdout.isTTY || !process.stdin.isTTY) {
    const { now, owners } = poll(model);
    let lines: string[];
    if (opts.leaks) {
      const groups = model.leaks(now, 0, processFds(owners, model, now));
      lines = opts.json ? groups.map(leakJson) : leakLines(groups);
    } else if (opts.json) lines = model.rows(sort).map((r) => watchJson(r.sock));
    else lines = snapshotText(view(model, now, sort), !!opts.extended);
    process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    return 0;
  }
  await runScreen(model, intervalSec, {
    sort,
    extended: !!opts.extended,
    leaks: !!opts.leaks,
    paused: false,
  });
  return 0;
}

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('live socket table of this machine (TCPView for Linux terminals): q quits, p pauses')
    .option('--interval <s>', 'seconds between polls (default 1)')
    .option('--once', 'print one snapshot and exit (the default without a terminal)')
    .option('--json', 'one JSON object per socket per line (with --changes: per state change)')
    .option('--changes', 'one line per state change as polls see it, until interrupted (like tcpstates)')
    .option('--port <p>', 'only sockets with this local or remote port')
    .option('--state <s>', 'only these states (comma-separated; netstat/ss spellings accepted)')
    .option('--pid <n>', 'only sockets of this process (TIME_WAIT ones it held included)')
    .option('--uid <n>', "only sockets of this uid (the kernel's: 0 for TIME_WAIT)")
    .option(
      '--command <name>',
      'only sockets of processes with this name (comm), TIME_WAIT ones they held included',
    )
    .option(
      '--sort <keys>',
      `order by these keys, comma-separated, -KEY descending (${SORT_KEYS.join(', ')}); s and r on the screen`,
    )
    .option('-e, --extended', 'add the uid and inode columns (as ss -e); e on the screen')
    .option(
      '--leaks',
      'the CLOSE_WAIT leak view: which process holds how many, for how long; c on the screen',
    )
    .action(async (opts: WatchOptions, cmd: Command) => {
      try {
        const code = await runWatch(opts);
        if (code !== 0) process.exitCode = code;
      } catch (err) {
        if (err instanceof WatchUsage || err instanceof SortUsage)
          cmd.error(`synack watch: ${err.message}`, { exitCode: 1 });
        const e = err as NodeJS.ErrnoException;
        if (typeof e.code === 'string' && typeof e.path === 'string') {
          process.stderr.write(`synack watch: cannot read ${e.path}: ${e.code}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
    });
}
