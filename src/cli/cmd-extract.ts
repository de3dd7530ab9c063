// `synack extract FILE… --conn C [--filter EXPR] -w OUT`: writes one connection's packets (or
// every connection a filter selects) to a new capture to hand to a colleague: its frames byte for
// byte, with their original timestamps, lengths on the wire and link type (src/wire/pcap-writer.ts).
// One link type → classic pcap (nanosecond magic when a timestamp needs it); several → pcapng
// with one interface per link type. Connections are numbered as `synack conns` numbers them
// (same --time-wait/--idle/--max-conns). Never overwrites an input; `-w -` writes to stdout.

import { realpathSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { newFlowTable } from '../report/tracking.js';
import { addrString } from '../report/zeek-tsv.js';
import type { ConnFilter } from '../track/filter.js';
import type { ConnRecord } from '../track/record.js';
import { capturedFrameOf, type CapturedFrame as Frame, framesCaptureBytes } from '../wire/pcap-writer.js';
import { connChoiceText, noMatchLine, requireConnChoice } from './conn-pick.js';
import { ConnPicker, type ConnSelector, ConnSelectorError, parseConnSelector } from './conn-selector.js';
import { decodeFiles } from './decode-files.js';
import { FILTER_HELP, filterOption } from './filter-option.js';
import { addTrackingOptions, evictionNote, type TrackingFlags, trackingOptions } from './tracking-options.js';
import { exitOnUsageError, UsageError } from './usage-failure.js';

interface ExtractCliOptions extends TrackingFlags {
  conn?: string;
  filter?: string;
  write?: string;
}

/** The picker of --conn (a bare 4-tuple: its first connection, as ladder and explain). */
function connPicker(sel: ConnSelector): ConnPicker {
  try {
    return new ConnPicker(sel);
  } catch (err) {
    if (err instanceof ConnSelectorError) throw new UsageError(err.message);
    throw err;
  }
}

/** Refuses an output that is one of the inputs (same path after links, or the same inode). */
function checkNotAnInput(out: string, inputs: string[]): void {
  let outStat: ReturnType<typeof statSync> | undefined;
  try {
    outStat = statSync(out);
  } catch {
    return; // does not exist yet
  }
  const outReal = realpathSync(out);
  for (const input of inputs) {
    if (input === '-') continue;
    try {
      const st = statSync(input);
      if (realpathSync(input) === outReal || (st.dev === outStat.dev && st.ino === outStat.ino))
        throw new UsageError(`-w ${out} is an input file: refusing to overwrite it`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
    }
  }
}

export async function runExtract(files: string[], opts: ExtractCliOptions): Promise<number> {
  const out = opts.write;
  if (out === undefined) throw new UsageError('say where to write: -w OUT.pcap (- for stdout)');
  requireConnChoice(opts);
  let sel: ConnSelector | null = null;
  try {
    if (opts.conn !== undefined) sel = parseConnSelector(opts.conn);
  } catch (err) {
    if (err instanceof ConnSelectorError) throw new UsageError(err.message);
    throw err;
  }
  const filter: ConnFilter | null = filterOption(opts.filter);
  const tracking = trackingOptions(opts);
  if (out === '-') {
    if (process.stdout.isTTY) throw new UsageError('-w -: refusing to write a capture to a terminal');
  } else checkNotAnInput(out, files);

  const picker = sel === null ? null : connPicker(sel);
  /** Connection id → whether it is taken (the selector's verdict; the filter's when decided early). */
  const verdict = new Map<number, boolean>();
  const held = new Map<number, Frame[]>();
  const kept: Frame[][] = [];
  const chosen: { id: number; orig: string; resp: string }[] = [];

  const ep = (e: { ip: string; port: number }) =>
    e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
  // A segment can end its connection inside table.process(), before its frame is held: finished
  // records wait here until the frame that ended them has joined its connection's frames.
  const ended: ConnRecord[] = [];
  const endOne = (rec: ConnRecord): void => {
    // An ended connection's id never comes back: its verdict goes (memory follows open connections).
    verdict.delete(rec.id);
    const frames = held.get(rec.id);
    if (frames === undefined) return;
    held.delete(rec.id);
    if (filter?.needsRecord && !filter.matches(rec)) return;
    kept.push(frames);
    chosen.push({ id: rec.id, orig: ep(rec.orig), resp: ep(rec.resp) });
  };
  const settle = (): void => {
    for (const rec of ended) endOne(rec);
    ended.length = 0;
  };
  // At the end of input no frame is pending: each record is settled as it comes (a flood's
  // 250 000 open connections are not 250 000 records at once).
  let finishing = false;
  // Records and verdicts go by id and a record owns its fields: an ended connection's objects
  // may serve the next one (no garbage per connection in a flood).
  const table = newFlowTable(
    tracking,
    (rec) => {
      if (finishing) endOne(rec);
      else ended.push(rec);
    },
    undefined,
    true,
  );

  const code = await decodeFiles(
    files,
    (pkt, rec) => {
      const conn = table.process(pkt);
      if (conn === null) return settle();
      let take = verdict.get(conn.id);
      if (take === undefined) {
        take = true;
        if (picker !== null) take = picker.takes(conn);
        if (take && filter !== null && !filter.needsRecord) {
          const n = conn.ipVersion === 6 ? 16 : 4;
          take = filter.matchesTuple({
            orig: { ip: addrString(conn.addrA.subarray(0, n), conn.ipVersion), port: conn.portA },
            resp: { ip: addrString(conn.addrB.subarray(0, n), conn.ipVersion), port: conn.portB },
          });
        }
        verdict.set(conn.id, take);
      }
      if (!take) return settle();
      let list = held.get(conn.id);
      if (list === undefined) {
        list = [];
        held.set(conn.id, list);
      }
      list.push(capturedFrameOf(rec));
      settle();
    },
    { dedup: !!opts.dedup },
  );
  settle();
  finishing = true;
  table.finish();
  const evicted = evictionNote(table.evictedCount, tracking.maxConns);
  if (evicted !== '') process.stderr.write(evicted);
  const tupleIds = picker?.onTuple ?? [];
  if (sel?.kind === 'tuple' && sel.nth === undefined && tupleIds.length > 1) {
    process.stderr.write(
      `synack: ${tupleIds.length} connections on that 4-tuple (ids ${tupleIds.join(', ')}); extracted the first, pick another with #n\n`,
    );
  }
  const frames = kept.flat().sort((x, y) => x.frame - y.frame);
  if (frames.length === 0) {
    const asked = connChoiceText(opts.conn, filter);
    process.stderr.write(`${noMatchLine(asked, code, '; nothing written')}\n`);
    return code || 1;
  }
  const bytes = framesCaptureBytes(frames, /\.pcapng$/i.test(out));
  try {
    if (out === '-') process.stdout.write(bytes);
    else writeFileSync(out, bytes);
  } catch (err) {
    process.stderr.write(
      `synack: ${out}: cannot write: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`,
    );
    return 2;
  }
  const what =
    chosen.length === 1
      ? `connection ${chosen[0]!.id} (${chosen[0]!.orig} → ${chosen[0]!.resp})`
      : `${chosen.length} connections`;
  process.stderr.write(
    `synack: ${frames.length} packet${frames.length === 1 ? '' : 's'} of ${what} written to ${out === '-' ? 'stdout' : out}\n`,
  );
  return code;
}

export function registerExtract(program: Command): void {
  addTrackingOptions(program.command('extract'))
    .description(
      "write one connection's packets (frames byte for byte, original timestamps) to a new capture",
    )
    .argument('<files...>', 'pcap or pcapng files (gzip allowed), - for stdin')
    .option('--conn <C>', 'connection id, or IP:PORT-IP:PORT[#n]')
    .option('--filter <expr>', `${FILTER_HELP} (all the connections it selects)`)
    .option('-w, --write <OUT>', 'the capture to write (- for stdout)')
    .action(async (files: string[], opts: ExtractCliOptions, cmd: Command) => {
      try {
        const code = await runExtract(files, opts);
        if (code !== 0) process.exitCode = code;
      } catch (err) {
        exitOnUsageError(cmd, 'extract', err);
      }
    });
}
