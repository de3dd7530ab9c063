// Issue 14 items 4 and 5: `states` on a SYN flood. The text table once filtered every socket per
// host (quadratic: 100 k sources took minutes) and spread a host's rows into Math.max (130 k sockets
// on one host overflowed the stack). Both shapes here, rendered whole: they must end, and the table
// must hold every row once under its host.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStatesText, type StatesReport } from '../src/report/socket-table.js';

function report(hosts: number, socketsPerHost: number): StatesReport {
  const r: StatesReport = { at: 1000, hosts: {}, sockets: [], timewait: [], synflood: [] };
  for (let h = 0; h < hosts; h++) {
    const ip = `10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}`;
    r.hosts[ip] = { SYN_SENT: socketsPerHost };
    for (let k = 0; k < socketsPerHost; k++) {
      r.sockets.push({
        host: ip,
        local: { ip, port: 1024 + (k % 60000) },
        remote: { ip: '192.0.2.1', port: 80 },
        state: 'SYN_SENT',
        conn: h * socketsPerHost + k + 1,
        since: 999,
      });
    }
  }
  // socketsAt's order: by host text.
  r.sockets.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return r;
}

test('one host with 200 000 sockets: every row printed, no stack overflow', () => {
  const lines = renderStatesText(report(1, 200_000), 0);
  assert.equal(lines.filter((l) => l.includes('SYN_SENT')).length, 200_001); // rows + the host line
});

test('100 000 hosts with one socket each: the table ends, one block per host', { timeout: 120_000 }, () => {
  const lines = renderStatesText(report(100_000, 1), 0);
  assert.equal(lines.filter((l) => l.startsWith('host ')).length, 100_000);
  assert.equal(lines.filter((l) => l.includes('192.0.2.1:80')).length, 100_000);
});
