// `npm run bench`: speed and memory of `synack conns --json` against the floor (bench/floor.ts:
// the same reader and decoder feeding a minimal flow table), tcptrace, argus and tshark on the
// same files in the same run. Captures (never in the repository): a deterministic synthetic one
// (bench/gen.ts: ~1 M packets, ~70 k connections, snaplen 128) or the FILE given, and two of real
// Linux traffic recorded in network namespaces (bench/real-capture.ts) and cached in --cache DIR:
// connection-heavy (≥ 80 k short connections plus bulk flows) and bulk (few long transfers). For
// each: the floor, synack with 1 thread and with one per core, `tcptrace -n -l`, `argus -r F -w - |
// ra -n`, tshark (`-q -z conv,tcp`) on the first 100 k packets (editcap -r) scaled to the whole
// file and labelled so, and the decode benchmark. Each figure is the median of --runs runs,
// interleaved across tools; wall time, CPU time and peak RSS come from /usr/bin/time -v (GNU time).
// Missing tools are reported, not fatal.
//
//   node dist/bench/run.js [FILE] [--runs 3] [--packets 1000000] [--cache DIR] [--tag T] [--no-real]
//       [--commands] [--flat] [--adversarial]
//
// --commands runs every capture-reading command on the synthetic file (or FILE): peak RSS and CPU
// against conns (issue 18: ≤ 200 MB, ≤ 2× conns). --tag names the namespaces of a recording.
//
// --flat adds the 10× file with the same concurrency (memory must not grow); --adversarial a SYN
// flood of 10^6 4-tuples and 10^6 connections open at once (memory bounded by --max-conns).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BULK, CONN_HEAVY, cachedCapture } from './real-capture.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/bench → repository root (or bench/ under tsx).
const root = existsSync(join(here, '..', 'package.json')) ? join(here, '..') : join(here, '..', '..');
const CLI = join(root, 'bin', 'synack');
const GEN = join(here, `gen${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`);
const DECODE_BENCH = join(here, `decode-bench${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`);
const FLOOR = join(here, `floor${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`);
const TSHARK_SLICE = 100_000;

interface Measure {
  wallSec: number;
  /** User + system CPU seconds (a fairer figure than wall time on a shared machine). */
  cpuSec: number;
  rssMb: number;
  ok: boolean;
  note: string;
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const GNU_TIME = existsSync('/usr/bin/time');

/** Runs cmd once under /usr/bin/time -v, stdout discarded; wall seconds and peak RSS. */
function measureOnce(cmd: string, args: string[]): Measure {
  if (GNU_TIME) {
    const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 1 << 26,
    });
    const err = r.stderr ?? '';
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
    const exit = /Exit status: (\d+)/.exec(err);
    const user = /User time \(seconds\): ([\d.]+)/.exec(err);
    const sys = /System time \(seconds\): ([\d.]+)/.exec(err);
    const wallSec = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : Number.NaN;
    const code = exit ? Number(exit[1]) : (r.status ?? -1);
    return {
      wallSec,
      cpuSec: Number(user?.[1] ?? Number.NaN) + Number(sys?.[1] ?? Number.NaN),
      rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN,
      ok: code === 0,
      note: code === 0 ? '' : `exit ${code}: ${err.split('\n')[0]}`,
    };
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return {
    wallSec: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuSec: Number.NaN,
    rssMb: Number.NaN,
    ok: r.status === 0,
    note: r.status === 0 ? '' : `exit ${r.status}`,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function measure(cmd: string, args: string[], runs: number): Measure {
  const ms: Measure[] = [];
  for (let i = 0; i < runs; i++) {
    const m = measureOnce(cmd, args);
    if (!m.ok) return m;
    ms.push(m);
  }
  return {
    wallSec: median(ms.map((m) => m.wallSec)),
    cpuSec: median(ms.map((m) => m.cpuSec)),
    rssMb: median(ms.map((m) => m.rssMb)),
    ok: true,
    note: '',
  };
}

/** Packets in a capture (capinfos when present, else synack's own count via read --tcpdump). */
function packetCount(file: string): number {
  if (has('capinfos')) {
    const r = spawnSync('capinfos', ['-M', '-c', file], { encoding: 'utf8' });
    const m = /Number of packets:\s+(\d+)/.exec(r.stdout ?? '');
    if (m) return Number(m[1]);
  }
  const r = spawnSync(process.execPath, [CLI, 'read', '--tcpdump', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  return (r.stdout ?? '').split('\n').length - 1;
}

interface Row {
  what: string;
  m: Measure;
  /** Packets the figure stands for (scaled rows: the whole file). */
  packets: number;
  scaledFrom?: number;
}

function fmtRow(r: Row, base: Row | null): string {
  if (!r.m.ok) return `  ${r.what.padEnd(46)} ${r.m.note}`;
  const scale = r.scaledFrom ? r.packets / r.scaledFrom : 1;
  const wall = r.m.wallSec * scale;
  const pps = r.packets / wall;
  const ratio =
    base && base !== r
      ? `${(wall / (base.m.wallSec * (base.scaledFrom ? base.packets / base.scaledFrom : 1))).toFixed(2)}×`
      : '';
  return (
    `  ${r.what.padEnd(46)} ${wall.toFixed(2).padStart(8)} s ${(pps / 1e6).toFixed(3).padStart(7)} M pkt/s ` +
    `${Number.isNaN(r.m.rssMb) ? '     n/a' : r.m.rssMb.toFixed(0).padStart(6)} MB ` +
    `${(r.m.cpuSec * scale).toFixed(2).padStart(7)} CPU-s ${(r.packets / (r.m.cpuSec * scale) / 1e6).toFixed(3)} M pkt/CPU-s  ${ratio}`
  );
}

/** Wall seconds a row stands for (scaled rows: the whole file). */
function wallOf(r: Row): number {
  return r.m.wallSec * (r.scaledFrom ? r.packets / r.scaledFrom : 1);
}

/** Wall seconds and CPU seconds of a row relative to another (scaled rows count whole). */
function cpuOf(r: Row): number {
  return r.m.cpuSec * (r.scaledFrom ? r.packets / r.scaledFrom : 1);
}

/** Issue 18's targets for `conns --json` on one core, each marked met or not. */
function targetLine(rows: Row[], one: Row, floor: Row | undefined): string {
  if (!one.m.ok) return '  targets: synack failed';
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const pps = one.packets / one.m.cpuSec;
  const parts = [
    `≥ 3 M pkt/CPU-s (bulk): ${mark(pps >= 3e6)} (${(pps / 1e6).toFixed(2)})`,
    `peak RSS ≤ 150 MB: ${mark(one.m.rssMb <= 150)} (${one.m.rssMb.toFixed(0)})`,
  ];
  if (floor?.m.ok) {
    const x = cpuOf(one) / cpuOf(floor);
    parts.push(`≤ 1.25× floor (CPU): ${mark(x <= 1.25)} (${x.toFixed(2)}×)`);
  }
  for (const [tool, want] of [
    ['tcptrace', 1.5],
    ['argus', 2],
    ['tshark', 50],
  ] as const) {
    const r = rows.find((x) => x.what.startsWith(tool) && x.m.ok);
    if (r) {
      const w = wallOf(r) / wallOf(one);
      const c = cpuOf(r) / cpuOf(one);
      parts.push(`≥ ${want}× ${tool} wall: ${mark(w >= want)} (${w.toFixed(2)}×; CPU ${c.toFixed(2)}×)`);
    }
  }
  return `  targets (conns --json --threads 1):\n    ${parts.join('\n    ')}`;
}

const notInstalled = (what: string, packets: number): Row => ({
  what,
  m: { wallSec: 0, cpuSec: 0, rssMb: 0, ok: false, note: 'not installed' },
  packets,
});

function benchFile(label: string, file: string, dir: string, runs: number, cores: number): void {
  const packets = packetCount(file);
  process.stdout.write(
    `\n${label}: ${file} (${packets} packets)\n` +
      `  ${'command'.padEnd(46)}     wall   rate (wall)      peak RSS   CPU time  rate (CPU)   wall vs floor\n`,
  );
  const rows: Row[] = [];
  // Interleaved: run r of every tool before run r+1 of any, so a burst of load elsewhere on the
  // machine spreads over all of them instead of landing on one.
  const plan: { what: string; cmd: string; args: string[]; packets: number; scaledFrom?: number }[] = [];
  plan.push({
    what: 'floor (reader + decoder + 64-byte slots)',
    cmd: process.execPath,
    args: [FLOOR, file],
    packets,
  });
  plan.push({
    what: 'synack conns --json --threads 1',
    cmd: process.execPath,
    args: [CLI, 'conns', '--json', '--threads', '1', file],
    packets,
  });
  if (cores > 1)
    plan.push({
      what: `synack conns --json --threads ${cores}`,
      cmd: process.execPath,
      args: [CLI, 'conns', '--json', '--threads', String(cores), file],
      packets,
    });
  if (has('tcptrace'))
    plan.push({ what: 'tcptrace -n -l', cmd: 'tcptrace', args: ['-n', '-l', file], packets });
  else rows.push(notInstalled('tcptrace', packets));
  if (has('argus') && has('ra'))
    plan.push({
      what: 'argus -r F -w - | ra -n',
      cmd: 'sh',
      args: ['-c', 'argus -X -r "$0" -w - | ra -X -n -r -', file],
      packets,
    });
  else rows.push(notInstalled('argus', packets));
  if (has('tshark') && has('editcap')) {
    const slice = join(dir, `slice-${label.replace(/\W+/g, '-')}.pcap`);
    spawnSync('editcap', ['-r', file, slice, `1-${TSHARK_SLICE}`]);
    const n = Math.min(TSHARK_SLICE, packets);
    plan.push({
      what: `tshark -q -z conv,tcp (first ${n}, scaled ×${(packets / n).toFixed(1)})`,
      cmd: 'tshark',
      args: ['-r', slice, '-q', '-z', 'conv,tcp'],
      packets,
      scaledFrom: n,
    });
  } else rows.push(notInstalled('tshark', packets));
  const runsOf = plan.map(() => [] as Measure[]);
  for (let r = 0; r < runs; r++)
    plan.forEach((p, i) => {
      runsOf[i]!.push(measureOnce(p.cmd, p.args));
    });
  plan.forEach((p, i) => {
    const ms = runsOf[i]!;
    const bad = ms.find((m) => !m.ok);
    const m: Measure = bad ?? {
      wallSec: median(ms.map((x) => x.wallSec)),
      cpuSec: median(ms.map((x) => x.cpuSec)),
      rssMb: median(ms.map((x) => x.rssMb)),
      ok: true,
      note: '',
    };
    rows.unshift({
      what: p.what,
      m,
      packets: p.packets,
      ...(p.scaledFrom ? { scaledFrom: p.scaledFrom } : {}),
    });
  });
  rows.reverse();
  const floor = rows.find((r) => r.what.startsWith('floor'));
  const one = rows.find((r) => r.what === 'synack conns --json --threads 1')!;
  for (const r of rows) process.stdout.write(`${fmtRow(r, floor ?? one)}\n`);
  process.stdout.write(`${targetLine(rows, one, floor)}\n`);
  const d = spawnSync(process.execPath, [DECODE_BENCH, file, '--passes', '3'], { encoding: 'utf8' });
  process.stdout.write(
    (d.stdout ?? '')
      .split('\n')
      .filter((l) => l.includes('M packets/s'))
      .map((l) => `  decode bench (CPU time): ${l}\n`)
      .join(''),
  );
}

/** Every command that reads a capture, on one file: peak RSS ≤ 200 MB and time within 2× of conns. */
function benchCommands(label: string, file: string, runs: number): void {
  const packets = packetCount(file);

  process.stdout.write(`\n${label}: every command (${packets} packets)\n`);
  const cmds: [string, string[]][] = [
    ['conns --json', ['conns', '--json']],
    ['conns --zeek', ['conns', '--zeek']],
    ['read', ['read']],
    ['read --json', ['read', '--json']],
    ['read --tcpdump', ['read', '--tcpdump']],
    ['states --json', ['states', '--json']],
    ['ladder --conn 1', ['ladder', '--conn', '1']],
    ['explain --conn 1', ['explain', '--conn', '1']],
  ];
  let conns: Measure | null = null;
  for (const [what, args] of cmds) {
    const m = measure(process.execPath, [CLI, ...args, file], runs);
    if (conns === null) conns = m;
    const vs = m.ok && conns.ok ? (m.cpuSec / conns.cpuSec).toFixed(2) : 'n/a';
    const met = m.ok && m.rssMb <= 200 && m.cpuSec <= 2 * conns.cpuSec ? 'met' : 'NOT met';
    process.stdout.write(
      `${fmtRow({ what: `synack ${what}`, m, packets }, null)}  ${vs}× conns CPU; ≤ 200 MB and ≤ 2× conns: ${m.ok ? met : '-'}\n`,
    );
  }
}
async function main(argv: string[]): Promise<void> {
  const opt = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const text = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1]! : dflt;
  };
  const file = argv.find(
    (a, i) => !a.startsWith('--') && !argv[i - 1]?.match(/^--(runs|packets|cache|tag)$/),
  );
  const runs = opt('runs', 3);
  const packets = opt('packets', 1_000_000);
  const cache = resolve(text('cache', join(tmpdir(), 'synack-bench-cache')));
  const tag = text('tag', 'synack-bench');
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'synack-bench-'));
  const gen = (out: string, args: string[]) => {
    const r = spawnSync(
      process.execPath,
      [...(GEN.endsWith('.ts') ? ['--import', 'tsx'] : []), GEN, out, ...args],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`gen: ${r.stderr}`);
    process.stdout.write(`  ${r.stderr.trim()}\n`);
    return out;
  };
  const tools = ['tcptrace', 'argus', 'tshark'].map((t) => `${t}: ${has(t) ? 'yes' : 'absent'}`).join(', ');
  process.stdout.write(
    `synack bench: ${cpus()[0]?.model ?? 'cpu'} × ${cores} cores, node ${process.version}, median of ${runs} interleaved runs` +
      `${GNU_TIME ? '' : ' (no /usr/bin/time: peak RSS n/a; apt-get install time)'}\n${tools}\n` +
      'Figures are only comparable within one run: on a shared machine compare CPU-s and the ratios.\n',
  );
  try {
    const synthetic =
      file !== undefined
        ? resolve(file)
        : gen(join(dir, 'synthetic.pcap'), [
            '--packets',
            String(packets),
            '--seed',
            '1',
            '--bulk',
            '0',
            '--snaplen',
            '128',
          ]);
    benchFile(file !== undefined ? 'given' : 'synthetic', synthetic, dir, runs, cores);
    if (!argv.includes('--no-real')) {
      // Recorded once into the cache (bench/real-capture.ts), then reused.
      for (const [name, plan, label] of [
        [
          'conn-heavy',
          CONN_HEAVY,
          'connection-heavy (netns, ≥ 80 k short connections + bulk, tcpdump -s 128)',
        ],
        ['bulk', BULK, 'bulk (netns, 4 × 256 MiB transfers, tcpdump -s 128)'],
      ] as const) {
        if (!existsSync(join(cache, `${name}.pcap`)))
          process.stdout.write(`\nrecording ${name} traffic in network namespaces into ${cache} …\n`);
        const real = await cachedCapture(cache, name, plan, tag);
        if ('file' in real) benchFile(label, real.file, dir, runs, cores);
        else process.stdout.write(`  ${name} skipped: ${real.skipped}\n`);
      }
    }
    if (argv.includes('--commands'))
      benchCommands(file !== undefined ? 'given' : 'synthetic', synthetic, runs);
    if (argv.includes('--flat')) {
      // Same concurrency, 10× the packets, gaps large enough that TIME_WAIT and idle ends keep the
      // open connections steady: peak RSS should not move.
      for (const n of [packets, packets * 10]) {
        const f = gen(join(dir, `flat-${n}.pcap`), [
          '--packets',
          String(n),
          '--seed',
          '2',
          '--bulk',
          '0',
          '--snaplen',
          '128',
          '--gap-us',
          '2000',
        ]);
        const m = measure(process.execPath, [CLI, 'conns', '--json', '--threads', '1', f], 1);
        process.stdout.write(`${fmtRow({ what: `flat: ${n} packets, --threads 1`, m, packets: n }, null)}\n`);
        rmSync(f);
      }
    }
    if (argv.includes('--adversarial')) {
      for (const [name, args] of [
        ['SYN flood, 10^6 4-tuples', ['--synflood', '1000000']],
        ['10^6 connections open at once', ['--open', '1000000']],
      ] as const) {
        const f = gen(join(dir, 'adversarial.pcap'), [...args]);
        benchCommands(`${name} (--max-conns 250000)`, f, 1);
        rmSync(f);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
