// `synack ladder FILE… --conn C [--width N] [--all] [--svg OUT]`: the textbook sequence diagram
// of one connection, in the terminal (report/ladder-text.ts) or as a standalone SVG
// (report/ladder-svg.ts, shared with the web UI).

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderLadderSvg } from '../report/ladder-svg.js';
import { renderLadderText } from '../report/ladder-text.js';
import { type ConnChoice, connChoiceOptions, pickConnection } from './conn-pick.js';
import { FILTER_HELP } from './filter-option.js';
import { ladderTime, timeFormatChoice } from './time-format-option.js';
import { addTrackingOptions, type TrackingFlags } from './tracking-options.js';
import { exitOnUsageError, UsageError } from './usage-failure.js';

interface LadderCliOptions extends TrackingFlags {
  timeFormat?: string;
  conn?: string;
  filter?: string;
  width?: string;
  all?: boolean;
  svg?: string;
  symbolic?: boolean;
}

export function registerLadder(program: Command): void {
  addTrackingOptions(program.command('ladder'))
    .description('the sequence diagram of one connection: arrows, flags, seq/ack, both states')
    .argument('<files...>', 'pcap or pcapng files (gzip allowed), - for stdin')
    .option('--conn <C>', 'connection id, or IP:PORT-IP:PORT[#n]')
    .option('--filter <expr>', `${FILTER_HELP} (without --conn: the first one selected)`)
    .option('--width <N>', 'columns (default 100)')
    .option('--all', 'draw every packet (no folding of long data runs)')
    .option('--symbolic', 'sequence numbers as the textbooks write them: seq=x, ack=y+1, u, v, w')
    .option('--svg <OUT>', 'write the diagram as SVG to OUT (- for stdout)')
    .option(
      '-t, --time-format <fmt>',
      'the time column: relative (default, since the first packet), epoch, iso (UTC) or delta (since the previous arrow)',
    )
    .action(async (files: string[], opts: LadderCliOptions, cmd: Command) => {
      let width = 100;
      let choice: ConnChoice;
      try {
        choice = connChoiceOptions(opts);
        timeFormatChoice(opts.timeFormat);
        if (opts.width !== undefined) {
          width = Number(opts.width);
          if (!Number.isInteger(width) || width < 40)
            throw new UsageError('--width takes a number of columns, at least 40');
        }
      } catch (err) {
        exitOnUsageError(cmd, 'ladder', err);
      }
      const { timeline, code } = await pickConnection(files, opts.conn, choice.tracking, choice.filter);
      if (timeline) {
        if (opts.svg !== undefined) {
          const svg = renderLadderSvg(timeline, { all: !!opts.all, symbolic: !!opts.symbolic });
          if (opts.svg === '-') process.stdout.write(svg);
          else writeFileSync(opts.svg, svg);
        } else {
          const time = ladderTime(opts.timeFormat, timeline.packets[0]?.timeUs ?? 0);
          const lines = renderLadderText(timeline, {
            width,
            all: !!opts.all,
            symbolic: !!opts.symbolic,
            ...(time ? { time } : {}),
          });
          process.stdout.write(`${lines.join('\n')}\n`);
        }
      }
      if (code !== 0) process.exitCode = code;
    });
}
