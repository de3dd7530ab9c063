// `synack watch` against ss, field by field, on real sockets: builds a network namespace with a
// scripted socket zoo (a listener with a full backlog and its SYN_SENT clients, a CLOSE_WAIT leak
// with unread data, TIME_WAIT, FIN_WAIT_2, keepalive, a zero-window/persist sender, a request socket
// in SYN_RECV, FIN_WAIT_1 and LAST_ACK retransmitting their FIN, IPv6, a socket of another uid),
// reads /proc/net/tcp{,6} and runs `ss -tanoepH` back to back inside it, and compares what watch
// makes of /proc with what ss says; then runs the `synack watch --once --json` command itself
// the same way. Prints the agreement per field and every disagreement.
// Usage: npx tsx scripts/watch-parity.ts [--tag NAME] [--record DIR]
//   --tag: prefix of the namespace and temporary files (default wparity);
//   --record DIR: also write the recorded tcp, tcp6, netstat and ss.txt there (test fixtures).
// Needs root, ip, nft, ss and python3. I/O edge: not part of the pure core.

import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcNetTcp } from '../src/live/proc-net.js';
import { readSocketOwners } from '../src/live/proc-pids.js';
import { watchSockets } from '../src/live/watch-model.js';
import {
  type Comparison,
  compareWithSs,
  parseSsLines,
  WATCH_FIELDS,
  watchSocketsFromJson,
} from '../test/helpers/ss-text.js';
import { synackArgv } from '../test/helpers/synack-cli.js';

const SCENARIO = `
import os, socket, subprocess, sys, time
def nft(rule):
    subprocess.run(['nft', rule], check=True)
nft('add table inet zoo; add chain inet zoo out { type filter hook output priority 0; }')
def listener(port, backlog=16, family=socket.AF_INET, host='127.0.0.1'):
    s = socket.socket(family); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(backlog); return s
keep = []
# A listener with a full backlog (1): two wait in the accept queue, the rest stay in SYN_SENT.
L1 = listener(7001, 1); keep.append(L1)
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(('127.0.0.1', 7001))
    except BlockingIOError: pass
    keep.append(c)
# The CLOSE_WAIT leak: the peer sent data and closed; the server never reads nor closes.
L2 = listener(7002); keep.append(L2)
for i in range(3):
    c = socket.socket(); c.connect(('127.0.0.1', 7002)); s, _ = L2.accept()
    c.send(b'x' * (100 * (i + 1))); c.close(); keep.append(s)
L2b = listener(7012, 16, socket.AF_INET6, '::1'); keep.append(L2b)
c = socket.socket(socket.AF_INET6); c.connect(('::1', 7012)); s, _ = L2b.accept(); c.close(); keep.append(s)
# TIME_WAIT: the client closes first, then the server.
L3 = listener(7003); keep.append(L3)
for i in range(2):
    c = socket.socket(); c.connect(('127.0.0.1', 7003)); s, _ = L3.accept()
    c.close(); time.sleep(0.05); s.close()
# Keepalive on IPv6.
L4 = listener(7004, 16, socket.AF_INET6, '::1'); keep.append(L4)
k = socket.socket(socket.AF_INET6); k.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
k.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 300); k.connect(('::1', 7004)); s, _ = L4.accept()
keep += [k, s]
# Data into a black hole: retransmissions, then zero window probes.
L5 = listener(7005); keep.append(L5)
r = socket.socket(); r.connect(('127.0.0.1', 7005)); s, _ = L5.accept(); keep += [r, s]
nft('add rule inet zoo out tcp dport 7005 drop'); r.send(b'y' * 5000)
# A request socket in SYN_RECV: the handshake's final ACK never arrives.
nft('add rule inet zoo out tcp dport 7007 tcp flags & (syn | ack) == ack drop')
L7 = listener(7007); keep.append(L7)
c = socket.socket(); c.setblocking(False)
try: c.connect(('127.0.0.1', 7007))
except BlockingIOError: pass
keep.append(c)
# FIN_WAIT_1: the client's FIN is lost, again and again.
L8 = listener(7008); keep.append(L8)
c = socket.socket(); c.connect(('127.0.0.1', 7008)); s, _ = L8.accept(); keep += [c, s]
nft('add rule inet zoo out tcp dport 7008 drop'); c.shutdown(socket.SHUT_WR)
# LAST_ACK: the server's FIN is lost (an orphan: closed by the application).
L9 = listener(7009); keep.append(L9)
c = socket.socket(); c.connect(('127.0.0.1', 7009)); s, _ = L9.accept(); keep.append(c)
c.shutdown(socket.SHUT_WR); time.sleep(0.05); nft('add rule inet zoo out tcp sport 7009 drop'); s.close()
# Another uid's listener and connection.
if os.fork() == 0:
    os.setgid(65534); os.setuid(65534)
    U = listener(7006, 5); u = socket.socket(); u.connect(('127.0.0.1', 7006)); a, _ = U.accept()
    time.sleep(float(sys.argv[1])); os._exit(0)
time.sleep(1.5)
print('ready', flush=True)
time.sleep(float(sys.argv[1]))
`;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function report(title: string, c: Comparison): void {
  console.log(`\n${title}`);
  let agree = 0;
  let total = 0;
  for (const f of WATCH_FIELDS) {
    const t = c.fields[f];
    if (t.total === 0) continue;
    agree += t.agree;
    total += t.total;
    console.log(
      `  ${f.padEnd(12)} ${String(t.agree).padStart(4)}/${String(t.total).padEnd(4)} ${((100 * t.agree) / t.total).toFixed(1)}%`,
    );
    for (const m of t.misses) console.log(`      ${m}`);
  }
  console.log(
    `  ${'all'.padEnd(12)} ${String(agree).padStart(4)}/${String(total).padEnd(4)} ${((100 * agree) / total).toFixed(1)}%`,
  );
}

async function main(): Promise<void> {
  const tag = arg('--tag') ?? 'wparity';
  const record = arg('--record');
  const ns = `${tag}-watch`;
  const dir = mkdtempSync(join(tmpdir(), `${tag}-watch-`));
  spawnSync('ip', ['netns', 'delete', ns]);
  run('ip', ['netns', 'add', ns]);
  run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const zoo = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', SCENARIO, '60'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      zoo.stdout.on('data', (d) => String(d).includes('ready') && resolve());
      zoo.once('exit', (code) => reject(new Error(`scenario exited ${code}`)));
    });
    // /proc then ss, back to back; the time between bounds how far the timers may drift.
    const t0 = process.hrtime.bigint();
    run('ip', [
      'netns',
      'exec',
      ns,
      'sh',
      '-c',
      `cat /proc/net/tcp > ${dir}/tcp; cat /proc/net/tcp6 > ${dir}/tcp6; ss -tanoepH > ${dir}/ss.txt; cat /proc/net/netstat > ${dir}/netstat`,
    ]);
    const slackMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const sockets = [
      ...parseProcNetTcp(readFileSync(`${dir}/tcp`, 'latin1'), 4),
      ...parseProcNetTcp(readFileSync(`${dir}/tcp6`, 'latin1'), 6),
    ];
    const owners = readSocketOwners(new Set(sockets.map((s) => s.inode).filter((i) => i !== 0)));
    const ss = parseSsLines(readFileSync(`${dir}/ss.txt`, 'utf8'));
    report(
      `/proc as watch reads it vs ss -tanoepH: ${ss.length} sockets, read ${slackMs.toFixed(0)} ms apart`,
      compareWithSs(watchSockets(sockets, owners), ss, slackMs, true),
    );
    if (record !== undefined) {
      mkdirSync(record, { recursive: true });
      for (const f of ['tcp', 'tcp6', 'netstat', 'ss.txt']) copyFileSync(join(dir, f), join(record, f));
      console.log(`recorded in ${record}`);
    }
    // The command itself, then ss.
    const argv = synackArgv('watch', '--once', '--json');
    const t1 = process.hrtime.bigint();
    const json = run('ip', ['netns', 'exec', ns, ...argv]);
    const ss2 = parseSsLines(run('ip', ['netns', 'exec', ns, 'ss', '-tanoepH']));
    const slack2 = Number(process.hrtime.bigint() - t1) / 1e6;
    report(
      `synack watch --once --json vs ss -tanoepH right after: ${ss2.length} sockets, ${slack2.toFixed(0)} ms apart`,
      compareWithSs(watchSocketsFromJson(json), ss2, slack2, true),
    );
  } finally {
    zoo.kill('SIGKILL');
    spawnSync('ip', ['netns', 'delete', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
