// `synack states FILE… [--at T|+S] [--timeline] [--json] [tracking options]`: the socket table each
// host would have shown at time T (netstat's view), per-state counts over time, TIME_WAIT build-up
// with port exhaustion, and SYN floods (report/socket-table.ts over track/host-states.ts).

import type { Command } from 'commander';
import {
  buildColumnStatesReport,
  type StatesReport,
  writeStatesJson,
  writeStatesText,
  writeTimelineText,
} from '../report/socket-table.js';
import { parseIsoTime } from '../report/time-format.js';
import type { ConnFilter } from '../track/filter.js';
import { type StateTimeline, stateTimelineOf } from '../track/host-states.js';
import { loadOptions } from './conn-pick.js';
import { FILTER_HELP, filterOption } from './filter-option.js';
import { heapCollect, heapLook } from './heap-governor.js';
import { type LoadOptions, loadStates } from './load-timelines.js';
import { OutputBuffer } from './output-buffer.js';
import { addTrackingOptions, type TrackingFlags } from './tracking-options.js';
import { exitOnUsageError, UsageError } from './usage-failure.js';

interface StatesCliOptions extends TrackingFlags {
  at?: string;
  timeline?: boolean;
  json?: boolean;
  filter?: string;
}

/** `--at`: epoch seconds, `+S` seconds after the first packet, or an ISO 8601 time (UTC unless it says); to integer µs. */
export function parseAt(text: string, firstUs: number): number {
  const iso = /^\d{4}-\d{2}-\d{2}/.test(text) ? parseIsoTime(text) : null;
  if (iso !== null) return iso;
  const rel = text.startsWith('+');
  const body = rel ? text.slice(1) : text;
  if (!/^\d+(\.\d{1,9})?$/.test(body))
    throw new UsageError(
      `--at takes epoch seconds, +S or an ISO 8601 time (2026-01-01T00:00:05Z), not "${text}"`,
    );
  const [whole, frac = ''] = body.split('.');
  const us = Number(whole) * 1_000_000 + Number(frac.padEnd(6, '0').slice(0, 6));
  return rel ? firstUs + us : us;
}

const TIMELINE_SAMPLES = 60;
/** Characters of the JSON report written at a time. */
const JSON_CHUNK = 1 << 18;

/**
 * The report (and the text timeline) built from the capture; the connections' inputs are dropped
 * on return, before the output is rendered.
 */
async function statesOf(
  files: string[],
  tracking: LoadOptions,
  filter: ConnFilter | null,
  opts: StatesCliOptions,
): Promise<{ report: StatesReport; timeline: StateTimeline | null; startUs: number; code: number }> {
  // The capture's span (the default --at) stays the whole capture's when a filter picks connections.
  const loaded = await loadStates(
    files,
    tracking,
    filter === null ? undefined : (rec) => filter.matches(rec),
  );
  const span = loaded.span;
  // The flow table is gone: what it held is collected before the report grows.
  heapCollect();
  const timeWaitUs = Math.round(tracking.timeWaitSec! * 1e6);
  const { report, intervals } = buildColumnStatesReport(loaded.columns, {
    timeWaitUs,
    atUs: opts.at !== undefined ? parseAt(opts.at, span.startUs) : span.endUs,
    ...(opts.timeline && opts.json ? { timelineSamples: TIMELINE_SAMPLES } : {}),
    between: heapLook,
  });
  heapLook();
  const timeline =
    opts.timeline && !opts.json
      ? stateTimelineOf(intervals, span.startUs, span.endUs, TIMELINE_SAMPLES)
      : null;
  return { report, timeline, startUs: span.startUs, code: loaded.code };
}

export function registerStates(program: Command): void {
  addTrackingOptions(program.command('states'))
    .description('the socket table each host would have shown (netstat view), TIME_WAIT and SYN floods')
    .argument('<files...>', 'pcap or pcapng files (gzip allowed), - for stdin')
    .option(
      '--at <T>',
      'epoch seconds, +S from the first packet, or ISO 8601 (2026-01-01T00:00:05.5Z) (default: the end of the capture)',
    )
    .option('--timeline', 'per-state counts per host over time')
    .option('--json', 'one JSON object (PRODUCT.md `states --json`)')
    .option('--filter <expr>', FILTER_HELP)
    .action(async (files: string[], opts: StatesCliOptions, cmd: Command) => {
      let tracking: LoadOptions = {};
      let filter: ConnFilter | null = null;
      try {
        filter = filterOption(opts.filter);
        tracking = loadOptions(opts);
        if (opts.at !== undefined) parseAt(opts.at, 0);
      } catch (err) {
        exitOnUsageError(cmd, 'states', err);
      }
      const { report, timeline, startUs, code } = await statesOf(files, tracking, filter, opts);
      // Written as it is rendered: a SYN flood's table is millions of lines.
      if (opts.json) {
        let text = '';
        writeStatesJson(report, (piece) => {
          text += piece;
          if (text.length < JSON_CHUNK) return;
          process.stdout.write(text);
          text = '';
        });
        process.stdout.write(`${text}\n`);
      } else {
        const out = new OutputBuffer();
        const line = (l: string) => out.line(l);
        writeStatesText(report, startUs, line);
        if (timeline !== null) {
          line('');
          writeTimelineText(timeline, startUs, line);
        }
        out.flush();
      }
      if (code !== 0) process.exitCode = code;
    });
}
