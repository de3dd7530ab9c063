// `-t/--time-format epoch|iso|relative|delta` (report/time-format.ts), as read, conns and ladder
// take it: defined and checked once here.

import type { Command } from 'commander';
import type { LadderTime } from '../report/ladder-text.js';
import { TIME_FORMATS, type TimeFormat, TimeFormatter } from '../report/time-format.js';
import { UsageError } from './usage-failure.js';

export function addTimeFormatOption(cmd: Command, what = 'times'): Command {
  return cmd.option(
    '-t, --time-format <fmt>',
    `${what} as epoch (default), iso (UTC), relative (since the first) or delta (since the previous)`,
  );
}

/** The option's value checked (undefined when not given); throws UsageError. */
export function timeFormatChoice(v: string | undefined): TimeFormat | undefined {
  if (v === undefined) return undefined;
  if (!(TIME_FORMATS as readonly string[]).includes(v))
    throw new UsageError(`--time-format takes ${TIME_FORMATS.join(', ')}, not '${v}'`);
  return v as TimeFormat;
}

/** The formatter for the option's value (null for the default, epoch); throws UsageError. */
export function timeFormatOption(v: string | undefined): TimeFormatter | null {
  const f = timeFormatChoice(v);
  return f === undefined || f === 'epoch' ? null : new TimeFormatter(f);
}

/** Ladder's time column for -t (its default is relative: undefined), the first packet at `t0Us`. */
export function ladderTime(v: string | undefined, t0Us: number): LadderTime | undefined {
  const f = timeFormatChoice(v);
  if (f === undefined || f === 'relative') return undefined;
  const fmt = new TimeFormatter(f);
  return {
    text: (relUs) => fmt.text(t0Us + relUs),
    width: f === 'iso' ? 27 : f === 'epoch' ? 17 : 8,
    label: f === 'delta' ? 'delta (s)' : f === 'iso' ? 'time (UTC)' : 'time (epoch s)',
  };
}
