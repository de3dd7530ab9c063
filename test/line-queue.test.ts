// `read`'s lines as bytes (src/cli/line-queue.ts): rendered as their packets arrive, settled out of
// order with their annotation, written in number order with the annotation after the text. However
// small the budget (lines through the spill file, settled before or after they went there), the
// output must be every line in number order, empty lines and lines settled as none printing
// nothing, non-ASCII text intact, and the lines in memory bounded by the budget.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineQueue } from '../src/cli/line-queue.js';
import { OutputBuffer } from '../src/cli/output-buffer.js';
import type { PacketAnnotation } from '../src/report/annotate.js';
import type { LineBytes } from '../src/report/line-bytes.js';
import { seededUnitRandom } from '../src/tcp/random.js';

const text = (n: number) => (n % 11 === 4 ? '' : `line ${n} ${'é→'.repeat(n % 3)}${'z'.repeat(n % 90)}`);

function annotation(n: number): PacketAnnotation {
  return {
    conn: n * 977 + 4_000_000_000 - 977 * 90_000,
    fromOrig: n % 2 === 0,
    role: n % 17,
    orig: n % 11,
    resp: (n * 3) % 11,
    arrived: n % 5 === 0 ? null : n % 5 === 1,
    tags: n % 3 === 0 ? 0 : (1 << (n % 25)) | (n % 7 === 0 ? 1 << 31 : 0),
  };
}

const suffix = (w: LineBytes, a: PacketAnnotation) =>
  w.text(` | ${a.conn} ${a.fromOrig} ${a.role} ${a.orig}/${a.resp} ${a.arrived} ${a.tags}`);

/** What the queue must print for line n settled with its annotation (or none when n % 13 === 0). */
function final(n: number): string {
  if (text(n) === '' || n % 13 === 0) return '';
  const a = annotation(n);
  return `${text(n)} | ${a.conn} ${a.fromOrig} ${a.role} ${a.orig}/${a.resp} ${a.arrived} ${a.tags}`;
}

function run(count: number, budget: number, keepRecent: number, seed: number) {
  const chunks: Buffer[] = [];
  const out = new OutputBuffer((b) => chunks.push(Buffer.from(b)));
  const q = new LineQueue(out, suffix, budget, keepRecent);
  const random = seededUnitRandom(seed);
  const undecided: number[] = [];
  // Some lines stay in doubt to the end, as a TIME_WAIT connection's last ACK does.
  const toTheEnd: number[] = [];
  let most = 0;
  const settle = (k: number) => q.settle(k, k % 13 === 0 ? null : annotation(k));
  for (let n = 0; n < count; n++) {
    assert.equal(q.begin(), n);
    q.w.text(text(n));
    q.commit();
    if (n % 1999 === 5) toTheEnd.push(n);
    else undecided.push(n);
    // Settle a random few, now and then the oldest, now and then the one just made.
    while (undecided.length > 0 && random() < 0.6) {
      const r = random();
      const i = r < 0.1 ? 0 : r < 0.2 ? undecided.length - 1 : Math.floor(random() * undecided.length);
      settle(undecided[i]!);
      undecided.splice(i, 1);
    }
    most = Math.max(most, q.inMemory);
  }
  for (const k of [...undecided.reverse(), ...toTheEnd]) settle(k);
  q.finish();
  out.flush();
  const lines = Buffer.concat(chunks).toString('utf8').split('\n');
  assert.equal(lines.pop(), '');
  const want: string[] = [];
  for (let n = 0; n < count; n++) if (final(n) !== '') want.push(final(n));
  return { lines, want, spilled: q.spilled, most };
}

test('lines come out in number order with their annotations, through the spill file', () => {
  for (const seed of [1, 2, 3]) {
    const { lines, want, spilled, most } = run(15_000, 20_000, seed === 3 ? 0 : 100, seed);
    assert.ok(spilled > 5_000, `the small budget made it spill (${spilled})`);
    assert.deepEqual(lines, want);
    // The budget (~20 000 bytes, ~100 a line), the newest 100 and the late annotations.
    assert.ok(most < 6_000, `at most ${most} lines in memory`);
  }
});

test('a budget nothing reaches keeps every line in memory with the same output', () => {
  const { lines, want, spilled } = run(5_000, 1 << 30, 8192, 9);
  assert.equal(spilled, 0);
  assert.deepEqual(lines, want);
});

test('a line longer than the spill stage survives the spill file', () => {
  const chunks: Buffer[] = [];
  const out = new OutputBuffer((b) => chunks.push(Buffer.from(b)));
  const q = new LineQueue(out, (w) => w.text('.'), 10, 0);
  const long = 'y'.repeat(3 << 20);
  for (const t of ['first', long, 'after']) {
    q.begin();
    q.w.text(t);
    q.commit();
  }
  assert.ok(q.spilled > 0);
  const a = annotation(1);
  q.settle(1, a);
  q.settle(2, a);
  q.settle(0, a);
  q.finish();
  out.flush();
  assert.equal(Buffer.concat(chunks).toString(), `first.\n${long}.\nafter.\n`);
});
