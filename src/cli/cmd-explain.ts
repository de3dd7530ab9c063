// `synack explain FILE… --conn C [--lang en|zh]`: the story of one connection in words, with
// this capture's numbers (report/explain.ts and its phrasebooks).

import type { Command } from 'commander';
import { explain, type Lang } from '../report/explain.js';
import { type ConnChoice, connChoiceOptions, pickConnection } from './conn-pick.js';
import { FILTER_HELP } from './filter-option.js';
import { exitOnUsageError } from './usage-failure.js';

interface ExplainCliOptions {
  conn?: string;
  filter?: string;
  lang?: string;
  timeWait?: string;
  msl?: string;
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description("one connection's story in plain words (English or Chinese)")
    .argument('<files...>', 'pcap or pcapng files (gzip allowed), - for stdin')
    .option('--conn <C>', 'connection id, or IP:PORT-IP:PORT[#n]')
    .option('--filter <expr>', `${FILTER_HELP} (without --conn: the first one selected)`)
    .option('--lang <en|zh>', 'language', 'en')
    .option('--time-wait <S>', 'TIME_WAIT duration in seconds (default 60)')
    .option('--msl <M>', 'MSL in seconds: TIME_WAIT lasts 2M')
    .action(async (files: string[], opts: ExplainCliOptions, cmd: Command) => {
      const lang = opts.lang ?? 'en';
      if (lang !== 'en' && lang !== 'zh') cmd.error('synack explain: --lang is en or zh', { exitCode: 1 });
      let choice: ConnChoice;
      try {
        choice = connChoiceOptions(opts);
      } catch (err) {
        exitOnUsageError(cmd, 'explain', err);
      }
      const { timeline, code } = await pickConnection(files, opts.conn, choice.timeWaitSec, choice.filter);
      if (timeline) {
        const paragraphs = explain(timeline, { lang: lang as Lang, timeWaitS: choice.timeWaitSec });
        process.stdout.write(`${paragraphs.join('\n\n')}\n`);
      }
      if (code !== 0) process.exitCode = code;
    });
}
