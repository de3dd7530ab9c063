// `synack watch [--interval S] [--once] [--json] [--changes] [--port P] [--state S] [--pid N]`:
// the live socket table of this machine (TCPView for Linux terminals), from /proc/net/tcp{,6} and
// /proc/PID/fd. On a terminal it redraws every interval (q quits, p or space pauses); without a
// terminal, or with --once, it prints one snapshot; --json prints that snapshot as one object per
// socket per line (PRODUCT.md, contract); --changes prints one line per state change as polls see
// it, until interrupted. The model (diffing, timers, warnings) is src/live/watch-model.ts.

import type { Command } from 'commander';
import { readProcNetTcp } from '../live/proc-net.js';
import { readSocketOwners } from '../live/proc-pids.js';
import { type WatchFilter, WatchModel, watchSockets } from '../live/watch-model.js';
import {
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

/** One poll of the socket table, into the model; returns the transitions. */
function poll(model: WatchModel) {
  const sockets = readProcNetTcp();
  const owners = readSocketOwners(new Set(sockets.map((s) => s.inode).filter((i) => i !== 0)));
  const now = Date.now();
  return { transitions: model.update(watchSockets(sockets, owners), now), now };
}

function view(model: WatchModel, nowMs: number): WatchView {
  return {
    rows: model.rows(),
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

/** The interactive screen: alternate buffer, redraw each interval, q/Ctrl-C quit, p/space pause. */
async function runScreen(model: WatchModel, intervalSec: number): Promise<void> {
  const out = process.stdout;
  const stdin = process.stdin;
  let paused = false;
  let done = false;
  let wake: (() => void) | null = null;
  const draw = () => {
    const now = Date.now();
    const lines = screenLines(view(model, now), {
      width: out.columns ?? 80,
      height: out.rows ?? 24,
      color: true,
      paused,
      intervalSec,
    });
    out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\x1b[J`);
  };
  const finish = () => {
    done = true;
    wake?.();
  };
  const onKey = (buf: Buffer) => {
    for (const b of buf) {
      if (b === 0x71 || b === 0x51 || b === 0x03)
        finish(); // q, Q, Ctrl-C
      else if (b === 0x70 || b === 0x50 || b === 0x20) {
        paused = !paused;
        draw();
      }
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
    poll(model);
    draw();
    while (!done) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, intervalSec * 1000);
      });
      wake = null;
      if (done) break;
      if (!paused) poll(model);
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
  const model = new WatchModel({}, filter);
  if (opts.changes) {
    await runChanges(model, intervalSec * 1000, !!opts.json);
    return 0;
  }
  if (opts.once || opts.json || !process.stdout.isTTY || !process.stdin.isTTY) {
    const { now } = poll(model);
    const lines = opts.json ? model.rows().map((r) => watchJson(r.sock)) : snapshotText(view(model, now));
    process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    return 0;
  }
  await runScreen(model, intervalSec);
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
    .action(async (opts: WatchOptions, cmd: Command) => {
      try {
        const code = await runWatch(opts);
        if (code !== 0) process.exitCode = code;
      } catch (err) {
        if (err instanceof WatchUsage) cmd.error(`synack watch: ${err.message}`, { exitCode: 1 });
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
