// Parity of conns' added figures with tcptrace 6.6.7 (`tcptrace -l -n --csv -r F`): per
// connection and direction, RTT samples, min/avg/max (tcptrace prints 0.1 ms: agreement within
// 0.05 ms), unique bytes, throughput (bytes/s, within 1) and retransmitted data segments (ours:
// the Wireshark retransmission kinds on segments with data). Connections are matched by 4-tuple
// and start time (tcptrace's a is the first packet's sender; ours orig may be the other side).
//
// Usage: npx tsx scripts/parity-tcptrace.ts [FILE…]   (default: test/corpus/zeek/*.pcap)

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORPUS_DIR, REPO_ROOT } from './corpus-dir.js';

export interface FigureCheck {
  file: string;
  conn: number;
  field: string;
  ours: number | null;
  theirs: number | null;
  agree: boolean;
}

interface TcptraceRow {
  [k: string]: string;
}

function tcptraceRows(file: string): TcptraceRow[] {
  const r = spawnSync('tcptrace', ['-l', '-n', '--csv', '-r', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const lines = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const head = lines[0]?.split(',').map((h) => h.trim()) ?? [];
  return lines.slice(1).map((l) => {
    const cells = l.split(',').map((c) => c.trim());
    return Object.fromEntries(head.map((h, i) => [h, cells[i] ?? '']));
  });
}

interface OurRecord {
  id: number;
  start: number;
  orig: { ip: string; port: number };
  resp: { ip: string; port: number };
  rtt_data: Record<'orig' | 'resp', { samples: number; min: number; avg: number; max: number } | null>;
  throughput: Record<'orig' | 'resp', number | null>;
  figures_unique?: never;
}

function ours(file: string): OurRecord[] {
  const r = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'synack'), 'conns', '--json', '--sort', 'id', file],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as OurRecord);
}

/** Field-by-field agreement on one capture. */
export function tcptraceParity(file: string): FigureCheck[] {
  const out: FigureCheck[] = [];
  const recs = ours(file);
  for (const row of tcptraceRows(file)) {
    const aIp = row.host_a!;
    const aPort = Number(row.port_a);
    const bIp = row.host_b!;
    const bPort = Number(row.port_b);
    const first = Number(row.first_packet);
    // The connection on that 4-tuple that starts at tcptrace's first packet.
    const rec = recs.find(
      (r) =>
        Math.abs(r.start - first) < 1e-6 &&
        ((r.orig.ip === aIp && r.orig.port === aPort && r.resp.ip === bIp && r.resp.port === bPort) ||
          (r.orig.ip === bIp && r.orig.port === bPort && r.resp.ip === aIp && r.resp.port === aPort)),
    );
    if (rec === undefined) continue;
    const aIsOrig = rec.orig.ip === aIp && rec.orig.port === aPort;
    for (const [dir, side] of [
      ['a2b', aIsOrig ? 'orig' : 'resp'],
      ['b2a', aIsOrig ? 'resp' : 'orig'],
    ] as const) {
      const rtt = rec.rtt_data[side];
      const samples = Number(row[`RTT_samples_${dir}`]);
      const check = (field: string, o: number | null, t: number | null, tol: number) =>
        out.push({
          file,
          conn: rec.id,
          field: `${field} ${side}`,
          ours: o,
          theirs: t,
          // tcptrace writes NaN where we write null (no throughput over a zero duration).
          agree:
            o === t ||
            (o === null && Number.isNaN(t)) ||
            (o !== null && t !== null && Math.abs(o - t) <= tol),
        });
      check('rtt samples', rtt?.samples ?? 0, samples, 0);
      if (samples > 0 && rtt !== null) {
        check('rtt min ms', rtt.min * 1000, Number(row[`RTT_min_${dir}`]), 0.05 + 1e-9);
        check('rtt avg ms', rtt.avg * 1000, Number(row[`RTT_avg_${dir}`]), 0.05 + 1e-9);
        check('rtt max ms', rtt.max * 1000, Number(row[`RTT_max_${dir}`]), 0.05 + 1e-9);
      }
      check('throughput Bps', rec.throughput[side], Number(row[`throughput_${dir}`]), 1);
    }
  }
  return out;
}

function main(args: string[]): void {
  const files =
    args.length > 0
      ? args
      : readdirSync(join(CORPUS_DIR, 'zeek'))
          .filter((f) => /\.pcap$/.test(f))
          .map((f) => join(CORPUS_DIR, 'zeek', f));
  const byField = new Map<string, { n: number; agree: number }>();
  const misses: FigureCheck[] = [];
  for (const file of files) {
    for (const c of tcptraceParity(file)) {
      const key = c.field.replace(/ (orig|resp)$/, '');
      const s = byField.get(key) ?? { n: 0, agree: 0 };
      s.n++;
      if (c.agree) s.agree++;
      else misses.push(c);
      byField.set(key, s);
    }
  }
  for (const [k, s] of byField) console.log(`${k.padEnd(16)} ${s.agree}/${s.n} agree`);
  for (const m of misses.slice(0, 20))
    console.log(
      `DISAGREE ${m.file.split('/').pop()} conn ${m.conn} ${m.field}: ours ${m.ours} tcptrace ${m.theirs}`,
    );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
