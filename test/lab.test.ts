// The lab: the scheduler's stable order, the link's fault rules, the taps, determinism, and every
// built-in scenario run to quiescence with its endpoints' true states checked; the captures are
// read back by tcpdump (skipped only when tcpdump is absent).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { Link } from '../src/lab/link.js';
import { Network } from '../src/lab/network.js';
import { runScenario, type Scenario, stateAt } from '../src/lab/scenario.js';
import { BUILTIN_SCENARIOS, findScenario } from '../src/lab/scenarios/index.js';
import { Scheduler } from '../src/lab/scheduler.js';
import { seededRandom } from '../src/tcp/random.js';
import type { Segment } from '../src/tcp/segment.js';
import { stateFromName } from '../src/tcp/state.js';
import { TRANSITIONS } from '../src/tcp/transitions.js';
import { ACK, FIN, SYN } from '../src/wire/packet.js';
import { pcapBytes } from '../src/wire/pcap-writer.js';
import { hasTcpdump } from './helpers/tools.js';

const ISSUE_5_NAMES = [
  'client-close',
  'server-close',
  'merged-fin-ack',
  'refused',
  'syn-lost',
  'synack-lost',
  'third-ack-lost-silent',
  'third-ack-lost-data',
  'third-ack-lost-server-first',
  'old-duplicate-syn',
  'simultaneous-open',
  'syn-flood',
  'simultaneous-close',
  'half-close',
  'client-abort',
  'forged-rst-in-window',
  'forged-rst-out-of-window',
  'time-wait-port-reuse',
  'port-exhaustion',
  'keepalive',
  'zero-window',
  'data-loss',
];
/** The teaching scenarios issue 16 added. */
const ISSUE_16_NAMES = [
  'last-ack-lost',
  'fin-with-data',
  'forged-rst-success',
  'accept-queue-full',
  'accept-queue-abort',
  'tcp-fast-open',
];

function tcpdump(pcap: Uint8Array, extra: string[] = []): string[] {
  const r = spawnSync('tcpdump', ['-n', '-tt', '-r', '-', ...extra], { input: pcap, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

function seg(flags: number, payload = 0): Segment {
  return {
    srcPort: 1,
    dstPort: 2,
    seq: 0,
    ack: 0,
    flags,
    window: 0,
    options: {},
    payload: new Uint8Array(payload),
  };
}

/** Every consecutive pair of true states is a row of the one transition table. */
function assertTableTransitions(states: string[], where: string): void {
  for (let i = 1; i < states.length; i++) {
    const from = stateFromName(states[i - 1]);
    const to = stateFromName(states[i]);
    const row = TRANSITIONS.find((t) => t.from === from && t.to === to);
    assert.ok(row, `${where}: ${states[i - 1]} → ${states[i]} is not in the transition table`);
  }
}

describe('scheduler', () => {
  test('orders by time, then by insertion; the clock follows', () => {
    const s = new Scheduler<string>();
    s.schedule(20, 'c');
    s.schedule(10, 'a');
    s.schedule(20, 'd');
    s.schedule(10, 'b');
    s.schedule(5, 'first');
    const order: string[] = [];
    for (let e = s.next(); e; e = s.next()) order.push(`${e.at}:${e.item}`);
    assert.deepEqual(order, ['5:first', '10:a', '10:b', '20:c', '20:d']);
    assert.equal(s.now, 20);
  });
  test('1000 equal-time events come out in insertion order', () => {
    const s = new Scheduler<number>();
    for (let i = 0; i < 1000; i++) s.schedule(7, i);
    const out: number[] = [];
    for (let e = s.next(); e; e = s.next()) out.push(e.item);
    assert.deepEqual(out, [...Array(1000).keys()]);
  });
});

describe('link', () => {
  test('drops exactly the Nth matching segment in the given direction', () => {
    const link = new Link(
      { latencyUs: 1000, rules: [{ match: 'SYN', dir: 'c2s', nth: 2, action: 'drop' }] },
      seededRandom(1),
    );
    const arrivals = [0, 1, 2, 3].map((i) => link.route(i, 'c2s', seg(SYN))[0].arriveAt);
    assert.deepEqual(arrivals, [1000, undefined, 1002, 1003]);
    assert.equal(link.route(10, 's2c', seg(SYN))[0].arriveAt, 1010, 'other direction untouched');
  });
  test('a drop before the middle hides the segment from the middle tap too', () => {
    const link = new Link(
      { latencyUs: 1000, rules: [{ action: 'drop', where: 'before-mid' }] },
      seededRandom(1),
    );
    assert.deepEqual(link.route(0, 'c2s', seg(ACK)), [{ midAt: undefined, arriveAt: undefined }]);
  });
  test('duplicate makes two copies; delay adds latency', () => {
    const link = new Link(
      {
        latencyUs: 1000,
        rules: [
          { match: 'FIN', action: 'duplicate' },
          { match: 'DATA', action: 'delay', delayUs: 500 },
        ],
      },
      seededRandom(1),
    );
    assert.equal(link.route(0, 'c2s', seg(FIN | ACK)).length, 2);
    assert.equal(link.route(0, 's2c', seg(ACK, 10))[0].arriveAt, 1500);
  });
  test('probabilistic loss follows the seed exactly', () => {
    const pattern = (seed: number) => {
      const link = new Link({ lossProbability: 0.3 }, seededRandom(seed));
      return Array.from({ length: 50 }, (_, i) =>
        link.route(i, 'c2s', seg(ACK))[0].arriveAt === undefined ? 'x' : '.',
      ).join('');
    };
    assert.equal(pattern(42), pattern(42));
    assert.notEqual(pattern(42), pattern(43));
    const lost = pattern(42).split('x').length - 1;
    assert.ok(lost > 5 && lost < 30, `${lost} of 50 lost at p=0.3`);
  });
  test('jitter keeps a direction FIFO unless reordering is allowed', () => {
    const arrivals = (reorder: boolean) => {
      const link = new Link({ latencyUs: 1000, jitterUs: 5000, reorder }, seededRandom(3));
      return Array.from({ length: 20 }, (_, i) => link.route(i * 10, 'c2s', seg(ACK))[0].arriveAt!);
    };
    const fifo = arrivals(false);
    assert.deepEqual(
      fifo,
      [...fifo].sort((a, b) => a - b),
    );
    const loose = arrivals(true);
    assert.notDeepEqual(
      loose,
      [...loose].sort((a, b) => a - b),
      'jitter 5 ms over 10 µs gaps reorders',
    );
  });
});

describe('network', () => {
  test('taps: the sender side sees its own segments at once, the far side after the latency, the middle halfway', () => {
    const net = new Network({
      seed: 1,
      client: { name: 'client', ip: '10.0.0.1' },
      server: { name: 'server', ip: '10.0.0.2' },
      link: { latencyUs: 10_000 },
    });
    net.listen(80);
    net.at(0, (n) => n.connect(80));
    net.run();
    assert.deepEqual(
      net.taps.client.map((f) => f.at),
      [0, 20_000, 20_000],
    );
    assert.deepEqual(
      net.taps.mid.map((f) => f.at),
      [5_000, 15_000, 25_000],
    );
    assert.deepEqual(
      net.taps.server.map((f) => f.at),
      [10_000, 10_000, 30_000],
    );
  });
  test('forgeries enter at the middle with the chosen TTL and are never seen by the claimed sender', () => {
    const net = new Network({
      seed: 1,
      client: { name: 'client', ip: '10.0.0.1' },
      server: { name: 'server', ip: '10.0.0.2' },
    });
    net.listen(80);
    net.at(0, (n) => n.inject({ from: 'client', srcPort: 1234, dstPort: 80, seq: 5, flags: 'R', ttl: 33 }));
    net.run();
    assert.equal(net.taps.client.length, 0);
    assert.equal(net.taps.mid.length, 1);
    assert.equal(net.taps.mid[0].data[14 + 8], 33, 'IPv4 TTL byte');
    assert.equal(net.taps.server.length, 1, 'a RST to a listening port is ignored: no answer');
  });
});

describe('built-in scenarios', () => {
  test('exactly the names issues 5 and 16 list, each with a description', () => {
    assert.deepEqual(
      BUILTIN_SCENARIOS.map((s) => s.name).sort(),
      [...ISSUE_5_NAMES, ...ISSUE_16_NAMES].sort(),
    );
    for (const s of BUILTIN_SCENARIOS) assert.ok(s.description.length > 20, s.name);
  });

  for (const scenario of BUILTIN_SCENARIOS) {
    test(`${scenario.name}: true states as expected, every change a table row`, () => {
      const r = runScenario(scenario);
      assert.ok(scenario.expect, 'every built-in scenario states its expected truth');
      for (const [label, sides] of Object.entries(scenario.expect)) {
        for (const side of ['client', 'server'] as const) {
          const want = sides[side];
          if (!want) continue;
          assert.deepEqual(r.endpoint(label, side)?.states, want, `${label} ${side}`);
        }
      }
      for (const e of r.endpoints) assertTableTransitions(e.states, `${scenario.name} #${e.id} ${e.host}`);
      for (const e of r.endpoints) {
        const times = e.timeline.map((t) => t.at);
        assert.deepEqual(
          times,
          [...times].sort((a, b) => a - b),
          'state times never go back',
        );
      }
    });
  }

  test('third-ack-lost-silent: the server retransmits SYN+ACK after 1 s and the client answers it', () => {
    const r = runScenario(findScenario('third-ack-lost-silent')!);
    const lines = tcpdumpOrNull(r.pcap('server'));
    const server = r.endpoint('c1', 'server')!;
    assert.equal(server.timeline.find((t) => t.state === 'ESTABLISHED')!.at, 1_030_000);
    if (lines) {
      const synAcks = lines.filter((l) => l.includes('Flags [S.]'));
      assert.equal(synAcks.length, 2);
      assert.match(synAcks[1], /^1767225601\.010000 /);
    }
  });

  test('old-duplicate-syn: the client answers the stale SYN+ACK with RST (SEQ = its ACK), the server goes back to LISTEN', () => {
    const r = runScenario(findScenario('old-duplicate-syn')!);
    const server = r.endpoints.filter((e) => e.host === 'server');
    assert.deepEqual(server[0].states, ['LISTEN', 'SYN_RECEIVED', 'LISTEN']);
    const lines = tcpdumpOrNull(r.pcap('mid'));
    if (lines)
      assert.ok(
        lines.some((l) => /Flags \[R\], seq 91,/.test(l)),
        lines.join('\n'),
      );
  });

  test('forged-rst-in-window draws exactly one challenge ACK; out-of-window none', () => {
    for (const [name, challenges] of [
      ['forged-rst-in-window', 1],
      ['forged-rst-out-of-window', 0],
    ] as const) {
      const net = runScenario(findScenario(name)!);
      const server = net.frames.server;
      // After the forged RST reaches the server (205 ms), the next server frame within 1 ms is the challenge ACK.
      const quick = server.filter((f) => f.at >= 205_000 && f.at < 206_000);
      assert.equal(quick.length, 1 + challenges, name);
    }
  });

  test('port-exhaustion: connect() fails once the 10 ports are all in TIME_WAIT, and resumes as they expire', () => {
    const r = runScenario(findScenario('port-exhaustion')!);
    const failed = r.notes.filter((n) => n.text.includes('EADDRNOTAVAIL'));
    const made = r.endpoints.filter((e) => e.host === 'client').length;
    assert.equal(made + failed.length, 30);
    assert.ok(made >= 10 && made < 30, `${made} connections made`);
    assert.equal(failed[0].at, 1_000_000, 'the 11th attempt (1.0 s) finds no port');
    const ports = new Set(r.endpoints.filter((e) => e.host === 'client').map((e) => e.local.port));
    assert.equal(ports.size, 10);
  });
});

function tcpdumpOrNull(pcap: Uint8Array): string[] | null {
  return hasTcpdump ? tcpdump(pcap) : null;
}

describe('captures', () => {
  test('the same seed gives the same bytes; another seed other ISNs', () => {
    const sc = findScenario('client-close')!;
    assert.deepEqual(runScenario(sc, { seed: 5 }).pcap('mid'), runScenario(sc, { seed: 5 }).pcap('mid'));
    assert.notDeepEqual(runScenario(sc, { seed: 5 }).pcap('mid'), runScenario(sc, { seed: 6 }).pcap('mid'));
  });

  test('every scenario at every tap opens in tcpdump with one line per frame, from its epoch', (t) => {
    if (!hasTcpdump) return t.skip('tcpdump not installed');
    // One capture per tap holding every scenario, each from its own epoch (an hour apart), so
    // tcpdump runs three times rather than sixty-three.
    const runs = BUILTIN_SCENARIOS.map((sc, i) => runScenario(sc, { epoch: 1767225600 + 3600 * i }));
    for (const tap of ['client', 'server', 'mid'] as const) {
      const frames = runs.flatMap((r) =>
        r.frames[tap].map((f) => ({
          tsSec: r.epoch + Math.floor(f.at / 1e6),
          tsNsec: (f.at % 1e6) * 1000,
          data: f.data,
        })),
      );
      const lines = tcpdump(pcapBytes(frames));
      runs.forEach((r, i) => {
        const mine = lines.filter((l) => Math.floor((Number(l.split(' ')[0]) - 1767225600) / 3600) === i);
        assert.equal(mine.length, r.frames[tap].length, `${r.scenario} at the ${tap} tap`);
        assert.ok(
          // syn-flood's spoofed sources are in 198.18.0.0/15 (RFC 2544's benchmark network).
          mine.every((l) =>
            / IP (10\.0\.0\.[12]|198\.18\.0\.\d+)\.\d+ > (10\.0\.0\.[12]|198\.18\.0\.\d+)\.\d+: Flags \[/.test(
              l,
            ),
          ),
          r.scenario,
        );
      });
    }
    // And the runner's own pcap (one scenario, one tap) reads the same.
    assert.equal(tcpdump(runs[0].pcap('mid')).length, runs[0].frames.mid.length);
  });

  test('IPv6 hosts and a chosen epoch', (t) => {
    const sc: Scenario = {
      ...findScenario('client-close')!,
      client: { ip: 'fd00::1' },
      server: { ip: 'fd00::2' },
    };
    const r = runScenario(sc, { epoch: 1_700_000_000 });
    assert.deepEqual(r.endpoint('c1', 'client')!.states, sc.expect!.c1.client);
    if (!hasTcpdump) return t.skip('tcpdump not installed');
    const lines = tcpdump(r.pcap('client'));
    assert.match(lines[0], /^1700000000\.000000 IP6 fd00::1\.\d+ > fd00::2\.80: Flags \[S\]/);
  });

  test('random loss and reordering over many seeds: always quiescent, every state change a table row', () => {
    const base = findScenario('half-close')!;
    for (let seed = 1; seed <= 100; seed++) {
      const sc: Scenario = { ...base, link: { loss: 0.15, jitter: 8, reorder: true, duplicate: 0.05 } };
      const r = runScenario(sc, { seed });
      for (const e of r.endpoints) assertTableTransitions(e.states, `seed ${seed} #${e.id} ${e.host}`);
    }
  });
});

describe('truth records', () => {
  test('each change carries its table row and reason; stateAt reads the state at any instant', () => {
    const r = runScenario(findScenario('client-close')!);
    const client = r.endpoint('c1', 'client')!;
    assert.deepEqual(client.timeline[0], { at: 0, state: 'CLOSED' });
    const fw1 = client.timeline.find((t) => t.state === 'FIN_WAIT_1')!;
    assert.equal(fw1.rfc, '3.10.4');
    assert.equal(fw1.reason, 'close');
    const server = r.endpoint('c1', 'server')!;
    assert.deepEqual(server.timeline[0], { at: 10_000, state: 'LISTEN' });
    assert.equal(server.timeline[1].reason, 'SYN received');
    assert.equal(stateAt(server, 9_999), 'LISTEN');
    assert.equal(stateAt(server, 10_000), 'SYN_RECEIVED');
    assert.equal(stateAt(client, 1_000_000), 'TIME_WAIT');
  });
});

describe('wire copies', () => {
  test('every captured frame names its sender and receiver endpoints; a lost one has no arrival', () => {
    const r = runScenario(findScenario('third-ack-lost-silent')!);
    const client = r.endpoint('c1', 'client')!;
    const server = r.endpoint('c1', 'server')!;
    const mid = r.frames.mid;
    const lost = mid.filter((f) => f.wire.arriveAt === undefined);
    assert.equal(lost.length, 1, 'the third ACK');
    assert.equal(lost[0].wire.sender, client.id);
    assert.equal(lost[0].wire.receiver, undefined);
    // The retransmitted SYN+ACK: sent by the server in SYN_RECEIVED, processed by the client.
    const synAcks = mid.filter((f) => f.wire.from === 'server' && f.data[14 + 20 + 13] === (SYN | ACK));
    assert.equal(synAcks.length, 2);
    assert.equal(synAcks[1].wire.receiver, client.id);
    assert.equal(stateAt(server, synAcks[1].wire.sentAt), 'SYN_RECEIVED');
    assert.equal(stateAt(client, synAcks[1].wire.arriveAt!), 'ESTABLISHED');
    assert.ok(
      r.frames.server.every(
        (f) => f.wire.arriveAt === undefined || f.wire.from === 'server' || f.wire.receiver !== undefined,
      ),
    );
  });
});
