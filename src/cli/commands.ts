// Registers every subcommand: each lives in its own cmd-*.ts module.

import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  void program;
}
