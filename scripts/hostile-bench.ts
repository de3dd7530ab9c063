// Every command on every hostile capture at full size (test/helpers/hostile-captures.ts BIG: a
// SYN flood from 10^6 sources, one host with 150 000 sockets, 50 000 interfaces, 20 000 sections,
// 200 000 fragments, nesting sweeps to 200), each run under time(1) with a watchdog: wall seconds,
// peak RSS and whether it kept the error contract (test/helpers/hostile-run.ts). A benchmark, not
// a test: it prints a table and exits 1 when a run broke the contract or exceeded --max-rss-mb.
//
//   node dist/scripts/hostile-bench.js [--only NAME[,NAME]] [--commands read,states…] [--dir DIR]
//       [--timeout S] [--max-rss-mb 300] [--small]
//
// I/O edge: writes the captures to DIR (default a temporary folder, removed after).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIG, hostileCaptures, SMALL } from '../test/helpers/hostile-captures.js';
import { HOSTILE_COMMANDS, runHostile } from '../test/helpers/hostile-run.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = opt('only')?.split(',');
const commandFilter = opt('commands')?.split(',');
const timeoutMs = Number(opt('timeout') ?? 900) * 1000;
const maxRssMb = Number(opt('max-rss-mb') ?? 300);
const keep = opt('dir');
const dir = keep ?? mkdtempSync(join(tmpdir(), 'synack-hostile-bench-'));
mkdirSync(dir, { recursive: true });

const commands = HOSTILE_COMMANDS.filter(
  (c) => commandFilter === undefined || commandFilter.some((f) => c.slice(0, -1).join(' ').startsWith(f)),
);
let broken = 0;
process.stdout.write('capture\tcommand\texit\tseconds\tpeak RSS MB\tverdict\n');
try {
  for (const c of hostileCaptures(args.includes('--small') ? SMALL : BIG)) {
    if (only !== undefined && !only.includes(c.name)) continue;
    const file = join(dir, `${c.name}.pcap`);
    writeFileSync(file, c.bytes);
    process.stderr.write(`${c.name}: ${c.what} (${(c.bytes.length / 1e6).toFixed(1)} MB)\n`);
    for (const cmd of commands) {
      const r = await runHostile(cmd, file, join(dir, 'extract-out.pcap'), timeoutMs, true);
      const mb = r.maxRssKb === undefined ? NaN : r.maxRssKb / 1024;
      const problems = [...r.problems];
      if (mb > maxRssMb) problems.push(`peak RSS ${mb.toFixed(0)} MB > ${maxRssMb} MB`);
      if (problems.length > 0) broken++;
      const name = cmd.slice(0, -1).join(' ').replace(' -w OUT', '');
      process.stdout.write(
        `${c.name}\t${name}\t${r.code ?? r.signal}\t${r.seconds?.toFixed(1) ?? '?'}\t${mb.toFixed(0)}\t${problems.length === 0 ? 'ok' : problems.join('; ')}\n`,
      );
    }
  }
} finally {
  if (keep === undefined) rmSync(dir, { recursive: true, force: true });
}
process.stderr.write(`${broken} run(s) broke the contract or the memory bound\n`);
process.exit(broken > 0 ? 1 : 0);
