// Parity of `synack read --tcpdump` with the oracle itself: runs `tcpdump -# -n -tt -r F` (no
// filter; -# only adds the frame number used to align lines) and synack's --tcpdump path over
// every capture of test/corpus/zeek (+extra) and test/corpus/suricata-verify (or of the corpus
// root SYNACK_CORPUS names, or the folders given as arguments), keeps tcpdump's lines that show a TCP header, cuts both after
// `length N`, and prints per folder: identical lines / total, the first differing lines per file,
// and the frames synack prints that tcpdump does not show (beyond tcpdump: 802.1ah, Teredo, GTP-U,
// IPv4 length 0 from offload). Files libpcap cannot open are checked against tshark only.
//
// Usage: npx tsx scripts/parity-tcpdump.ts [DIR|FILE…]
//
// Known, documented differences (none occur in the corpus): the IPv6 routing header is rendered
// for types 0 and 2 only; Geneve options and GRE versions other than 0 are not rendered (those
// frames come out as beyond-tcpdump lines); MPTCP follows print-mptcp.c of 4.99.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TcpdumpSink } from '../src/cli/cmd-read.js';
import { readInto } from '../src/cli/input-pipeline.js';
import { OutputBuffer } from '../src/cli/output-buffer.js';
import { CORPUS_DIR } from './corpus-dir.js';

/** A line of tcpdump's output that shows a TCP header (not e.g. STP's `Flags [Learn]`). */
const TCP_HEADER = /(\.\d+|\d+ > \d+): Flags \[/;
/** Everything up to the TCP part's `length N` (application text after it is dropped). */
const CUT = /^(.*?Flags \[.*?, length \d+).*$/;

export interface FileParity {
  file: string;
  /** libpcap could open the file (else only tshark was asked). */
  openable: boolean;
  total: number;
  identical: number;
  /** Frames tcpdump shows a TCP header for and synack does not (or prints differently). */
  diffs: { frame: number; tcpdump: string; synack: string }[];
  /** Frames synack prints that tcpdump does not show. */
  beyond: number;
  /** For files libpcap cannot open: TCP frames tshark sees, and synack's line count. */
  tsharkFrames?: number;
  synackLines?: number;
}

/** Splits `-#` numbered output into frame → TCP line (continuation lines belong to the frame before). */
export function tcpLinesByFrame(text: string): Map<number, string> {
  const byFrame = new Map<number, string>();
  let frame = 0;
  for (const raw of text.split('\n')) {
    const m = /^ *(\d+) {2}(.*)$/.exec(raw);
    let line = raw;
    if (m) {
      frame = Number(m[1]);
      line = m[2]!;
    }
    if (frame > 0 && TCP_HEADER.test(line)) byFrame.set(frame, cut(line));
  }
  return byFrame;
}

function cut(line: string): string {
  const m = CUT.exec(line);
  return m ? m[1]! : line;
}

/** Compares tcpdump and synack on one capture. */
export async function parityForFile(file: string): Promise<FileParity> {
  const td = spawnSync('tcpdump', ['-#', '-n', '-tt', '-r', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  let synackText = '';
  const out = new OutputBuffer((s) => {
    synackText += s;
  });
  const sink = new TcpdumpSink(out, { number: true });
  await readInto([file], sink, out, { reassemble: false, verifyChecksums: false }, () => {});
  const ours = tcpLinesByFrame(synackText);
  const result: FileParity = {
    file,
    openable: td.status === 0,
    total: 0,
    identical: 0,
    diffs: [],
    beyond: 0,
  };
  if (td.status !== 0) {
    // libpcap refuses it (e.g. pcapng with interfaces of different link types): ask tshark.
    const ts = spawnSync('tshark', ['-n', '-r', file, '-Y', 'tcp', '-T', 'fields', '-e', 'frame.number'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    result.tsharkFrames = ts.stdout.split('\n').filter((l) => l !== '').length;
    result.synackLines = ours.size;
    return result;
  }
  const theirs = tcpLinesByFrame(td.stdout);
  for (const [frame, line] of theirs) {
    result.total++;
    const mine = ours.get(frame);
    if (mine === line) result.identical++;
    else result.diffs.push({ frame, tcpdump: line, synack: mine ?? '(no line)' });
  }
  for (const frame of ours.keys()) if (!theirs.has(frame)) result.beyond++;
  return result;
}

/** Captures under `dir` (one level, plus `extra/`), sorted. */
export function capturesIn(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === 'extra') out.push(...capturesIn(p));
    } else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) out.push(p);
  }
  return out;
}

async function main(args: string[]): Promise<void> {
  const corpus = CORPUS_DIR;
  const targets = args.length > 0 ? args : [join(corpus, 'zeek'), join(corpus, 'suricata-verify')];
  let allSame = 0;
  let allTotal = 0;
  for (const target of targets) {
    if (!existsSync(target)) {
      console.log(`${target}: absent`);
      continue;
    }
    const files = statSync(target).isDirectory() ? capturesIn(target) : [target];
    let same = 0;
    let total = 0;
    let beyond = 0;
    const notes: string[] = [];
    for (const f of files) {
      const r = await parityForFile(f);
      same += r.identical;
      total += r.total;
      beyond += r.beyond;
      if (!r.openable)
        notes.push(
          `  ${basename(f)}: libpcap cannot open it; tshark sees ${r.tsharkFrames} TCP frames, synack printed ${r.synackLines}`,
        );
      if (r.beyond > 0) notes.push(`  ${basename(f)}: ${r.beyond} frames beyond tcpdump`);
      if (r.diffs.length > 0) {
        notes.push(`  ${basename(f)}: ${r.identical}/${r.total} identical`);
        for (const d of r.diffs.slice(0, 4))
          notes.push(`    #${d.frame} tcpdump: ${d.tcpdump}\n    #${d.frame} synack:  ${d.synack}`);
      }
    }
    allSame += same;
    allTotal += total;
    console.log(
      `${basename(target)}: ${same}/${total} identical lines (${files.length} files), ${beyond} frames beyond tcpdump`,
    );
    for (const n of notes) console.log(n);
  }
  console.log(`all: ${allSame}/${allTotal} identical lines`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
