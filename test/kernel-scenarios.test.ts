// Real kernels as the oracle (issue 3, "Oracles: Real kernels"): test/fixtures/kernel holds real
// Linux TCP recorded in two network namespaces by scripts/record-kernel-scenarios.sh — for each
// scenario a capture at each end and the kernel's own state sequence of every socket, polled from
// /proc/net/tcp. For every fixture and both captures, the states we infer for each endpoint
// (matched by address and port; a 4-tuple's connections in id order) contain the kernel's
// observed sequence as a subsequence (polling can miss short states, never invent one).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TRACKING, newFlowTable } from '../src/report/tracking.js';
import type { ConnRecord } from '../src/track/record.js';
import { CaptureReader } from '../src/wire/capture-reader.js';
import { Decoder } from '../src/wire/decode.js';
import { Packet } from '../src/wire/packet.js';
import { CaptureRecord } from '../src/wire/record.js';
import { FIXTURES } from './helpers/paths.js';

const DIR = join(FIXTURES, 'kernel');

interface Addr {
  ip: string;
  port: number;
}

interface Truth {
  scenario: string;
  description: string;
  captures: { client: string; server: string };
  sockets: { host: string; local: Addr; remote: Addr; states: string[] }[];
}

/** Every issue-3 item-2 scenario has a fixture. */
const SCENARIOS = [
  'normal-client-close',
  'normal-server-close',
  'merged-fin-ack',
  'half-close',
  'lost-syn',
  'lost-synack',
  'lost-ack-client-silent',
  'lost-ack-client-data',
  'lost-ack-server-first',
  'simultaneous-open',
  'simultaneous-close',
  'rst-established',
  'rst-close-wait',
  'rst-refused',
  'rst-unread-data',
  'forged-rst-exact',
  'forged-rst-in-window',
  'forged-rst-out-of-window',
  'keepalive',
  'zero-window',
  'time-wait-reuse',
];

function track(file: string): ConnRecord[] {
  const reader = new CaptureReader();
  reader.push(new Uint8Array(readFileSync(file)));
  reader.end();
  const decoder = new Decoder({ reassemble: true });
  const rec = new CaptureRecord();
  const pkt = new Packet();
  const out: ConnRecord[] = [];
  const table = newFlowTable(DEFAULT_TRACKING, (r) => out.push(r));
  while (reader.next(rec)) {
    decoder.decode(rec, pkt);
    table.process(pkt);
  }
  table.finish();
  return out.sort((a, b) => a.id - b.id);
}

const same = (a: Addr, b: Addr) => a.ip === b.ip && a.port === b.port;

/** The inferred states of the endpoint at `local` talking to `remote`, over its connections in id order. */
function inferredStates(records: ConnRecord[], local: Addr, remote: Addr): string[] {
  const out: string[] = [];
  for (const r of records) {
    if (same(r.orig, local) && same(r.resp, remote)) out.push(...r.states.orig);
    else if (same(r.resp, local) && same(r.orig, remote)) out.push(...r.states.resp);
  }
  return out;
}

function isSubsequence(needle: string[], hay: string[]): boolean {
  let i = 0;
  for (const s of hay) if (i < needle.length && s === needle[i]) i++;
  return i === needle.length;
}

const truths = readdirSync(DIR)
  .filter((f) => f.endsWith('.truth.json'))
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Truth);

test('a kernel fixture for every scenario of issue 3', () => {
  assert.deepEqual(truths.map((t) => t.scenario).sort(), [...SCENARIOS].sort());
  for (const t of truths) {
    assert.ok(t.sockets.length >= 1, `${t.scenario}: the kernel showed no socket`);
    for (const s of t.sockets) assert.ok(s.states.length >= 1);
  }
});

for (const truth of truths) {
  test(`kernel ${truth.scenario}: inferred states contain the kernel's at both capture points`, () => {
    for (const at of ['client', 'server'] as const) {
      const records = track(join(DIR, truth.captures[at]));
      assert.ok(records.length >= 1, `${at} capture: no connection`);
      for (const s of truth.sockets) {
        const inferred = inferredStates(records, s.local, s.remote);
        assert.ok(
          isSubsequence(s.states, inferred),
          `${truth.scenario}, ${at} capture, ${s.host} ${s.local.ip}:${s.local.port}: kernel ${s.states.join(' ')} / inferred ${inferred.join(' ')}`,
        );
      }
    }
  });
}
