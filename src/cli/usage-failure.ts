// Usage failures: UsageError (a bad option value, thrown by the option parsers and commands) and
// how a command turns it or a bad --filter into commander's usage failure: one stderr line naming
// the command, exit code 1 (PRODUCT.md's exit codes); anything else is not a usage fault and goes on up.

import type { Command } from 'commander';
import { FilterError } from './filter-option.js';

/** A bad option value or combination: the command prints its message and exits 1. */
export class UsageError extends Error {}

export function exitOnUsageError(cmd: Command, command: string, err: unknown): never {
  if (err instanceof UsageError || err instanceof FilterError)
    // One line even when the message quotes a multi-line parser error (a scenario file's JSON).
    cmd.error(`synack ${command}: ${err.message.replace(/\s*\n\s*/g, ' ')}`, { exitCode: 1 });
  throw err;
}
