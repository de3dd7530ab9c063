// In-process fuzzing, deterministic from a seed: corpus captures and fixtures mutated (byte and
// bit flips, interesting values, truncation, splices, insertions, deletions) and fed in random
// chunk sizes; single frames mutated in their headers and decoded under random link types; and
// whole mutated captures run through every stage a command runs (pipeline cases): the tcpdump
// renderer (read --tcpdump), the tracked sinks of read and read --json, conns' flow table and JSON
// records, Zeek's conn.log, the ladder (text, SVG), the explanation (en, zh) and the socket table
// (states, --timeline). Checks: nothing but CaptureError escapes the reader, nothing at all escapes
// anything else, every loop ends (record counts bounded by input size; the watchdog of
// fuzz-watchdog.ts for the rest), decoded Packets are sane, and no output shows NaN, undefined or
// [object …]. Used by test/fuzz.test.ts and scripts/fuzz.ts (long campaigns).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TcpdumpSink } from '../../src/cli/cmd-read.js';
import { OutputBuffer } from '../../src/cli/output-buffer.js';
import { TrackedSink } from '../../src/cli/read-tracked.js';
import { connJson } from '../../src/report/conn-json.js';
import { explain } from '../../src/report/explain.js';
import { renderLadderSvg } from '../../src/report/ladder-svg.js';
import { renderLadderText } from '../../src/report/ladder-text.js';
import {
  buildStatesReport,
  captureSpan,
  renderStatesText,
  renderTimelineText,
} from '../../src/report/socket-table.js';
import type { ConnTimeline } from '../../src/report/timeline.js';
import { TimelineCollector } from '../../src/report/timeline-from-track.js';
import { DEFAULT_TRACKING, newFlowTable, type TrackingOptions } from '../../src/report/tracking.js';
import { zeekConnLog } from '../../src/report/zeek-tsv.js';
import { type RandomSource, seededRandom } from '../../src/tcp/random.js';
import { socketIntervals, stateTimeline } from '../../src/track/host-states.js';
import { ZeekConnLog } from '../../src/track/zeek-log.js';
import { CaptureReader } from '../../src/wire/capture-reader.js';
import { Decoder } from '../../src/wire/decode.js';
import { DecodeStatus, MAX_LAYERS, Packet } from '../../src/wire/packet.js';
import { CaptureError, CaptureRecord } from '../../src/wire/record.js';
import { tcpOptions } from '../../src/wire/tcp-header.js';

export interface FuzzSeeds {
  /** Whole capture files (small ones, or the first bytes of large ones). */
  files: Uint8Array[];
  /** Single frames with their link types, taken from the files. */
  frames: { linktype: number; data: Uint8Array }[];
}

export interface FuzzStats {
  fileCases: number;
  frameCases: number;
  /** Whole captures through every command's stages. */
  pipelineCases: number;
  /** Connections the pipeline cases tracked, and output bytes they produced. */
  connections: number;
  outputBytes: number;
  records: number;
  tcp: number;
  malformed: number;
  captureErrors: number;
  /** Distinct CaptureError codes seen. */
  errorCodes: Set<string>;
}

export class FuzzFailure extends Error {
  constructor(
    message: string,
    readonly input: Uint8Array,
    readonly caseIndex: number,
  ) {
    super(message);
  }
}

const LINKTYPES = [0, 1, 10, 12, 101, 108, 113, 228, 229, 276, 147];
const MAX_FILE_SEED = 96 * 1024;

/** Loads the seeds from capture folders: files up to 96 KiB (larger ones cut there), and their frames. */
export function loadSeeds(dirs: string[]): FuzzSeeds {
  const seeds: FuzzSeeds = { files: [], frames: [] };
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        const sub = loadSeeds([path]);
        seeds.files.push(...sub.files);
        seeds.frames.push(...sub.frames);
        continue;
      }
      if (!/\.(pcap(ng)?|bin)$/.test(name)) continue;
      const bytes = new Uint8Array(readFileSync(path));
      seeds.files.push(bytes.subarray(0, MAX_FILE_SEED));
      const reader = new CaptureReader();
      reader.push(bytes);
      reader.end();
      const rec = new CaptureRecord();
      try {
        for (let n = 0; n < 64 && reader.next(rec); n++) {
          seeds.frames.push({ linktype: rec.linktype, data: rec.data.slice() });
        }
      } catch (err) {
        if (!(err instanceof CaptureError)) throw err;
      }
    }
  }
  return seeds;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x45, 0x60, 0x06, 0x11, 0x2f, 0x29, 0x2c, 0x3a];

/** A mutated copy of `input`; `focus` bytes at the start get most of the point mutations. */
function mutate(input: Uint8Array, rnd: RandomSource, focus: number): Uint8Array {
  let out = input.slice();
  const rounds = 1 + (rnd() % 4);
  for (let r = 0; r < rounds; r++) {
    const len = out.length;
    const at = () => (len === 0 ? 0 : rnd() % 2 === 0 ? rnd() % Math.min(len, focus) : rnd() % len);
    switch (rnd() % 8) {
      case 0: {
        const i = at();
        if (len > 0) out[i] ^= 1 << (rnd() % 8);
        break;
      }
      case 1: {
        const n = 1 + (rnd() % 8);
        for (let k = 0; k < n && len > 0; k++) out[at()] = rnd() & 0xff;
        break;
      }
      case 2: {
        if (len > 0) out[at()] = INTERESTING[rnd() % INTERESTING.length]!;
        break;
      }
      case 3: {
        // 16- or 32-bit boundary values: lengths, offsets and counters.
        const i = at();
        const v = [0, 0xffff, 0x8000, 1, 0xffffffff, 0x7fffffff][rnd() % 6]!;
        if (i + 4 <= len) {
          out[i] = v >>> 24;
          out[i + 1] = (v >>> 16) & 0xff;
          out[i + 2] = (v >>> 8) & 0xff;
          out[i + 3] = v & 0xff;
        }
        break;
      }
      case 4:
        out = out.subarray(0, len === 0 ? 0 : rnd() % len).slice();
        break;
      case 5: {
        // Copy a chunk from elsewhere in the input over this position.
        if (len < 2) break;
        const from = rnd() % len;
        const to = at();
        const n = Math.min(1 + (rnd() % 64), len - from, len - to);
        out.copyWithin(to, from, from + n);
        break;
      }
      case 6: {
        const i = at();
        const n = 1 + (rnd() % 16);
        const ins = new Uint8Array(n);
        for (let k = 0; k < n; k++) ins[k] = rnd() & 0xff;
        const grown = new Uint8Array(len + n);
        grown.set(out.subarray(0, i));
        grown.set(ins, i);
        grown.set(out.subarray(i), i + n);
        out = grown;
        break;
      }
      default: {
        const i = at();
        const n = Math.min(1 + (rnd() % 16), len - i);
        const shrunk = new Uint8Array(len - n);
        shrunk.set(out.subarray(0, i));
        shrunk.set(out.subarray(i + n), i);
        out = shrunk;
      }
    }
  }
  return out;
}

/** Throws unless the decoded packet is sane. */
export function checkPacket(pkt: Packet, status: DecodeStatus, buf: Uint8Array): void {
  const fail = (why: string) => {
    throw new Error(`insane packet (${DecodeStatus[status]}): ${why}`);
  };
  if (!(status >= DecodeStatus.TCP && status <= DecodeStatus.UNSUPPORTED_LINK)) fail(`status ${status}`);
  if (pkt.layerCount < 0 || pkt.layerCount > MAX_LAYERS) fail(`layerCount ${pkt.layerCount}`);
  if (status === DecodeStatus.MALFORMED && pkt.error === '') fail('MALFORMED without a reason');
  if (status !== DecodeStatus.TCP) return;
  const bound = Math.max(65535 + 40, buf.length);
  if (pkt.ipVersion !== 4 && pkt.ipVersion !== 6) fail(`ipVersion ${pkt.ipVersion}`);
  if (pkt.headerLen < 20 || pkt.headerLen > 60 || pkt.headerLen % 4 !== 0) fail(`headerLen ${pkt.headerLen}`);
  if (pkt.payloadLen < 0 || pkt.payloadLen > bound) fail(`payloadLen ${pkt.payloadLen}`);
  if (pkt.ipTotalLen < pkt.headerLen + pkt.payloadLen || pkt.ipTotalLen > bound)
    fail(`ipTotalLen ${pkt.ipTotalLen}`);
  if (pkt.tcpCaptured < 0 || pkt.tcpOffset < 0 || pkt.tcpOffset + pkt.tcpCaptured > pkt.tcpBuf.length) {
    fail(`TCP bytes [${pkt.tcpOffset}, +${pkt.tcpCaptured}) outside a buffer of ${pkt.tcpBuf.length}`);
  }
  if (!pkt.truncated && pkt.tcpCaptured < pkt.headerLen + pkt.payloadLen)
    fail('short segment not marked truncated');
  if (pkt.srcPort > 0xffff || pkt.dstPort > 0xffff || pkt.window > 0xffff) fail('16-bit field out of range');
  if (pkt.seq < 0 || pkt.seq > 0xffffffff || pkt.ack < 0 || pkt.ack > 0xffffffff) fail('seq/ack not uint32');
  if (pkt.sackCount < 0 || pkt.sackCount > 4) fail(`sackCount ${pkt.sackCount}`);
  if (pkt.mss > 0xffff || pkt.wscale > 0xff) fail('option value out of range');
  const options = tcpOptions(pkt);
  if (options.length > 40) fail(`${options.length} options in at most 40 bytes`);
}

export function newStats(): FuzzStats {
  return {
    fileCases: 0,
    frameCases: 0,
    pipelineCases: 0,
    connections: 0,
    outputBytes: 0,
    records: 0,
    tcp: 0,
    malformed: 0,
    captureErrors: 0,
    errorCodes: new Set(),
  };
}

/**
 * Pushes `input` into a fresh reader in chunks of `chunk()` bytes and decodes every record into
 * one Packet, checked, handed to `each`; returns the record count. A CaptureError (the reader's
 * typed fault) is counted and ends the input, as it ends a command's; anything else goes up.
 */
function decodeChunked(
  input: Uint8Array,
  chunk: () => number,
  decoder: Decoder,
  stats: FuzzStats,
  each: (pkt: Packet, rec: CaptureRecord, status: DecodeStatus) => void,
): number {
  const reader = new CaptureReader();
  const rec = new CaptureRecord();
  const pkt = new Packet();
  // Every record takes at least 12 bytes of input (an SPB), so more means a loop.
  const maxRecords = input.length / 12 + 2;
  let records = 0;
  try {
    let pos = 0;
    while (pos < input.length) {
      const n = chunk();
      reader.push(input.subarray(pos, pos + n));
      pos += n;
      if (pos >= input.length) reader.end();
      while (reader.next(rec)) {
        if (++records > maxRecords) throw new Error(`more than ${maxRecords} records`);
        rec.frame = records;
        const status = decoder.decode(rec, pkt);
        checkPacket(pkt, status, rec.data);
        if (status === DecodeStatus.TCP) stats.tcp++;
        else if (status === DecodeStatus.MALFORMED) stats.malformed++;
        each(pkt, rec, status);
      }
    }
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    stats.captureErrors++;
    stats.errorCodes.add(err.code);
  }
  stats.records += records;
  return records;
}

/** One file case: a mutated capture pushed in random chunks, every record decoded. */
function fileCase(
  seeds: FuzzSeeds,
  rnd: RandomSource,
  caseIndex: number,
  stats: FuzzStats,
  hooks: FuzzHooks,
): void {
  const input = mutate(seeds.files[rnd() % seeds.files.length]!, rnd, 256);
  hooks.onCase?.(caseIndex, input);
  const decoder = new Decoder({ verifyChecksums: rnd() % 2 === 0, reassemble: rnd() % 4 !== 0 });
  const small = rnd() % 2 === 0;
  try {
    decodeChunked(
      input,
      () => 1 + (rnd() % (small ? 64 : 65536)),
      decoder,
      stats,
      () => {},
    );
  } catch (err) {
    throw new FuzzFailure(`file case ${caseIndex}: ${(err as Error).stack ?? err}`, input, caseIndex);
  }
  stats.fileCases++;
}

/** One frame case: a mutated frame decoded under its own or a random link type. */
function frameCase(
  seeds: FuzzSeeds,
  rnd: RandomSource,
  decoder: Decoder,
  caseIndex: number,
  stats: FuzzStats,
  hooks: FuzzHooks,
): void {
  const seed = seeds.frames[rnd() % seeds.frames.length]!;
  const data = mutate(seed.data, rnd, 96);
  hooks.onCase?.(caseIndex, data);
  const rec = new CaptureRecord();
  rec.frame = caseIndex + 1;
  rec.linktype = rnd() % 8 === 0 ? LINKTYPES[rnd() % LINKTYPES.length]! : seed.linktype;
  rec.data = data;
  rec.caplen = data.length;
  rec.origLen = data.length + (rnd() % 4 === 0 ? rnd() % 1500 : 0);
  rec.tsSec = 1_000_000 + caseIndex;
  const pkt = new Packet();
  try {
    const status = decoder.decode(rec, pkt);
    checkPacket(pkt, status, data);
    if (status === DecodeStatus.TCP) stats.tcp++;
    else if (status === DecodeStatus.MALFORMED) stats.malformed++;
  } catch (err) {
    throw new FuzzFailure(`frame case ${caseIndex}: ${(err as Error).stack ?? err}`, data, caseIndex);
  }
  stats.frameCases++;
}

const BAD_TEXT = /NaN|undefined|\[object /;

/** Throws when an output shows a value that was never computed. */
function checkText(what: string, text: string, stats: FuzzStats): void {
  stats.outputBytes += text.length;
  const m = BAD_TEXT.exec(text);
  if (m) {
    const at = Math.max(0, m.index - 60);
    throw new Error(`${what} printed "${m[0]}": …${text.slice(at, m.index + 40)}…`);
  }
}

export interface PipelineOptions {
  /** Bytes per push into the reader (random sizes when a function). */
  chunk: () => number;
  reassemble: boolean;
  verifyChecksums: boolean;
  tracking: TrackingOptions;
  /** Ladder width; the connections drawn and explained (by index in id order). */
  width: number;
  pick: number[];
  /** --at for the socket table, as a fraction of the capture's span (may lie outside 0..1). */
  atFraction: number;
}

/**
 * One capture through every stage a command runs, as the CLI wires them: what a file fault cuts
 * short is still finished and rendered. Throws on anything but a CaptureError from the reader.
 */
export function runPipeline(input: Uint8Array, o: PipelineOptions, stats: FuzzStats): void {
  const decoder = new Decoder({ verifyChecksums: o.verifyChecksums, reassemble: o.reassemble });
  let text = '';
  const sinkOut = new OutputBuffer((t) => {
    text += t;
  });
  const tcpdump = new TcpdumpSink(sinkOut);
  const annotated = new TrackedSink(sinkOut, false, o.tracking);
  const json = new TrackedSink(sinkOut, true, o.tracking);
  const conns: string[] = [];
  const connsTable = newFlowTable(o.tracking, (r) => void conns.push(connJson(r)), undefined, true);
  const zeek = new ZeekConnLog();
  const collector = new TimelineCollector();
  const timelineTable = newFlowTable(o.tracking, collector.onEnd, collector.onPacket);
  decodeChunked(input, o.chunk, decoder, stats, (pkt, rec) => {
    tcpdump.onPacket(pkt, rec.data);
    annotated.onPacket(pkt, rec.data);
    json.onPacket(pkt, rec.data);
    const conn = connsTable.process(pkt);
    if (conn !== null) zeek.process(pkt, conn.id);
    timelineTable.process(pkt);
  });
  annotated.finish();
  json.finish();
  connsTable.finish();
  timelineTable.finish();
  sinkOut.flush();
  checkText('read / read --json / read --tcpdump', text, stats);
  checkText('conns --json', conns.join('\n'), stats);
  stats.connections += conns.length;
  const rows = zeek.finish();
  checkText('conns --zeek', zeekConnLog(rows, zeek.firstUsec, zeek.lastUsec), stats);
  const timelines: ConnTimeline[] = collector.timelines.sort((a, b) => a.id - b.id);
  for (const i of o.pick) {
    const t = timelines[i % Math.max(1, timelines.length)];
    if (t === undefined) break;
    checkText('ladder', renderLadderText(t, { width: o.width, all: i % 2 === 0 }).join('\n'), stats);
    checkText('ladder --svg', renderLadderSvg(t, { all: i % 2 === 1 }), stats);
    checkText('explain', explain(t, { lang: 'en', timeWaitS: o.tracking.timeWaitSec }).join('\n'), stats);
    checkText(
      'explain --lang zh',
      explain(t, { lang: 'zh', timeWaitS: o.tracking.timeWaitSec }).join('\n'),
      stats,
    );
  }
  const span = captureSpan(timelines);
  const timeWaitUs = Math.round(o.tracking.timeWaitSec * 1e6);
  const atUs = Math.round(span.startUs + (span.endUs - span.startUs) * o.atFraction);
  const report = buildStatesReport(timelines, { timeWaitUs, atUs, timelineSamples: 12 });
  checkText('states --json', JSON.stringify(report), stats);
  checkText('states', renderStatesText(report, span.startUs).join('\n'), stats);
  const tl = stateTimeline(socketIntervals(timelines, { timeWaitUs }), span.startUs, span.endUs, 60);
  checkText('states --timeline', renderTimelineText(tl, span.startUs).join('\n'), stats);
}

/** A pipeline case: a mutated capture with random chunking, options, widths and picks. */
function pipelineCase(
  seeds: FuzzSeeds,
  rnd: RandomSource,
  caseIndex: number,
  stats: FuzzStats,
  hooks: FuzzHooks,
): void {
  const input = mutate(seeds.files[rnd() % seeds.files.length]!, rnd, 256);
  hooks.onCase?.(caseIndex, input);
  const small = rnd() % 2 === 0;
  const tracking: TrackingOptions = {
    ...DEFAULT_TRACKING,
    // Small horizons sometimes, so idle endings, TIME_WAIT expiry and eviction are exercised.
    ...(rnd() % 3 === 0
      ? { idleSec: 1 + (rnd() % 30), maxConns: 1 + (rnd() % 8), timeWaitSec: rnd() % 5 }
      : {}),
  };
  const options: PipelineOptions = {
    chunk: () => 1 + (rnd() % (small ? 64 : 65536)),
    reassemble: rnd() % 4 !== 0,
    verifyChecksums: rnd() % 2 === 0,
    tracking,
    width: 40 + (rnd() % 120),
    pick: [rnd() % 8, rnd() % 64],
    atFraction: (rnd() % 13) / 10 - 0.1,
  };
  try {
    runPipeline(input, options, stats);
  } catch (err) {
    throw new FuzzFailure(`pipeline case ${caseIndex}: ${(err as Error).stack ?? err}`, input, caseIndex);
  }
  stats.pipelineCases++;
}

/** Called before each case that has an input of its own (the watchdog keeps it, to save a hang). */
export interface FuzzHooks {
  onCase?: (caseIndex: number, input: Uint8Array) => void;
}

/** The share of file and pipeline cases, out of 64; the rest are frame cases. */
export interface FuzzMix {
  file: number;
  pipeline: number;
}

/** 8 file, 8 pipeline and 48 frame cases in 64. */
export const DEFAULT_MIX: FuzzMix = { file: 8, pipeline: 8 };

/**
 * Runs `cases` cases from `seed` in the proportions of `mix`. Throws FuzzFailure with the
 * offending input on the first failure.
 */
export function runFuzz(
  seeds: FuzzSeeds,
  cases: number,
  seed: number,
  stats = newStats(),
  hooks: FuzzHooks = {},
  mix: FuzzMix = DEFAULT_MIX,
): FuzzStats {
  const rnd = seededRandom(seed);
  // One decoder across frame cases, so fragments held by one case meet later ones.
  const decoder = new Decoder({ verifyChecksums: true, fragmentTimeoutSec: 5 });
  for (let i = 0; i < cases; i++) {
    const kind = rnd() % 64;
    if (seeds.files.length > 0 && kind < mix.file) fileCase(seeds, rnd, i, stats, hooks);
    else if (seeds.files.length > 0 && kind < mix.file + mix.pipeline)
      pipelineCase(seeds, rnd, i, stats, hooks);
    else if (seeds.frames.length > 0) frameCase(seeds, rnd, decoder, i, stats, hooks);
  }
  return stats;
}
