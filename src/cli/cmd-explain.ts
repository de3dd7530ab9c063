// `synack explain FILE… --conn C [--lang en|zh] [--json]`: the story of one connection in words,
// with this capture's numbers (report/explain.ts and its phrasebooks), or as data (`--json`).
// `synack explain --topic T [--lang zh]`: a concept without a capture (report/topics.ts);
// `--topic list` lists them.

import type { Command } from 'commander';
import { explain, explainStory, type Lang } from '../report/explain.js';
import { silentClient } from '../report/syn-queue-context.js';
import { SynQueueStream } from '../report/syn-queue-stream.js';
import type { ConnTimeline } from '../report/timeline.js';
import { findTopic, topicList, topicText } from '../report/topics.js';
import { SYN } from '../wire/packet.js';
import { type ConnChoice, connChoiceOptions, pickConnection } from './conn-pick.js';
import { FILTER_HELP } from './filter-option.js';
import { type LoadOptions, loadTimelines, trackInto } from './load-timelines.js';
import { addTrackingOptions, type TrackingFlags } from './tracking-options.js';
import { exitOnUsageError } from './usage-failure.js';

interface ExplainCliOptions extends TrackingFlags {
  conn?: string;
  filter?: string;
  lang?: string;
  json?: boolean;
  topic?: string;
}

/** A side of `t` whose TIME_WAIT ended within the capture (the record's states end TIME_WAIT, CLOSED). */
function timeWaitEnded(t: ConnTimeline): boolean {
  const last = t.packets[t.packets.length - 1]?.states;
  return (['orig', 'resp'] as const).some((s) => {
    const seq = t.record?.states[s];
    return last?.[s] === 'TIME_WAIT' && seq !== undefined && seq[seq.length - 1] === 'CLOSED';
  });
}

/**
 * The next connection on the same 4-tuple (either direction), which may have ended t's TIME_WAIT.
 * A second pass over the files (as synQueueOf): its notes were written by the first.
 */
async function nextOnTuple(files: string[], t: ConnTimeline, tracking: LoadOptions) {
  const key = (a: { ip: string; port: number }, b: { ip: string; port: number }) =>
    [`${a.ip} ${a.port}`, `${b.ip} ${b.port}`].sort().join('|');
  const mine = key(t.orig, t.resp);
  // Only the connections on t's two ports are kept (the 4-tuple is compared below).
  const ports = (c: { portA: number; portB: number }) =>
    (c.portA === t.orig.port && c.portB === t.resp.port) ||
    (c.portA === t.resp.port && c.portB === t.orig.port);
  const { timelines } = await loadTimelines(files, { ...tracking, keep: ports, quiet: true });
  const later = timelines
    .filter((x) => x.id > t.id && key(x.orig, x.resp) === mine && x.packets.length > 0)
    .sort((a, b) => a.id - b.id)[0];
  return later ? { id: later.id, timeUs: later.packets[0].timeUs } : undefined;
}

/** synQueueContext over every connection of the capture, streamed (no timeline kept). */
async function synQueueOf(files: string[], t: ConnTimeline, tracking: LoadOptions) {
  const stream = new SynQueueStream(t);
  await trackInto(files, { ...tracking, quiet: true }, stream.onEnd, stream.onPacket);
  return stream.context();
}

export function registerExplain(program: Command): void {
  addTrackingOptions(program.command('explain'))
    .description("one connection's story in plain words (English or Chinese), or a concept (--topic)")
    .argument('[files...]', 'pcap or pcapng files (gzip allowed), - for stdin')
    .option('--conn <C>', 'connection id, or IP:PORT-IP:PORT[#n]')
    .option('--filter <expr>', `${FILTER_HELP} (without --conn: the first one selected)`)
    .option('--lang <en|zh>', 'language', 'en')
    .option(
      '--json',
      'the story as data: steps (frame, time, actor, states, kind, evidence, text) and findings',
    )
    .option('--topic <T>', 'a state, event, concept or kernel setting without a capture; "list" lists them')
    .action(async (files: string[], opts: ExplainCliOptions, cmd: Command) => {
      const lang = opts.lang ?? 'en';
      if (lang !== 'en' && lang !== 'zh') cmd.error('synack explain: --lang is en or zh', { exitCode: 1 });
      if (opts.topic !== undefined) {
        if (files.length > 0) cmd.error('synack explain: --topic takes no capture file', { exitCode: 1 });
        if (opts.topic === 'list') {
          process.stdout.write(`${topicList(lang).join('\n')}\n`);
          return;
        }
        const topic = findTopic(opts.topic);
        if (!topic)
          cmd.error(`synack explain: no topic "${opts.topic}" (synack explain --topic list shows them)`, {
            exitCode: 1,
          });
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...topic, lang })}\n`);
        else process.stdout.write(`${topicText(topic, lang).join('\n')}\n`);
        return;
      }
      if (files.length === 0) cmd.error('synack explain: give a capture file, or --topic T', { exitCode: 1 });
      let choice: ConnChoice;
      try {
        choice = connChoiceOptions(opts);
      } catch (err) {
        exitOnUsageError(cmd, 'explain', err);
      }
      const { timeline, code } = await pickConnection(files, opts.conn, choice.tracking, choice.filter);
      if (timeline) {
        const next =
          timeWaitEnded(timeline) && !files.includes('-')
            ? await nextOnTuple(files, timeline, choice.tracking)
            : undefined;
        // A client that never answered, or a SYN sent more than once: the listener's other
        // connections may show a SYN flood (report/syn-queue-context.ts).
        const synsSent = timeline.packets.filter((p) => p.from === 'orig' && p.flags & SYN).length;
        const synQueue =
          (silentClient(timeline) || synsSent > 1) && !files.includes('-')
            ? await synQueueOf(files, timeline, choice.tracking)
            : undefined;
        const o = { lang: lang as Lang, timeWaitS: choice.timeWaitSec, next, synQueue };
        if (opts.json) process.stdout.write(`${JSON.stringify(explainStory(timeline, o))}\n`);
        else process.stdout.write(`${explain(timeline, o).join('\n\n')}\n`);
      }
      if (code !== 0) process.exitCode = code;
    });
}
