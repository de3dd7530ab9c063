// Captures of real Linux TCP traffic for the bench, recorded between two network namespaces
// joined by a veth pair (segmentation offloads off, so segments are what a wire carries), with
// `tcpdump -s 128` on the client side. Too large to commit: they are cached in a directory outside
// the repository and reused while present.
//   conn-heavy: ≥ `connections` short HTTP/1.0 exchanges (one request, Connection: close; every
//     50th to a closed port, refused; every 23rd aborted with RST), with two bulk transfers
//     running beside them — the traffic issue 18 measures against tcptrace and argus;
//   bulk: a few long transfers (few connections, long runs of full-sized segments).
// An asyncio server in one namespace, an asyncio client in the other (many connections at once).
// The namespaces are named after `tag` and deleted whatever happens. Needs root, ip(8), tcpdump
// and /usr/bin/python3; returns the reason instead of a file when one is absent.
//
//   node dist/bench/real-capture.js DIR [--tag T] [--connections N]   (records both into DIR)

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SERVER = `
import asyncio, sys
BULK = b'x' * (int(sys.argv[2]) << 20)
async def handle(r, w):
    try:
        line = await r.readline()
        if line.startswith(b'GET /bulk'):
            body = BULK
        else:
            body = b'ok %d\\n' % len(line) * (1 + len(line) % 40)
        w.write(b'HTTP/1.0 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n' % len(body))
        w.write(body)
        await w.drain()
    except Exception:
        pass
    finally:
        w.close()
async def main():
    s = await asyncio.start_server(handle, sys.argv[1], 8080, backlog=4096, reuse_address=True)
    async with s:
        await s.serve_forever()
asyncio.run(main())
`;

const CLIENT = `
import asyncio, socket, struct, sys, time
host, short_target, bulk_target, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
stop = time.time() + seconds
made = 0
bulk_made = 0
async def short():
    global made
    while made < short_target and time.time() < stop:
        made += 1
        n = made
        try:
            r, w = await asyncio.open_connection(host, 8080 if n % 50 else 8081)
            w.write(b'GET /%d HTTP/1.0\\r\\n\\r\\n' % n)
            await w.drain()
            if n % 23 == 0:
                w.get_extra_info('socket').setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                w.transport.abort()
                continue
            while await r.read(65536):
                pass
            w.close()
        except OSError:
            pass
async def bulk():
    global bulk_made
    while bulk_made < bulk_target and time.time() < stop:
        bulk_made += 1
        try:
            r, w = await asyncio.open_connection(host, 8080)
            w.write(b'GET /bulk HTTP/1.0\\r\\n\\r\\n')
            while await r.read(1 << 20):
                pass
            w.close()
        except OSError:
            pass
async def main():
    tasks = [short() for _ in range(32 if short_target else 0)] + [bulk() for _ in range(2)]
    await asyncio.gather(*tasks)
asyncio.run(main())
`;

export interface RecordPlan {
  /** Short connections to make (0: none). */
  connections: number;
  /** Bulk transfers, two at a time. */
  bulkTransfers: number;
  /** Size of one bulk transfer in MiB. */
  bulkMib: number;
  /** Stop after this many seconds whatever was reached. */
  seconds: number;
}

export const CONN_HEAVY: RecordPlan = { connections: 80_000, bulkTransfers: 12, bulkMib: 8, seconds: 300 };
export const BULK: RecordPlan = { connections: 0, bulkTransfers: 4, bulkMib: 256, seconds: 300 };

function ok(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** Why this machine cannot record, or null when it can. */
function cannotRecord(): string | null {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need it)';
  if (!ok('ip', ['netns', 'list'])) return 'ip netns unavailable';
  if (!existsSync('/usr/bin/python3')) return '/usr/bin/python3 absent';
  if (!ok('sh', ['-c', 'command -v tcpdump'])) return 'tcpdump absent';
  return null;
}

/**
 * `dir/name.pcap` if it exists, else records it by `plan` (written under a temporary name, so an
 * interrupted recording is never taken for a cached one). The path, or why it could not.
 */
export async function cachedCapture(
  dir: string,
  name: string,
  plan: RecordPlan,
  tag: string,
): Promise<{ file: string } | { skipped: string }> {
  const file = join(dir, `${name}.pcap`);
  if (existsSync(file)) return { file };
  const why = cannotRecord();
  if (why !== null) return { skipped: why };
  mkdirSync(dir, { recursive: true });
  const partial = join(dir, `${name}.partial.pcap`);
  const r = await record(dir, partial, plan, `${tag}${name === 'bulk' ? 'b' : 'c'}`);
  if ('skipped' in r) return r;
  renameSync(partial, file);
  return { file };
}

async function record(
  dir: string,
  file: string,
  plan: RecordPlan,
  tag: string,
): Promise<{ file: string } | { skipped: string }> {
  // Interface names are at most 15 bytes.
  const dev = tag.slice(0, 13);
  const a = `${tag}-client`;
  const b = `${tag}-server`;
  writeFileSync(join(dir, 'server.py'), SERVER);
  writeFileSync(join(dir, 'client.py'), CLIENT);
  const children: ChildProcess[] = [];
  try {
    must('ip', ['netns', 'add', a]);
    must('ip', ['netns', 'add', b]);
    must('ip', ['link', 'add', `${dev}x`, 'netns', a, 'type', 'veth', 'peer', 'name', `${dev}y`, 'netns', b]);
    must('ip', ['-n', a, 'addr', 'add', '10.231.9.1/24', 'dev', `${dev}x`]);
    must('ip', ['-n', b, 'addr', 'add', '10.231.9.2/24', 'dev', `${dev}y`]);
    for (const [ns, d] of [
      [a, `${dev}x`],
      [b, `${dev}y`],
    ] as const) {
      must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      must('ip', ['-n', ns, 'link', 'set', d, 'up']);
      ok('ip', ['netns', 'exec', ns, 'ethtool', '-K', d, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      // Without ethtool: one segment per GSO packet has the same effect on what tcpdump sees.
      ok('ip', ['-n', ns, 'link', 'set', d, 'gso_max_segs', '1']);
      // 80 k connections from one address: the whole port range, ports reused from TIME_WAIT.
      ok('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65000']);
      ok('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=1']);
    }
    const server = spawn(
      'ip',
      ['netns', 'exec', b, '/usr/bin/python3', join(dir, 'server.py'), '10.231.9.2', String(plan.bulkMib)],
      { stdio: 'ignore' },
    );
    children.push(server);
    const dump = spawn(
      'ip',
      ['netns', 'exec', a, 'tcpdump', '-i', `${dev}x`, '-s', '128', '-B', '65536', '-w', file, 'tcp'],
      { stdio: 'ignore' },
    );
    children.push(dump);
    // The server listening (a fixed wait was too short on a loaded machine: the bulk server,
    // building its 256 MiB body, refused every connection and the capture held only RSTs).
    const listening = () =>
      /:8080\b/.test(
        spawnSync('ip', ['netns', 'exec', b, 'ss', '-Hltn', 'sport', '= :8080'], { encoding: 'utf8' })
          .stdout ?? '',
      );
    for (let i = 0; i < 300 && !listening(); i++) await new Promise((r) => setTimeout(r, 100));
    if (!listening()) return { skipped: 'the server did not listen within 30 s' };
    // tcpdump's own start-up.
    await new Promise((r) => setTimeout(r, 1500));
    const client = spawn(
      'ip',
      [
        'netns',
        'exec',
        a,
        '/usr/bin/python3',
        join(dir, 'client.py'),
        '10.231.9.2',
        String(plan.connections),
        String(plan.bulkTransfers),
        String(plan.seconds),
      ],
      { stdio: 'ignore' },
    );
    children.push(client);
    await new Promise<void>((resolve) => client.on('exit', () => resolve()));
    // The last FINs and ACKs through tcpdump before it stops.
    await new Promise((r) => setTimeout(r, 1000));
    await new Promise<void>((resolve) => {
      dump.on('exit', () => resolve());
      dump.kill('SIGINT');
    });
    return existsSync(file) ? { file } : { skipped: 'tcpdump wrote nothing' };
  } catch (err) {
    return { skipped: (err as Error).message };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    // Deleting the namespaces also removes the veth pair.
    spawnSync('ip', ['netns', 'delete', a]);
    spawnSync('ip', ['netns', 'delete', b]);
  }
}

// As a script: record both captures into DIR.
if (process.argv[1]?.endsWith('real-capture.js') || process.argv[1]?.endsWith('real-capture.ts')) {
  const args = process.argv.slice(2);
  const dir = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (dir === undefined) {
    process.stderr.write('usage: real-capture DIR [--tag T] [--connections N]\n');
    process.exit(1);
  }
  const tag = opt('tag') ?? 'synack-bench';
  const n = opt('connections');
  for (const [name, plan] of [
    ['conn-heavy', { ...CONN_HEAVY, ...(n ? { connections: Number(n) } : {}) }],
    ['bulk', BULK],
  ] as const) {
    const r = await cachedCapture(dir, name, plan, tag);
    process.stdout.write(`${name}: ${'file' in r ? r.file : `skipped: ${r.skipped}`}\n`);
  }
}
