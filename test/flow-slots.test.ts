// The 4-tuple slots the flow table, Wireshark's streams and Zeek's table share (flow-slots.ts),
// checked against a plain model: a slot exists while anything holds it, each occupant's oldest
// is the least recently used 4-tuple holding it (through packing of the use order and heads that
// passed a slot before it was given an occupant), and each occupant keeps its own orientation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededUnitRandom } from '../src/tcp/random.js';
import { FlowSlots, SL_CONN, SL_STREAM, SL_ZEEK } from '../src/track/flow-slots.js';
import { DecodeStatus, Packet } from '../src/wire/packet.js';

const BITS = [SL_CONN, SL_STREAM, SL_ZEEK];

/** Tuple t (10.0.0.1:40000+t ↔ 10.0.0.2:80, or an IPv6 pair for odd t), sent from its client when `fromClient`. */
function packetOf(pkt: Packet, t: number, fromClient: boolean): Packet {
  const v6 = t % 2 === 1;
  pkt.status = DecodeStatus.TCP;
  pkt.ipVersion = v6 ? 6 : 4;
  const client = new Uint8Array(16);
  const server = new Uint8Array(16);
  if (v6) {
    client.set([0x20, 0x01, 0x0d, 0xb8], 0);
    server.set([0x20, 0x01, 0x0d, 0xb8], 0);
    client[15] = 1;
    server[15] = 2;
  } else {
    client.set([10, 0, 0, 1]);
    server.set([10, 0, 0, 2]);
  }
  pkt.src.fill(0);
  pkt.dst.fill(0);
  pkt.src.set(fromClient ? client : server);
  pkt.dst.set(fromClient ? server : client);
  pkt.srcPort = fromClient ? 40000 + t : 80;
  pkt.dstPort = fromClient ? 80 : 40000 + t;
  return pkt;
}

for (const TUPLES of [3, 40])
  test(`slots follow a model of three occupants over 30 000 random uses of ${TUPLES} 4-tuples`, () => {
    const slots = new FlowSlots();
    const pkt = new Packet();
    const random = seededUnitRandom(18 + TUPLES);
    // Model, per tuple: the occupant bits, each occupant's A (true: the client), the last use.
    const held = new Array<number>(TUPLES).fill(0);
    const aIsClient = BITS.map(() => new Array<boolean>(TUPLES).fill(true));
    const lastUse = new Array<number>(TUPLES).fill(-1);
    const oldest = (bit: number): number => {
      let best = -1;
      for (let t = 0; t < TUPLES; t++)
        if ((held[t]! & bit) !== 0 && (best < 0 || lastUse[t]! < lastUse[best]!)) best = t;
      return best;
    };
    for (let step = 0; step < 30_000; step++) {
      const t = Math.floor(random() * TUPLES);
      const fromClient = random() < 0.5;
      const p = packetOf(pkt, t, fromClient);
      let slot = slots.find(p);
      assert.equal(slot >= 0, held[t] !== 0, `step ${step}: tuple ${t} has a slot iff something holds it`);
      const r = random();
      if (r < 0.6) {
        // A use: maybe a new occupant, then the slot is touched.
        if (slot < 0) slot = slots.create();
        const k = Math.floor(random() * 3);
        const bit = BITS[k]!;
        if ((held[t]! & bit) === 0 || random() < 0.1) {
          if (bit === SL_CONN) slots.setConn(slot, slots.dir);
          else if (bit === SL_STREAM) slots.setStream(slot, slots.dir);
          else slots.setZeek(slot, slots.dir);
          held[t]! |= bit;
          aIsClient[k]![t] = fromClient;
        }
        slots.touch(slot);
        lastUse[t] = step;
        const dir = slots.dir;
        if (held[t]! & SL_CONN) assert.equal(slots.connDir(slot, dir) === 0, fromClient === aIsClient[0]![t]);
        if (held[t]! & SL_STREAM)
          assert.equal(slots.streamDir(slot, dir) === 0, fromClient === aIsClient[1]![t]);
        if (held[t]! & SL_ZEEK) assert.equal(slots.zeekDir(slot, dir) === 0, fromClient === aIsClient[2]![t]);
      } else if (r < 0.8 && slot >= 0) {
        // An occupant leaves.
        const k = Math.floor(random() * 3);
        const bit = BITS[k]!;
        if ((held[t]! & bit) !== 0) {
          if (bit === SL_CONN) slots.dropConn(slot);
          else if (bit === SL_STREAM) slots.dropStream(slot);
          else slots.dropZeek(slot);
          held[t]! &= ~bit;
        }
      } else {
        // Oldest-first queries, as expiry and eviction make them.
        const want = [oldest(SL_CONN), oldest(SL_STREAM), oldest(SL_ZEEK)];
        const got = [slots.oldestConn(), slots.oldestStream(), slots.oldestZeek()];
        for (let k = 0; k < 3; k++) {
          if (want[k]! < 0) {
            assert.equal(got[k], -1, `step ${step}: no oldest for occupant ${k}`);
            continue;
          }
          const w = packetOf(pkt, want[k]!, true);
          assert.equal(got[k], slots.find(w), `step ${step}: oldest of occupant ${k}`);
        }
      }
      assert.equal(slots.size, held.filter((h) => h !== 0).length);
    }
  });

test('a slot keeps its 4-tuple for the occupant that outlives the others', () => {
  const slots = new FlowSlots();
  const p = packetOf(new Packet(), 1, false);
  // create() takes the 4-tuple find() read.
  assert.equal(slots.find(p), -1);
  const slot = slots.create();
  slots.setZeek(slot, 0);
  slots.setConn(slot, 0);
  slots.touch(slot);
  slots.dropConn(slot);
  assert.equal(slots.holds(slot), SL_ZEEK);
  // The Zeek connection's A is the server here (it sent the first packet).
  assert.equal(slots.zeekA(slot), 0);
  assert.equal(slots.ipVersion(slot), 6);
  assert.equal(slots.port(slot, 0), 80);
  assert.equal(slots.port(slot, 1), 40001);
  assert.deepEqual([...slots.addr(slot, 1)], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  slots.dropZeek(slot);
  assert.equal(slots.listed(slot), false);
  assert.equal(slots.find(p), -1);
});
