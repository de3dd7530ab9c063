// The tracking options every command built on the flow table takes, defined once (PRODUCT.md
// "Common to all", "Connections"): --time-wait, --msl, --idle, --max-conns, and --dedup (issue 3:
// drop copies of a segment captured on another interface within 1 ms). Parsing of the values is
// trackingOptions() in cmd-conns.ts; --dedup is applied while reading (readInto in cmd-read.ts).

import type { Command } from 'commander';

/** The raw option values as commander hands them over. */
export interface TrackingFlags {
  timeWait?: string;
  msl?: string;
  idle?: string;
  maxConns?: string;
  dedup?: boolean;
}

/** Adds the tracking options to a command (conns, read, …). */
export function addTrackingOptions(cmd: Command): Command {
  return cmd
    .option('--time-wait <s>', 'TIME_WAIT length in seconds (default 60; 240 is RFC 9293 2×MSL)')
    .option('--msl <m>', 'MSL in seconds: --time-wait 2M')
    .option('--idle <s>', 'seconds of capture time without a segment that end a connection (default 300)')
    .option('--max-conns <n>', 'open connections at most; the one idle longest is evicted (default 250000)')
    .option(
      '--dedup',
      'drop a segment seen again on another interface within 1 ms (same IP ID, seq, len); counted on stderr',
    );
}
