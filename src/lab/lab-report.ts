// What `synack lab run` shows: the scenario played to quiescence, the analyzer run on the chosen
// tap's capture (observe.ts), the truth cut into connections (timeline-from-lab.ts), and each
// connection drawn by the ladder renderer of `synack ladder` (report/ladder-model.ts,
// ladder-text.ts) with the endpoints' TRUE states beside the arrows, or printed as `conns --json`
// records (report/conn-json.ts) whose `states`/`final` are the truth. Pure: no I/O.

import { connJson } from '../report/conn-json.js';
import { buildLadder, endpointText } from '../report/ladder-model.js';
import { drawLadderText } from '../report/ladder-text.js';
import { formatSeconds } from '../report/timeline.js';
import type { StackPersonality } from '../tcp/config.js';
import type { StateName } from '../tcp/state.js';
import type { TapName } from './network.js';
import { type Observation, observeCapture } from './observe.js';
import { type RunResult, runScenario, type Scenario, type Side } from './scenario.js';
import {
  scenarioListening,
  scenarioTimeWaitSec,
  type TrueConnection,
  trueConnections,
} from './timeline-from-lab.js';

export interface LabRunOptions {
  seed?: number;
  /** Seconds since the Unix epoch of time 0 (default 2026-01-01T00:00:00Z). */
  epoch?: number;
  tap?: TapName;
  /** The endpoints' personality for every host (default: each scenario's own, else rfc9293). */
  stack?: StackPersonality;
}

export interface LabRun {
  scenario: Scenario;
  tap: TapName;
  run: RunResult;
  /** The tap's capture (pcap, Ethernet, µs). */
  pcap: Uint8Array;
  observation: Observation;
  connections: TrueConnection[];
  /** The hosts' TIME_WAIT (s): what the analyzer of the capture needs as --time-wait. */
  timeWaitSec: number;
}

export function labRun(scenario: Scenario, opts: LabRunOptions = {}): LabRun {
  const tap = opts.tap ?? 'mid';
  const run = runScenario(scenario, { seed: opts.seed, epoch: opts.epoch, stack: opts.stack });
  return labReport(scenario, run, tap, scenarioListening(scenario), scenarioTimeWaitSec(scenario));
}

/**
 * The report of a run already played (a scenario, or a packetdrill script's run): the tap's
 * capture, the analyzer's observation of it and the truth cut into connections.
 */
export function labReport(
  scenario: Scenario,
  run: RunResult,
  tap: TapName,
  listening: (host: Side, port: number) => boolean,
  timeWaitSec: number,
): LabRun {
  const pcap = run.pcap(tap);
  // The analyzer is told the hosts' TIME_WAIT, as a user would pass --time-wait.
  const observation = observeCapture(pcap, { timeWaitSec });
  const connections = trueConnections(run, tap, observation, listening);
  return { scenario, tap, run, pcap, observation, connections, timeWaitSec };
}

/** One `conns --json` line per connection, in id order, with the true `states` and `final`. */
export function labJsonLines(lab: LabRun): string[] {
  return lab.connections.map((c) => connJson(c.record));
}

/** One frame of the capture as the lab knows it (PRODUCT.md "The lab", `--frames`). */
export interface TrueFrame {
  frame: number;
  /** µs since the epoch. */
  timeUs: number;
  /** The truth's connection id at this tap. */
  conn: number;
  /** Both endpoints' true states after the frame, as the packet record means them. */
  states: { orig: StateName; resp: StateName };
  /** Whether this copy reached the other host. */
  arrived: boolean;
}

/** Every frame of the tap's capture with its truth, in frame order. */
export function labFrames(lab: LabRun): TrueFrame[] {
  const out: TrueFrame[] = [];
  for (const c of lab.connections) {
    for (const p of c.timeline.packets) {
      out.push({
        frame: p.frame,
        timeUs: p.timeUs,
        conn: c.id,
        states: p.states,
        arrived: p.arrived !== false,
      });
    }
  }
  return out.sort((a, b) => a.frame - b.frame);
}

/** `synack lab run --frames`: one JSON object per frame. */
export function labFrameLines(lab: LabRun): string[] {
  return labFrames(lab).map(
    (f) =>
      `{"frame": ${f.frame}, "time": ${formatSeconds(f.timeUs)}, "conn": ${f.conn}, ` +
      `"states": {"orig": "${f.states.orig}", "resp": "${f.states.resp}"}, "arrived": ${f.arrived}}`,
  );
}

export interface LabTextOptions {
  width?: number;
  /** Draw every packet (no folding). */
  all?: boolean;
}

function isoDate(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
}

/** The scenario's header, then each connection's ladder with the true states. */
export function labTextLines(lab: LabRun, opts: LabTextOptions = {}): string[] {
  const { run, scenario, tap } = lab;
  const out: string[] = [];
  out.push(`scenario ${scenario.name}: ${scenario.description}`);
  out.push(
    `seed ${run.seed}, ${tap} tap, ${run.frames[tap].length} frames from ${isoDate(run.epoch)} ` +
      `(epoch ${run.epoch}), quiescent at +${formatSeconds(run.endUs)} s; states are the endpoints' true ones`,
  );
  for (const n of run.notes) out.push(`note +${formatSeconds(n.at)} s: ${n.text}`);
  for (const c of lab.connections) {
    const t = c.timeline;
    out.push('');
    out.push(
      `connection ${c.id}: ${endpointText(t.orig)} → ${endpointText(t.resp)}, ` +
        `${t.packets.length} segment${t.packets.length === 1 ? '' : 's'} at this tap`,
    );
    const m = buildLadder(t, { all: !!opts.all });
    // The ladder ends with each endpoint's final true state, which may come after the last
    // segment this tap saw (a timer, or a segment seen only at another tap).
    const trueFinal = { orig: c.record.final.orig, resp: c.record.final.resp };
    for (const side of ['orig', 'resp'] as const) {
      if (m.final[side] !== trueFinal[side] && !m.footer.some((f) => f.endsWith(trueFinal[side]))) {
        m.footer.push(
          `after the last segment at this tap: ${side === 'orig' ? 'client' : 'server'} ${trueFinal[side]}`,
        );
      }
    }
    m.final = trueFinal;
    out.push(...drawLadderText(m, opts.width ?? 100));
  }
  return out;
}
