// `synack lab list` and `synack lab run NAME|FILE [-w OUT.pcap] [--seed N] [--tap client|server|mid]
// [--epoch T] [--json] [--frames] [--svg OUT] [--width N] [--all]` (PRODUCT.md "The lab"): plays a built-in
// scenario or a scenario file (JSON, docs/lab-scenarios.md) to quiescence, prints each connection's
// ladder with the endpoints' true states (or `conns --json` records with the true `states`),
// writes the tap's capture and SVG ladders. The simulation is src/lab (pure); files live here.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { type LabRun, labFrameLines, labJsonLines, labRun, labTextLines } from '../lab/lab-report.js';
import { TAP_NAMES, type TapName } from '../lab/network.js';
import { labPacketdrill, packetdrillFailureLines } from '../lab/packetdrill-lab.js';
import { PacketdrillSyntaxError, PacketdrillUnsupported } from '../lab/packetdrill-syntax.js';
import { DEFAULT_EPOCH, type Scenario } from '../lab/scenario.js';
import { parseScenario, ScenarioFileError } from '../lab/scenario-file.js';
import { BUILTIN_SCENARIOS, findScenario } from '../lab/scenarios/index.js';
import { renderLadderSvg } from '../report/ladder-svg.js';
import { DEFAULT_TRACKING } from '../report/tracking.js';
import type { StackPersonality } from '../tcp/config.js';
import { exitOnUsageError, UsageError } from './usage-failure.js';

interface LabRunCliOptions {
  write?: string;
  seed?: string;
  tap?: string;
  epoch?: string;
  json?: boolean;
  frames?: boolean;
  svg?: string;
  width?: string;
  all?: boolean;
  stack?: string;
}

/** Exit code of a packetdrill script the stack did not follow (packetdrill's own is 1). */
export const EXIT_SCRIPT_FAILED = 3;
/** Exit code of a script that uses something outside the lab's subset. */
export const EXIT_UNSUPPORTED = 4;

/** A packetdrill script: `.pkt`, as packetdrill's own test trees name them. */
export function isPacketdrillScript(name: string): boolean {
  return extname(name).toLowerCase() === '.pkt';
}

/** Reads a file a script's init command runs (common/defaults.sh), relative to the script. */
function includeBeside(script: string): (path: string) => string | undefined {
  return (path) => {
    const full = resolve(dirname(script), path);
    try {
      return readFileSync(full, 'utf8');
    } catch {
      return undefined;
    }
  };
}

/** A built-in scenario by name, or a scenario file; a one-line error otherwise. */
export function loadScenario(nameOrFile: string): Scenario {
  const builtin = findScenario(nameOrFile);
  if (builtin) return builtin;
  if (!existsSync(nameOrFile)) {
    throw new UsageError(
      `no built-in scenario or file named '${nameOrFile}' (synack lab list shows the names)`,
    );
  }
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch (err) {
    throw new UsageError(`${nameOrFile}: ${(err as Error).message}`);
  }
  try {
    return parseScenario(text, basename(nameOrFile, extname(nameOrFile)));
  } catch (err) {
    if (err instanceof ScenarioFileError) throw new UsageError(`${nameOrFile}: ${err.message}`);
    throw err;
  }
}

function integer(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} takes an integer ≥ ${min}, not '${v}'`);
  return n;
}

/** --epoch: seconds since the Unix epoch, or an ISO date (2026-01-01T00:00:00Z). */
function epochOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (Number.isNaN(ms) || ms % 1000 !== 0 || ms < 0)
    throw new UsageError(`--epoch takes whole seconds since 1970 or an ISO date, not '${v}'`);
  return ms / 1000;
}

function svgName(out: string, id: number, count: number): string {
  if (count === 1 || out === '-') return out;
  const ext = extname(out);
  return `${out.slice(0, out.length - ext.length)}.${id}${ext || '.svg'}`;
}

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('scenarios in a simulated network with real RFC 9293 endpoints: captures and true states');
  lab
    .command('list')
    .description('the built-in scenarios, one line each')
    .action(() => {
      const width = Math.max(...BUILTIN_SCENARIOS.map((s) => s.name.length));
      for (const s of BUILTIN_SCENARIOS) process.stdout.write(`${s.name.padEnd(width)}  ${s.description}\n`);
    });
  lab
    .command('run')
    .description('play a scenario to quiescence: ladder with the true states, capture, records')
    .argument(
      '<scenario>',
      'a built-in scenario name (synack lab list), a scenario file (JSON) or a packetdrill script (.pkt)',
    )
    .option(
      '-w, --write <OUT>',
      'write the tap\u2019s capture as pcap to OUT (- for stdout; the report then goes to stderr)',
    )
    .option('--seed <N>', 'PRNG seed: ISNs, jitter, random loss (default: the scenario\u2019s, else 1)')
    .option('--tap <where>', 'capture point: client, server or mid (default mid)')
    .option('--epoch <T>', `time 0 of the capture, seconds since 1970 or ISO date (default ${DEFAULT_EPOCH})`)
    .option('--json', 'one `conns --json` record per connection, with the true states')
    .option(
      '--frames',
      'one JSON object per frame of the capture: true states after it, and whether it arrived',
    )
    .option(
      '--svg <OUT>',
      'write each connection\u2019s ladder as SVG (OUT.N.svg when several; - for stdout)',
    )
    .option('--width <N>', 'columns of the text ladder (default 100)')
    .option('--all', 'draw every packet (no folding of long data runs)')
    .option(
      '--stack <personality>',
      'the endpoints: rfc9293 (default for named scenarios) or linux (default for .pkt scripts)',
    )
    .action((name: string, opts: LabRunCliOptions, cmd: Command) => {
      let seed: number | undefined;
      let epoch: number | undefined;
      let width = 100;
      let stack: StackPersonality | undefined;
      const tap = (opts.tap ?? 'mid') as TapName;
      const scriptTap = opts.tap as TapName | undefined;
      const script = isPacketdrillScript(name);
      let scenario: Scenario | undefined;
      try {
        if (!TAP_NAMES.includes(tap))
          throw new UsageError(`--tap takes client, server or mid, not '${opts.tap}'`);
        if (opts.stack !== undefined && opts.stack !== 'rfc9293' && opts.stack !== 'linux')
          throw new UsageError(`--stack takes rfc9293 or linux, not '${opts.stack}'`);
        stack = opts.stack as StackPersonality | undefined;
        if (opts.write === '-' && opts.svg === '-')
          throw new UsageError('-w - and --svg - would both write to stdout: give one of them a file');
        seed = integer(opts.seed, '--seed', 0);
        epoch = epochOption(opts.epoch);
        width = integer(opts.width, '--width', 40) ?? 100;
        if (!script) scenario = loadScenario(name);
        else if (!existsSync(name)) throw new UsageError(`no such script '${name}'`);
      } catch (err) {
        exitOnUsageError(cmd, 'lab run', err);
      }
      let result: LabRun;
      let failure: string[] = [];
      if (script) {
        let text: string;
        try {
          text = readFileSync(name, 'utf8');
        } catch (err) {
          process.stderr.write(`synack lab run: ${name}: ${(err as Error).message}\n`);
          process.exitCode = 2;
          return;
        }
        try {
          const pd = labPacketdrill(text, basename(name, extname(name)), {
            seed,
            epoch,
            tap: scriptTap,
            stack: stack ?? 'linux',
            include: includeBeside(name),
          });
          result = pd.lab;
          failure = packetdrillFailureLines(name, pd.result);
        } catch (err) {
          // main.ts maps commander's errors to exit 1: these codes are set here.
          if (err instanceof PacketdrillUnsupported) {
            process.stderr.write(`synack lab run: ${name}:${err.line}: unsupported: ${err.feature}\n`);
            process.exitCode = EXIT_UNSUPPORTED;
            return;
          }
          if (err instanceof PacketdrillSyntaxError) {
            process.stderr.write(
              `synack lab run: ${name}:${err.line}: ${err.message.replace(/^line \d+: /, '')}\n`,
            );
            process.exitCode = 2;
            return;
          }
          throw err;
        }
      } else {
        try {
          result = labRun(scenario!, { seed, epoch, tap, stack });
        } catch (err) {
          // A scenario the network rejects (mixed IP versions, a livelock): its message, one line.
          cmd.error(`synack lab run: ${name}: ${(err as Error).message}`, { exitCode: 1 });
        }
      }
      // `-w -`: the capture is stdout, what would be printed goes to stderr.
      const toStdout = opts.write === '-';
      const print = (text: string) => (toStdout ? process.stderr : process.stdout).write(text);
      if (toStdout) process.stdout.write(result.pcap);
      else if (opts.write !== undefined) writeFileSync(opts.write, result.pcap);
      if (opts.write !== undefined && result.timeWaitSec !== DEFAULT_TRACKING.timeWaitSec) {
        // The capture cannot carry the hosts' TIME_WAIT: say which flag makes the analyzer agree.
        const tw = result.timeWaitSec;
        process.stderr.write(
          `synack lab run: the hosts keep TIME_WAIT ${tw} s: analyse the capture with --time-wait ${tw} (synack conns --time-wait ${tw} ${toStdout ? 'FILE' : opts.write})\n`,
        );
      }
      if (opts.svg !== undefined) {
        for (const c of result.connections) {
          const svg = renderLadderSvg(c.timeline, { all: !!opts.all });
          const out = svgName(opts.svg, c.id, result.connections.length);
          if (out === '-') process.stdout.write(svg);
          else writeFileSync(out, svg);
        }
      }
      if (opts.frames) {
        for (const line of labFrameLines(result)) print(`${line}\n`);
      } else if (opts.json) {
        for (const line of labJsonLines(result)) print(`${line}\n`);
      } else if (opts.svg !== '-') {
        print(`${labTextLines(result, { width, all: !!opts.all }).join('\n')}\n`);
      }
      if (failure.length > 0) {
        // packetdrill's report of the first line the stack did not follow, on stderr.
        process.stderr.write(`${failure.join('\n')}\n`);
        process.exitCode = EXIT_SCRIPT_FAILED;
      }
    });
}
