// `synack live [-i IFACE] [FILTER…] | synack live -`: the analysis of a capture stream as it
// arrives. Either tcpdump is started (`tcpdump -i IFACE -U -w - FILTER`) or a pcap/pcapng stream
// is read on stdin. The pipeline is `synack conns`'s (readInto → Decoder → the flow table of
// newFlowTable, ZeekConnLog for --zeek) in the same formats: each connection's record is printed
// when it closes — both endpoints in TIME_WAIT or CLOSED, the final TIME_WAIT shown then, not a
// minute later when it runs out — or when it is otherwise over (table line with its header at
// once, --json; --zeek rows as Zeek removes them), `--events` adds one
// provisional line per segment that changes a state or carries an event kind. On Ctrl-C or at the
// end of the stream, even in the middle of a record, the still-open connections are printed and
// the exit code is 0. Memory follows the open connections (the flow table emits and drops what
// is over; logged Zeek rows are handed over at once).

import { networkInterfaces } from 'node:os';
import type { Command } from 'commander';
import { type CaptureStream, startTcpdump, wrapStream } from '../live/tcpdump-stream.js';
import { connJson } from '../report/conn-json.js';
import { connTextHeader, connTextLine } from '../report/conn-table.js';
import { type LiveEvent, liveEventJson, liveEventLine } from '../report/live-event.js';
import { newFlowTable } from '../report/tracking.js';
import { zeekConnLine, zeekConnLog, zeekStamp } from '../report/zeek-tsv.js';
import type { TcpState } from '../tcp/state.js';
import type { Conn } from '../track/connection.js';
import { type ConnRecord, combineTags } from '../track/record.js';
import { ZeekConnLog } from '../track/zeek-log.js';
import type { Packet } from '../wire/packet.js';
import type { FileFault } from './errors.js';
import { readInto } from './input-pipeline.js';
import { OutputBuffer } from './output-buffer.js';
import { addTrackingOptions, type TrackingFlags, trackingOptions } from './tracking-options.js';
import { UsageError } from './usage-failure.js';

export interface LiveOptions extends TrackingFlags {
  interface?: string;
  json?: boolean;
  zeek?: boolean;
  events?: boolean;
  verifyChecksums?: boolean;
}

/** Wall-clock tick that lets quiet connections time out on a live capture. */
const TICK_MS = 1000;
/** Packets reach us a little after their capture time: time advances this much behind the clock. */
const CLOCK_MARGIN_USEC = 1_000_000;

function sameAddr(x: Uint8Array, y: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** This host's addresses, on every interface. */
function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) out.push(a.address.split('%')[0]!);
  return out;
}

export async function runLive(args: string[], opts: LiveOptions): Promise<number> {
  const fromStdin = args.length === 1 && args[0] === '-';
  // Capturing here: a connection with one of this host's addresses is tapped beside that end
  // (PRODUCT.md --tap auto). A stream on stdin may come from anywhere.
  const tracking = { ...trackingOptions(opts), ...(fromStdin ? {} : { ownAddresses: hostAddresses() }) };
  if (fromStdin && opts.interface !== undefined) throw new UsageError('-i and - exclude each other');
  if (opts.json && opts.zeek) throw new UsageError('--json and --zeek exclude each other');
  if (args.length > 1 && args.includes('-')) throw new UsageError("'-' (stdin) takes no filter");

  // Output goes out as soon as a chunk of input is processed (a live stream is read by people).
  const out = new OutputBuffer();
  let flushQueued = false;
  const flushSoon = () => {
    if (flushQueued) return;
    flushQueued = true;
    setImmediate(() => {
      flushQueued = false;
      out.flush();
    });
  };

  let headerDone = false;
  // Connections printed at their close (both ends TIME_WAIT or CLOSED), not again when TIME_WAIT ends.
  const printedAtClose = new Set<number>();
  const printRecord = (rec: ConnRecord): void => {
    if (opts.zeek) return;
    if (printedAtClose.delete(rec.id)) return;
    if (opts.json) out.line(connJson(rec));
    else out.line(connTextLine(rec));
  };

  // --zeek: header at the first packet, rows as Zeek's timers remove connections, #close at the end.
  const zeek = opts.zeek ? new ZeekConnLog() : null;
  const printZeekRows = (): void => {
    if (zeek === null) return;
    if (!headerDone && zeek.firstUsec >= 0) {
      const head = zeekConnLog([], zeek.firstUsec, zeek.firstUsec).split('\n');
      for (const line of head.slice(0, -2)) out.line(line); // all but #close and the final ''
      headerDone = true;
    }
    for (const row of zeek.takeLogged()) out.line(zeekConnLine(row));
  };

  // Records ended by a packet are printed after that packet's event line.
  const ended: ConnRecord[] = [];
  // --events: the last states printed per open connection (orig << 4 | resp).
  const shown = new Map<Conn, number>();
  let current = -1;
  let currentTags = -1;
  const table = newFlowTable(
    tracking,
    (rec, conn) => {
      shown.delete(conn);
      ended.push(rec);
    },
    opts.events
      ? (_conn, h, tags) => {
          if (h.frame === current) currentTags = tags;
        }
      : undefined,
  );
  const printEnded = (): void => {
    for (const rec of ended) printRecord(rec);
    ended.length = 0;
  };

  const event: LiveEvent = {
    conn: 0,
    frame: 0,
    timeUsec: 0,
    from: 'orig',
    flags: 0,
    orig: 0,
    resp: 0,
    tags: 0,
  };
  const printEvent = (pkt: Packet, conn: Conn): void => {
    const n = pkt.ipVersion === 6 ? 16 : 4;
    const fromA = pkt.srcPort === conn.portA && sameAddr(pkt.src, conn.addrA, n);
    const origIsA = conn.summary.origIsA;
    let tags = currentTags;
    if (tags < 0) {
      const last = conn.lastHeld;
      tags = last !== null && last.frame === pkt.frame ? combineTags(last.wsTags, last.ownTags) : 0;
    }
    const a: TcpState = conn.live.a.state;
    const b: TcpState = conn.live.b.state;
    const orig = origIsA ? a : b;
    const resp = origIsA ? b : a;
    const packed = (orig << 4) | resp;
    if (tags === 0 && shown.get(conn) === packed) return;
    if (!conn.ended) shown.set(conn, packed);
    event.conn = conn.id;
    event.frame = pkt.frame;
    event.timeUsec = pkt.tsUsec;
    event.from = fromA === origIsA ? 'orig' : 'resp';
    event.flags = pkt.flags;
    event.orig = orig;
    event.resp = resp;
    event.tags = tags;
    out.line(opts.json ? liveEventJson(event) : liveEventLine(event));
  };

  let lastPacketUsec = -1;
  const onPacket = (pkt: Packet): void => {
    current = pkt.frame;
    currentTags = -1;
    const conn = table.process(pkt);
    if (conn !== null) {
      lastPacketUsec = pkt.tsUsec;
      if (opts.events) printEvent(pkt, conn);
      if (zeek !== null) zeek.process(pkt, conn.id);
    }
    printEnded();
    if (conn !== null && !opts.zeek && !printedAtClose.has(conn.id)) {
      const rec = table.closedRecord(conn);
      if (rec !== null) {
        printRecord(rec);
        printedAtClose.add(rec.id);
      }
    }
    printZeekRows();
    flushSoon();
  };

  let source: CaptureStream;
  if (fromStdin) source = wrapStream(process.stdin);
  else {
    source = startTcpdump(opts.interface, args, (line) => process.stderr.write(`synack live: ${line}\n`));
  }
  // The table's header goes out as soon as the capture starts, before any packet (the --zeek
  // header needs the first packet's time).
  if (!opts.json && !opts.zeek) {
    source.onStart(() => {
      if (headerDone) return;
      headerDone = true;
      out.line(connTextHeader());
      out.flush();
    });
  }
  const stop = () => source.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // On a live capture, capture time follows the clock: quiet connections still time out.
  const tick = fromStdin
    ? null
    : setInterval(() => {
        if (lastPacketUsec < 0) return;
        const now = Date.now() * 1000 - CLOCK_MARGIN_USEC;
        if (now <= lastPacketUsec) return;
        table.advance(now);
        zeek?.advance(now);
        printEnded();
        printZeekRows();
        out.flush();
      }, TICK_MS);

  let fault: FileFault | undefined;
  let faultLine = '';
  const r = await readInto(
    ['-'],
    { onPacket },
    out,
    {
      reassemble: true,
      verifyChecksums: !!opts.verifyChecksums,
      dedup: !!opts.dedup,
      zeekChecksums: !!opts.zeek,
      stdin: source.stream,
    },
    (s, f) => {
      // Notes go out as they come; a fault waits: the end of a stream mid-record is no fault.
      if (f === undefined) process.stderr.write(s);
      else {
        fault = f;
        faultLine = s;
      }
    },
  );
  if (tick !== null) clearInterval(tick);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  // tcpdump gets 2 s to say why it stopped; the timer must not hold the process once it has.
  let timer: NodeJS.Timeout | undefined;
  const why = await Promise.race([
    source.done,
    new Promise<null>((res) => {
      timer = setTimeout(() => res(null), 2000);
    }),
  ]);
  clearTimeout(timer);

  // The still-open connections, in id order (conns' order for what is open at the end).
  table.finish();
  printEnded();
  if (zeek !== null) {
    zeek.finish();
    printZeekRows();
    // No packet at all: the empty log `conns --zeek` prints.
    if (!headerDone) out.line(zeekConnLog([], zeek.firstUsec, zeek.lastUsec).slice(0, -1));
    else out.line(`#close\t${zeekStamp(Math.max(zeek.lastUsec, 0))}`);
  }
  out.flush();

  if (why !== null && !source.started()) {
    // tcpdump never delivered a capture: its own reason is the one to give.
    process.stderr.write(`synack live: ${why}\n`);
    return 2;
  }
  // A stream that ends (Ctrl-C, tcpdump stopped) in the middle of a record is a normal end.
  const cutShort = fault?.code === 'TRUNCATED_RECORD' || fault?.code === 'TRUNCATED_HEADER';
  if (r.code !== 0 && !cutShort) {
    process.stderr.write(faultLine);
    return r.code;
  }
  if (why !== null) process.stderr.write(`synack live: ${why}\n`);
  return 0;
}

export function registerLive(program: Command): void {
  const cmd = program
    .command('live')
    .description(
      'analysis of a capture stream as it arrives: starts tcpdump, or reads a pcap stream on stdin (-)',
    )
    .argument('[filter...]', 'tcpdump filter expression, or - to read a capture stream on stdin')
    .option('-i, --interface <iface>', 'interface tcpdump captures on (default: tcpdump’s choice)')
    .option('--json', 'one JSON connection record per line')
    .option('--zeek', "Zeek's conn.log rows as Zeek would log them")
    .option('--events', 'a provisional line per segment that changes a state or carries an event')
    .option('--verify-checksums', 'segments with a bad TCP checksum are flagged as Zeek without -C does');
  addTrackingOptions(cmd).action(async (args: string[], opts: LiveOptions, cmd: Command) => {
    try {
      const code = await runLive(args, opts);
      if (code !== 0) process.exitCode = code;
      // tcpdump may have been ours; nothing else keeps the process alive.
    } catch (err) {
      if (err instanceof UsageError) cmd.error(`synack live: ${err.message}`, { exitCode: 1 });
      throw err;
    }
  });
}
