// Handshake segments that cross in flight, on real Linux captures taken at the client
// (test/fixtures/kernel, the kernel's /proc states in the truth files): a later segment of the
// receiver sent before the crossed one could reach it does not prove that one lost (the
// round-trip rule, src/track/infer.ts mayHaveCrossed; RFC 9293 §3.10.7.3, §3.10.7.4).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TRACKING, newFlowTable } from '../src/report/tracking.js';
import { stateName } from '../src/tcp/state.js';
import { Arrival } from '../src/track/held.js';
import type { ConnRecord } from '../src/track/record.js';
import { parseTap } from '../src/track/tap.js';
import { forEachDecoded } from '../src/wire/capture-bytes.js';
import { FIXTURES } from './helpers/paths.js';
import { runTrace, statePairs } from './helpers/trace.js';

interface Seen {
  arrival: Arrival;
  /** States of the client (A, the first sender) and the server after the segment. */
  client: string;
  server: string;
}

function track(name: string): { frames: Map<number, Seen>; records: ConnRecord[] } {
  const frames = new Map<number, Seen>();
  const records: ConnRecord[] = [];
  const table = newFlowTable(
    DEFAULT_TRACKING,
    (r) => records.push(r),
    (_conn, h) =>
      frames.set(h.frame, { arrival: h.arrival, client: stateName(h.stateA), server: stateName(h.stateB) }),
  );
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'kernel', name)));
  forEachDecoded(bytes, { reassemble: true }, (pkt) => table.process(pkt));
  table.finish();
  return { frames, records };
}

test('lost-synack at the client: the ACK crossed the SYN+ACK answering the resent SYN, it arrived after it', () => {
  // Frames: 1 SYN, 2 SYN+ACK (lost past the tap), 3 SYN again, 4 SYN+ACK (timer), 5 ACK,
  // 6 SYN+ACK (the answer to frame 3, sent 3 µs before frame 5 reached the server), 7 ACK.
  // Only SYN_RECEIVED sends a SYN+ACK: the server was still there when frame 6 left, and frame
  // 5 took effect after it (DELAYED, as crossing FINs); the dup ACK (7) carries the same.
  const { frames, records } = track('lost-synack.client.pcap');
  const ack = frames.get(5)!;
  assert.equal(ack.arrival, Arrival.DELAYED);
  assert.equal(ack.server, 'SYN_RECEIVED');
  assert.equal(frames.get(6)!.server, 'SYN_RECEIVED');
  assert.equal(frames.get(7)!.server, 'ESTABLISHED');
  const kinds = records[0]!.events.map((e) => e.kind);
  assert.ok(!kinds.includes('handshake-ack-lost'), kinds.join(' '));
  assert.ok(kinds.includes('synack-retransmission'));
});

test('simultaneous-open at the client: the resent SYNs crossed, both arrived; the first ones were lost', () => {
  // Frames: 1 client SYN and 2 server SYN, each dropped on arrival; 3 client SYN and 4 server SYN
  // again (they crossed: the server's capture shows them in the other order), 5, 6 SYN+ACKs.
  const { frames, records } = track('simultaneous-open.client.pcap');
  assert.equal(frames.get(2)!.arrival, Arrival.REFUTED);
  const resent = frames.get(3)!;
  assert.notEqual(resent.arrival, Arrival.REFUTED);
  assert.equal(resent.server, 'SYN_RECEIVED');
  assert.equal(frames.get(4)!.client, 'SYN_RECEIVED');
  assert.deepEqual(records[0]!.states.resp.slice(0, 4), [
    'CLOSED',
    'SYN_SENT',
    'SYN_RECEIVED',
    'ESTABLISHED',
  ]);
});

test('crossing SYN+ACKs of a simultaneous open: each takes effect after the receiver’s own SYN+ACK left', () => {
  // RFC 9293 §3.5 Figure 7, captured beside the first SYN's sender (C): S's SYN+ACK left S (it
  // is captured 10 ms after C's, half S's 20 ms round trip) before C's reached it, so S sent it
  // from SYN_RECEIVED and C's ACK of S's SYN lands on S only after it.
  const r = runTrace([
    '0.0 C>S S seq=100',
    '0.010 S>C S seq=500',
    '0.010 C>S S. seq=100 ack=501',
    '0.020 S>C S. seq=500 ack=101',
    '0.020 C>S . seq=101 ack=501',
    '0.030 S>C . seq=501 ack=101',
  ]);
  assert.deepEqual(statePairs(r), [
    'SYN_SENT/CLOSED',
    'SYN_RECEIVED/SYN_SENT',
    'SYN_RECEIVED/SYN_RECEIVED',
    'ESTABLISHED/SYN_RECEIVED',
    'ESTABLISHED/ESTABLISHED',
    'ESTABLISHED/ESTABLISHED',
  ]);
});

test('old duplicate SYN beside the client: its RST of the old SYN+ACK crossed the server’s answer to the real SYN', () => {
  // RFC 9293 §3.5 Figure 9 seen at the client (the old SYN itself never passes this tap): the
  // server's SYN+ACK acknowledges another SYN (910), so it times no round trip; the client
  // rejects it with RST <SEQ=SEG.ACK>. The server's challenge ACK of the real SYN passes the tap
  // 15 ms after that RST — sooner than the server's 20 ms round trip from here, which the real
  // handshake measures a second later: it left before the RST arrived, so the RST was not lost;
  // it took effect after that ACK (LISTEN at the client's second RST, which meets no connection).
  const r = runTrace(
    [
      '0.000 C>S S seq=1000',
      '0.005 S>C S. seq=5000 ack=911',
      '0.005 C>S R seq=911',
      '0.020 S>C . seq=5001 ack=911',
      '0.020 C>S R seq=911',
      '1.000 C>S S seq=1000',
      '1.020 S>C S. seq=7000 ack=1001',
      '1.020 C>S . seq=1001 ack=7001',
    ],
    { tap: parseTap('client')! },
  );
  const p = r.packets;
  assert.equal(p[2]!.arrived, true);
  assert.deepEqual(
    p.slice(2, 5).map((x) => x.resp),
    ['SYN_RECEIVED', 'SYN_RECEIVED', 'LISTEN'],
  );
  assert.equal(p[6]!.resp, 'SYN_RECEIVED');
  // Had the ACK come a round trip after the RST, the RST would have been lost.
  const late = runTrace(
    [
      '0.000 C>S S seq=1000',
      '0.005 S>C S. seq=5000 ack=911',
      '0.005 C>S R seq=911',
      '0.040 S>C . seq=5001 ack=911',
      '0.040 C>S R seq=911',
      '1.000 C>S S seq=1000',
      '1.020 S>C S. seq=7000 ack=1001',
      '1.020 C>S . seq=1001 ack=7001',
    ],
    { tap: parseTap('client')! },
  );
  assert.equal(late.packets[2]!.arrived, false);
});
