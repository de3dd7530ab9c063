// A live capture as a byte stream: `tcpdump -i IFACE -U -w - FILTER` started as a child process
// (-U: each packet is written as soon as it is captured, so the pcap stream flows packet by
// packet), or any readable stream (stdin). The stream is wrapped so it can be ended cleanly on
// Ctrl-C: the reader then sees an ordinary end of input, possibly in the middle of a record.
// tcpdump's failures (not installed, no permission, unknown interface, bad filter) come back as
// one line taken from what tcpdump said.

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';

export interface CaptureStream {
  /** The pcap bytes. */
  readonly stream: PassThrough;
  /** Ends the stream now (what was already read stays in it); stops tcpdump if there is one. */
  stop(): void;
  /** Resolves when the source is over: null when fine, else one line saying what went wrong. */
  readonly done: Promise<string | null>;
  /** Whether any byte arrived. */
  readonly started: () => boolean;
  /** Calls `cb` once, when the first bytes arrive (at once if they already have). */
  onStart(cb: () => void): void;
}

/** The first-bytes signal of a stream: `arrived` is called with each chunk's length. */
function startSignal(): { arrived: (n: number) => void; onStart: (cb: () => void) => void } {
  let seen = false;
  const waiting: (() => void)[] = [];
  return {
    arrived(n) {
      if (seen || n === 0) return;
      seen = true;
      for (const cb of waiting.splice(0)) cb();
    },
    onStart(cb) {
      if (seen) cb();
      else waiting.push(cb);
    },
  };
}

/** Wraps a readable (stdin) so that stop() ends it as if the input were over. */
export function wrapStream(source: NodeJS.ReadableStream): CaptureStream {
  const stream = new PassThrough({ highWaterMark: 1 << 20 });
  let bytes = 0;
  let stopped = false;
  const start = startSignal();
  source.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    start.arrived(chunk.length);
  });
  const done = new Promise<string | null>((resolve) => {
    source.once('end', () => resolve(null));
    source.once('error', (err: Error) => {
      if (!stopped) stream.end();
      resolve(`read error: ${err.message}`);
    });
  });
  source.pipe(stream);
  return {
    stream,
    stop() {
      if (stopped) return;
      stopped = true;
      source.unpipe(stream);
      stream.end();
      (source as Readable).pause?.();
    },
    done,
    started: () => bytes > 0,
    onStart: start.onStart,
  };
}

/** tcpdump's argument list for a live pcap stream on stdout. */
export function tcpdumpArgs(iface: string | undefined, filter: readonly string[]): string[] {
  return [...(iface === undefined ? [] : ['-i', iface]), '-U', '-w', '-', ...filter];
}

/**
 * Starts tcpdump. `onInfo` gets tcpdump's informational stderr lines (`listening on …`). The
 * returned `done` says why tcpdump failed, in one line, when it exits non-zero before the user
 * stopped it.
 */
export function startTcpdump(
  iface: string | undefined,
  filter: readonly string[],
  onInfo: (line: string) => void,
  command = 'tcpdump',
): CaptureStream {
  let child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  const stream = new PassThrough({ highWaterMark: 1 << 20 });
  let stopped = false;
  let bytes = 0;
  let err = '';
  const start = startSignal();
  const done = new Promise<string | null>((resolve) => {
    try {
      child = spawn(command, tcpdumpArgs(iface, filter), { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      stream.end();
      resolve(`cannot start ${command}: ${(e as Error).message}`);
      return;
    }
    const c = child;
    c.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      start.arrived(chunk.length);
    });
    c.stdout.pipe(stream);
    c.stderr.setEncoding('utf8');
    let partial = '';
    c.stderr.on('data', (s: string) => {
      partial += s;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (/^(tcpdump: )?listening on |packets? (captured|received by filter|dropped by kernel)/.test(line))
          onInfo(line);
        // The first error line names the culprit (`tcpdump: eth9: No such device exists`); later
        // ones only repeat it in parentheses.
        else if (line.trim() !== '' && err === '') err = line;
      }
    });
    c.once('error', (e: NodeJS.ErrnoException) => {
      stream.end();
      resolve(
        e.code === 'ENOENT'
          ? `${command} is not installed (it captures the packets: install it, e.g. apt-get install tcpdump)`
          : `cannot start ${command}: ${e.message}`,
      );
    });
    c.once('close', (code, signal) => {
      if (partial.trim() !== '' && err === '') err = partial;
      stream.end();
      if (stopped || code === 0 || signal === 'SIGINT' || signal === 'SIGTERM') resolve(null);
      else if (/permission|not permitted|privilege/i.test(err)) {
        resolve(`${command}: ${err.replace(/^tcpdump: /, '')} (capturing needs root or CAP_NET_RAW)`);
      } else resolve(`${command} failed: ${err.replace(/^tcpdump: /, '') || `exit ${code ?? signal}`}`);
    });
  });
  return {
    stream,
    stop() {
      if (stopped) return;
      stopped = true;
      // tcpdump flushes what it captured and exits on SIGINT; our reader ends at once regardless.
      child?.stdout.unpipe(stream);
      stream.end();
      if (child !== undefined && child.exitCode === null) child.kill('SIGINT');
    },
    done,
    started: () => bytes > 0,
    onStart: start.onStart,
  };
}
