// The tshark oracle for Wireshark's analysis flags: runs our TcpAnalysis (src/track/wireshark.ts)
// and `tshark -2 … -e tcp.analysis.*` over captures and compares the tag sets packet by packet.
// Usage: npx tsx scripts/parity-tshark.ts [--decode synack|tshark] [--show N] [FILE|DIR …]
// (default: the zeek and suricata-verify corpora and test/fixtures). Prints the agreement per
// folder and per kind, then the first differing frames of each file.
// I/O edge (spawns tshark, reads files): not part of the pure core.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { EVENT_KINDS, K } from '../src/track/kinds.js';
import { TcpAnalysis } from '../src/track/wireshark.js';
import { forEachDecoded } from '../src/wire/capture-bytes.js';
import { DecodeStatus, Packet } from '../src/wire/packet.js';
import { CORPUS_DIR } from './corpus-dir.js';

/** tshark field → our kind, in the comparison space (retransmission = the whole family). */
export const TSHARK_FIELDS: ReadonlyArray<readonly [string, number]> = [
  ['tcp.analysis.retransmission', K.retransmission],
  ['tcp.analysis.fast_retransmission', K['fast-retransmission']],
  ['tcp.analysis.spurious_retransmission', K['spurious-retransmission']],
  ['tcp.analysis.out_of_order', K['out-of-order']],
  ['tcp.analysis.lost_segment', K['previous-segment-not-captured']],
  ['tcp.analysis.ack_lost_segment', K['acked-unseen-segment']],
  ['tcp.analysis.duplicate_ack', K['dup-ack']],
  ['tcp.analysis.zero_window', K['zero-window']],
  ['tcp.analysis.zero_window_probe', K['zero-window-probe']],
  ['tcp.analysis.zero_window_probe_ack', K['zero-window-probe-ack']],
  ['tcp.analysis.keep_alive', K['keep-alive']],
  ['tcp.analysis.keep_alive_ack', K['keep-alive-ack']],
  ['tcp.analysis.window_update', K['window-update']],
  ['tcp.analysis.window_full', K['window-full']],
  ['tcp.analysis.reused_ports', K['port-reuse']],
];

const RETRANSMISSION_FAMILY =
  K.retransmission |
  K['syn-retransmission'] |
  K['synack-retransmission'] |
  K['fast-retransmission'] |
  K['spurious-retransmission'];
const COMPARED = TSHARK_FIELDS.reduce((m, [, bit]) => m | bit, 0);

/**
 * Our tags in tshark's terms: every member of the retransmission family also sets
 * tcp.analysis.retransmission; syn/synack retransmissions are plain retransmissions there.
 */
export function toTsharkSpace(tags: number): number {
  let out = tags & COMPARED;
  if (tags & RETRANSMISSION_FAMILY) out |= K.retransmission;
  return out;
}

export function tsharkAvailable(): boolean {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

function runTshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export interface TsharkFrame {
  stream: number;
  /** Flags in comparison space (see toTsharkSpace). */
  tags: number;
}

/** tshark's verdict for every frame where it dissected TCP (two-pass). */
export function tsharkAnalysis(file: string): Map<number, TsharkFrame> {
  const args = [
    '-2',
    '-n',
    // Teredo on any UDP port, as Zeek and our decoder detect it.
    '--enable-heuristic',
    'teredo_udp',
    '-r',
    file,
    '-T',
    'fields',
    '-E',
    'separator=/t',
    '-e',
    'frame.number',
    '-e',
    'tcp.stream',
  ];
  for (const [field] of TSHARK_FIELDS) args.push('-e', field);
  const out = new Map<number, TsharkFrame>();
  for (const line of runTshark(args).split('\n')) {
    if (line === '') continue;
    const cols = line.split('\t');
    if (cols[1] === '') continue;
    const streams = cols[1].split(',');
    let tags = 0;
    for (let i = 0; i < TSHARK_FIELDS.length; i++) if (cols[2 + i] !== '') tags |= TSHARK_FIELDS[i][1];
    out.set(Number(cols[0]), { stream: Number(streams[streams.length - 1]), tags });
  }
  return out;
}

function parseIp(text: string, into: Uint8Array): void {
  into.fill(0);
  if (text.includes(':')) {
    const [head, tail = ''] = text.split('::');
    const h = head === '' ? [] : head.split(':');
    const t = text.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
    const groups = text.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    for (let i = 0; i < 8; i++) {
      const v = Number.parseInt(groups[i], 16);
      into[2 * i] = v >>> 8;
      into[2 * i + 1] = v & 0xff;
    }
  } else {
    const parts = text.split('.');
    for (let i = 0; i < 4; i++) into[i] = Number(parts[i]);
  }
}

const TSHARK_DECODE_FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'frame.protocols',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.flags',
  'tcp.window_size_value',
  'tcp.len',
  'tcp.options.wscale.shift',
];

function last(col: string): string {
  const i = col.lastIndexOf(',');
  return i < 0 ? col : col.slice(i + 1);
}

/**
 * Fills `pkt` from tshark's own decoding of each TCP frame (innermost IP layer). The reference
 * decoder for parity runs before synack's decoder existed, and to separate decoding differences
 * from analysis differences.
 */
export function forEachTsharkDecoded(file: string, onPacket: (pkt: Packet) => void): void {
  const args = ['-n', '--enable-heuristic', 'teredo_udp', '-r', file, '-T', 'fields', '-E', 'separator=/t'];
  for (const f of TSHARK_DECODE_FIELDS) args.push('-e', f);
  const pkt = new Packet();
  for (const line of runTshark(args).split('\n')) {
    if (line === '') continue;
    const c = line.split('\t');
    pkt.frame = Number(c[0]);
    const [sec, frac = '0'] = c[1].split('.');
    pkt.setTime(Number(sec), Number(frac.padEnd(9, '0').slice(0, 9)));
    const layers = c[2].split(':');
    const tcpAt = layers.lastIndexOf('tcp');
    // ICMP errors quote a TCP header: tshark does no analysis on them, nor do we.
    if (c[7] === '' || tcpAt < 0 || layers.includes('icmp') || layers.includes('icmpv6')) {
      pkt.status = DecodeStatus.NOT_TCP;
      onPacket(pkt);
      continue;
    }
    let ipVersion = 4;
    for (let i = tcpAt - 1; i >= 0; i--) {
      if (layers[i] === 'ip' || layers[i] === 'ipv6') {
        ipVersion = layers[i] === 'ip' ? 4 : 6;
        break;
      }
    }
    pkt.status = DecodeStatus.TCP;
    pkt.ipVersion = ipVersion;
    parseIp(last(ipVersion === 4 ? c[3] : c[5]), pkt.src);
    parseIp(last(ipVersion === 4 ? c[4] : c[6]), pkt.dst);
    pkt.srcPort = Number(last(c[7]));
    pkt.dstPort = Number(last(c[8]));
    pkt.seq = Number(last(c[9])) >>> 0;
    pkt.ack = Number(last(c[10])) >>> 0;
    pkt.flags = Number.parseInt(last(c[11]), 16) & 0x1ff;
    pkt.window = Number(last(c[12]));
    pkt.payloadLen = Number(last(c[13]) || '0');
    pkt.wscale = c[14] === '' ? -1 : Number(last(c[14]));
    onPacket(pkt);
  }
}

export type PacketSource = (file: string, onPacket: (pkt: Packet) => void) => void;

/** synack's own reader and decoder (the path `synack read` takes). */
export function forEachSynackDecoded(file: string, onPacket: (pkt: Packet) => void): void {
  let bytes: Uint8Array = readFileSync(file);
  if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
  forEachDecoded(bytes, {}, (pkt) => onPacket(pkt));
}

export interface FrameDiff {
  frame: number;
  ours: number;
  theirs: number;
  ourStream: number;
  theirStream: number;
}

export interface FileParity {
  file: string;
  /** Frames that are TCP for tshark or for us. */
  tcpPackets: number;
  /** Of those, frames whose whole tag set equals tshark's. */
  agreeing: number;
  /** Per kind (comparison space): frames tshark tagged, we tagged, both tagged. */
  theirs: Map<number, number>;
  ours: Map<number, number>;
  both: Map<number, number>;
  diffs: FrameDiff[];
  /** Frames where our tcp.stream numbering differs from tshark's. */
  streamMismatches: number;
}

function bump(m: Map<number, number>, bit: number): void {
  m.set(bit, (m.get(bit) ?? 0) + 1);
}

/** Our analysis vs tshark's on one capture. */
export function compareFile(file: string, source: PacketSource): FileParity {
  const theirs = tsharkAnalysis(file);
  const analysis = new TcpAnalysis();
  const result: FileParity = {
    file,
    tcpPackets: 0,
    agreeing: 0,
    theirs: new Map(),
    ours: new Map(),
    both: new Map(),
    diffs: [],
    streamMismatches: 0,
  };
  const seen = new Set<number>();
  const record = (frame: number, ours: number, ourStream: number): void => {
    const t = theirs.get(frame);
    if (t === undefined && ourStream < 0) return;
    seen.add(frame);
    const their = t?.tags ?? 0;
    const theirStream = t?.stream ?? -1;
    result.tcpPackets++;
    if (ours === their) result.agreeing++;
    else result.diffs.push({ frame, ours, theirs: their, ourStream, theirStream });
    if (ourStream !== theirStream) result.streamMismatches++;
    for (const [, bit] of TSHARK_FIELDS) {
      if (their & bit) bump(result.theirs, bit);
      if (ours & bit) bump(result.ours, bit);
      if (their & ours & bit) bump(result.both, bit);
    }
  };
  source(file, (pkt) => {
    const tags = analysis.process(pkt);
    record(pkt.frame, toTsharkSpace(tags), analysis.stream);
  });
  // Frames tshark saw as TCP that our source never produced.
  for (const [frame] of theirs) if (!seen.has(frame)) record(frame, 0, -1);
  return result;
}

const CAPTURE_EXT = /\.(pcap|pcapng|cap)(\.gz)?$/;

/** Capture files under a file-or-directory argument (one level of subfolders). */
export function capturesIn(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) {
    const full = join(path, name);
    if (statSync(full).isDirectory()) out.push(...capturesIn(full));
    else if (CAPTURE_EXT.test(name)) out.push(full);
  }
  return out;
}

export function tagNames(tshSpaceBits: number): string {
  const names: string[] = [];
  for (let i = 0; i < EVENT_KINDS.length; i++) if (tshSpaceBits & (1 << i)) names.push(EVENT_KINDS[i]);
  return names.length ? names.join(',') : '-';
}

/**
 * tshark's verdicts as a reviewable text file, so tests compare against them without running
 * tshark: per capture a `# path<TAB>N` line (N = frames tshark dissected as TCP), then one
 * `frame<TAB>tags` line per frame with tags (comparison space, kind names).
 */
export function goldenText(files: string[], root: string): string {
  const lines = [
    '# tshark 4.0.17 `tshark -2` tcp.analysis.* verdicts, written by scripts/parity-tshark.ts --write-golden',
  ];
  for (const file of files) {
    const verdicts = tsharkAnalysis(file);
    lines.push(`# ${goldenKey(file, root)}\t${verdicts.size}`);
    for (const [frame, v] of verdicts) if (v.tags !== 0) lines.push(`${frame}\t${tagNames(v.tags)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A capture's name in the golden file: relative to the corpus folder, or `fixtures/NAME`. */
export function goldenKey(file: string, root: string): string {
  const corpus = CORPUS_DIR;
  const abs = resolve(file);
  if (abs.startsWith(corpus + '/')) return relative(corpus, abs);
  return relative(join(root, 'test'), abs);
}

/** Parses goldenText(): capture key → (tshark TCP frame count, frame → tags). */
export function parseGolden(text: string): Map<string, { tcpFrames: number; tags: Map<number, number> }> {
  const out = new Map<string, { tcpFrames: number; tags: Map<number, number> }>();
  let current: { tcpFrames: number; tags: Map<number, number> } | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [a, b] = line.split('\t');
    if (line.startsWith('# ')) {
      if (b === undefined) continue;
      current = { tcpFrames: Number(b), tags: new Map() };
      out.set(a.slice(2), current);
    } else if (current !== null) {
      let bits = 0;
      for (const name of b.split(',')) bits |= K[name as keyof typeof K];
      current.tags.set(Number(a), bits);
    }
  }
  return out;
}

function pct(n: number, d: number): string {
  return d === 0 ? '   -  ' : `${((100 * n) / d).toFixed(2).padStart(6)}%`;
}

function main(argv: string[]): void {
  const here = dirname(fileURLToPath(import.meta.url));
  let root = here;
  while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  let show = 5;
  let decode = 'synack';
  let goldenOut = '';
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--show') show = Number(argv[++i]);
    else if (argv[i] === '--decode') decode = argv[++i];
    else if (argv[i] === '--write-golden') goldenOut = argv[++i];
    else paths.push(argv[i]);
  }
  if (paths.length === 0) {
    const corpus = CORPUS_DIR;
    paths.push(join(corpus, 'zeek'), join(corpus, 'suricata-verify'), join(root, 'test', 'fixtures'));
  }
  if (!tsharkAvailable()) {
    console.error('tshark is not installed');
    process.exit(2);
  }
  if (decode !== 'tshark' && decode !== 'synack') {
    console.error(`unknown --decode ${decode}`);
    process.exit(2);
  }
  const source: PacketSource = decode === 'tshark' ? forEachTsharkDecoded : forEachSynackDecoded;
  if (goldenOut !== '') {
    writeFileSync(goldenOut, goldenText(paths.flatMap(capturesIn), root));
    console.log(`wrote ${goldenOut}`);
    return;
  }
  const totalsTheirs = new Map<number, number>();
  const totalsOurs = new Map<number, number>();
  const totalsBoth = new Map<number, number>();
  let grandTcp = 0;
  let grandAgree = 0;
  const details: string[] = [];
  for (const path of paths) {
    let tcp = 0;
    let agree = 0;
    let streams = 0;
    for (const file of capturesIn(path)) {
      const r = compareFile(file, source);
      tcp += r.tcpPackets;
      agree += r.agreeing;
      streams += r.streamMismatches;
      for (const [bit, n] of r.theirs) totalsTheirs.set(bit, (totalsTheirs.get(bit) ?? 0) + n);
      for (const [bit, n] of r.ours) totalsOurs.set(bit, (totalsOurs.get(bit) ?? 0) + n);
      for (const [bit, n] of r.both) totalsBoth.set(bit, (totalsBoth.get(bit) ?? 0) + n);
      if (r.diffs.length > 0) {
        details.push(`${relative(root, file)}: ${r.diffs.length} differing frame(s)`);
        for (const d of r.diffs.slice(0, show)) {
          details.push(
            `  frame ${d.frame} stream ${d.ourStream}/${d.theirStream}: ours ${tagNames(d.ours)}  tshark ${tagNames(d.theirs)}`,
          );
        }
      }
    }
    grandTcp += tcp;
    grandAgree += agree;
    console.log(
      `${basename(path).padEnd(18)} ${String(agree).padStart(7)} / ${String(tcp).padStart(7)} TCP packets agree ${pct(agree, tcp)}` +
        (streams ? `  (${streams} frames with another tcp.stream)` : ''),
    );
  }
  console.log(
    `${'all'.padEnd(18)} ${String(grandAgree).padStart(7)} / ${String(grandTcp).padStart(7)} TCP packets agree ${pct(grandAgree, grandTcp)}`,
  );
  console.log('\nper kind: tshark-tagged / ours / both (recall, precision)');
  for (const [field, bit] of TSHARK_FIELDS) {
    const t = totalsTheirs.get(bit) ?? 0;
    const o = totalsOurs.get(bit) ?? 0;
    const b = totalsBoth.get(bit) ?? 0;
    console.log(
      `  ${field.padEnd(38)} ${String(t).padStart(6)} ${String(o).padStart(6)} ${String(b).padStart(6)}  ${pct(b, t)} ${pct(b, o)}`,
    );
  }
  if (details.length > 0) console.log(`\nfirst differences:\n${details.join('\n')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
