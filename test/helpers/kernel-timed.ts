// The timed per-moment kernel score (issue 17, "Make the truth checkable per packet"): how the
// hidden set of real-kernel captures is judged. A pure function of a recording's truth file (the
// kernel's /proc/net/tcp states of every socket, polled every ~0.5 ms; scripts/kernel-scenarios.py)
// and the packet records `synack read --json` printed for one of its captures.
//
// - Every state the kernel showed for a socket (LISTEN and CLOSED aside) must be the analyzer's
//   state of that endpoint at some moment within [t − 5 ms, t + 15 ms] of each poll t that saw it.
// - Every state the analyzer holds for 20 ms or more (LISTEN and CLOSED aside) must have been
//   shown by the kernel for that socket at some poll inside the interval it was held.
// A miss where the analyzer said UNKNOWN is doubt; any other miss is wrong.
//
// The analyzer's state of an endpoint at moment m is its state after the last packet at or before
// m (read --json gives states after each packet); before a connection's first packet, its initial
// state (a SYN's sender CLOSED and its receiver LISTEN; mid-stream, the state after the first
// packet). Endpoints are matched to kernel sockets by their 4-tuple, local side first; a 4-tuple
// reused by a later connection (time-wait-reuse) is one endpoint whose timeline runs through its
// connections in time order, as the kernel's socket of that 4-tuple does. Capture and poll times
// come from the same host clock (the namespaces share it), so they are compared as they are.

/** An address as the truth file and read --json write it. */
export interface Addr {
  ip: string;
  port: number;
}

/** One socket of a truth file: the runs of states the polls saw, from `times[i]` to `until[i]`. */
export interface TruthSocket {
  host: string;
  local: Addr;
  remote: Addr;
  states: string[];
  times: number[];
  /** The last poll that saw each state (recordings before issue 17 lack it). */
  until?: number[];
}

export interface KernelTruth {
  scenario: string;
  poll_ms: number;
  /** First and last poll. */
  span?: [number, number];
  /** The polled hosts by name (client, server) and address. */
  hosts?: Record<string, string>;
  sockets: TruthSocket[];
}

/** The fields of a `read --json` packet record the score reads. */
export interface PacketRecord {
  frame: number;
  time: number;
  src: Addr;
  dst: Addr;
  flags: string;
  conn?: number;
  from?: 'orig' | 'resp';
  states?: { orig: string; resp: string };
}

export type Verdict = 'wrong' | 'doubt';

/** One miss: what was expected, when, and what the other side showed. */
export interface Miss {
  verdict: Verdict;
  /** kernel: a kernel state the analyzer did not show in time; analyzer: a state the analyzer held that the kernel never showed. */
  kind: 'kernel' | 'analyzer';
  /** local>remote of the endpoint. */
  endpoint: string;
  state: string;
  /** The moment (poll time for kernel misses, start of the held interval for analyzer misses). */
  at: number;
  /** For kernel misses: the analyzer's states within the window; for analyzer misses: how long it was held (s). */
  shown: string[];
  held?: number;
}

export interface TimedScore {
  /** Kernel state runs and analyzer held intervals checked. */
  checked: number;
  wrong: number;
  doubt: number;
  misses: Miss[];
}

export const BEFORE = 0.005;
export const AFTER = 0.015;
export const HELD = 0.02;
const IGNORED = new Set(['LISTEN', 'CLOSED']);

const key = (local: Addr, remote: Addr) => `${local.ip}:${local.port}>${remote.ip}:${remote.port}`;

/** An endpoint's states as a step function: state[i] holds from time[i] (inclusive) to time[i + 1]. */
interface Timeline {
  time: number[];
  state: string[];
}

/** The analyzer's timeline of every endpoint the records show, by local>remote. */
export function endpointTimelines(records: readonly PacketRecord[]): Map<string, Timeline> {
  const conns = new Map<number, PacketRecord[]>();
  for (const r of records) {
    if (r.conn === undefined || r.states === undefined || r.from === undefined) continue;
    let list = conns.get(r.conn);
    if (list === undefined) {
      list = [];
      conns.set(r.conn, list);
    }
    list.push(r);
  }
  const ordered = [...conns.values()].sort((a, b) => a[0]!.time - b[0]!.time || a[0]!.frame - b[0]!.frame);
  const out = new Map<string, Timeline>();
  for (const pkts of ordered) {
    const first = pkts[0]!;
    const orig = first.from === 'orig' ? first.src : first.dst;
    const resp = first.from === 'orig' ? first.dst : first.src;
    const opening = first.flags.includes('S') && !first.flags.includes('.');
    for (const side of ['orig', 'resp'] as const) {
      const local = side === 'orig' ? orig : resp;
      const remote = side === 'orig' ? resp : orig;
      const k = key(local, remote);
      let tl = out.get(k);
      if (tl === undefined) {
        // Before the first packet: the initial state, from the beginning of time.
        const initial = opening ? (first.from === side ? 'CLOSED' : 'LISTEN') : first.states![side];
        tl = { time: [Number.NEGATIVE_INFINITY], state: [initial] };
        out.set(k, tl);
      }
      for (const p of pkts) {
        const s = p.states![side];
        if (tl.state.at(-1) === s) continue;
        if (tl.time.at(-1) === p.time) {
          // Several packets at one moment: the state after the last of them.
          tl.state[tl.state.length - 1] = s;
          if (tl.state.length >= 2 && tl.state.at(-2) === s) {
            tl.state.pop();
            tl.time.pop();
          }
          continue;
        }
        tl.time.push(p.time);
        tl.state.push(s);
      }
    }
  }
  return out;
}

/** Index of the step holding at moment m (the last change at or before m). */
function stepAt(tl: Timeline, m: number): number {
  let lo = 0;
  let hi = tl.time.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (tl.time[mid]! <= m) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The states the analyzer showed at some moment of [a, b]. */
function statesWithin(tl: Timeline | undefined, a: number, b: number): string[] {
  if (tl === undefined) return ['CLOSED'];
  const i0 = stepAt(tl, a);
  const out = [tl.state[i0]!];
  for (let i = i0 + 1; i < tl.time.length && tl.time[i]! <= b; i++)
    if (!out.includes(tl.state[i]!)) out.push(tl.state[i]!);
  return out;
}

/** The runs of one socket: state, first poll, last poll. */
function runs(s: TruthSocket, pollS: number): { state: string; first: number; last: number }[] {
  return s.states.map((state, i) => {
    const first = s.times[i]!;
    const next = s.times[i + 1];
    const last = s.until?.[i] ?? (next === undefined ? first : Math.max(first, next - pollS));
    return { state, first, last };
  });
}

/** The score of one capture's read --json records against the recording's truth. */
export function scoreTimed(truth: KernelTruth, records: readonly PacketRecord[]): TimedScore {
  const timelines = endpointTimelines(records);
  const pollS = truth.poll_ms / 1000;
  const score: TimedScore = { checked: 0, wrong: 0, doubt: 0, misses: [] };
  const miss = (m: Miss) => {
    score.misses.push(m);
    if (m.verdict === 'wrong') score.wrong++;
    else score.doubt++;
  };

  // The kernel's states, each run checked at every moment where the window's content changes:
  // its first and last polls and each time the window's start passes a change of the analyzer's.
  const sockets = new Map<string, TruthSocket>();
  for (const s of truth.sockets) {
    const k = key(s.local, s.remote);
    sockets.set(k, s);
    const tl = timelines.get(k);
    for (const run of runs(s, pollS)) {
      if (IGNORED.has(run.state)) continue;
      score.checked++;
      const moments = [run.first, run.last];
      for (const c of tl?.time ?? [])
        if (c + BEFORE > run.first && c + BEFORE < run.last) moments.push(c + BEFORE);
      let worst: Miss | undefined;
      for (const t of moments.sort((a, b) => a - b)) {
        const shown = statesWithin(tl, t - BEFORE, t + AFTER);
        if (shown.includes(run.state)) continue;
        const verdict: Verdict = shown.includes('UNKNOWN') ? 'doubt' : 'wrong';
        if (worst === undefined || (worst.verdict === 'doubt' && verdict === 'wrong'))
          worst = { verdict, kind: 'kernel', endpoint: k, state: run.state, at: t, shown };
        if (verdict === 'wrong') break;
      }
      if (worst !== undefined) miss(worst);
    }
  }

  // The analyzer's states held 20 ms or more, on the hosts the recording polled, inside the polled span.
  const hosts = new Set(Object.values(truth.hosts ?? {}));
  for (const s of truth.sockets) hosts.add(s.local.ip);
  const lastPacket = records.reduce((m, r) => Math.max(m, r.time), Number.NEGATIVE_INFINITY);
  const start = truth.span?.[0] ?? Number.NEGATIVE_INFINITY;
  const end = truth.span?.[1] ?? Math.max(lastPacket, ...truth.sockets.flatMap((s) => s.until ?? s.times));
  for (const [k, tl] of timelines) {
    if (!hosts.has(k.slice(0, k.lastIndexOf(':', k.indexOf('>'))))) continue;
    const sock = sockets.get(k);
    const kernelRuns = sock === undefined ? [] : runs(sock, pollS);
    for (let i = 0; i < tl.state.length; i++) {
      const state = tl.state[i]!;
      if (IGNORED.has(state)) continue;
      const a = Math.max(tl.time[i]!, start);
      const b = Math.min(tl.time[i + 1] ?? Number.POSITIVE_INFINITY, end);
      if (b - a < HELD) continue;
      score.checked++;
      if (kernelRuns.some((r) => r.state === state && r.first <= b && r.last >= a)) continue;
      const shown = kernelRuns.filter((r) => r.first <= b && r.last >= a).map((r) => r.state);
      miss({
        verdict: state === 'UNKNOWN' ? 'doubt' : 'wrong',
        kind: 'analyzer',
        endpoint: k,
        state,
        at: a,
        shown: shown.length > 0 ? shown : ['(no socket)'],
        held: b - a,
      });
    }
  }
  return score;
}

/** One line per miss, for test messages and the script. */
export function describeMiss(m: Miss, origin: number): string {
  const at = `${((m.at - origin) * 1000).toFixed(1)} ms`;
  return m.kind === 'kernel'
    ? `${m.verdict} at ${at}: kernel ${m.endpoint} ${m.state}, analyzer showed ${m.shown.join('/')} within [−5, +15] ms`
    : `${m.verdict} at ${at}: analyzer ${m.endpoint} ${m.state} held ${((m.held ?? 0) * 1000).toFixed(0)} ms, kernel showed ${m.shown.join('/')}`;
}

/** A recording of test/fixtures/kernel: its truth and its two captures. */
export interface Recording {
  name: string;
  truth: KernelTruth & { captures: { client: string; server: string } };
}

/** The taps each capture is scored at: the true one (the capture's own side) and auto. */
export const TAPS = ['true', 'auto'] as const;
export type TapMode = (typeof TAPS)[number];

/** Per recording, capture and tap mode: the score. */
export interface RecordingScore {
  name: string;
  capture: 'client' | 'server';
  tap: TapMode;
  score: TimedScore;
  /** The first packet's time (misses are printed relative to it). */
  origin: number;
}

/**
 * Scores a recording's two captures at both tap modes; `readJson(file, tap)` runs `synack read
 * --json` (with `--tap tap` when given) on a capture of the recording and returns its records.
 */
export function scoreRecording(
  rec: Recording,
  readJson: (capture: string, tap: string | null) => PacketRecord[],
  tapFlag: boolean,
): RecordingScore[] {
  const out: RecordingScore[] = [];
  for (const capture of ['client', 'server'] as const) {
    for (const tap of TAPS) {
      const records = readJson(
        rec.truth.captures[capture],
        tapFlag ? (tap === 'true' ? capture : 'auto') : null,
      );
      const origin = records[0]?.time ?? 0;
      out.push({ name: rec.name, capture, tap, score: scoreTimed(rec.truth, records), origin });
    }
  }
  return out;
}
