// The tracking options every command built on the flow table takes, defined once (PRODUCT.md
// "Common to all", "Connections"): --time-wait, --msl, --idle, --max-conns, --tap (where the
// capture was taken, "How states are inferred"), and --dedup (issue 3:
// drop copies of a segment captured on another interface within 1 ms), and the parsing of their
// values; --dedup is applied while reading (readInto in input-pipeline.ts).

import type { Command } from 'commander';
import type { TrackingOptions } from '../report/tracking.js';
import { parseTap } from '../track/tap.js';
import { UsageError } from './usage-failure.js';

/** The raw option values as commander hands them over. */
export interface TrackingFlags {
  timeWait?: string;
  msl?: string;
  idle?: string;
  maxConns?: string;
  tap?: string;
  dedup?: boolean;
}

/** --tap's help text, the same on every command. */
export const TAP_HELP =
  'where the capture was taken: auto, client, server, mid, or the IP address of the host it was taken on (default auto)';

/** --tap checked: auto, client, server, mid or an IP address; throws a usage message otherwise. */
export function tapOption(v: string | undefined): string {
  if (v === undefined) return 'auto';
  if (parseTap(v) === null)
    throw new UsageError(`--tap takes auto, client, server, mid or an IP address, not '${v}'`);
  return v;
}

/** Adds the tracking options to a command (conns, read, …). */
export function addTrackingOptions(cmd: Command): Command {
  return cmd
    .option('--time-wait <s>', 'TIME_WAIT length in seconds (default 60; 240 is RFC 9293 2×MSL)')
    .option('--msl <m>', 'MSL in seconds: --time-wait 2M')
    .option('--idle <s>', 'seconds of capture time without a segment that end a connection (default 300)')
    .option('--max-conns <n>', 'open connections at most; the one idle longest is evicted (default 250000)')
    .option('--tap <where>', TAP_HELP)
    .option(
      '--dedup',
      'drop a segment seen again on another interface within 1 ms (same IP ID, seq, len); counted on stderr',
    );
}

/** Parses --time-wait/--msl/--idle/--max-conns; throws a usage message on a bad value. */
export function trackingOptions(o: {
  timeWait?: string;
  msl?: string;
  idle?: string;
  maxConns?: string;
  tap?: string;
}): TrackingOptions {
  const num = (v: string | undefined, name: string, def: number, integer = false): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || (integer && (!Number.isInteger(n) || n < 1))) {
      throw new UsageError(
        `${name} wants a ${integer ? 'positive integer' : 'non-negative number'}, not '${v}'`,
      );
    }
    return n;
  };
  if (o.timeWait !== undefined && o.msl !== undefined)
    throw new UsageError('--time-wait and --msl exclude each other');
  const timeWaitSec = o.msl !== undefined ? 2 * num(o.msl, '--msl', 30) : num(o.timeWait, '--time-wait', 60);
  return {
    timeWaitSec,
    idleSec: num(o.idle, '--idle', 300),
    maxConns: num(o.maxConns, '--max-conns', 250_000, true),
    tap: tapOption(o.tap),
  };
}

/**
 * PRODUCT.md "Eviction": the count of connections ended early because more than --max-conns were
 * open goes to stderr, on every command that tracks connections ('' when none was).
 */
export function evictionNote(evicted: number, maxConns: number): string {
  if (evicted === 0) return '';
  return `synack: ${evicted} connection${evicted === 1 ? '' : 's'} evicted (more than --max-conns ${maxConns} open at once)\n`;
}
