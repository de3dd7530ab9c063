// Registers every subcommand: each lives in its own cmd-*.ts module.

import type { Command } from 'commander';
import { registerConns } from './cmd-conns.js';
import { registerExplain } from './cmd-explain.js';
import { registerExtract } from './cmd-extract.js';
import { registerLab } from './cmd-lab.js';
import { registerLadder } from './cmd-ladder.js';
import { registerLive } from './cmd-live.js';
import { registerRead } from './cmd-read.js';
import { registerServe } from './cmd-serve.js';
import { registerStates } from './cmd-states.js';
import { registerWatch } from './cmd-watch.js';

export function registerCommands(program: Command): void {
  registerRead(program);
  registerConns(program);
  registerLadder(program);
  registerExplain(program);
  registerExtract(program);
  registerStates(program);
  registerServe(program);
  registerWatch(program);
  registerLive(program);
  registerLab(program);
}
