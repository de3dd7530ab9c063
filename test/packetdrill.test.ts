// packetdrill in the lab (src/lab/packetdrill-*.ts): Linux's own lifecycle scripts
// (test/corpus/packetdrill, google/packetdrill gtests/net/tcp) pass against the endpoint's linux
// personality; a script the stack does not follow fails at the right line with packetdrill's
// wording; what the lab does not model is refused by name; `synack lab run FILE.pkt` exits 0, 3
// or 4 and its capture reads back with the true states.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { labPacketdrill } from '../src/lab/packetdrill-lab.js';
import { type PacketdrillOptions, runPacketdrill } from '../src/lab/packetdrill-run.js';
import {
  PacketdrillSyntaxError,
  PacketdrillUnsupported,
  parsePacketdrill,
} from '../src/lab/packetdrill-syntax.js';
import { PACKETDRILL_CORPUS, REPO_ROOT } from './helpers/paths.js';
import { synack } from './helpers/synack-cli.js';

function scripts(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(PACKETDRILL_CORPUS, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(PACKETDRILL_CORPUS, dir.name))) {
      if (f.endsWith('.pkt')) out.push(`${dir.name}/${f}`);
    }
  }
  return out.sort();
}

function include(script: string): (p: string) => string | undefined {
  return (p) => {
    const full = resolve(dirname(script), p);
    return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  };
}

function run(rel: string, opts: PacketdrillOptions = {}, edit?: (text: string) => string) {
  const path = join(PACKETDRILL_CORPUS, rel);
  const text = readFileSync(path, 'utf8');
  return runPacketdrill(edit ? edit(text) : text, rel, { include: include(path), ...opts });
}

/**
 * Corpus scripts that do not pass, with the reason. Each is asserted to still fail where it
 * does (so a fix shows up here).
 */
const KNOWN: Record<string, { line: number; reason: string }> = {};

describe('the 21 packetdrill lifecycle scripts under --stack linux', () => {
  const all = scripts();
  test('the corpus has the 21 scripts, LICENSE and MANIFEST', () => {
    assert.equal(all.length, 21);
    assert.ok(existsSync(join(PACKETDRILL_CORPUS, 'LICENSE-packetdrill.txt')));
    const manifest = readFileSync(join(PACKETDRILL_CORPUS, 'MANIFEST.tsv'), 'utf8');
    for (const s of all) assert.ok(manifest.includes(`${s}\t`), `${s} in MANIFEST.tsv`);
  });
  for (const rel of all) {
    const known = KNOWN[rel];
    test(rel, () => {
      const r = run(rel);
      if (known) {
        assert.equal(r.passed, false, `${rel} passes now: remove it from KNOWN`);
        assert.equal(r.failure?.line, known.line, r.failure?.message);
        return;
      }
      assert.equal(
        r.passed,
        true,
        `line ${r.failure?.line}: ${r.failure?.message}\n${r.failure?.script}\n${r.failure?.actual}`,
      );
    });
  }
});

describe('checks fail as packetdrill fails', () => {
  test('a wrong ACK number: the line, the field, expected vs actual', () => {
    const r = run('close/close-remote-fin-then-close.pkt', {}, (t) =>
      t.replace('+0 > . 1:1(0) ack 2', '+0 > . 1:1(0) ack 3'),
    );
    assert.equal(r.passed, false);
    assert.equal(r.failure?.line, 20);
    assert.match(
      r.failure!.message,
      /live packet field tcp_ack_seq: expected: 3 \(0x3\) vs actual: 2 \(0x2\)/,
    );
    assert.match(r.failure!.script!, / \. 1:1\(0\) ack 3$/);
    assert.match(r.failure!.actual!, / \. 1:1\(0\) ack 2 win \d+$/);
  });

  test('a segment expected later than the stack sends it: a timing error', () => {
    const r = run('close/close-remote-fin-then-close.pkt', {}, (t) =>
      t.replace(
        ' +.01 close(4) = 0\n   +0 > F. 1:1(0) ack 2',
        ' +.01 close(4) = 0\n   +.05 > F. 1:1(0) ack 2',
      ),
    );
    assert.equal(r.passed, false);
    assert.match(
      r.failure!.message,
      /^timing error: expected outbound packet at 0\.07\d+ sec but happened at 0\.02\d+ sec; tolerance 0\.004000 sec$/,
    );
  });

  test('wrong options and a wrong result are caught', () => {
    const opts = run('blocking/blocking-accept.pkt', {}, (t) =>
      t.replace('<mss 1460,nop,wscale 8>', '<mss 1460,nop,wscale 7>'),
    );
    assert.equal(opts.failure?.message, 'bad outbound TCP options');
    const result = run('shutdown/shutdown-wr-close.pkt', {}, (t) =>
      t.replace('= -1 EPIPE (Broken pipe)', '= 1000'),
    );
    assert.match(result.failure!.message, /write\(\): expected result 1000 but got -1 with errno EPIPE/);
  });

  test('--tcp_ts_tick_usecs checks the TS val the stack sends', () => {
    const script = (val: number) =>
      `--tcp_ts_tick_usecs=1000\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n` +
      `+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 20000 <mss 1000,sackOK,TS val 100 ecr 0>\n` +
      `+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 100>\n` +
      `+.1 < . 1:1(0) ack 1 win 20000 <nop,nop,TS val 200 ecr 100>\n+0 accept(3, ..., ...) = 4\n` +
      `+1 close(4) = 0\n+0 > F. 1:1(0) ack 1 <nop,nop,TS val ${val} ecr 200>\n`;
    // 1.1 s after the SYN+ACK's TS val 100, at a 1 ms tick.
    assert.equal(runPacketdrill(script(1200), 'ts').passed, true);
    assert.equal(
      runPacketdrill(script(1300), 'ts').failure?.message,
      'bad outbound TCP timestamp value, tolerance 4000',
    );
  });

  test('the RFC 9293 personality differs from Linux where the docs say', () => {
    // RFC 9293 stack: the FIN's ACK waits for the 40 ms delayed-ACK timer; Linux's ato is 0
    // before any data arrived, so it leaves at the next tick.
    const r = run('close/close-remote-fin-then-close.pkt', { stack: 'rfc9293' });
    assert.equal(r.passed, false);
    assert.equal(r.failure?.line, 20);
    assert.match(
      r.failure!.message,
      /^timing error: expected outbound packet at 0\.01\d+ sec but happened at 0\.05\d+ sec/,
    );
    // No tail loss probe: the FIN is resent by the RTO, not 2·SRTT after.
    assert.equal(run('shutdown/shutdown-rdwr-write-queue-close.pkt', { stack: 'rfc9293' }).passed, false);
  });
});

describe('the subset', () => {
  test('unsupported features are named with their line', () => {
    const cases: [string, RegExp][] = [
      ['0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n', /line 1: unsupported: socket type SOCK_DGRAM/],
      ['0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < udp (100)\n', /line 2: unsupported: UDP packets/],
      [
        '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 poll([], 0, 0) = 0\n',
        /line 2: unsupported: system call poll\(\)/,
      ],
      [
        '`sysctl -q net.ipv4.tcp_ecn=1`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n',
        /unsupported: sysctl net.ipv4.tcp_ecn=1/,
      ],
      [
        '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ print(tcpi_rtt) }%\n',
        /line 2: unsupported: Python code/,
      ],
    ];
    for (const [text, want] of cases) {
      assert.throws(
        () => runPacketdrill(text, 'x'),
        (e: unknown) => e instanceof PacketdrillUnsupported && want.test(e.message),
      );
    }
  });

  test('closing a listener resets what it had not accepted; SO_ERROR reports a refused connect once', () => {
    const listener = runPacketdrill(
      '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n' +
        '+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>\n+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n' +
        '+.1 < . 1:1(0) ack 1 win 257\n+0 close(3) = 0\n+0 > R. 1:1(0) ack 1\n',
      'listener',
    );
    assert.equal(listener.passed, true, listener.failure?.message);
    const refused = (value: string) =>
      runPacketdrill(
        '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n' +
          '+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n+0 > S 0:0(0) <...>\n' +
          `+.01 < R. 0:0(0) ack 1 win 0\n+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [${value}], [4]) = 0\n` +
          '+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n',
        'refused',
      );
    assert.equal(refused('ECONNREFUSED').passed, true, refused('ECONNREFUSED').failure?.message);
    assert.match(refused('0').failure!.message, /getsockopt SO_ERROR: expected 0 but found 111/);
  });

  test('TCP_USER_TIMEOUT: unacknowledged data for that long ends the connection (ETIMEDOUT)', () => {
    const script = (timeoutMs: number, then: string) =>
      '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n' +
      '+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop>\n+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>\n' +
      '+.1 < . 1:1(0) ack 1 win 32792\n+0 accept(3, ..., ...) = 4\n' +
      `+0 setsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [${timeoutMs}], 4) = 0\n` +
      '+0 write(4, ..., 100) = 100\n+0 > P. 1:101(100) ack 1\n' +
      // The loss probe 300 ms on (min(2·SRTT + rto_min, RTO)), then the RTO 300 ms later.
      '+.3 > P. 1:101(100) ack 1\n+.3 > P. 1:101(100) ack 1\n' +
      then;
    const dead = runPacketdrill(
      script(1000, '+2 read(4, ..., 100) = -1 ETIMEDOUT (Connection timed out)\n'),
      'ut',
    );
    assert.equal(dead.passed, true, dead.failure?.message);
    // Without the option the connection lives on: the next RTO (600 ms) retransmits again.
    const alive = runPacketdrill(script(0, '+.6 > P. 1:101(100) ack 1\n'), 'ut');
    assert.equal(alive.passed, true, alive.failure?.message);
  });

  test('syntax errors say the line', () => {
    assert.throws(
      () => parsePacketdrill('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:5(0) win 100\n'),
      (e: unknown) =>
        e instanceof PacketdrillSyntaxError &&
        /^line 2: sequence range 0:5 does not match length 0$/.test(e.message),
    );
  });

  test('packetdrill event times: relative, absolute, ranges and blocking ends', () => {
    const s = parsePacketdrill(
      '--tolerance_usecs=10000\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+.1...0.200 connect(3, ..., ...) = 0\n0.3~0.4 < . 1:1(0) ack 1 win 5\n+.3~+.400 > F. 1:1(0) ack 1\n* > . 1:1(0) ack 2 <...>\n',
    );
    assert.equal(s.options.tolerance_usecs, '10000');
    assert.deepEqual(
      s.events.map((e) => e.time),
      [
        { kind: 'absolute', start: 0 },
        { kind: 'relative', start: 100_000 },
        { kind: 'absolute', start: 300_000, end: 400_000 },
        { kind: 'relative', start: 300_000, end: 400_000 },
        { kind: 'any', start: 0 },
      ],
    );
    assert.deepEqual(s.events[1].action, {
      type: 'syscall',
      name: 'connect',
      args: [{ k: 'int', v: 3 }, { k: 'ellipsis' }, { k: 'ellipsis' }],
      result: { k: 'int', v: 0 },
      endUs: 200_000,
    });
  });
});

const EXAMPLES = join(REPO_ROOT, 'examples', 'packetdrill');

describe('the seed articles as packetdrill scripts (examples/packetdrill)', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.pkt'));
  test('there are the articles\u2019 situations', () => {
    assert.ok(files.length >= 10, files.join(' '));
  });
  // Where the analyzer honestly says UNKNOWN (PRODUCT.md's silence rule): the scripted peer says
  // nothing until the stack under test sends again, and the capture, beside that stack, cannot
  // tell a segment lost on the way from an answer lost on the way back (no timestamps to name it).
  const DOUBT: Record<string, string[]> = {
    'syn-retransmit.pkt': ['1 resp', '2 resp'],
    'synack-retransmit.pkt': ['2 orig'],
  };
  for (const f of files) {
    test(`${f}: passes, and the per-frame truth equals what the analyzer reads from its capture`, () => {
      const { result, lab } = labPacketdrill(readFileSync(join(EXAMPLES, f), 'utf8'), f);
      assert.equal(result.passed, true, `line ${result.failure?.line}: ${result.failure?.message}`);
      assert.equal(lab.connections.length, 1);
      const truth = lab.connections.flatMap((c) => c.timeline.packets);
      // observation: the analyzer (read --json's states) on the same capture bytes.
      const inferred = lab.observation.timelines.flatMap((t) => t.packets);
      assert.deepEqual(
        inferred.map((p) => `${p.frame} ${p.from}`),
        truth.map((p) => `${p.frame} ${p.from}`),
      );
      const doubt: string[] = [];
      inferred.forEach((p, i) => {
        for (const side of ['orig', 'resp'] as const) {
          if (p.states[side] === truth[i].states[side]) continue;
          assert.equal(
            p.states[side],
            'UNKNOWN',
            `frame ${p.frame} ${side}: ${p.states[side]}, true ${truth[i].states[side]}`,
          );
          doubt.push(`${p.frame} ${side}`);
        }
      });
      assert.deepEqual(doubt, DOUBT[f] ?? []);
    });
  }
});

describe('synack lab run FILE.pkt', () => {
  test('exit 0 on a pass; the capture reads back with the true state of every frame', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c15-pkt-'));
    try {
      const out = join(dir, 'run.pcap');
      const script = join(PACKETDRILL_CORPUS, 'close', 'close-local-close-then-remote-fin.pkt');
      const r = synack(['lab', 'run', script, '-w', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /packetdrill script, the client under test \(linux stack\): passed/);
      assert.match(r.stdout, /final: client TIME_WAIT, server CLOSED/);
      const read = synack(['read', '--json', out]);
      assert.equal(read.code, 0, read.stderr);
      const lab = labPacketdrill(readFileSync(script, 'utf8'), 'x', { include: include(script) }).lab;
      const truth = lab.connections.flatMap((c) =>
        c.timeline.packets.map((p) => `${p.frame} ${p.states.orig} ${p.states.resp}`),
      );
      const inferred = read.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((p) => `${p.frame} ${p.states.orig} ${p.states.resp}`);
      assert.deepEqual(inferred, truth);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('exit 3 with packetdrill’s report when the stack does something else; 4 when unsupported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c15-pkt-'));
    try {
      const bad = join(dir, 'bad.pkt');
      const text = readFileSync(join(PACKETDRILL_CORPUS, 'close', 'close-remote-fin-then-close.pkt'), 'utf8');
      writeFileSync(bad, text.replace('+0 > . 1:1(0) ack 2', '+0 > . 1:1(0) ack 3'));
      const r = synack(['lab', 'run', bad]);
      assert.equal(r.code, 3);
      assert.match(
        r.stderr,
        /bad\.pkt:20: error handling packet: live packet field tcp_ack_seq: expected: 3 \(0x3\) vs actual: 2 \(0x2\)\nscript packet: {2}0\.0\d+ \. 1:1\(0\) ack 3\nactual packet: {2}0\.0\d+ \. 1:1\(0\) ack 2 win \d+\n/,
      );
      const unsupported = join(dir, 'udp.pkt');
      writeFileSync(unsupported, '0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n');
      const u = synack(['lab', 'run', unsupported]);
      assert.equal(u.code, 4);
      assert.match(u.stderr, /udp\.pkt:1: unsupported: socket type SOCK_DGRAM/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
