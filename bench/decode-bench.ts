// Decode speed: reads a capture fully into memory (or builds a synthetic one: Ethernet, 60 % IPv4,
// 40 % IPv6, TCP with timestamps, half pure ACKs and half 1448-byte segments), then runs
// reader + decoder over it N times and prints packets/s, plus the decoder alone over the same
// records. Usage: node dist/bench/decode-bench.js [FILE] [--passes N] [--packets N]
// Rates are per CPU-second of this process (process.cpuUsage), so a busy machine skews them less
// than wall time would. Profile with: node --cpu-prof dist/bench/decode-bench.js

import { readFileSync } from 'node:fs';
import { buildFrame } from '../src/wire/build.js';
import { CaptureReader } from '../src/wire/capture-reader.js';
import { Decoder } from '../src/wire/decode.js';
import { DecodeStatus, Packet } from '../src/wire/packet.js';
import { pcapBytes, type TimedFrame } from '../src/wire/pcap-writer.js';
import { CaptureRecord } from '../src/wire/record.js';

function syntheticCapture(count: number): Uint8Array {
  const frames: TimedFrame[] = [];
  for (let i = 0; i < count; i++) {
    const v6 = i % 5 >= 3;
    const data = i % 2 === 0;
    frames.push({
      tsSec: 1_700_000_000 + (i >> 10),
      tsNsec: (i % 1024) * 1000,
      data: buildFrame({
        src: v6 ? '2001:db8::1' : '10.0.0.1',
        dst: v6 ? '2001:db8::2' : '10.0.0.2',
        srcPort: data ? 443 : 50000 + (i % 64),
        dstPort: data ? 50000 + (i % 64) : 443,
        seq: i * 1448,
        ack: i * 7,
        flags: data ? 'P.' : '.',
        window: 501,
        timestamp: [i, i + 1],
        payload: data ? 1448 : 0,
      }),
    });
  }
  return pcapBytes(frames);
}

const args = process.argv.slice(2);
let passes = 20;
let packets = 100_000;
let file = '';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--passes') passes = Number(args[++i]);
  else if (args[i] === '--packets') packets = Number(args[++i]);
  else file = args[i]!;
}
const bytes = file === '' ? syntheticCapture(packets) : new Uint8Array(readFileSync(file));
const label = file === '' ? `synthetic (${packets} Ethernet IPv4/IPv6 TCP frames)` : file;

const rec = new CaptureRecord();
const pkt = new Packet();

/** One pass of reader + decoder; returns the TCP packet count (so the work cannot be skipped). */
function readAndDecode(decoder: Decoder): number {
  const reader = new CaptureReader();
  reader.push(bytes);
  reader.end();
  let tcp = 0;
  while (reader.next(rec)) {
    if (decoder.decode(rec, pkt) === DecodeStatus.TCP) tcp++;
  }
  return tcp;
}

// Records kept for the decoder-only measurement (views, one object each: outside the timed loop).
const records: CaptureRecord[] = [];
{
  const reader = new CaptureReader();
  reader.push(bytes);
  reader.end();
  for (let r = new CaptureRecord(); reader.next(r); r = new CaptureRecord()) records.push(r);
}

const decoder = new Decoder();
for (let i = 0; i < 3; i++) readAndDecode(decoder); // warm-up
let total = 0;
let tcp = 0;
/** CPU milliseconds (user + system) used by this process so far. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

let started = cpuMs();
for (let i = 0; i < passes; i++) {
  tcp += readAndDecode(decoder);
  total += records.length;
}
const readMs = cpuMs() - started;

started = cpuMs();
let decoded = 0;
for (let i = 0; i < passes; i++) {
  for (let j = 0; j < records.length; j++) {
    if (decoder.decode(records[j]!, pkt) === DecodeStatus.TCP) decoded++;
  }
}
const decodeMs = cpuMs() - started;

const mpps = (n: number, ms: number) => (n / ms / 1000).toFixed(2);
process.stdout.write(
  `${label}: ${records.length} packets × ${passes} passes (${tcp / passes} TCP per pass)\n` +
    `reader + decoder: ${mpps(total, readMs)} M packets/s\n` +
    `decoder alone:    ${mpps(decoded, decodeMs)} M packets/s\n`,
);
