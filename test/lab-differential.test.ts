// The lab as the analyzer's test bench (PRODUCT.md "The lab"): for every built-in scenario and
// every capture point, `conns --json`'s states (the analyzer run in memory through the flow
// table the CLI wires, src/lab/observe.ts) equal the endpoints' true state sequences, endpoints
// matched by address and port; with random loss, reordering and duplication over hundreds of
// seeds, inferred states minus UNKNOWN are a subsequence of the truth and `final` is the true
// final or UNKNOWN. Also `synack lab run`'s text (golden files) and JSON, and scenario files.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadScenario } from '../src/cli/cmd-lab.js';
import { type LabRun, labFrameLines, labJsonLines, labRun, labTextLines } from '../src/lab/lab-report.js';
import { TAP_NAMES } from '../src/lab/network.js';
import { parseScenario, ScenarioFileError } from '../src/lab/scenario-file.js';
import { BUILTIN_SCENARIOS, findScenario } from '../src/lab/scenarios/index.js';
import { assertGolden } from './helpers/golden.js';
import { frameVerdicts } from './helpers/lab-frames.js';
import { byEndpoint, faulty, PROPERTY_SCENARIOS, ruleViolations } from './helpers/lab-rule.js';

/** Differences between the analyzer's records and the truth at one tap (empty: identical). */
function differences(lab: LabRun): string[] {
  const truth = lab.connections.map((c) => c.record);
  const inferred = [...lab.observation.records].sort((a, b) => a.id - b.id);
  const out: string[] = [];
  if (truth.length !== inferred.length)
    out.push(`${inferred.length} connections inferred, ${truth.length} in truth`);
  for (let i = 0; i < Math.min(truth.length, inferred.length); i++) {
    const t = byEndpoint(truth[i]);
    const f = byEndpoint(inferred[i]);
    for (const [ep, states] of t) {
      const got = f.get(ep);
      if (JSON.stringify(got) !== JSON.stringify(states))
        out.push(`#${i + 1} ${ep}: inferred ${got?.join(' ')} | true ${states.join(' ')}`);
    }
  }
  return out;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const CLIENT_TIME_WAIT_PAST_END =
  '10.0.0.1:46731: inferred CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT | true CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED';
/** syn-flood's differences seen beside the server or in the middle (connection numbers as `conns`). */
const SYN_FLOOD_SERVER_SIDE = [
  // Spoofed sources never answer (UNKNOWN, not the SYN_SENT sent in their name); the half-open
  // connections expire 32 s after the last SYN+ACK, past the capture's end.
  ...range(1, 9).flatMap((n) => [
    `#${n} 198.18.0.${n}:${33000 + n}: inferred CLOSED SYN_SENT UNKNOWN | true CLOSED SYN_SENT`,
    `#${n} 10.0.0.2:80: inferred LISTEN SYN_RECEIVED | true LISTEN SYN_RECEIVED CLOSED`,
  ]),
  // SYNs the full queue dropped (tcp_syncookies=0): never answered, never retransmitted; no
  // socket ever held them (CLOSED), which auto cannot place without a handshake (UNKNOWN).
  ...range(10, 16).map((n) => `#${n} 10.0.0.2:80: inferred UNKNOWN | true CLOSED`),
  `#17 ${CLIENT_TIME_WAIT_PAST_END}`,
  // SYN cookies keep no state: the listener stays LISTEN, its SYN+ACK never resent. `conns` runs
  // with auto, which cannot place the tap for a source that never answers (mid): the resends a
  // request socket makes could have been lost before the tap, so LISTEN or SYN_RECEIVED (UNKNOWN).
  ...range(18, 21).flatMap((n) => [
    `#${n} 198.18.0.${n - 1}:${33000 + n - 1}: inferred CLOSED SYN_SENT UNKNOWN | true CLOSED SYN_SENT`,
    `#${n} 10.0.0.2:80: inferred LISTEN UNKNOWN | true LISTEN`,
  ]),
];
/**
 * Scenario × tap cases where the analyzer differs from the truth today, pinned line by line so any
 * change shows (the list may only shrink). Every other scenario is exact at every tap.
 * syn-flood (issue 16): see the comments in SYN_FLOOD_SERVER_SIDE; at the client tap only the
 * client's TIME_WAIT, which runs out at 61.6 s, after the last frame (31 s).
 */
const KNOWN: Record<string, string[]> = {
  'syn-flood client': [`#1 ${CLIENT_TIME_WAIT_PAST_END}`],
  'syn-flood server': SYN_FLOOD_SERVER_SIDE,
  'syn-flood mid': SYN_FLOOD_SERVER_SIDE,
};

describe('differential: conns on the lab capture = the lab truth, every scenario at every tap', () => {
  for (const scenario of BUILTIN_SCENARIOS) {
    for (const tap of TAP_NAMES) {
      test(`${scenario.name} @${tap}`, () => {
        const lab = labRun(scenario, { tap });
        assert.ok(lab.connections.length > 0, 'the tap saw the connection');
        assert.deepEqual(differences(lab), KNOWN[`${scenario.name} ${tap}`] ?? []);
      });
    }
  }
});

/**
 * Frames where `read --json` differs from `lab run --frames` today (frame number and verdict),
 * pinned so that any change shows; issue 17 brings them to none. Why each one differs:
 * - old-duplicate-syn frame 2 (server, mid) is in doubt: the
 *   SYN+ACK of the old SYN is "lost or rejected" (arrived null) though the client's RST
 *   <SEQ=SEG.ACK> answers it — two RSTs answer the two segments carrying that ACK.
 * - simultaneous-close (frame 11, the last): at a connection's last segment the states are those
 *   once the segments then in flight have arrived, because no later row can show the change (the
 *   state after the last packet lasts to the end of the capture, and the real-kernel recordings,
 *   scored per moment, show TIME_WAIT µs later); the truth shows the sender as it sent (CLOSING).
 *   (Beside the client, old-duplicate-syn frames 1 and 3 left the list, t16: the truth's request
 *   socket was SYN_RECEIVED at frame 1; the server's round trip is timed only from the SYN its
 *   SYN+ACK acknowledges, so the RST crossing its ACK is no longer taken for lost.)
 * - keepalive: probes lost past the tap, never answered, are in doubt beside their sender and in
 *   the middle (the probe or its answer was lost: the silence rule, b16).
 * - data-loss (client, mid): data lost past the tap, never acknowledged until resent.
 * - fin-with-data (client): close() is called before the tail leaves, so the server is FIN_WAIT_1
 *   while the client's ACKs of the first window arrive. Beside the server and in the middle the
 *   FIN leaving at once on the first ACK after the server's silence shows it (e17); beside the
 *   client the ACK that let it out is one of an interleaved flight, which the tracker does not
 *   hold (cost: every ACK of a bulk transfer would wait a round trip).
 */
const KNOWN_FRAMES: Record<string, string[]> = {
  'old-duplicate-syn server': ['2 doubt'],
  'old-duplicate-syn mid': ['2 doubt'],
  'simultaneous-close client': ['11 wrong'],
  'simultaneous-close server': ['11 wrong'],
  'simultaneous-close mid': ['11 wrong'],
  'keepalive client': ['8 doubt', '9 doubt', '10 doubt'],
  'keepalive mid': ['8 doubt', '9 doubt', '10 doubt'],
  'data-loss client': ['6 wrong', '38 wrong'],
  'data-loss mid': ['6 wrong', '38 wrong'],
  'fin-with-data client': ['25 wrong'],
};

/**
 * syn-flood's frames, counted per verdict (b16, issue 16; for issue 17): 'doubt' — the spoofed
 * source is UNKNOWN after each SYN+ACK it never answers (truly SYN_SENT, the SYN+ACK never
 * reaching it), and in the middle the 7 SYNs the full queue dropped, never answered nor resent
 * (arrived null, the server UNKNOWN: they were presumed to arrive until b16's end-of-connection silence
 * rule; beside the server, arrived false and CLOSED, as the truth), and the 4 SYN cookies'
 * SYNs and SYN+ACKs (never resent: beside the server LISTEN, as the truth; in the middle the
 * resends could have been lost before the tap, LISTEN or SYN_RECEIVED); 'wrong' — the real
 * client's SYN answered with a cookie and its handshake ACK (tracker: SYN_RECEIVED; truly
 * LISTEN, no state kept): acknowledged at once, so no silence shows the cookie, and that the
 * listener's SYN queue was full then is another connection's evidence (the explain story says it).
 */
const COUNTED_FRAMES: Record<string, Record<string, number>> = {
  'syn-flood client': { wrong: 2 },
  'syn-flood server': { doubt: 58, wrong: 2 },
  'syn-flood mid': { doubt: 69, wrong: 2 },
};

describe('per frame: read --json on the lab capture = lab run --frames, every scenario at every tap', () => {
  for (const scenario of BUILTIN_SCENARIOS) {
    for (const tap of TAP_NAMES) {
      test(`${scenario.name} @${tap}`, () => {
        const v = frameVerdicts(labRun(scenario, { tap }));
        const counted = COUNTED_FRAMES[`${scenario.name} ${tap}`];
        if (counted) {
          const n: Record<string, number> = {};
          for (const l of v.lines) {
            const k = l.replace(/^frame \d+ \((\w+)\).*/, '$1');
            n[k] = (n[k] ?? 0) + 1;
          }
          assert.deepEqual(n, counted, v.lines.join('\n'));
          return;
        }
        const got = v.lines.map((l) => l.replace(/^frame (\d+) \((\w+)\).*/, '$1 $2'));
        assert.deepEqual(got, KNOWN_FRAMES[`${scenario.name} ${tap}`] ?? [], v.lines.join('\n'));
      });
    }
  }

  test('the comparison sees a wrong state and a wrong arrival', () => {
    const lab = labRun(findScenario('client-close')!, { tap: 'client' });
    assert.deepEqual(frameVerdicts(lab).lines, []);
    const pcapBefore = lab.pcap;
    // The truth of frame 1 changed under the analyzer: a different state, then a lost segment.
    const p = lab.connections[0].timeline.packets[0];
    const saved = { ...p.states };
    p.states.resp = 'CLOSED';
    assert.match(frameVerdicts(lab).lines.join(), /^frame 1 \(wrong\)/);
    p.states = saved;
    p.arrived = false;
    assert.match(frameVerdicts(lab).lines.join(), /^frame 1 \(wrong\).*arrived true \| .*arrived false/);
    p.arrived = true;
    assert.equal(lab.pcap, pcapBefore);
  });
});

describe('property: random loss, reordering and duplication never give a wrong state', () => {
  // PRODUCT.md's rule, with the one allowance no analyzer can do without (lab-rule.ts
  // presumedArrivalStates): an empty ACK captured here but lost past the tap, whose sender's next
  // segment acknowledges as much before its receiver says anything, leaves a capture identical to
  // the lossless one, so the state its presumed arrival gives (FIN_WAIT_2 between FIN_WAIT_1 and
  // TIME_WAIT) is excused when the truth lacks it. scripts/lab-sweep.ts [--presumed] runs more
  // seeds (500 × 3 taps × 8 scenarios at 10% loss: 0.91% of runs break the strict rule, 0.14%
  // with the allowance; 27.7% before issue 5's fixes, 7.8% before the FIN-timing work).
  test('240 seeds × 3 taps over 8 scenarios (scripts/lab-sweep.ts runs more)', () => {
    const failures: string[] = [];
    let runs = 0;
    for (let seed = 1; seed <= 240; seed++) {
      const base = findScenario(PROPERTY_SCENARIOS[seed % PROPERTY_SCENARIOS.length])!;
      const sc = faulty(base, 0.1);
      for (const tap of TAP_NAMES) {
        const lab = labRun(sc, { seed, tap });
        runs++;
        for (const v of ruleViolations(lab, { presumed: true }))
          failures.push(`${base.name} seed ${seed} @${tap}: ${v}`);
      }
    }
    assert.equal(runs, 720);
    assert.deepEqual(failures, []);
  });

  test('the allowance excuses only a state a lost-past-the-tap ACK explains', () => {
    // syn-lost seed 238: the server's delayed ACK of the client's FIN is captured at the server
    // tap and lost after it; its FIN+ACK follows. The client really went FIN_WAIT_1 → TIME_WAIT.
    const lab = labRun(faulty(findScenario('syn-lost')!, 0.1), { seed: 238, tap: 'server' });
    const strict = ruleViolations(lab);
    assert.equal(strict.length, 1);
    assert.match(strict[0]!, /inferred .*FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT ⊄ true .*FIN_WAIT_1 TIME_WAIT$/);
    assert.deepEqual(ruleViolations(lab, { presumed: true }), []);
    // Any other wrong state is still one.
    const rec = lab.observation.records[0]!;
    const saved = rec.states.resp;
    rec.states.resp = [...saved.slice(0, -1), 'CLOSING', ...saved.slice(-1)];
    assert.ok(ruleViolations(lab, { presumed: true }).length >= 1);
    rec.states.resp = saved;
  });

  test('the rule checker catches a wrong state', () => {
    const lab = labRun(findScenario('client-close')!, { tap: 'mid' });
    assert.deepEqual(ruleViolations(lab), []);
    const rec = lab.observation.records[0];
    const saved = rec.states.resp;
    rec.states.resp = ['LISTEN', 'SYN_RECEIVED', 'FIN_WAIT_1'];
    assert.ok(ruleViolations(lab).length >= 1);
    rec.states.resp = saved;
  });
});

describe('synack lab run', () => {
  const GOLDEN: [string, 'client' | 'server' | 'mid'][] = [
    ['third-ack-lost-silent', 'mid'],
    ['simultaneous-open', 'server'],
    ['simultaneous-close', 'client'],
    ['forged-rst-in-window', 'mid'],
    ['keepalive', 'server'],
  ];
  for (const [name, tap] of GOLDEN) {
    test(`text of ${name} at the ${tap} tap (golden)`, () => {
      const text = `${labTextLines(labRun(findScenario(name)!, { tap })).join('\n')}\n`;
      assertGolden(`lab/${name}-${tap}.txt`, text);
    });
  }

  test('--json: the shape of conns --json, true states, orig/resp from the analyzer', () => {
    const lab = labRun(findScenario('simultaneous-open')!, { tap: 'server' });
    const lines = labJsonLines(lab);
    assert.equal(lines.length, 1);
    const rec = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(rec), Object.keys(JSON.parse(lines[0])));
    // At the server tap the server's SYN is seen first: it is orig.
    assert.deepEqual(rec.orig, { ip: '10.0.0.2', port: 50000 });
    const server = lab.run.endpoint('c1', 'server')!;
    assert.deepEqual(rec.states.orig, server.states);
    assert.equal(rec.final.orig, 'CLOSED');
    assert.equal(rec.handshake, 'simultaneous');
    for (const k of ['conn_state', 'history', 'completeness', 'packets', 'bytes', 'rtt', 'evicted', 'events'])
      assert.ok(k in rec, k);
  });

  test('--frames: one truth per frame of the capture, as the packet record means it', () => {
    const lab = labRun(findScenario('syn-lost')!, { tap: 'client' });
    const lines = labFrameLines(lab);
    assert.equal(lines.length, lab.run.frames.client.length);
    const first = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(first), ['frame', 'time', 'conn', 'states', 'arrived']);
    // The first SYN is lost past the client's tap: the server stays in LISTEN.
    assert.deepEqual(first, {
      frame: 1,
      time: 1767225600,
      conn: 1,
      states: { orig: 'SYN_SENT', resp: 'LISTEN' },
      arrived: false,
    });
    assert.match(lines[0], /"time": 1767225600\.000000,/);
    assert.deepEqual(JSON.parse(lines[1]).states, { orig: 'SYN_SENT', resp: 'SYN_RECEIVED' });
  });

  test('the same seed and epoch give the same capture and text; --epoch moves the times', () => {
    const a = labRun(findScenario('syn-lost')!, { seed: 7 });
    const b = labRun(findScenario('syn-lost')!, { seed: 7 });
    assert.deepEqual(a.pcap, b.pcap);
    assert.deepEqual(labTextLines(a), labTextLines(b));
    const c = labRun(findScenario('syn-lost')!, { seed: 7, epoch: 1_700_000_000 });
    assert.match(labJsonLines(c)[0], /"start": 1700000000\.\d{6}/);
  });
});

describe('scenario files', () => {
  const ok = {
    name: 'my-close',
    description: 'a client close after a lost SYN',
    link: { latency: 5, rules: [{ match: 'SYN', dir: 'c2s', nth: 1, action: 'drop' }] },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 80 },
      { at: 1500, do: 'close', conn: 'c1', side: 'client' },
      { at: 1700, do: 'close', conn: 'c1', side: 'server' },
    ],
  };

  test('a JSON scenario runs like a built-in one', () => {
    const sc = parseScenario(JSON.stringify(ok), 'fallback');
    const lab = labRun(sc, { tap: 'client' });
    assert.deepEqual(lab.connections[0].states.client, lab.run.endpoint('c1', 'client')!.states);
    assert.deepEqual(lab.connections[0].states.client.slice(-3), ['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    assert.ok(lab.observation.records[0].events.some((e) => e.kind === 'syn-retransmission'));
    assert.deepEqual(differences(lab), []);
  });

  test('each mistake is one line naming the action and the field', () => {
    const bad = (patch: (s: typeof ok) => unknown, want: RegExp) => {
      const doc = structuredClone(ok);
      const text = JSON.stringify(patch(doc) ?? doc);
      assert.throws(
        () => parseScenario(text, 'x'),
        (err: Error) =>
          err instanceof ScenarioFileError && want.test(err.message) && !err.message.includes('\n'),
      );
    };
    bad((s) => {
      (s.timeline[2] as { do: string }).do = 'slam';
    }, /^timeline action 3: 'do' must be one of listen, connect/);
    bad((s) => {
      delete (s.timeline[1] as { port?: number }).port;
    }, /^timeline action 2: 'port' is missing/);
    bad((s) => {
      s.link.rules[0].action = 'lose';
    }, /^link rule 1: 'action' must be one of drop, duplicate, delay/);
    bad(() => ({ name: 'x' }), /'timeline' must be a non-empty list/);
    assert.throws(() => parseScenario('{"name": ', 'x'), /not JSON: /);
  });

  test('a name that is neither built in nor a file says so', () => {
    assert.throws(
      () => loadScenario('no-such-scenario'),
      /no built-in scenario or file named 'no-such-scenario'/,
    );
    assert.equal(loadScenario('refused').name, 'refused');
  });
});
