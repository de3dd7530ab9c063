// Real TCP sockets for the live tests: network namespaces the test creates (and always deletes),
// a veth pair between them, and a small socket agent (a node process inside a namespace, driven
// line by line over stdin) that listens, connects, half-closes and closes on command, so each
// socket's owner pid and state are known to the test.

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

/** True when this process can create namespaces (root, `ip` present). */
export function canUseNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).status === 0;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export class Netns {
  constructor(readonly name: string) {
    run('ip', ['netns', 'add', name]);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  }

  /** Runs a command inside the namespace and returns its stdout (throws on failure). */
  exec(cmd: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  delete(): void {
    spawnSync('ip', ['netns', 'delete', this.name]);
  }
}

/**
 * Two namespaces joined by a veth pair: `a` has 10.77.0.1/24 and fd77::1/64, `b` 10.77.0.2/24 and
 * fd77::2/64 (no DAD, so IPv6 works at once).
 */
export function vethPair(a: Netns, b: Netns, tag: string): void {
  const va = `sw${tag}a`;
  const vb = `sw${tag}b`;
  run('ip', ['link', 'add', va, 'netns', a.name, 'type', 'veth', 'peer', 'name', vb, 'netns', b.name]);
  for (const [ns, dev, v4, v6] of [
    [a, va, '10.77.0.1/24', 'fd77::1/64'],
    [b, vb, '10.77.0.2/24', 'fd77::2/64'],
  ] as const) {
    run('ip', ['-n', ns.name, 'addr', 'add', v4, 'dev', dev]);
    run('ip', ['-n', ns.name, '-6', 'addr', 'add', v6, 'dev', dev, 'nodad']);
    run('ip', ['-n', ns.name, 'link', 'set', dev, 'up']);
  }
}

// The agent: one JSON command per stdin line, one JSON reply per stdout line, in order.
const AGENT = `
import net from 'node:net';
import readline from 'node:readline';
const socks = new Map(); const servers = new Map(); const accepted = new Map();
const reply = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const queue = [];
let busy = false;
async function handle(c) {
  switch (c.op) {
    case 'listen': {
      const s = net.createServer({ allowHalfOpen: true }, (sock) => {
        const list = accepted.get(c.id) ?? []; list.push(sock); accepted.set(c.id, list);
        sock.on('error', () => {});
        socks.set(c.id + '.' + list.length, sock);
      });
      servers.set(c.id, s);
      await new Promise((r) => s.listen({ host: c.host, port: c.port ?? 0, ipv6Only: !!c.ipv6Only }, r));
      return { port: s.address().port };
    }
    case 'connect': {
      const s = net.connect({ host: c.host, port: c.port, allowHalfOpen: true, localAddress: c.localAddress });
      s.on('error', () => {}); socks.set(c.id, s);
      if (c.wait !== false) await new Promise((r) => s.once('connect', r));
      await new Promise((r) => setTimeout(r, 0));
      return { localPort: s.localPort ?? null };
    }
    case 'accepted': {
      while ((accepted.get(c.server) ?? []).length < c.n) await new Promise((r) => setTimeout(r, 5));
      const s = accepted.get(c.server)[c.n - 1];
      return { remotePort: s.remotePort, localPort: s.localPort };
    }
    case 'end': socks.get(c.id).end(); return {};
    case 'reset': socks.get(c.id).resetAndDestroy(); return {};
    case 'destroy': socks.get(c.id).destroy(); return {};
    case 'unlisten': await new Promise((r) => servers.get(c.id).close(() => r())); return {};
    default: throw new Error('unknown op ' + c.op);
  }
}
async function pump() {
  if (busy) return; busy = true;
  while (queue.length) { const c = queue.shift(); try { reply({ ok: true, ...(await handle(c)) }); } catch (e) { reply({ ok: false, error: String(e) }); } }
  busy = false;
}
readline.createInterface({ input: process.stdin }).on('line', (l) => { queue.push(JSON.parse(l)); pump(); });
process.stdin.on('end', () => process.exit(0));
reply({ ok: true, pid: process.pid });
`;

export type AgentReply = { ok: boolean; error?: string; [k: string]: unknown };

/** A socket agent running inside `ns` (or in this namespace when ns is null). */
export class Agent {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((r: AgentReply) => void)[] = [];
  readonly ready: Promise<AgentReply>;

  constructor(ns: Netns | null) {
    const args = ['--input-type=module', '-e', AGENT];
    this.proc =
      ns === null
        ? spawn(process.execPath, args)
        : spawn('ip', ['netns', 'exec', ns.name, process.execPath, ...args]);
    this.proc.stderr.resume();
    const lines = createInterface({ input: this.proc.stdout });
    this.ready = new Promise((r) => this.waiting.push(r));
    lines.on('line', (l) => this.waiting.shift()?.(JSON.parse(l) as AgentReply));
  }

  /** The agent's pid (ip netns exec execs node, so it is the child's pid). */
  get pid(): number {
    return this.proc.pid!;
  }

  async cmd(c: Record<string, unknown>): Promise<AgentReply> {
    await this.ready;
    const p = new Promise<AgentReply>((r) => this.waiting.push(r));
    this.proc.stdin.write(`${JSON.stringify(c)}\n`);
    const r = await p;
    if (!r.ok) throw new Error(`agent: ${r.error}`);
    return r;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
