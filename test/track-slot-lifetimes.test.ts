// A 4-tuple's connection and its Wireshark stream share one slot but keep their own lifetimes
// (flow-slots.ts): the stream outlives its connection until --idle, a new-ISN SYN starts a new
// stream while the connection stays, a connection ends at --idle where its stream is forgotten
// only past it, and --max-conns bounds connections and streams each on its own. Each case lists
// per packet "connection id/tcp.stream" (as main before the shared slot gave them too).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowTable } from '../src/track/flow-table.js';
import { TcpAnalysis } from '../src/track/wireshark.js';
import { ZeekSummary } from '../src/track/zeek-summary.js';
import { Packet } from '../src/wire/packet.js';
import { fillPacket } from './helpers/trace.js';

/** Runs trace lines through a table wired as every command wires it; "conn/stream" per packet. */
function run(lines: string[], idleSec: number, maxConns: number): string {
  const analysis = new TcpAnalysis({ forgetAfterUsec: idleSec * 1e6, maxStreams: maxConns });
  const table = new FlowTable({
    idleSec,
    maxConns,
    newSummary: () => new ZeekSummary(),
    analysis,
    addrText: () => '',
    onEnd: () => {},
  });
  const pkt = new Packet();
  let t = 0;
  const out: string[] = [];
  lines.forEach((line, i) => {
    t = fillPacket(pkt, line, i + 1, t);
    const conn = table.process(pkt)!;
    out.push(`${conn.id}/${analysis.stream}`);
  });
  return `${out.join(' ')} (${analysis.size} stream${analysis.size === 1 ? '' : 's'} left)`;
}

test('a stream outlives its refused connection; a new ISN starts a new stream, not a new connection', () => {
  assert.equal(
    run(
      ['C>S S seq=1', 'S>C R. seq=0 ack=2', 'C>S S seq=1', 'C>S S seq=500', 'S>C S. seq=9 ack=501'],
      300,
      100,
    ),
    '1/0 1/0 2/0 2/1 2/1 (1 stream left)',
  );
});

test('--idle: the connection ends at the limit, its stream is forgotten only past it', () => {
  assert.equal(
    run(['0 C>S S seq=1', '10 C>S S seq=1', '20.000001 C>S S seq=1'], 10, 100),
    '1/0 2/0 3/1 (1 stream left)',
  );
  assert.equal(
    run(['0 C>S S seq=1', '10 D>S S seq=1', '20 C>S S seq=1', '20.5 D>S S seq=1', '40 C>S S seq=1'], 10, 100),
    '1/0 2/1 3/2 4/3 5/4 (1 stream left)',
  );
});

test('--max-conns bounds open connections and remembered streams each (an orphan stream counts)', () => {
  assert.equal(
    run(
      ['0 C>S S seq=1', '1 S>C R. seq=0 ack=2', '2 D>S S seq=5', '3 C>S S seq=1', '4 D>S . seq=6 ack=1'],
      300,
      1,
    ),
    '1/0 1/0 2/1 3/2 4/3 (1 stream left)',
  );
  assert.equal(
    run(
      [
        '0 C>S S seq=1',
        '1 D>S S seq=1',
        '2 C>S S seq=1',
        '3 S>D R. seq=0 ack=2',
        '4 C>S . seq=2 ack=1',
        '5 D>S S seq=1',
      ],
      300,
      1,
    ),
    '1/0 2/1 3/2 4/3 5/4 6/5 (1 stream left)',
  );
});
