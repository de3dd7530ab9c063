// `read` writes its lines in frame order though they are decided out of order; past a memory
// budget the waiting lines go through a temporary file (src/cli/ordered-lines.ts). Whatever the
// order of decisions and however small the budget, the output must be the lines in number order,
// empty decisions printing nothing, non-ASCII text intact.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OrderedLines } from '../src/cli/ordered-lines.js';
import { seededUnitRandom } from '../src/tcp/random.js';

function run(
  count: number,
  budget: number,
  seed: number,
  keepRecent = 100,
): { out: string[]; want: string[]; spilled: number } {
  const random = seededUnitRandom(seed);
  const out: string[] = [];
  const lines = new OrderedLines((l) => out.push(l), budget, keepRecent);
  const text = (n: number) => (n % 7 === 3 ? '' : `line ${n} ${'é→'.repeat(n % 5)}${'x'.repeat(n % 200)}`);
  const want: string[] = [];
  const undecided: number[] = [];
  // Some lines stay in doubt to the end, as a TIME_WAIT connection's last ACK does.
  const toTheEnd: number[] = [];
  for (let n = 0; n < count; n++) {
    const id = lines.next();
    assert.equal(id, n);
    if (text(n) !== '') want.push(text(n));
    if (n % 1999 === 5) toTheEnd.push(n);
    else undecided.push(n);
    // Decide a random few of the waiting lines, sometimes holding an old one back a long time.
    while (undecided.length > 0 && random() < 0.6) {
      const i = random() < 0.97 ? Math.floor(random() * undecided.length) : 0;
      const k = undecided[i]!;
      undecided.splice(i, 1);
      lines.decide(k, text(k));
    }
  }
  for (const k of [...undecided.reverse(), ...toTheEnd]) lines.decide(k, text(k));
  lines.finish();
  return { out, want, spilled: lines.spilled };
}

test('lines come out in number order whatever the order of decisions, through the spill file', () => {
  for (const seed of [1, 2, 3, 4]) {
    const { out, want, spilled } = run(20_000, 4_000, seed, seed === 4 ? 0 : 100);
    assert.ok(spilled > 0, 'the small budget made it spill');
    assert.deepEqual(out, want);
  }
});

test('a budget nothing reaches keeps every line in memory with the same output', () => {
  const { out, want, spilled } = run(5_000, 1 << 30, 9);
  assert.equal(spilled, 0);
  assert.deepEqual(out, want);
});

test('a line longer than the read chunk survives the spill file', () => {
  const out: string[] = [];
  const lines = new OrderedLines((l) => out.push(l), 10, 0);
  const long = 'y'.repeat(3 << 20);
  const a = lines.next();
  const b = lines.next();
  const c = lines.next();
  lines.decide(b, long);
  lines.decide(c, 'after');
  lines.decide(a, 'first');
  lines.finish();
  assert.deepEqual(out, ['first', long, 'after']);
});

/**
 * Lines held with their text until decided, as `read` holds a SYN flood's lines until each
 * connection is evicted: the oldest are decided first, but only after many newer ones arrived.
 */
function runHeld(
  count: number,
  window: number,
  budget: number,
  keepRecent: number,
): { out: string[]; want: string[]; spilled: number; most: number } {
  const out: string[] = [];
  const lines = new OrderedLines<number>(
    (l) => out.push(l),
    budget,
    keepRecent,
    (base, d) => (d === 0 || base === '' ? '' : `${base} +${d}`),
  );
  const base = (n: number) => (n % 11 === 4 ? '' : `syn ${n} ${'é'.repeat(n % 3)}${'z'.repeat(n % 90)}`);
  const final = (n: number) => (base(n) === '' || n % 13 === 0 ? '' : `${base(n)} +${n}`);
  const decide = (k: number) => {
    const held = lines.take(k);
    const d = k % 13 === 0 ? 0 : k;
    if (held === undefined) lines.decideLate(k, d);
    else lines.decide(k, d === 0 || held === '' ? '' : `${held} +${d}`);
  };
  let most = 0;
  for (let n = 0; n < count; n++) {
    const k = lines.next();
    lines.hold(k, base(k));
    if (n >= window) decide(n - window);
    most = Math.max(most, lines.inMemory);
  }
  for (let k = Math.max(0, count - window); k < count; k++) decide(k);
  lines.finish();
  const want: string[] = [];
  for (let n = 0; n < count; n++) if (final(n) !== '') want.push(final(n));
  return { out, want, spilled: lines.spilled, most };
}

test('held lines go to the spill file with their text and come back finished, in order', () => {
  const { out, want, spilled, most } = runHeld(30_000, 10_000, 50_000, 200);
  assert.ok(spilled > 10_000, `held lines were spilled (${spilled})`);
  assert.deepEqual(out, want);
  // The budget (~50 000 characters, ~80 a line) and the newest 200, not the 10 000 in doubt.
  assert.ok(most < 2_000, `at most ${most} lines in memory`);
});

test('without a compose function held lines stay in memory (the filter gate reads them)', () => {
  const out: string[] = [];
  const lines = new OrderedLines((l) => out.push(l), 10, 0);
  const a = lines.next();
  lines.hold(a, 'held a');
  const b = lines.next();
  lines.hold(b, 'held b');
  lines.decide(b, `${lines.take(b)} done`);
  assert.equal(lines.take(a), 'held a');
  lines.decide(a, 'a done');
  lines.finish();
  assert.deepEqual(out, ['a done', 'held b done']);
});
