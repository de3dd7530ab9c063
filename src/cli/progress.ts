// The progress bar PRODUCT.md promises on stderr while a capture is read: packets, bytes of the
// file(s), rate and ETA (cli-progress). Only when stderr is a terminal and --quiet was not given:
// piped or redirected stderr stays clean. Input (input.ts) counts what it read per chunk; the bar
// redraws at most a few times a second and is erased when reading ends.

import { createRequire } from 'node:module';
import type { SingleBar } from 'cli-progress';

// Loaded only when a bar is drawn (a terminal's stderr): every run of every command paid ~11 ms
// of CPU to load it otherwise.
const load = createRequire(import.meta.url);

let quiet = false;

/** `--quiet`: no progress bar whatever stderr is. */
export function setQuiet(q: boolean): void {
  quiet = q;
}

/** What input.ts reports as it reads: bytes of the input files consumed, records read. */
export interface ProgressSink {
  update(bytes: number, packets: number): void;
  stop(): void;
}

const MB = 1024 * 1024;

class TerminalProgress implements ProgressSink {
  private readonly bar: SingleBar;
  private readonly started = Date.now();

  constructor(private readonly totalBytes: number) {
    const { SingleBar: Bar } = load('cli-progress') as typeof import('cli-progress');
    this.bar = new Bar({
      stream: process.stderr,
      format:
        totalBytes > 0
          ? 'synack {bar} {percentage}% | {packets} packets | {mb}/{totalMb} MB | {rate} pkt/s | ETA {eta_formatted}'
          : 'synack {packets} packets | {mb} MB | {rate} pkt/s',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
      etaBuffer: 20,
    });
    this.bar.start(Math.max(totalBytes, 1), 0, this.payload(0, 0));
  }

  update(bytes: number, packets: number): void {
    this.bar.update(Math.min(bytes, Math.max(this.totalBytes, 1)), this.payload(bytes, packets));
  }

  stop(): void {
    this.bar.stop();
  }

  private payload(bytes: number, packets: number): Record<string, string> {
    const sec = Math.max((Date.now() - this.started) / 1000, 1e-3);
    return {
      packets: packets.toLocaleString('en-US'),
      mb: (bytes / MB).toFixed(1),
      totalMb: (this.totalBytes / MB).toFixed(1),
      rate: Math.round(packets / sec).toLocaleString('en-US'),
    };
  }
}

/** A bar for reading `totalBytes` (0: unknown, as for stdin), or null when none is wanted. */
export function startProgress(totalBytes: number): ProgressSink | null {
  if (quiet || process.stderr.isTTY !== true) return null;
  return new TerminalProgress(totalBytes);
}
