// `synack explain FILE… --conn C [--lang en|zh]`: the story of one connection in words, with
// this capture's numbers (report/explain.ts and its phrasebooks).

import type { Command } from 'commander';
import { explain, type Lang } from '../report/explain.js';
import type { ConnFilter } from '../track/filter.js';
import { pickConnection, timeWaitSeconds, UsageError } from './conn-pick.js';
import { FILTER_HELP, FilterError, filterOption } from './filter-option.js';

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
    .option('--lang <en|zh>', 'language (default en)', 'en')
    .option('--time-wait <S>', 'TIME_WAIT duration in seconds (default 60)')
    .option('--msl <M>', 'MSL in seconds: TIME_WAIT lasts 2M')
    .action(async (files: string[], opts: ExplainCliOptions, cmd: Command) => {
      const lang = opts.lang ?? 'en';
      if (lang !== 'en' && lang !== 'zh') cmd.error('synack explain: --lang is en or zh', { exitCode: 1 });
      let timeWait = 60;
      let filter: ConnFilter | null = null;
      try {
        if (opts.conn === undefined && opts.filter === undefined)
          throw new UsageError('say which connection: --conn ID|IP:PORT-IP:PORT[#n], or --filter EXPR');
        filter = filterOption(opts.filter);
        timeWait = timeWaitSeconds(opts);
      } catch (err) {
        if (err instanceof UsageError || err instanceof FilterError)
          cmd.error(`synack explain: ${err.message}`, { exitCode: 1 });
        throw err;
      }
      const { timeline, code } = await pickConnection(files, opts.conn, timeWait, filter);
      if (timeline) {
        const paragraphs = explain(timeline, { lang: lang as Lang, timeWaitS: timeWait });
        process.stdout.write(`${paragraphs.join('\n\n')}\n`);
      }
      if (code !== 0) process.exitCode = code;
    });
}
