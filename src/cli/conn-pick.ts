// Loads the captures and picks the one connection `--conn C` names, for ladder and explain:
// usage errors (a bad selector, no match) exit 1; several matches of a bare 4-tuple take the
// first and say so on stderr.

import type { ConnTimeline } from '../report/timeline.js';
import type { Conn } from '../track/connection.js';
import type { ConnFilter } from '../track/filter.js';
import { ConnSelectorError, parseConnSelector, selectConns } from './conn-selector.js';
import { writeHeldFault } from './errors.js';
import { filterOption, timelineSubject } from './filter-option.js';
import { type LoadOptions, loadTimelines } from './load-timelines.js';
import { type TrackingFlags, trackingOptions } from './tracking-options.js';
import { UsageError } from './usage-failure.js';

export async function pickConnection(
  files: string[],
  conn: string | undefined,
  /** The tracking options (conns' connection ids depend on --idle, --max-conns and --dedup). */
  tracking: LoadOptions,
  /** --filter: the connection must also match it; without --conn, the first one it selects. */
  filter: ConnFilter | null = null,
): Promise<{ timeline?: ConnTimeline; code: number }> {
  let sel: ReturnType<typeof parseConnSelector> | null = null;
  try {
    if (conn !== undefined) sel = parseConnSelector(conn);
  } catch (err) {
    if (err instanceof ConnSelectorError) {
      process.stderr.write(`synack: ${err.message}\n`);
      return { code: 1 };
    }
    throw err;
  }
  // Only the selected connection's packets are kept (a 4-tuple: every connection on its two
  // ports, refined below), so memory does not grow with the rest of the capture.
  const { timelines, code } = await loadTimelines(files, {
    ...tracking,
    ...(sel === null ? {} : { keep: keepFor(sel) }),
  });
  let found = sel === null ? timelines : selectConns(timelines, sel);
  if (filter !== null) found = found.filter((t) => filter.matches(timelineSubject(t)));
  const asked = connChoiceText(conn, filter);
  if (found.length === 0) {
    process.stderr.write(`${noMatchLine(asked, code, '')}\n`);
    return { code: code || 1 };
  }
  if (found.length > 1 && sel === null) {
    process.stderr.write(
      `synack: ${found.length} connections match ${asked} (ids ${found.map((c) => c.id).join(', ')}); showing the first, pick another with --conn\n`,
    );
  } else if (found.length > 1) {
    process.stderr.write(
      `synack: ${found.length} connections on that 4-tuple (ids ${found.map((c) => c.id).join(', ')}); showing the first, pick another with #n\n`,
    );
  }
  return { timeline: found[0], code };
}

function keepFor(sel: ReturnType<typeof parseConnSelector>): (conn: Conn) => boolean {
  if (sel.kind === 'id') return (conn) => conn.id === sel.id;
  const p = sel.a.port;
  const q = sel.b.port;
  return (conn) => (conn.portA === p && conn.portB === q) || (conn.portA === q && conn.portB === p);
}

/** Refuses a one-connection command (ladder, explain, extract) given neither --conn nor --filter. */
export function requireConnChoice(opts: { conn?: string; filter?: string }): void {
  if (opts.conn === undefined && opts.filter === undefined)
    throw new UsageError('say which connection: --conn ID|IP:PORT-IP:PORT[#n], or --filter EXPR');
}

/** The checked --filter and tracking options (--time-wait/--msl, --idle, --max-conns, --dedup) of a one-connection command. */
export interface ConnChoice {
  filter: ConnFilter | null;
  timeWaitSec: number;
  tracking: LoadOptions;
}

/** The --conn / --filter / tracking options of ladder and explain, checked (throws UsageError or FilterError). */
export function connChoiceOptions(opts: TrackingFlags & { conn?: string; filter?: string }): ConnChoice {
  requireConnChoice(opts);
  const tracking = loadOptions(opts);
  return { filter: filterOption(opts.filter), timeWaitSec: tracking.timeWaitSec!, tracking };
}

/** The tracking options (tracking-options.ts) as loadTimelines takes them; throws UsageError. */
export function loadOptions(opts: TrackingFlags): LoadOptions {
  return { ...trackingOptions(opts), dedup: !!opts.dedup };
}

/**
 * The "no connection matches" line. After a file fault the fault comes first (it is why nothing
 * matched, not a wrong id), written here rather than held, and the line says so.
 */
export function noMatchLine(asked: string, code: number, tail: string): string {
  if (code === 0) return `synack: no connection matches ${asked} (see \`synack conns\` for the ids)${tail}`;
  writeHeldFault();
  return `synack: no connection matches ${asked} in the packets before that fault${tail}`;
}

/** What the user asked for (`--conn 3 and --filter "port 80"`), for the "no connection matches" line. */
export function connChoiceText(conn: string | undefined, filter: ConnFilter | null): string {
  return [conn === undefined ? '' : `--conn ${conn}`, filter === null ? '' : `--filter "${filter.text}"`]
    .filter((s) => s !== '')
    .join(' and ');
}

/** `--time-wait S` / `--msl M` (PRODUCT.md: --msl M means --time-wait 2M); default 60 s. */
export function timeWaitSeconds(opts: { timeWait?: string; msl?: string }): number {
  return trackingOptions(opts).timeWaitSec;
}
