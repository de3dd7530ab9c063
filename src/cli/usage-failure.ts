// How a command turns a bad option value or --filter into commander's usage failure: one stderr
// line naming the command, exit code 1 (PRODUCT.md's exit codes); anything else is not a usage
// fault and goes on up.

import type { Command } from 'commander';
import { UsageError } from './cmd-conns.js';
import { FilterError } from './filter-option.js';

export function exitOnUsageError(cmd: Command, command: string, err: unknown): never {
  if (err instanceof UsageError || err instanceof FilterError)
    // One line even when the message quotes a multi-line parser error (a scenario file's JSON).
    cmd.error(`synack ${command}: ${err.message.replace(/\s*\n\s*/g, ' ')}`, { exitCode: 1 });
  throw err;
}
