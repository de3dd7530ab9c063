// `synack conns FILE… [--json|--zeek] [--sort id] [--time-wait S] [--msl M] [--idle S] [--max-conns N]
// [--dedup] [--verify-checksums]`: one row per connection (PRODUCT.md "Connections", "The connection
// record"). Rows are printed as connections end (order of the ending frame, ties by id; open ones
// last in id order); --sort id buffers and sorts. A table on a terminal (cli-table3), aligned
// text when piped, NDJSON with --json. Exit codes as every command: 0, 1 usage, 2 file fault.

import type { Command } from 'commander';
import { connJsonInto } from '../report/conn-json.js';
import { connTable, connTextHeader, connTextLine } from '../report/conn-table.js';
import { newFlowTable } from '../report/tracking.js';
import { zeekConnClose, zeekConnHead, zeekConnLine } from '../report/zeek-tsv.js';
import type { ConnRecord } from '../track/record.js';
import { ZeekConnLog, type ZeekConnRow } from '../track/zeek-log.js';
import type { ConnParquet } from './conns-parquet.js';
import { runSharded } from './conns-shards.js';
import { FILTER_HELP, FilterError, filterOption } from './filter-option.js';
import { readInto } from './input-pipeline.js';
import { OutputBuffer } from './output-buffer.js';
import { addTimeFormatOption, timeFormatOption } from './time-format-option.js';
import { addTrackingOptions, evictionNote, type TrackingFlags, trackingOptions } from './tracking-options.js';
import { UsageError } from './usage-failure.js';

export interface ConnsOptions extends TrackingFlags {
  json?: boolean;
  zeek?: boolean;
  sort?: string;
  verifyChecksums?: boolean;
  /** --filter EXPR (src/track/filter.ts): only the connections it selects. */
  filter?: string;
  /** --threads N: flows sharded across N threads (default 1; see threadsOption). */
  threads?: string;
  /** --parquet OUT: the records as a Parquet file instead of stdout. */
  parquet?: string;
  /** -t: the start column's format (text only). */
  timeFormat?: string;
}

/**
 * --threads: a positive integer, default 1. Sharding (conns-shards.ts) decodes once on the main
 * thread, which tracks a share of the flows itself, and hands the other shards binary packet
 * batches. On the 2-core bench machine (1 M packets, 67 k connections, other jobs running) 2
 * threads took 1.4x the CPU of 1 (4.8 s against 3.4 s) and no less wall time (3.25 s against
 * 2.85 s, median of 3): one table already keeps more than a core busy with V8's GC threads beside
 * it, so sharding stays opt-in (more cores may change that; not measured here).
 */
function threadsOption(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--threads wants 1 to 256, not '${v}'`);
  return n;
}

export async function runConns(files: string[], opts: ConnsOptions): Promise<number> {
  const tracking = trackingOptions(opts);
  const time = timeFormatOption(opts.timeFormat);
  const threads = threadsOption(opts.threads);
  const filter = filterOption(opts.filter);
  const selected = new Set<number>();
  const out = new OutputBuffer();
  const tty = !opts.json && !opts.zeek && process.stdout.isTTY === true;
  const sortById = opts.sort === 'id';
  const buffered: ConnRecord[] = [];
  let headerDone = false;
  let pendingErr = '';
  // Where each finished record goes. (--zeek and --parquet plug in here as further formats.)
  const print = (rec: ConnRecord): void => {
    if (opts.json) {
      connJsonInto(out.bytes, rec);
      out.endLine();
    } else {
      if (!headerDone) {
        out.line(connTextHeader());
        headerDone = true;
      }
      out.line(connTextLine(rec, time));
    }
  };
  // --zeek: Zeek's own connection table (its row splits) over the same packets, each packet
  // carrying the synack connection it joined (the synack_id column); records are not printed.
  // Records keep nothing of a Conn, and conn.id is read before the next packet: recycle them.
  // (Unused when sharded.) Zeek's table shares its 4-tuple slots: no second lookup per packet.
  const table = newFlowTable(tracking, (rec) => onRecord(rec), undefined, true);
  const zeek = opts.zeek ? new ZeekConnLog({ maxConns: tracking.maxConns, slots: table.slots }) : null;
  // Rows are written as Zeek's timers log them (its order: removal order, then what is open at
  // the end in creation order), so memory follows Zeek's open connections. --filter must wait
  // for the synack connection's record, --sort id for every row: those keep the rows.
  const zeekStreams = zeek !== null && filter === null && !sortById;
  let zeekHeadDone = false;
  const zeekRows = (rows: readonly ZeekConnRow[]): void => {
    if (!zeekHeadDone) {
      for (const line of zeekConnHead(zeek!.firstUsec)) out.line(line);
      zeekHeadDone = true;
    }
    for (const row of rows) out.line(zeekConnLine(row));
  };
  // Loaded only for --parquet: its writer library costs every run of every command ~30 ms of CPU
  // to load (commands.ts imports this module whatever the command).
  const parquet: ConnParquet | null =
    opts.parquet !== undefined ? new (await import('./conns-parquet.js')).ConnParquet(opts.parquet) : null;
  const onRecord = (rec: ConnRecord): void => {
    if (filter !== null && !filter.matches(rec)) return;
    if (zeek !== null) {
      // Only --zeek needs the selected ids later (its rows carry synack_id): other runs keep no
      // per-connection memory once a record is out.
      if (filter !== null) selected.add(rec.id);
      return;
    }
    if (parquet !== null) {
      parquet.add(rec);
      return;
    }
    if (sortById || tty) buffered.push(rec);
    else print(rec);
  };
  // Sharding re-reads the input when --max-conns may be reached (not stdin), and --zeek's own
  // table follows packets across flows: those run in one table.
  if (threads > 1 && zeek === null && !files.includes('-')) {
    const r = await runSharded(
      files,
      { threads, tracking, verifyChecksums: !!opts.verifyChecksums, dedup: !!opts.dedup },
      onRecord,
      (s) => {
        pendingErr += s;
      },
    );
    parquet?.finish();
    if (sortById) buffered.sort((x, y) => x.id - y.id);
    if (tty) out.line(connTable(buffered, time, process.stdout.columns || 120));
    else for (const rec of buffered) print(rec);
    out.flush();
    if (pendingErr !== '') process.stderr.write(pendingErr);
    reportEvicted(r.evicted, tracking.maxConns);
    return r.code;
  }
  const r = await readInto(
    files,
    {
      needsFrame: false,
      onPacket: (pkt) => {
        const conn = table.process(pkt);
        if (zeek !== null && conn !== null) {
          zeek.processIn(pkt, table.lastSlot, table.lastDir, conn.id);
          if (zeekStreams && zeek.loggedRows.length > 0) zeekRows(zeek.takeLogged());
        }
      },
    },
    out,
    {
      reassemble: true,
      verifyChecksums: !!opts.verifyChecksums,
      dedup: !!opts.dedup,
      zeekChecksums: !!opts.zeek,
    },
    (s) => {
      // A file fault ends input: what was read still produces its records first.
      pendingErr += s;
    },
  );
  table.finish();
  parquet?.finish();
  if (zeek !== null && zeekStreams) {
    // The connections open at the end are written as they are logged, not held as rows.
    zeekRows(zeek.takeLogged());
    zeek.finish((row) => out.line(zeekConnLine(row)));
    out.line(zeekConnClose(zeek.lastUsec));
  } else if (zeek !== null) {
    const rows = zeek.finish().filter((row) => filter === null || selected.has(row.synackId));
    if (sortById) rows.sort((x, y) => x.zeekId - y.zeekId);
    zeekRows(rows);
    out.line(zeekConnClose(zeek.lastUsec));
  }
  if (sortById) buffered.sort((x, y) => x.id - y.id);
  if (tty) out.line(connTable(buffered, time, process.stdout.columns || 120));
  else for (const rec of buffered) print(rec);
  out.flush();
  if (pendingErr !== '') process.stderr.write(pendingErr);
  reportEvicted(table.evictedCount, tracking.maxConns);
  if (zeek !== null && zeek.evictedCount > 0) {
    const n = zeek.evictedCount;
    process.stderr.write(
      `synack: ${n} Zeek connection${n === 1 ? '' : 's'} logged early (more than --max-conns ${tracking.maxConns} open at once)\n`,
    );
  }
  return r.code;
}

function reportEvicted(n: number, maxConns: number): void {
  const note = evictionNote(n, maxConns);
  if (note !== '') process.stderr.write(note);
}

export function registerConns(program: Command): void {
  const conns = program
    .command('conns')
    .description(
      'one row per TCP connection: handshake, close, both endpoints\u2019 states, Zeek summary (--json: records)',
    )
    .argument('<files...>', 'pcap or pcapng files (gzip allowed), - for stdin')
    .option('--json', 'one JSON connection record per line')
    .option('--zeek', "Zeek's conn.log (TCP rows, Zeek's row splits) with a synack_id column")
    .option('--sort <key>', 'buffer and sort the output (id)');
  addTimeFormatOption(conns, 'the start column (JSON, Zeek and Parquet keep epoch)');
  addTrackingOptions(conns)
    .option('--verify-checksums', 'segments with a bad TCP checksum are flagged as Zeek without -C does')
    .option('--filter <expr>', FILTER_HELP)
    .option('--parquet <out>', 'write the records to a Parquet file (flat columns) instead of stdout')
    .option(
      '--threads <n>',
      'threads, flows sharded by hash; output identical to 1 (default 1: on 2 cores it costs more CPU than it saves)',
    )
    .action(async (files: string[], opts: ConnsOptions, cmd: Command) => {
      if (opts.json && opts.zeek)
        cmd.error('synack conns: --json and --zeek exclude each other', { exitCode: 1 });
      if (opts.parquet !== undefined && (opts.json || opts.zeek))
        cmd.error('synack conns: --parquet writes the records itself; drop --json/--zeek', { exitCode: 1 });
      if (opts.sort !== undefined && opts.sort !== 'id')
        cmd.error(`synack conns: --sort takes 'id', not '${opts.sort}'`, { exitCode: 1 });
      try {
        const code = await runConns(files, opts);
        if (code !== 0) process.exitCode = code;
      } catch (err) {
        if (err instanceof UsageError || err instanceof FilterError)
          cmd.error(`synack conns: ${err.message}`, { exitCode: 1 });
        throw err;
      }
    });
}
