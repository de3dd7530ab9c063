// A capture of real Linux TCP traffic, recorded at bench time (too large to commit): two network
// namespaces joined by a veth pair, a threaded Python HTTP server in one, Python clients in the
// other making many short connections (one request each, Connection: close; some refused ports,
// some aborted with RST) and bulk transfers, and `tcpdump -s 128` on the client side until it has
// `packets` packets or `seconds` have passed. The namespaces are deleted whatever happens.
// Needs root, ip(8), tcpdump and /usr/bin/python3; returns null (with the reason) when absent.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SERVER = `
import http.server, socketserver, sys
BULK = b'x' * (4 << 20)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    def do_GET(self):
        body = BULK if self.path.startswith('/bulk') else b'ok %d\\n' % len(self.path) * (1 + len(self.path) % 40)
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True
S(('10.231.9.2', 8080), H).serve_forever()
`;

const CLIENT = `
import socket, struct, sys, threading, time
stop = time.time() + float(sys.argv[1])
def short(i):
    n = 0
    while time.time() < stop:
        n += 1
        try:
            s = socket.create_connection(('10.231.9.2', 8080 if n % 50 else 8081), timeout=5)
            s.sendall(b'GET /%d HTTP/1.0\\r\\n\\r\\n' % n)
            if n % 23 == 0:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                s.close()
                continue
            while s.recv(65536):
                pass
            s.close()
        except OSError:
            pass
def bulk():
    while time.time() < stop:
        try:
            s = socket.create_connection(('10.231.9.2', 8080), timeout=5)
            s.sendall(b'GET /bulk HTTP/1.0\\r\\n\\r\\n')
            while s.recv(1 << 20):
                pass
            s.close()
        except OSError:
            pass
ts = [threading.Thread(target=short, args=(i,)) for i in range(12)] + [threading.Thread(target=bulk) for _ in range(2)]
for t in ts: t.start()
for t in ts: t.join()
`;

function ok(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** Records real traffic into `dir/real.pcap`; the path, or a string saying why it could not. */
export async function recordRealTraffic(
  dir: string,
  packets: number,
  seconds: number,
): Promise<{ file: string } | { skipped: string }> {
  if (process.getuid?.() !== 0) return { skipped: 'not root (network namespaces need it)' };
  if (!ok('ip', ['netns', 'list'])) return { skipped: 'ip netns unavailable' };
  if (!existsSync('/usr/bin/python3')) return { skipped: '/usr/bin/python3 absent' };
  if (!ok('sh', ['-c', 'command -v tcpdump'])) return { skipped: 'tcpdump absent' };
  const tag = `sb${process.pid % 100000}`;
  const a = `${tag}a`;
  const b = `${tag}b`;
  const file = join(dir, 'real.pcap');
  writeFileSync(join(dir, 'server.py'), SERVER);
  writeFileSync(join(dir, 'client.py'), CLIENT);
  const children: ChildProcess[] = [];
  try {
    must('ip', ['netns', 'add', a]);
    must('ip', ['netns', 'add', b]);
    must('ip', ['link', 'add', `${tag}x`, 'netns', a, 'type', 'veth', 'peer', 'name', `${tag}y`, 'netns', b]);
    must('ip', ['-n', a, 'addr', 'add', '10.231.9.1/24', 'dev', `${tag}x`]);
    must('ip', ['-n', b, 'addr', 'add', '10.231.9.2/24', 'dev', `${tag}y`]);
    for (const [ns, dev] of [
      [a, `${tag}x`],
      [b, `${tag}y`],
    ] as const) {
      must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      // Segments as a wire would carry them, not 64 KiB GSO aggregates (best effort).
      ok('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    }
    const server = spawn('ip', ['netns', 'exec', b, '/usr/bin/python3', join(dir, 'server.py')], {
      stdio: 'ignore',
    });
    children.push(server);
    const dump = spawn(
      'ip',
      ['netns', 'exec', a, 'tcpdump', '-i', `${tag}x`, '-s', '128', '-c', String(packets), '-w', file, 'tcp'],
      { stdio: 'ignore' },
    );
    children.push(dump);
    await new Promise((r) => setTimeout(r, 1000));
    const client = spawn(
      'ip',
      ['netns', 'exec', a, '/usr/bin/python3', join(dir, 'client.py'), String(seconds)],
      {
        stdio: 'ignore',
      },
    );
    children.push(client);
    await new Promise<void>((resolve) => {
      dump.on('exit', () => resolve());
      client.on('exit', () => {
        setTimeout(() => dump.kill('SIGINT'), 500);
      });
    });
    client.kill('SIGTERM');
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
