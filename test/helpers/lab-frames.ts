// The lab's truth against `synack read --json` frame by frame (PRODUCT.md "The lab": the
// analyzer's read --json equals `lab run --frames` whenever the capture holds the evidence), shared
// by the differential test and scripts/lab-sweep.ts. `read --json` runs in memory through the
// CLI's own sink (src/cli/read-tracked.ts) on the tap's capture.
// Endpoints are matched by address and port, so the analyzer's orientation does not matter.
// A frame is exact when both states and `arrived` equal the truth; wrong when any of them is a
// different definite value; in doubt otherwise (UNKNOWN state, null arrived). PRODUCT.md's one
// allowance holds per frame too: a pure ACK captured and lost past the tap, whose sender's next
// segment acknowledges as much before the receiver sends anything, leaves a capture identical to
// the lossless one, so its presumed arrival (and the receiver's state it gives, the one the truth
// shows at that next segment) is excused.

import { OutputBuffer } from '../../src/cli/output-buffer.js';
import { TrackedSink } from '../../src/cli/read-tracked.js';
import { type LabRun, labFrames } from '../../src/lab/lab-report.js';
import { scenarioTimeWaitSec } from '../../src/lab/timeline-from-lab.js';
import { DEFAULT_TRACKING, type TrackingOptions } from '../../src/report/tracking.js';
import { forEachDecoded } from '../../src/wire/capture-bytes.js';
import { ACK, FIN, RST, SYN } from '../../src/wire/packet.js';

interface JsonAddr {
  ip: string;
  port: number;
}

/** The tracker fields of one `read --json` packet record. */
export interface PacketRecord {
  frame: number;
  src: JsonAddr;
  dst: JsonAddr;
  conn: number;
  from: 'orig' | 'resp';
  states: { orig: string; resp: string };
  arrived: boolean | null;
}

/** `read --json` over a capture held in memory, with the given tracking options. */
export function readJson(pcap: Uint8Array, tracking: Partial<TrackingOptions> = {}): PacketRecord[] {
  let text = '';
  const out = new OutputBuffer((s) => {
    text += s;
  });
  const sink = new TrackedSink(out, true, { ...DEFAULT_TRACKING, ...tracking });
  forEachDecoded(pcap, { reassemble: true, verifyChecksums: false }, (pkt, _status, rec) =>
    sink.onPacket(pkt, rec.buf.subarray(rec.dataOffset, rec.dataOffset + rec.dataLen)),
  );
  sink.finish();
  out.flush();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as PacketRecord);
}

export interface FrameVerdicts {
  exact: number;
  /** Frames PRODUCT.md's allowance excuses (counted in `exact` too). */
  excused: number;
  doubt: number;
  wrong: number;
  /** One line per frame not exact: `frame N (doubt|wrong): inferred … | true …`. */
  lines: string[];
}

const addr = (a: JsonAddr) => `${a.ip}:${a.port}`;

/**
 * Compares `read --json --tap T` on the lab's capture with the lab's truth, frame by frame; T is
 * the lab's own tap unless given (`auto`, `mid`, …).
 */
export function frameVerdicts(lab: LabRun, tap: string = lab.tap): FrameVerdicts {
  const records = readJson(lab.pcap, { timeWaitSec: scenarioTimeWaitSec(lab.scenario), tap });
  const byFrame = new Map(records.map((r) => [r.frame, r]));
  const origOf = new Map<number, string>();
  for (const c of lab.connections) for (const n of c.frames) origOf.set(n, addr(c.timeline.orig));
  const excusable = excusableFrames(lab);
  const v: FrameVerdicts = { exact: 0, excused: 0, doubt: 0, wrong: 0, lines: [] };
  for (const t of labFrames(lab)) {
    const r = byFrame.get(t.frame);
    if (r === undefined) {
      v.wrong++;
      v.lines.push(`frame ${t.frame} (wrong): no packet record`);
      continue;
    }
    // The analyzer's states keyed by the truth's orientation.
    const rOrig = addr(r.from === 'orig' ? r.src : r.dst);
    const same = rOrig === origOf.get(t.frame);
    const got = same ? r.states : { orig: r.states.resp, resp: r.states.orig };
    let wrong = false;
    let doubt = false;
    for (const side of ['orig', 'resp'] as const) {
      if (got[side] === t.states[side]) continue;
      if (got[side] === 'UNKNOWN') doubt = true;
      else wrong = true;
    }
    if (r.arrived === null) doubt = true;
    else if (r.arrived !== t.arrived) wrong = true;
    const excuse = excusable.get(t.frame);
    if (wrong && excuse !== undefined && r.arrived && got[excuse.side] === excuse.state) {
      const other = excuse.side === 'orig' ? 'resp' : 'orig';
      if (got[other] === t.states[other]) {
        v.exact++;
        v.excused++;
        continue;
      }
    }
    if (!wrong && !doubt) {
      v.exact++;
      continue;
    }
    if (wrong) v.wrong++;
    else v.doubt++;
    v.lines.push(
      `frame ${t.frame} (${wrong ? 'wrong' : 'doubt'}): inferred ${got.orig}/${got.resp} ` +
        `arrived ${r.arrived} | true ${t.states.orig}/${t.states.resp} arrived ${t.arrived}`,
    );
  }
  return v;
}

/**
 * Frames of pure ACKs lost past the tap whose sender's next segment, before anything from the
 * receiver, acknowledges as much: the receiver's side and the state the truth shows for it at
 * that next segment (what the ACK's presumed arrival gives).
 */
function excusableFrames(lab: LabRun): Map<number, { side: 'orig' | 'resp'; state: string }> {
  const out = new Map<number, { side: 'orig' | 'resp'; state: string }>();
  for (const c of lab.connections) {
    const ps = c.timeline.packets;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      if (!p.lost || p.len > 0 || (p.flags & (SYN | FIN | RST | ACK)) !== ACK) continue;
      for (let j = i + 1; j < ps.length; j++) {
        const q = ps[j];
        if (q.from !== p.from) break;
        if (q.flags & ACK && ((q.ack - p.ack) | 0) >= 0 && !q.lost) {
          const side = p.from === 'orig' ? 'resp' : 'orig';
          out.set(p.frame, { side, state: q.states[side] });
          break;
        }
      }
    }
  }
  return out;
}
