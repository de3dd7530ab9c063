// In-process fuzzing of the capture readers and the packet decoder, deterministic from a seed:
// corpus captures mutated (byte and bit flips, interesting values, truncation, splices, insertions,
// deletions) and fed in random chunk sizes; and single frames mutated in their headers and decoded
// under random link types. Checks: nothing but CaptureError escapes the reader, nothing at all
// escapes the decoder, every loop ends (record counts bounded by input size), and the decoded
// Packet is sane (lengths within the buffers and the protocols' bounds). Used by test/fuzz.test.ts
// (a few thousand cases) and scripts/fuzz.ts (long campaigns).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RandomSource, seededRandom } from '../../src/tcp/random.js';
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
      if (!/\.pcap(ng)?$/.test(name)) continue;
      const bytes = new Uint8Array(readFileSync(join(dir, name)));
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
    records: 0,
    tcp: 0,
    malformed: 0,
    captureErrors: 0,
    errorCodes: new Set(),
  };
}

/** One file case: a mutated capture pushed in random chunks, every record decoded. */
function fileCase(seeds: FuzzSeeds, rnd: RandomSource, caseIndex: number, stats: FuzzStats): void {
  const input = mutate(seeds.files[rnd() % seeds.files.length]!, rnd, 256);
  const reader = new CaptureReader();
  const decoder = new Decoder({ verifyChecksums: rnd() % 2 === 0, reassemble: rnd() % 4 !== 0 });
  const rec = new CaptureRecord();
  const pkt = new Packet();
  // Every record takes at least 12 bytes of input (an SPB), so more means a loop.
  const maxRecords = input.length / 12 + 2;
  let records = 0;
  try {
    let pos = 0;
    while (pos < input.length) {
      const n = 1 + (rnd() % (rnd() % 2 === 0 ? 64 : 65536));
      reader.push(input.subarray(pos, pos + n));
      pos += n;
      if (pos >= input.length) reader.end();
      while (reader.next(rec)) {
        if (++records > maxRecords)
          throw new FuzzFailure(`more than ${maxRecords} records`, input, caseIndex);
        const status = decoder.decode(rec, pkt);
        checkPacket(pkt, status, rec.data);
        if (status === DecodeStatus.TCP) stats.tcp++;
        else if (status === DecodeStatus.MALFORMED) stats.malformed++;
      }
    }
  } catch (err) {
    if (err instanceof CaptureError) {
      stats.captureErrors++;
      stats.errorCodes.add(err.code);
    } else if (err instanceof FuzzFailure) {
      throw err;
    } else {
      throw new FuzzFailure(`file case ${caseIndex}: ${(err as Error).stack ?? err}`, input, caseIndex);
    }
  }
  stats.records += records;
  stats.fileCases++;
}

/** One frame case: a mutated frame decoded under its own or a random link type. */
function frameCase(
  seeds: FuzzSeeds,
  rnd: RandomSource,
  decoder: Decoder,
  caseIndex: number,
  stats: FuzzStats,
): void {
  const seed = seeds.frames[rnd() % seeds.frames.length]!;
  const data = mutate(seed.data, rnd, 96);
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

/**
 * Runs `cases` cases from `seed` (about one file case per eight frame cases). Throws FuzzFailure
 * with the offending input on the first failure.
 */
export function runFuzz(seeds: FuzzSeeds, cases: number, seed: number, stats = newStats()): FuzzStats {
  const rnd = seededRandom(seed);
  // One decoder across frame cases, so fragments held by one case meet later ones.
  const decoder = new Decoder({ verifyChecksums: true, fragmentTimeoutSec: 5 });
  for (let i = 0; i < cases; i++) {
    if (seeds.files.length > 0 && rnd() % 8 === 0) fileCase(seeds, rnd, i, stats);
    else if (seeds.frames.length > 0) frameCase(seeds, rnd, decoder, i, stats);
  }
  return stats;
}
