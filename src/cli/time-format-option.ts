// `-t/--time-format epoch|iso|relative|delta` (report/time-format.ts), as read, conns and ladder
// take it: defined and checked once here.

import type { Command } from 'commander';
import { TIME_FORMATS, type TimeFormat, TimeFormatter } from '../report/time-format.js';
import { UsageError } from './usage-failure.js';

export function addTimeFormatOption(cmd: Command, what = 'times'): Command {
  return cmd.option(
    '-t, --time-format <fmt>',
    `${what} as epoch (default), iso (UTC), relative (since the first) or delta (since the previous)`,
  );
}

/** The formatter for the option's value (null for the default, epoch); throws UsageError. */
export function timeFormatOption(v: string | undefined): TimeFormatter | null {
  if (v === undefined || v === 'epoch') return null;
  if (!(TIME_FORMATS as readonly string[]).includes(v))
    throw new UsageError(`--time-format takes ${TIME_FORMATS.join(', ')}, not '${v}'`);
  return new TimeFormatter(v as TimeFormat);
}
