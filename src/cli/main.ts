// The `synack` command line: one binary, subcommands registered from their own modules.
// Owns argument parsing and the exit-code contract (0 ok, 1 usage, 2 file-level fault, 70 internal
// error: sysexits' EX_SOFTWARE — a bug of ours never poses as a fault of the user's file).

import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands.js';
import { FileFault, formatFault, internalErrorLine, writeHeldFault } from './errors.js';
import { startHeapGovernor } from './heap-governor.js';
import { setQuiet } from './progress.js';
import { VERSION } from './version.js';

const program = new Command();
program
  .name('synack')
  .description('The life of every TCP connection, from captures, live traffic and the socket table.')
  .version(VERSION)
  .option('-q, --quiet', 'no progress bar on stderr (it shows only when stderr is a terminal)')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerCommands(program);
// Global options are read before any command runs (they may follow the command's name).
program.hook('preAction', () => setQuiet(program.opts<{ quiet?: boolean }>().quiet === true));

// Output to a pipe is written synchronously, as tcpdump writes it: libuv would otherwise queue
// every chunk a slow reader (`| less`, `| gzip` on a busy machine) has not taken yet, in memory,
// and a run over a large capture would grow with its output instead of staying flat.
const stdoutHandle = (process.stdout as unknown as { _handle?: { setBlocking?: (b: boolean) => number } })
  ._handle;
if (!process.stdout.isTTY && typeof stdoutHandle?.setBlocking === 'function') stdoutHandle.setBlocking(true);

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  // `synack read big.pcap | head`: a closed pipe ends the job quietly.
  if (err.code === 'EPIPE') process.exit(0);
});

// The heap kept near what is live, so peak memory follows --max-conns (heap-governor.ts).
startHeapGovernor();

try {
  await program.parseAsync(process.argv);
  writeHeldFault();
} catch (err) {
  writeHeldFault();
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 1);
  }
  if (err instanceof FileFault) {
    process.stderr.write(`${formatFault(err)}\n`);
    process.exit(2);
  }
  const io = err as NodeJS.ErrnoException;
  if (typeof io?.path === 'string' && typeof io.syscall === 'string') {
    // An output the command could not write (-w, --svg, --parquet): the file first, as for inputs.
    const reason = io.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    process.stderr.write(`synack: ${io.path}: cannot ${io.syscall}: ${reason}\n`);
    process.exit(2);
  }
  // Anything else is a bug: one line asking for a report, exit 70 (EX_SOFTWARE).
  process.stderr.write(`${internalErrorLine(err)}\n`);
  process.exit(70);
}
