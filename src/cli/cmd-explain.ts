// `synack explain FILE… --conn C [--lang en|zh]`: the story of one connection in words, with
// this capture's numbers (report/explain.ts and its phrasebooks).

import type { Command } from 'commander';
import { explain, type Lang } from '../report/explain.js';
import { pickConnection, timeWaitSeconds, UsageError } from './conn-pick.js';

interface ExplainCliOptions {
  conn: string;
  lang?: string;
  timeWait?: string;
  msl?: string;
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description("one connection's story in plain words (English or Chinese)")
    .argument('<files...>', 'pcap or pcapng files (gzip allowed), - for stdin')
    .requiredOption('--conn <C>', 'connection id, or IP:PORT-IP:PORT[#n]')
    .option('--lang <en|zh>', 'language (default en)', 'en')
    .option('--time-wait <S>', 'TIME_WAIT duration in seconds (default 60)')
    .option('--msl <M>', 'MSL in seconds: TIME_WAIT lasts 2M')
    .action(async (files: string[], opts: ExplainCliOptions, cmd: Command) => {
      const lang = opts.lang ?? 'en';
      if (lang !== 'en' && lang !== 'zh') cmd.error('synack explain: --lang is en or zh', { exitCode: 1 });
      let timeWait = 60;
      try {
        timeWait = timeWaitSeconds(opts);
      } catch (err) {
        if (err instanceof UsageError) cmd.error(`synack explain: ${err.message}`, { exitCode: 1 });
        throw err;
      }
      const { timeline, code } = await pickConnection(files, opts.conn, timeWait);
      if (timeline) {
        const paragraphs = explain(timeline, { lang: lang as Lang, timeWaitS: timeWait });
        process.stdout.write(`${paragraphs.join('\n\n')}\n`);
      }
      if (code !== 0) process.exitCode = code;
    });
}
