// Corpus runs: connection tracking works on every capture of ../shared/corpus without error, and
// the Suricata oracle (issue 3) agrees where its mapping applies (scripts/parity-suricata.ts).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connRecords, suricataParity } from '../scripts/parity-suricata.js';
import { CORPUS, SURICATA_CORPUS } from './helpers/paths.js';

function captures(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out;
}

test('every corpus capture gives well-formed connection records', async (t) => {
  const files = captures(CORPUS);
  if (files.length === 0) return t.skip('corpus not present');
  for (const f of files) {
    let recs: Awaited<ReturnType<typeof connRecords>>;
    try {
      recs = await connRecords(f);
    } catch (err) {
      // A file-level fault is the reader's verdict, not a tracker crash.
      assert.equal((err as Error).name, 'FileFault', `${f}: ${(err as Error).message}`);
      continue;
    }
    const ids = recs.map((r) => r.id).sort((a, b) => a - b);
    assert.deepEqual(
      ids,
      ids.map((_, i) => i + 1),
      `${f}: ids 1..n, each once`,
    );
    for (const r of recs) {
      assert.equal(r.final.orig, r.states.orig[r.states.orig.length - 1], f);
      for (const l of [r.states.orig, r.states.resp]) {
        for (let i = 1; i < l.length; i++) assert.notEqual(l[i], l[i - 1], `${f}: no consecutive repeats`);
      }
      assert.ok(r.endUsec >= r.startUsec, f);
    }
  }
});

test('Suricata tcp.state agrees with our final states (issue 3 mapping)', async (t) => {
  if (!existsSync(SURICATA_CORPUS)) return t.skip('suricata-verify corpus not present');
  const checks = await suricataParity(SURICATA_CORPUS);
  const agree = checks.filter((c) => c.agree).length;
  // 12 checks; the 3 disagreements are server-first closes: Suricata says "closed" once the close
  // exchange is done, while that server (resp) is rightly in TIME_WAIT.
  assert.ok(agree >= 9, `agreement ${agree}/${checks.length}`);
  for (const c of checks.filter((x) => !x.agree)) {
    assert.equal(c.state, 'closed', `${c.name}: ${c.ours}`);
    assert.match(c.ours, /^CLOSED\/TIME_WAIT/, c.name);
  }
});
