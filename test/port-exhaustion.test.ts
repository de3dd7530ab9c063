// `synack states --json` on real Linux connections that ran a client out of ephemeral ports
// (test/fixtures/port-exhaustion.pcap, recorded by scripts/record-port-exhaustion.sh over veth
// between two network namespaces with ip_local_port_range shrunk to 200 ports). The truth file
// holds what the client's kernel said at the end of the run (`ss -Htan state time-wait`).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TimeWaitEntry } from '../src/track/host-states.js';
import { FIXTURES } from './helpers/paths.js';
import { jsonLines, synack } from './helpers/synack-cli.js';

const PCAP = join(FIXTURES, 'port-exhaustion.pcap');
const truth = JSON.parse(readFileSync(join(FIXTURES, 'port-exhaustion.truth.json'), 'utf8')) as {
  client: string;
  server: string;
  port: number;
  ip_local_port_range: [number, number];
  time_wait: number;
  time_wait_to_server_port: number;
  connections: number;
  low_port: number;
  high_port: number;
};

interface StatesJson {
  at: number;
  hosts: Record<string, Record<string, number>>;
  sockets: { host: string; local: { ip: string; port: number }; state: string; conn: number | null }[];
  timewait: TimeWaitEntry[];
}

test('the TIME_WAIT count at the end of the capture is what the client kernel reported', () => {
  const r = synack(['states', '--json', PCAP]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as StatesJson;
  assert.equal(s.hosts[truth.client]?.TIME_WAIT, truth.time_wait);
  const tw = s.sockets.filter((k) => k.host === truth.client && k.state === 'TIME_WAIT');
  assert.equal(tw.length, truth.time_wait);
  // One socket per ephemeral port, every port of the range.
  const ports = new Set(tw.map((k) => k.local.port));
  assert.equal(ports.size, truth.time_wait);
  const [low, high] = truth.ip_local_port_range;
  assert.ok([...ports].every((p) => p >= low && p <= high));
  // The server side is gone (it closed second), only its listener remains.
  assert.deepEqual(s.hosts[truth.server], { LISTEN: 1 });
});

test('the client/server/port triple is reported exhausted, with the seed-001 arithmetic', () => {
  const s = JSON.parse(synack(['states', '--json', PCAP]).stdout) as StatesJson;
  const entry = s.timewait.find(
    (e) => e.client === truth.client && e.server === truth.server && e.port === truth.port,
  );
  assert.ok(entry, JSON.stringify(s.timewait));
  assert.equal(entry.exhausted, true);
  assert.equal(entry.max_time_wait, truth.time_wait_to_server_port);
  assert.deepEqual(entry.ports, { low: truth.low_port, high: truth.high_port });
  const usable = truth.high_port - truth.low_port + 1;
  assert.equal(entry.sustainable_rate, Math.round((usable / 60) * 1000) / 1000);
  assert.ok(entry.rate > entry.sustainable_rate);
  assert.match(entry.advice.en, /ran out of ports/);
  assert.match(entry.advice.zh, /端口已经耗尽/);
  assert.equal(s.timewait.length, 1);
  // With RFC 9293's 2×MSL (240 s) the sustainable rate is four times lower: still exhausted.
  const rfc = JSON.parse(synack(['states', '--json', '--time-wait', '240', PCAP]).stdout) as StatesJson;
  assert.equal(rfc.timewait[0]?.sustainable_rate, Math.round((usable / 240) * 1000) / 1000);
  assert.equal(rfc.timewait[0]?.exhausted, true);
});

test('every connection of the run left its client in TIME_WAIT; a filter keeps the triple out', () => {
  const recs = jsonLines<{ final: { orig: string; resp: string }; conn_state: string }>(
    synack(['conns', '--json', PCAP]).stdout,
  );
  assert.equal(recs.length, truth.connections);
  assert.ok(
    recs.every((r) => r.final.orig === 'TIME_WAIT' && r.final.resp === 'CLOSED' && r.conn_state === 'SF'),
  );
  const other = JSON.parse(
    synack(['states', '--json', '--filter', `not port ${truth.port}`, PCAP]).stdout,
  ) as StatesJson;
  assert.deepEqual(other.timewait, []);
  assert.deepEqual(other.hosts, {});
});
