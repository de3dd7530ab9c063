// Runs tshark once over many captures (concatenated with mergecap, so one process start instead of
// one per file: the corpus has 60+ small files) and returns per-file, per-frame TCP fields of the
// innermost TCP header as tshark decodes it (it decapsulates tunnels and reassembles IP as Zeek
// does). Used by the decoder's corpus agreement test.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TsharkTcp {
  /** tshark found a TCP header outside ICMP error quotes. */
  tcp: boolean;
  ipVersion: 4 | 6 | 0;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  len: number;
}

/** Last comma-separated occurrence (the innermost layer's value). */
function last(field: string): string {
  const i = field.lastIndexOf(',');
  return i === -1 ? field : field.slice(i + 1);
}

/** Fields of every frame of each file, in file order: result[i][frame - 1]. */
export function tsharkTcpFields(files: string[], frameCounts: number[]): TsharkTcp[][] {
  const dir = mkdtempSync(join(tmpdir(), 'synack-tshark-'));
  try {
    const merged = join(dir, 'all.pcapng');
    execFileSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...files]);
    const out = execFileSync(
      'tshark',
      [
        '-r',
        merged,
        // Zeek detects Teredo on any UDP port; tshark does too with its heuristic enabled.
        '--enable-heuristic',
        'teredo_udp',
        '-T',
        'fields',
        '-o',
        'tcp.relative_sequence_numbers:FALSE',
        '-e',
        'frame.protocols',
        '-e',
        'ip.src',
        '-e',
        'ip.dst',
        '-e',
        'ipv6.src',
        '-e',
        'ipv6.dst',
        '-e',
        'tcp.srcport',
        '-e',
        'tcp.dstport',
        '-e',
        'tcp.seq',
        '-e',
        'tcp.ack',
        '-e',
        'tcp.flags',
        '-e',
        'tcp.window_size_value',
        '-e',
        'tcp.len',
      ],
      { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString();
    const rows = out.split('\n');
    const result: TsharkTcp[][] = [];
    let row = 0;
    for (const count of frameCounts) {
      const perFile: TsharkTcp[] = [];
      for (let i = 0; i < count; i++) perFile.push(parseRow(rows[row++] ?? ''));
      result.push(perFile);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseRow(line: string): TsharkTcp {
  const f = line.split('\t');
  const protocols = (f[0] ?? '').split(':');
  const tcpAt = protocols.lastIndexOf('tcp');
  // TCP headers quoted inside ICMP errors are not segments.
  const quoted = protocols.slice(0, Math.max(tcpAt, 0)).some((p) => p === 'icmp' || p === 'icmpv6');
  const tcp = tcpAt !== -1 && !quoted && (f[5] ?? '') !== '';
  let ipVersion: 4 | 6 | 0 = 0;
  for (let i = tcpAt; i >= 0; i--) {
    if (protocols[i] === 'ip') {
      ipVersion = 4;
      break;
    }
    if (protocols[i] === 'ipv6') {
      ipVersion = 6;
      break;
    }
  }
  const v6 = ipVersion === 6;
  return {
    tcp,
    ipVersion,
    src: last(f[v6 ? 3 : 1] ?? ''),
    dst: last(f[v6 ? 4 : 2] ?? ''),
    srcPort: Number(last(f[5] ?? '')),
    dstPort: Number(last(f[6] ?? '')),
    seq: Number(last(f[7] ?? '')),
    ack: Number(last(f[8] ?? '')),
    flags: Number.parseInt(last(f[9] ?? ''), 16),
    window: Number(last(f[10] ?? '')),
    len: Number(last(f[11] ?? '')),
  };
}
