// Registers every subcommand: each lives in its own cmd-*.ts module.

import type { Command } from 'commander';
import { registerRead } from './cmd-read.js';

export function registerCommands(program: Command): void {
  registerRead(program);
}
