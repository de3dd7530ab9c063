// `synack conns FILE… [--json] [--sort id] [--time-wait S] [--msl M] [--idle S] [--max-conns N]
// [--verify-checksums]`: one row per connection (PRODUCT.md "Connections", "The connection
// record"). Rows are printed as connections end (order of the ending frame, ties by id; open ones
// last in id order); --sort id buffers and sorts. A table on a terminal (cli-table3), aligned
// text when piped, NDJSON with --json. Exit codes as every command: 0, 1 usage, 2 file fault.

import type { Command } from 'commander';
import { connJson } from '../report/conn-json.js';
import { connTable, connTextHeader, connTextLine } from '../report/conn-table.js';
import { addrString } from '../report/zeek-tsv.js';
import { FlowTable } from '../track/flow-table.js';
import type { ConnRecord } from '../track/record.js';
import { TcpAnalysis } from '../track/wireshark.js';
import { ZeekSummary } from '../track/zeek-summary.js';
import { OutputBuffer, readInto } from './cmd-read.js';

export interface ConnsOptions {
  json?: boolean;
  sort?: string;
  timeWait?: string;
  msl?: string;
  idle?: string;
  maxConns?: string;
  verifyChecksums?: boolean;
}

export interface TrackingOptions {
  timeWaitSec: number;
  idleSec: number;
  maxConns: number;
}

/** Parses --time-wait/--msl/--idle/--max-conns; throws a usage message on a bad value. */
export function trackingOptions(o: {
  timeWait?: string;
  msl?: string;
  idle?: string;
  maxConns?: string;
}): TrackingOptions {
  const num = (v: string | undefined, name: string, def: number, integer = false): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || (integer && (!Number.isInteger(n) || n < 1))) {
      throw new UsageError(
        `${name} wants a ${integer ? 'positive integer' : 'non-negative number'}, not '${v}'`,
      );
    }
    return n;
  };
  if (o.timeWait !== undefined && o.msl !== undefined)
    throw new UsageError('--time-wait and --msl exclude each other');
  const timeWaitSec = o.msl !== undefined ? 2 * num(o.msl, '--msl', 30) : num(o.timeWait, '--time-wait', 60);
  return {
    timeWaitSec,
    idleSec: num(o.idle, '--idle', 300),
    maxConns: num(o.maxConns, '--max-conns', 250_000, true),
  };
}

export class UsageError extends Error {}

/** A flow table wired to Zeek's summary and Wireshark's analysis, as every command uses it. */
export function newFlowTable(
  t: TrackingOptions,
  onEnd: (rec: ConnRecord) => void,
  onPacket?: ConstructorParameters<typeof FlowTable>[0]['onPacket'],
): FlowTable {
  return new FlowTable({
    timeWaitSec: t.timeWaitSec,
    idleSec: t.idleSec,
    maxConns: t.maxConns,
    newSummary: () => new ZeekSummary(),
    analysis: new TcpAnalysis(),
    addrText: addrString,
    onEnd,
    onPacket,
  });
}

export async function runConns(files: string[], opts: ConnsOptions): Promise<number> {
  const tracking = trackingOptions(opts);
  const out = new OutputBuffer();
  const tty = !opts.json && process.stdout.isTTY === true;
  const sortById = opts.sort === 'id';
  const buffered: ConnRecord[] = [];
  let headerDone = false;
  let pendingErr = '';
  // Where each finished record goes. (--zeek and --parquet plug in here as further formats.)
  const print = (rec: ConnRecord): void => {
    if (opts.json) out.line(connJson(rec));
    else {
      if (!headerDone) {
        out.line(connTextHeader());
        headerDone = true;
      }
      out.line(connTextLine(rec));
    }
  };
  const table = newFlowTable(tracking, (rec) => {
    if (sortById || tty) buffered.push(rec);
    else print(rec);
  });
  const r = await readInto(
    files,
    { onPacket: (pkt) => void table.process(pkt) },
    out,
    { reassemble: true, verifyChecksums: !!opts.verifyChecksums },
    (s) => {
      // A file fault ends input: what was read still produces its records first.
      pendingErr += s;
    },
  );
  table.finish();
  if (sortById) buffered.sort((x, y) => x.id - y.id);
  if (tty) out.line(connTable(buffered));
  else for (const rec of buffered) print(rec);
  out.flush();
  if (pendingErr !== '') process.stderr.write(pendingErr);
  return r.code;
}

export function registerConns(program: Command): void {
  program
    .command('conns')
    .description(
      'one row per TCP connection: handshake, close, both endpoints\u2019 states, Zeek summary (--json: records)',
    )
    .argument('<files...>', 'pcap or pcapng files (gzip allowed), - for stdin')
    .option('--json', 'one JSON connection record per line')
    .option('--sort <key>', 'buffer and sort the output (id)')
    .option('--time-wait <s>', 'TIME_WAIT length in seconds (default 60; 240 is RFC 9293 2×MSL)')
    .option('--msl <m>', 'MSL in seconds: --time-wait 2M')
    .option('--idle <s>', 'seconds of capture time without a segment that end a connection (default 300)')
    .option('--max-conns <n>', 'open connections at most; the one idle longest is evicted (default 250000)')
    .option('--verify-checksums', 'segments with a bad TCP checksum are flagged as Zeek without -C does')
    .action(async (files: string[], opts: ConnsOptions, cmd: Command) => {
      if (opts.sort !== undefined && opts.sort !== 'id')
        cmd.error(`synack conns: --sort takes 'id', not '${opts.sort}'`, { exitCode: 1 });
      try {
        const code = await runConns(files, opts);
        if (code !== 0) process.exitCode = code;
      } catch (err) {
        if (err instanceof UsageError) cmd.error(`synack conns: ${err.message}`, { exitCode: 1 });
        throw err;
      }
    });
}
