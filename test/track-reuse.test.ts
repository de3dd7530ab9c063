// Recycled connections (FlowTableOptions.reuseConns): a table that reuses ended connections'
// objects gives exactly the records and per-packet results of one that allocates fresh objects,
// on every corpus capture and on generated ones (many short connections, a SYN flood evicting,
// handshakes left open), under default and under tight tracking limits; and each reset restores
// exactly a new object's state (a stale field would be a silent wrong answer).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readRecords } from '../src/cli/input.js';
import { connJson } from '../src/report/conn-json.js';
import { DEFAULT_TRACKING, newFlowTable, type TrackingOptions } from '../src/report/tracking.js';
import { Conn } from '../src/track/connection.js';
import { ZeekSummary } from '../src/track/zeek-summary.js';
import { Decoder } from '../src/wire/decode.js';
import { DecodeStatus, Packet } from '../src/wire/packet.js';
import { capturesUnder } from './helpers/captures.js';
import { generateCapture } from './helpers/generated-capture.js';
import { CORPUS, FIXTURES } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'synack-reuse-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const generate = (name: string, args: string[]): string => generateCapture(tmp, name, args);

/** Short connections end all the time here: idle after 50 ms, TIME_WAIT 20 ms, 5 open at most. */
const TIGHT: TrackingOptions = { timeWaitSec: 0.02, idleSec: 0.05, maxConns: 5 };

/** Every record as --json and every released segment's results, with or without recycling. */
async function run(
  file: string,
  tracking: TrackingOptions,
  reuse: boolean,
  ended?: (conn: Conn) => void,
): Promise<string[]> {
  const out: string[] = [];
  const table = newFlowTable(
    tracking,
    (rec, conn) => {
      out.push(connJson(rec));
      ended?.(conn);
    },
    (conn, h, tags) => {
      out.push(`${conn.id} ${h.frame} ${h.role} ${h.stateA} ${h.stateB} ${tags} ${conn.summary.origIsA}`);
    },
    reuse,
  );
  const dec = new Decoder({ reassemble: true });
  const pkt = new Packet();
  try {
    await readRecords(
      [file],
      (rec) => {
        dec.decode(rec, pkt);
        const conn = table.process(pkt);
        if (conn !== null) out.push(`> ${conn.id}`);
      },
      { onNote: () => {} },
    );
  } catch (err) {
    // A file-level fault ends input; what came before is compared all the same.
    assert.equal((err as Error).name, 'FileFault', `${file}: ${(err as Error).message}`);
  }
  table.finish();
  return out;
}

async function assertSame(file: string): Promise<void> {
  for (const tracking of [DEFAULT_TRACKING, TIGHT]) {
    const fresh = await run(file, tracking, false);
    const reused = await run(file, tracking, true);
    assert.deepEqual(reused, fresh, `${file} (${JSON.stringify(tracking)})`);
  }
}

test('recycling connections changes nothing on the corpus captures and the fixtures', async () => {
  const files = [...capturesUnder(CORPUS), ...capturesUnder(FIXTURES)];
  assert.ok(files.length > 0);
  for (const f of files) await assertSame(f);
});

test('recycling connections changes nothing on generated captures', async () => {
  await assertSame(generate('short.pcap', ['--packets', '30000', '--seed', '7', '--bulk', '0.05']));
  await assertSame(generate('cut.pcap', ['--packets', '20000', '--seed', '3', '--snaplen', '128', '--ns']));
  await assertSame(generate('flood.pcap', ['--synflood', '3000']));
  await assertSame(generate('open.pcap', ['--open', '1500']));
});

test('a recycled connection is exactly a new one: every field reset', async () => {
  const files = [...capturesUnder(CORPUS), ...capturesUnder(FIXTURES)];
  let checked = 0;
  for (const f of files) {
    const conns: Conn[] = [];
    await run(f, DEFAULT_TRACKING, false, (c) => conns.length < 50 && conns.push(c));
    for (const c of conns) {
      // The record's byte counts skip the BigInt: the same numbers.
      assert.equal(c.summary.origSize, Number(c.summary.origBytes), f);
      assert.equal(c.summary.respSize, Number(c.summary.respBytes), f);
      const cfg = (c as unknown as { cfg: ConstructorParameters<typeof Conn>[1] }).cfg;
      c.reuse(1_767_225_600_123_456);
      assert.deepStrictEqual(c, new Conn(new ZeekSummary(), cfg, 1_767_225_600_123_456), f);
      checked++;
    }
  }
  assert.ok(checked > 100, `${checked} connections checked`);
});

test('a reset Zeek summary with timers is a new one', async () => {
  const file = capturesUnder(FIXTURES)[0]!;
  const pkt = new Packet();
  const dec = new Decoder({ reassemble: true });
  const s = new ZeekSummary({ timers: true });
  let first = true;
  await readRecords(
    [file],
    (rec) => {
      dec.decode(rec, pkt);
      if (pkt.status === DecodeStatus.TCP) {
        s.add(pkt, first || pkt.srcPort % 2 === 0);
        first = false;
      }
    },
    { onNote: () => {} },
  );
  s.fireTimers(Number.MAX_SAFE_INTEGER);
  assert.notDeepStrictEqual(s, new ZeekSummary({ timers: true }));
  s.reset();
  assert.deepStrictEqual(s, new ZeekSummary({ timers: true }));
});
