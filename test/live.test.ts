// `synack live`: a capture streamed on stdin in small chunks gives exactly what `synack conns`
// gives on the file (records, Zeek rows, table lines), also when the stream stops mid-record or
// on SIGINT (the open connections are printed, exit 0); `--events` marks its states provisional;
// and with tcpdump capturing loopback inside a namespace this test creates, a connection's record
// appears while the capture is still running, the rest on SIGINT.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startTcpdump } from '../src/live/tcpdump-stream.js';
import { Agent, canUseNetns, hasCommand, Netns, sleep } from './helpers/netns.js';
import { FIXTURES, REPO_ROOT } from './helpers/paths.js';
import { jsonLines, spawnGathering, synackArgv } from './helpers/synack-cli.js';
import { tempDir } from './helpers/temp-dir.js';

function conns(file: string, ...args: string[]): string {
  const argv = synackArgv('conns', ...args, file);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: REPO_ROOT });
  return r.stdout;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What was printed before SIGINT (with `interrupt`). */
  beforeSignal: string;
}

/**
 * Runs `synack live - ARGS` and feeds it `bytes` in chunks of `chunk` bytes, `gapMs` apart;
 * then ends stdin, or sends SIGINT when `interrupt` (keeping stdin open).
 */
async function liveStdin(
  bytes: Uint8Array,
  args: string[],
  o: { chunk: number; gapMs: number; interrupt?: boolean },
): Promise<Run> {
  const argv = synackArgv('live', '-', ...args);
  const { proc: p, out, until } = spawnGathering(argv);
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  for (let off = 0; off < bytes.length; off += o.chunk) {
    p.stdin.write(bytes.subarray(off, Math.min(bytes.length, off + o.chunk)));
    if (o.gapMs > 0) await sleep(o.gapMs);
  }
  let beforeSignal = '';
  if (o.interrupt) {
    await until('the first record', (o) => o.stdout.includes('\n'));
    // A little longer: a record printed too early (an open connection) would show here.
    await sleep(100);
    beforeSignal = out.stdout;
    p.kill('SIGINT');
  } else p.stdin.end();
  await exited;
  p.stdin.destroy();
  return { code: p.exitCode, signal: p.signalCode, stdout: out.stdout, stderr: out.stderr, beforeSignal };
}

const EXAMPLE = join(REPO_ROOT, 'examples', 'loopback-lifecycles.pcap');
// Every format on the example; records on 200 connections and on IPv6 (each run is a process).
const CASES: [string, string[]][] = [
  [EXAMPLE, ['--json']],
  [EXAMPLE, ['--zeek']],
  [EXAMPLE, []],
  [join(FIXTURES, 'port-exhaustion.pcap'), ['--json']],
  [join(FIXTURES, 'tcpdump-lo-ipv6.pcap'), ['--json']],
];

/** Records (or table lines) in id order, the table's header first: live prints them at their close, conns when over. */
function byId(text: string): string {
  const lines = text.trimEnd().split('\n');
  const head = lines[0]!.startsWith('id ') ? [lines.shift()!] : [];
  const id = (l: string) =>
    l.startsWith('{') ? (JSON.parse(l) as { id: number }).id : Number.parseInt(l, 10);
  return [...head, ...lines.sort((a, b) => id(a) - id(b))].join('\n');
}

describe('live - on a streamed capture', () => {
  test('the same records, Zeek rows and table lines as conns on the file', async () => {
    for (const [file, args] of CASES) {
      const bytes = readFileSync(file);
      // Odd chunk sizes: records straddle chunks; a few pauses let output flow between them.
      const chunk = Math.max(97, Math.ceil(bytes.length / 7));
      const want = conns(file, ...args);
      assert.notEqual(want, '', `conns ${args} ${file} printed something`);
      const got = await liveStdin(bytes, args, { chunk, gapMs: 5 });
      assert.equal(got.code, 0, got.stderr);
      // Zeek rows follow Zeek's timers in both; records come at each connection's close in live.
      if (args.includes('--zeek')) assert.equal(got.stdout, want);
      else
        assert.equal(
          byId(got.stdout),
          byId(want),
          `live - ${args.join(' ')} = conns ${args.join(' ')} on ${file}`,
        );
    }
  });

  test('a connection is printed when it closes, its final TIME_WAIT shown then; the header at once', async () => {
    const bytes = readFileSync(EXAMPLE);
    const r = await liveStdin(bytes, ['--json'], { chunk: bytes.length, gapMs: 0 });
    const recs = jsonLines<{ id: number; final: { orig: string; resp: string }; end: number }>(r.stdout);
    // In the order they closed (the frame that closed them), not 1 minute later.
    assert.deepEqual(
      recs.map((x) => x.id),
      [1, 2, 3, 4, 5],
    );
    const ends = recs.map((x) => x.end);
    assert.deepEqual(
      [...ends].sort((a, b) => a - b),
      ends,
    );
    assert.deepEqual(recs[0]!.final, { orig: 'TIME_WAIT', resp: 'CLOSED' });
    assert.deepEqual(recs[1]!.final, { orig: 'CLOSED', resp: 'TIME_WAIT' });
    // The table's header comes with the first bytes, before any record.
    const { proc, out, until } = spawnGathering(synackArgv('live', '-'));
    proc.stdin.write(bytes.subarray(0, 24)); // the pcap file header alone
    await until('the header', (o) => o.stdout.startsWith('id '));
    assert.equal(out.stdout.split('\n').length, 2, 'the header line only');
    proc.stdin.end();
    await new Promise((res) => (proc.exitCode !== null ? res(null) : proc.once('exit', res)));
  });

  test('a stream cut mid-record ends normally: records up to the cut, exit 0', async () => {
    const bytes = readFileSync(EXAMPLE);
    const cut = bytes.subarray(0, 6000); // inside the last record
    const r = await liveStdin(cut, ['--json'], { chunk: 1000, gapMs: 0 });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /byte \d+/, 'no fault line for a stream that simply stopped');
    const ids = r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number }).id);
    assert.deepEqual(ids, [1, 2, 3, 4]);
  });

  test('SIGINT prints the still-open connections and exits 0; records are printed as connections end', async () => {
    const bytes = readFileSync(EXAMPLE);
    // Cut inside the last record, stdin left open: like tcpdump still running.
    const r = await liveStdin(bytes.subarray(0, 6000), ['--json'], {
      chunk: 6000,
      gapMs: 0,
      interrupt: true,
    });
    assert.equal(r.code, 0, r.stderr);
    const ids = (text: string) =>
      text
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { id: number }).id);
    // Connections 1 and 2 closed (one end in TIME_WAIT) and 3 was reset inside the stream: printed
    // before the signal. 4 was still open: printed on SIGINT.
    assert.deepEqual(ids(r.beforeSignal), [1, 2, 3]);
    assert.deepEqual(ids(r.stdout), [1, 2, 3, 4]);
    assert.doesNotMatch(r.stderr, /byte \d+/);
  });

  test('--events: one provisional line per state change or event, before the record it leads to', async () => {
    const r = await liveStdin(readFileSync(EXAMPLE), ['--events', '--json'], { chunk: 1 << 16, gapMs: 0 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = lines.filter((l) => l.provisional === true);
    assert.ok(events.length > 10);
    const conn3 = events
      .filter((e) => e.conn === 3)
      .map((e) => `${e.from} ${e.flags} ${JSON.stringify(e.states)}`);
    assert.deepEqual(conn3, [
      'orig S {"orig":"SYN_SENT","resp":"UNKNOWN"}',
      'resp S. {"orig":"ESTABLISHED","resp":"SYN_RECEIVED"}',
      'orig . {"orig":"ESTABLISHED","resp":"ESTABLISHED"}',
      'resp R. {"orig":"CLOSED","resp":"CLOSED"}',
    ]);
    const rstEvent = lines.findIndex((l) => l.conn === 3 && l.flags === 'R.');
    assert.equal(
      (lines[rstEvent + 1] as { id?: number }).id,
      3,
      'the record follows the segment that ended it',
    );
    // Without the events, the records are conns' records (printed at each close).
    assert.equal(
      byId(
        lines
          .filter((l) => l.provisional !== true)
          .map((l) => JSON.stringify(l))
          .join('\n'),
      ),
      byId(
        conns(EXAMPLE, '--json')
          .trim()
          .split('\n')
          .map((l) => JSON.stringify(JSON.parse(l)))
          .join('\n'),
      ),
    );
  });

  test('tcpdump missing: one clear line, exit 2', () => {
    const argv = synackArgv('live', '-i', 'lo');
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: '/nonexistent' },
    });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^synack live: tcpdump is not installed .*\n$/);
  });
});

const netnsOk = canUseNetns() && hasCommand('tcpdump');

describe('live on a tcpdump capture', { skip: netnsOk ? false : 'needs root, ip netns and tcpdump' }, () => {
  const ns = new Netns(`synack-l-${process.pid % 100000}`);
  const agents: Agent[] = [];
  after(() => {
    for (const a of agents) a.kill();
    ns.delete();
  });

  test('records while capturing, the open ones on SIGINT, exit 0; a bad filter is one line, exit 2', async () => {
    const bad = spawnSync(
      'ip',
      ['netns', 'exec', ns.name, ...synackArgv('live', '-i', 'lo', 'tcp', 'port', 'banana')],
      { encoding: 'utf8', cwd: REPO_ROOT },
    );
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^synack live: tcpdump failed: .+\n$/m);

    const argv = [
      'ip',
      'netns',
      'exec',
      ns.name,
      ...synackArgv('live', '-i', 'lo', '--json', '--events', 'tcp', 'port', '8900'),
    ];
    // Every wait below is on what synack prints (a provisional event line per state change, a
    // record when a connection is over), never on a guess of how long the kernel or tcpdump takes.
    const { proc: p, out, until } = spawnGathering(argv);
    type Line = {
      provisional?: true;
      conn?: number;
      id?: number;
      states: { orig: string | string[]; resp: string | string[] };
    };
    const lines = (o: { stdout: string }) =>
      o.stdout
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l) as Line);
    const sawEvent = (conn: number, orig: string, resp: string) => (o: { stdout: string }) =>
      lines(o).some(
        (l) => l.provisional && l.conn === conn && l.states.orig === orig && l.states.resp === resp,
      );
    await until('tcpdump listening', (o) => /listening on lo/.test(o.stderr));
    assert.match(out.stderr, /synack live: (tcpdump: )?listening on lo/);
    const a = new Agent(ns);
    agents.push(a);
    await a.cmd({ op: 'listen', id: 'L', host: '127.0.0.1', port: 8900 });
    await a.cmd({ op: 'connect', id: 'fin', host: '127.0.0.1', port: 8900 });
    await a.cmd({ op: 'connect', id: 'rst', host: '127.0.0.1', port: 8900 });
    await a.cmd({ op: 'accepted', server: 'L', n: 2 });
    await a.cmd({ op: 'reset', id: 'rst' });
    await a.cmd({ op: 'end', id: 'fin' });
    // The server closes only once the client's FIN is acked alone (FIN_WAIT_2): closing at once
    // would let Linux merge that ACK into its own FIN (FIN_WAIT_1 → TIME_WAIT).
    await until('the ACK of the client FIN', sawEvent(1, 'FIN_WAIT_2', 'CLOSE_WAIT'));
    await a.cmd({ op: 'end', id: 'L.1' });
    // The reset connection is over: its record comes while tcpdump still runs.
    await until('the reset connection’s record', (o) => lines(o).some((l) => l.id === 2));
    const first = lines(out).find((l) => !l.provisional) as unknown as {
      id: number;
      close: string;
      handshake: string;
    };
    assert.deepEqual([first.id, first.close, first.handshake], [2, 'orig-reset', 'complete']);
    // The client's last ACK has passed through tcpdump: the server is CLOSED.
    await until('the last ACK', sawEvent(1, 'TIME_WAIT', 'CLOSED'));
    p.kill('SIGINT');
    await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
    assert.equal(p.exitCode, 0, out.stderr);
    const recs = lines(out).filter((l) => !l.provisional) as unknown as {
      id: number;
      states: { orig: string[]; resp: string[] };
      conn_state: string;
    }[];
    assert.deepEqual(
      recs.map((r) => r.id),
      [2, 1],
    );
    assert.deepEqual(recs[1]!.states.orig, [
      'CLOSED',
      'SYN_SENT',
      'ESTABLISHED',
      'FIN_WAIT_1',
      'FIN_WAIT_2',
      'TIME_WAIT',
    ]);
    assert.deepEqual(recs[1]!.states.resp, [
      'LISTEN',
      'SYN_RECEIVED',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'LAST_ACK',
      'CLOSED',
    ]);
    assert.equal(recs[1]!.conn_state, 'SF');
  });
});

test('a capture command that fails says why with its first error line, the one naming the culprit', async (t) => {
  const dir = tempDir('synack-fake-tcpdump', t);
  const fake = join(dir, 'tcpdump');
  writeFileSync(
    fake,
    "#!/bin/sh\necho 'tcpdump: eth9: No such device exists' >&2\necho '(No such device exists)' >&2\nexit 1\n",
  );
  chmodSync(fake, 0o755);
  const capture = startTcpdump('eth9', [], () => {}, fake);
  capture.stream.resume();
  assert.equal(await capture.done, `${fake} failed: eth9: No such device exists`);
});
