// Speed of the host-level view (src/track/host-states.ts, what `synack states` and the web UI's
// Hosts tab run) on generated connection timelines, no capture involved: prints the time of each
// step for 20 k and 100 k connections. The timelines mix what makes the view expensive: a few
// client→server:port triples churning through ephemeral ports into TIME_WAIT (port exhaustion's
// shape), thousands of other hosts with every ending (client FIN, server FIN, RST, still open,
// refused) and a listener left with half-open connections. Seeded PRNG, so every run is the same.
//
//   node dist/bench/states-bench.js [--conns 20000,100000] [--seed 1]
//
// Times are wall milliseconds and CPU milliseconds of this process (process.cpuUsage), one run each.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededUnitRandom } from '../src/tcp/random.js';
import type { StateName } from '../src/tcp/state.js';
import {
  type ConnStatesInput,
  countByHost,
  socketIntervals,
  socketsAt,
  stateTimeline,
  synFloodAnalysis,
  timeWaitAnalysis,
} from '../src/track/host-states.js';
import { ACK, FIN, RST, SYN } from '../src/wire/packet.js';

type Step = [dtUs: number, from: 'orig' | 'resp', flags: number, orig: StateName, resp: StateName];

const OPEN: Step[] = [
  [0, 'orig', SYN, 'SYN_SENT', 'SYN_RECEIVED'],
  [150, 'resp', SYN | ACK, 'ESTABLISHED', 'SYN_RECEIVED'],
  [150, 'orig', ACK, 'ESTABLISHED', 'ESTABLISHED'],
  [400, 'orig', ACK, 'ESTABLISHED', 'ESTABLISHED'],
  [900, 'resp', ACK, 'ESTABLISHED', 'ESTABLISHED'],
];
const CLIENT_CLOSE: Step[] = [
  [300, 'orig', FIN | ACK, 'FIN_WAIT_1', 'CLOSE_WAIT'],
  [150, 'resp', FIN | ACK, 'TIME_WAIT', 'LAST_ACK'],
  [150, 'orig', ACK, 'TIME_WAIT', 'CLOSED'],
];
const SERVER_CLOSE: Step[] = [
  [300, 'resp', FIN | ACK, 'CLOSE_WAIT', 'FIN_WAIT_1'],
  [150, 'orig', FIN | ACK, 'LAST_ACK', 'TIME_WAIT'],
  [150, 'resp', ACK, 'CLOSED', 'TIME_WAIT'],
];
const RESET: Step[] = [[300, 'orig', RST | ACK, 'CLOSED', 'CLOSED']];
const REFUSED: Step[] = [
  [0, 'orig', SYN, 'SYN_SENT', 'CLOSED'],
  [150, 'resp', RST | ACK, 'CLOSED', 'CLOSED'],
];
const HALF_OPEN: Step[] = [
  [0, 'orig', SYN, 'SYN_SENT', 'SYN_RECEIVED'],
  [150, 'resp', SYN | ACK, 'SYN_SENT', 'SYN_RECEIVED'],
];

const T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z in µs

/** `n` connections starting on average every 400 µs (so 60 s of TIME_WAIT overlaps thousands). */
export function generateConnections(n: number, seed: number): ConnStatesInput[] {
  const rnd = seededUnitRandom(seed);
  const pick = (k: number) => Math.floor(rnd() * k);
  const conns: ConnStatesInput[] = [];
  const churnPort = [32768, 32768, 32768, 32768];
  let t = T0;
  for (let id = 1; id <= n; id++) {
    t += pick(800);
    const r = rnd();
    let orig: { ip: string; port: number };
    let resp: { ip: string; port: number };
    let steps: Step[];
    let initialResp: StateName = 'LISTEN';
    if (r < 0.4) {
      // Port churn: four clients hammering one server port, each closing first into TIME_WAIT;
      // two cycle through 1000 ports (reused while still in TIME_WAIT), two through 28 000.
      const c = pick(4);
      const last = c < 2 ? 33767 : 60999;
      churnPort[c] = churnPort[c] >= last ? 32768 : churnPort[c] + 1;
      orig = { ip: `10.9.0.${c + 1}`, port: churnPort[c] };
      resp = { ip: '10.9.1.1', port: 80 };
      steps = [...OPEN, ...CLIENT_CLOSE];
    } else if (r < 0.98) {
      const v6 = rnd() < 0.3;
      const host = (net: number, k: number) =>
        v6 ? `2001:db8:${net}::${k.toString(16)}` : `10.${net}.${(k >> 8) & 0xff}.${k & 0xff}`;
      orig = { ip: host(1, 1 + pick(2000)), port: 32768 + pick(28000) };
      resp = { ip: host(2, 1 + pick(50)), port: [80, 443, 22, 5432][pick(4)] };
      const end = rnd();
      steps =
        end < 0.55
          ? [...OPEN, ...CLIENT_CLOSE]
          : end < 0.8
            ? [...OPEN, ...SERVER_CLOSE]
            : end < 0.9
              ? [...OPEN, ...RESET]
              : end < 0.97
                ? OPEN
                : REFUSED;
      if (steps === REFUSED) initialResp = 'CLOSED';
    } else {
      // Half-open connections on one listener (a small SYN flood).
      orig = { ip: `10.7.${pick(256)}.${pick(256)}`, port: 1024 + pick(60000) };
      resp = { ip: '10.9.2.1', port: 443 };
      steps = HALF_OPEN;
    }
    let at = t;
    conns.push({
      id,
      orig,
      resp,
      initial: { orig: 'CLOSED', resp: initialResp },
      packets: steps.map(([dt, from, flags, o, s]) => {
        at += dt + pick(100);
        return { timeUs: at, from, flags, states: { orig: o, resp: s } };
      }),
    });
  }
  return conns;
}

function measure<T>(label: string, f: () => T): T {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = f();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(
    `  ${label.padEnd(28)} ${wall.toFixed(1).padStart(10)} ms wall ${cpuMs.toFixed(1).padStart(10)} ms cpu\n`,
  );
  return out;
}

function main(args: string[]): void {
  let sizes = [20_000, 100_000];
  let seed = 1;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--conns') sizes = args[++i].split(',').map(Number);
    else if (args[i] === '--seed') seed = Number(args[++i]);
  }
  for (const n of sizes) {
    const conns = generateConnections(n, seed);
    const startUs = conns[0].packets[0].timeUs;
    const endUs = Math.max(...conns.map((c) => c.packets[c.packets.length - 1].timeUs));
    process.stdout.write(`${n} connections (${((endUs - startUs) / 1e6).toFixed(1)} s of capture time)\n`);
    const t0 = performance.now();
    const intervals = measure('socketIntervals', () => socketIntervals(conns));
    measure('socketsAt + countByHost', () => countByHost(socketsAt(intervals, endUs)));
    measure('stateTimeline (60 samples)', () => stateTimeline(intervals, startUs, endUs, 60));
    measure('stateTimeline (160 samples)', () => stateTimeline(intervals, startUs, endUs, 160));
    measure('timeWaitAnalysis', () => timeWaitAnalysis(conns, intervals));
    measure('synFloodAnalysis', () => synFloodAnalysis(intervals));
    process.stdout.write(
      `  ${'total'.padEnd(28)} ${(performance.now() - t0).toFixed(1).padStart(10)} ms wall\n`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1]))
  main(process.argv.slice(2));
