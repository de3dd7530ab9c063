// `synack watch` against the kernel: real sockets in network namespaces this test creates (and
// deletes), checked against `ss -tanp` run in the same namespace — every socket, its state and
// its owning pids — for listeners, ESTABLISHED (IPv4, IPv6, IPv4-mapped), client FIN_WAIT_2 and
// TIME_WAIT, server CLOSE_WAIT, and SYN_SENT to a port an nftables rule blackholes. `--changes`
// must see every transition of a scripted connection slower than the poll interval; the terminal
// view runs under tmux (keys p and q). Plus the pure parts: /proc parsing and the model's diff.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ProcTimer, parseProcNetTcp } from '../src/live/proc-net.js';
import { parseProcNetstat } from '../src/live/proc-netstat.js';
import { WatchModel, type WatchSocket, watchSockets } from '../src/live/watch-model.js';
import { parseSortKeys } from '../src/live/watch-sort.js';
import { leakLines, snapshotText, ssTimeText, timerText, watchJson } from '../src/report/watch-table.js';
import { STATE_NAMES, TcpState } from '../src/tcp/state.js';
import { Agent, canUseNetns, hasCommand, Netns, sleep, vethPair } from './helpers/netns.js';
import { FIXTURES, REPO_ROOT } from './helpers/paths.js';
import {
  compareWithSs,
  parseSsLines,
  SS_STATES,
  ssTimeMs,
  WATCH_FIELDS,
  watchSocketsFromJson,
} from './helpers/ss-text.js';
import { synack, synackArgv } from './helpers/synack-cli.js';

/** Runs synack inside a namespace (or here when ns is null) and returns stdout. */
function synackIn(
  ns: Netns | null,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const argv = synackArgv(...args);
  const full = ns === null ? argv : ['ip', 'netns', 'exec', ns.name, ...argv];
  const r = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', cwd: REPO_ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------- pure parts

describe('/proc/net/tcp parsing', () => {
  const v4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1388 00000000:0000 0A 00000000:00000002 00:00000000 00000000  1000        0 157077 1 0000000000000000 100 0 0 10 0
   1: 0200000A:D7CA 0100000A:1388 06 00000000:00000000 03:00000BB8 00000000     0        0 0 3 0000000000000000
   2: 0200000A:D7CB 0100000A:1387 0C 00000000:00000000 01:00000064 00000001     0        0 0 0 0000000000000000
   3: 0200000A:D7CC 0100000A:1386 02 00000001:00000000 01:0000002A 00000002  1000        0 424242 1 0000000000000000 100 0 0 10 -1
`;

  test('little-endian words, Linux state numbers, timers in clock ticks', () => {
    const s = parseProcNetTcp(v4, 4, true);
    assert.equal(s.length, 4);
    assert.deepEqual(
      s.map((x) => [x.localIp, x.localPort, x.remoteIp, x.remotePort, TcpState[x.state], x.inode]),
      [
        ['127.0.0.1', 5000, '0.0.0.0', 0, 'LISTEN', 157077],
        ['10.0.0.2', 55242, '10.0.0.1', 5000, 'TIME_WAIT', 0],
        ['10.0.0.2', 55243, '10.0.0.1', 4999, 'SYN_RECEIVED', 0],
        ['10.0.0.2', 55244, '10.0.0.1', 4998, 'SYN_SENT', 424242],
      ],
    );
    assert.equal(s[0]!.rxQueue, 2);
    assert.equal(s[0]!.uid, 1000);
    assert.equal(s[1]!.timer, ProcTimer.TIME_WAIT);
    assert.equal(s[1]!.timerMs, 30_000, '0xBB8 ticks = 30 s left of TIME_WAIT');
    assert.equal(s[2]!.linuxState, 0x0c, 'NEW_SYN_RECV is netstat’s SYN_RECV');
    assert.equal(s[3]!.retransmits, 2);
    assert.equal(s[3]!.txQueue, 1);
  });

  test('the same text from a big-endian host reads each word the other way round', () => {
    const s = parseProcNetTcp(v4, 4, false);
    assert.equal(s[0]!.localIp, '1.0.0.127');
  });

  test('IPv6 words, IPv4-mapped addresses as ss prints them', () => {
    const v6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1389 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 157077 1 0
   1: 0000000000000000FFFF00000100007F:1389 0000000000000000FFFF00000100007F:EACE 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0
   2: 000077FD000000000000000001000000:1389 000077FD000000000000000002000000:EACE 08 00000000:00000000 00:00000000 00000000     0        0 99 1 0
`;
    const s = parseProcNetTcp(v6, 6, true);
    assert.deepEqual(
      s.map((x) => `${x.localIp} ${x.localPort} ${x.remoteIp} ${x.remotePort} ${TcpState[x.state]}`),
      [
        ':: 5001 :: 0 LISTEN',
        '::ffff:127.0.0.1 5001 ::ffff:127.0.0.1 60110 ESTABLISHED',
        'fd77::1 5001 fd77::2 60110 CLOSE_WAIT',
      ],
    );
  });
});

/** An ESTABLISHED socket of pid 42 (srv, uid 1000), with `over` changed. */
const sock = (over: Partial<WatchSocket>): WatchSocket => ({
  ipVersion: 4,
  localIp: '10.0.0.1',
  localPort: 80,
  remoteIp: '10.0.0.2',
  remotePort: 40000,
  state: TcpState.ESTABLISHED,
  pids: [42],
  command: 'srv',
  inode: 7,
  timeWaitLeftMs: -1,
  txQueue: 0,
  rxQueue: 0,
  uid: 1000,
  timer: null,
  ...over,
});

describe('watch model', () => {
  test('new, changed and closed sockets are marked for a few refreshes; transitions carry the old owner', () => {
    const m = new WatchModel({ highlightPolls: 2 });
    assert.deepEqual(
      m.update([sock({ localPort: 22, remotePort: 0, remoteIp: '0.0.0.0', state: TcpState.LISTEN })], 0),
      [],
    );
    const t1 = m.update(
      [sock({ localPort: 22, remotePort: 0, remoteIp: '0.0.0.0', state: TcpState.LISTEN }), sock({})],
      1000,
    );
    assert.deepEqual(
      t1.map((t) => [t.from, t.to]),
      [[null, TcpState.ESTABLISHED]],
    );
    assert.equal(m.rows().find((r) => r.sock.localPort === 80)!.mark, 'new');
    // The kernel swaps in a TIME_WAIT mini-socket: same 4-tuple, inode 0, no owner.
    const t2 = m.update(
      [
        sock({ localPort: 22, remotePort: 0, remoteIp: '0.0.0.0', state: TcpState.LISTEN }),
        sock({ state: TcpState.TIME_WAIT, pids: [], command: null, inode: 0, timeWaitLeftMs: 59_000 }),
      ],
      3000,
    );
    assert.equal(t2.length, 1);
    assert.deepEqual(
      [t2[0]!.from, t2[0]!.to, t2[0]!.inFromMs, t2[0]!.pids],
      [TcpState.ESTABLISHED, TcpState.TIME_WAIT, 2000, [42]],
    );
    const row = m.rows().find((r) => r.sock.localPort === 80)!;
    assert.equal(row.mark, 'changed');
    assert.equal(m.timeInStateMs(row, 3000), 1000, 'TIME_WAIT elapsed = 60 s minus what /proc says is left');
    const t3 = m.update([], 4000);
    assert.deepEqual(t3.map((t) => [t.from, t.to]).sort(), [
      [TcpState.LISTEN, TcpState.CLOSED],
      [TcpState.TIME_WAIT, TcpState.CLOSED],
    ]);
    assert.equal(m.rows().length, 2, 'closed rows stay while highlighted');
    assert.equal(m.counts().size, 0, 'closed rows are not counted');
    m.update([], 5000);
    m.update([], 6000);
    assert.equal(m.rows().length, 0);
  });

  test('lasting CLOSE_WAIT and growing TIME_WAIT warn', () => {
    const m = new WatchModel({ closeWaitAgeMs: 5000, timeWaitGrowth: 3, growthWindowMs: 10_000 });
    const tw = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        sock({
          remotePort: 50000 + i,
          state: TcpState.TIME_WAIT,
          pids: [],
          command: null,
          inode: 0,
          timeWaitLeftMs: 60_000,
        }),
      );
    const cw = sock({ state: TcpState.CLOSE_WAIT, pids: [42], command: 'leaky' });
    m.update([cw, ...tw(1)], 0);
    assert.deepEqual(m.warnings(0), []);
    m.update([cw, ...tw(5)], 6000);
    const w = m.warnings(6000);
    assert.equal(w.length, 2, w.join('\n'));
    assert.match(w[0]!, /^CLOSE_WAIT: 1 socket of leaky \(pid 42\) for 6\.0s/);
    assert.match(w[1]!, /^TIME_WAIT growing: 1 → 5 in 6\.0s/);
  });

  test('filters: port, state, and pid including a TIME_WAIT socket the pid held', () => {
    const m = new WatchModel({}, { pid: 42 });
    m.update([sock({}), sock({ remotePort: 1, pids: [7] })], 0);
    m.update(
      [
        sock({ state: TcpState.TIME_WAIT, pids: [], inode: 0, timeWaitLeftMs: 60_000 }),
        sock({ remotePort: 1, pids: [7] }),
      ],
      1000,
    );
    assert.deepEqual(
      m.rows().map((r) => [r.sock.remotePort, TcpState[r.sock.state]]),
      [[40000, 'TIME_WAIT']],
    );
  });
});

// ---------------------------------------------------------------- against ss, recorded

describe('watch against ss -tanoepH on a recorded namespace (test/fixtures/watch)', () => {
  const dir = join(FIXTURES, 'watch');
  const procSockets = [
    ...parseProcNetTcp(readFileSync(join(dir, 'tcp'), 'latin1'), 4, true),
    ...parseProcNetTcp(readFileSync(join(dir, 'tcp6'), 'latin1'), 6, true),
  ];
  const ours = watchSockets(procSockets, { pids: new Map(), commands: new Map(), fdCounts: new Map() });
  const ss = parseSsLines(readFileSync(join(dir, 'ss.txt'), 'utf8'));

  test('the recording holds what watch must show: every timer kind, queues, another uid, request sockets', () => {
    const states = new Set(ss.map((p) => p.state));
    for (const st of Object.values(SS_STATES).filter((s) => s !== 'CLOSING' && s !== 'CLOSED'))
      assert.ok(states.has(st), st);
    assert.deepEqual([...new Set(ss.map((p) => p.timer?.kind).filter((k) => k !== undefined))].sort(), [
      'keepalive',
      'persist',
      'retransmit',
      'timewait',
    ]);
    assert.ok(ss.some((p) => p.uid === 65534));
    assert.ok(
      ss.some((p) => p.state === 'LISTEN' && p.recvQ > 0),
      'a listener with connections waiting',
    );
  });

  test('every socket and field agrees with ss: state, Recv-Q, Send-Q, timer (kind, count, time left), uid, inode', () => {
    const c = compareWithSs(ours, ss, 200, false);
    for (const f of WATCH_FIELDS) {
      if (f === 'pids') continue;
      assert.ok(c.fields[f].total > 0, `${f} compared`);
      assert.deepEqual(c.fields[f].misses, [], f);
    }
    assert.equal(c.fields.socket.total, ss.length);
    assert.ok(c.fields.timer_left.total >= 10);
  });

  test('the table prints ss -o timers, Recv-Q and Send-Q (a listener: its accept queue, and - for the backlog /proc hides)', () => {
    const m = new WatchModel();
    m.update(ours, 0);
    const lines = snapshotText(
      { rows: m.rows(), counts: m.counts(), warnings: [], nowMs: 0, timeInStateMs: () => 0 },
      true,
    );
    assert.match(
      lines[1]!,
      /^proto +Recv-Q +Send-Q +local +remote +state +timer +uid +inode +pid\/command +in state$/,
    );
    assert.match(lines.join('\n'), /^tcp +2 +- +127\.0\.0\.1:7001 +0\.0\.0\.0:0 +LISTEN +0 +\d+ +-/m);
    assert.match(lines.join('\n'), /^tcp +301 +0 +127\.0\.0\.1:7002 +127\.0\.0\.1:\d+ +CLOSE_WAIT +0 +\d+/m);
    assert.match(
      lines.join('\n'),
      /^tcp6 +0 +0 +\[::1\]:\d+ +\[::1\]:7004 +ESTABLISHED +keepalive,4min5\dsec,0 /m,
    );
    assert.match(
      lines.join('\n'),
      /^tcp +0 +0 +127\.0\.0\.1:\d+ +127\.0\.0\.1:7003 +TIME_WAIT +timewait,5\dsec,0 /m,
    );
    assert.match(lines.join('\n'), /^tcp +0 +0 +127\.0\.0\.1:\d+ +127\.0\.0\.1:7006 +ESTABLISHED +65534 /m);
    // Every timer cell reads as ss -o's: same kind and count, and a time within the recording's gap.
    for (const p of ss) {
      if (p.timer === null) continue;
      const o = ours.find(
        (s) => `${s.localIp} ${s.localPort}` === p.local && `${s.remoteIp} ${s.remotePort}` === p.remote,
      )!;
      const [kind, time, count] = timerText(o.timer).split(',');
      const [ssKind, ssTime, ssCount] = p.timer.text.slice('timer:('.length, -1).split(',');
      assert.deepEqual([kind, count], [ssKind, ssCount], p.timer.text);
      assert.ok(
        Math.abs(ssTimeMs(time!) - ssTimeMs(ssTime!)) <= 1200,
        `${timerText(o.timer)} vs ${p.timer.text}`,
      );
    }
  });

  test('--json carries the same fields: recv_q, send_q (null for a listener), timer, uid', () => {
    const lines = ours.map((s) => JSON.parse(watchJson(s)));
    const listener = lines.find((o) => o.local.port === 7001 && o.state === 'LISTEN');
    assert.deepEqual([listener.recv_q, listener.send_q, listener.timer, listener.uid], [2, null, null, 0]);
    const keepalive = lines.find((o) => o.remote.port === 7004);
    assert.equal(keepalive.timer.kind, 'keepalive');
    assert.ok(keepalive.timer.left_ms > 290_000 && keepalive.timer.left_ms <= 300_000);
    const synSent = lines.filter((o) => o.state === 'SYN_SENT');
    assert.deepEqual(
      synSent.map((o) => [o.send_q, o.timer.kind, o.timer.count]),
      [
        [1, 'retransmit', 1],
        [1, 'retransmit', 1],
      ],
    );
  });

  test('ListenOverflows from /proc/net/netstat; a rise between polls warns and names the fullest listener', () => {
    const counters = parseProcNetstat(readFileSync(join(dir, 'netstat'), 'latin1'));
    const base = counters.get('TcpExt.ListenOverflows');
    assert.equal(typeof base, 'number');
    assert.ok(counters.has('IpExt.InOctets'), 'every group read');
    const m = new WatchModel();
    m.update(ours, 0, base!);
    assert.deepEqual(m.warnings(0), []);
    m.update(ours, 1000, base! + 3);
    assert.deepEqual(
      m.warnings(1000).filter((w) => w.startsWith('listen')),
      [
        'listen queue overflow: 3 connection attempts dropped in 1.0s (TcpExt ListenOverflows, this network namespace); ' +
          'longest accept queue: 127.0.0.1:7001 (Recv-Q 2): the application is not accepting fast enough',
      ],
    );
  });
});

describe('watch: ss -o time text, sort keys, leak view, filters', () => {
  test('times as ss prints them (misc/ss.c print_ms_timer)', () => {
    assert.deepEqual(
      [0, 70, 496, 1000, 2852, 9999, 31_000, 31_500, 60_000, 296_460, 599_999, 7_140_000].map(ssTimeText),
      [
        '',
        '070ms',
        '496ms',
        '1sec',
        '2.852ms',
        '9.999ms',
        '31sec',
        '31sec',
        '1min',
        '4min56sec',
        '9min59sec',
        '119min',
      ],
    );
    for (const ms of [70, 2852, 31_000, 296_000, 7_140_000]) assert.equal(ssTimeMs(ssTimeText(ms)), ms);
  });

  test('--sort keys: -recvq, state, timer, local (numeric address order); unknown keys refused', () => {
    const m = new WatchModel();
    m.update(
      [
        sock({ localIp: '9.0.0.1', rxQueue: 5, inode: 1 }),
        sock({ localIp: '10.0.0.1', rxQueue: 50, inode: 2, state: TcpState.CLOSE_WAIT }),
        sock({
          localIp: '192.168.0.1',
          rxQueue: 0,
          inode: 3,
          remotePort: 0,
          remoteIp: '0.0.0.0',
          state: TcpState.LISTEN,
        }),
        sock({ localIp: '10.0.0.3', inode: 4, timer: { kind: 'keepalive', leftMs: 5000, count: 0 } }),
      ],
      0,
    );
    const order = (text: string) => m.rows(parseSortKeys(text)).map((r) => r.sock.inode);
    assert.deepEqual(order(''), [3, 1, 2, 4], 'default: listeners first, then by address');
    assert.deepEqual(order('-recvq'), [2, 1, 3, 4]);
    assert.deepEqual(order('local'), [1, 2, 4, 3], '9.0.0.1 < 10.0.0.1 < 10.0.0.3 < 192.168.0.1');
    assert.deepEqual(order('-state,inode'), [2, 1, 4, 3]);
    assert.deepEqual(order('timer'), [4, 3, 1, 2], 'no timer sorts last');
    assert.deepEqual(order('-timer'), [4, 3, 1, 2], 'no timer sorts last, also descending');
    assert.throws(() => parseSortKeys('recvq,bogus'), /--sort: unknown key 'bogus'/);
  });

  test('the CLOSE_WAIT leak view: which process holds how many, for how long, with unread bytes and fds', () => {
    const m = new WatchModel();
    const cw = (port: number, pid: number, over: Partial<WatchSocket> = {}) =>
      sock({
        state: TcpState.CLOSE_WAIT,
        remotePort: port,
        pids: [pid],
        command: pid === 42 ? 'leaky' : 'other',
        inode: port,
        ...over,
      });
    m.update([cw(1, 42, { rxQueue: 10 }), cw(2, 7)], 0);
    const first = leakLines(m.leaks(0));
    assert.match(first[0]!, /^CLOSE_WAIT: 2 sockets held by 2 processes$/);
    assert.match(first[2]!, /^7\/other +1 +\? +\? +0 /);
    assert.match(first[3]!, /^42\/leaky +1 +\? +\? +10 /);
    assert.match(first[first.length - 1]!, /^\? = there at the first poll/);
    m.update(
      [
        cw(1, 42, { rxQueue: 10 }),
        cw(2, 7),
        cw(3, 42, { rxQueue: 5, remoteIp: '10.0.0.9' }),
        cw(4, 0, { pids: [], command: null }),
      ],
      20_000,
    );
    m.update(
      [
        cw(1, 42, { rxQueue: 10 }),
        cw(2, 7),
        cw(3, 42, { rxQueue: 5, remoteIp: '10.0.0.9' }),
        cw(4, 0, { pids: [], command: null }),
        cw(5, 42),
      ],
      80_000,
    );
    const groups = m.leaks(80_000, 0, new Map([[42, { fds: 900, fdLimit: 1024 }]]));
    assert.deepEqual(
      groups.map((g) => [
        g.pids,
        g.sockets,
        g.oldestMs,
        g.oldestSinceStart,
        g.newestMs,
        g.unreadBytes,
        g.peers,
        g.localPorts,
      ]),
      [
        [[42], 3, 80_000, true, 0, 15, 2, [80]],
        [[7], 1, 80_000, true, 80_000, 0, 1, [80]],
        [[], 1, 60_000, false, 60_000, 0, 1, [80]],
      ],
    );
    const text = leakLines(groups);
    assert.match(text[0]!, /^CLOSE_WAIT: 5 sockets held by 2 processes and by no known process$/);
    assert.match(text[1]!, /^pid\/command +sockets +oldest +newest +unread +peers +local ports +fds$/);
    assert.match(text[2]!, /^42\/leaky +3 +≥1m20s +0\.0s +15 +2 +80 +900\/1024$/);
    assert.match(text[4]!, /^- +1 +1m00s +1m00s /);
    // The warning groups the same way, counting sockets in CLOSE_WAIT for 10 s or more.
    assert.ok(
      m
        .warnings(80_000)
        .some(
          (w) => w.startsWith('CLOSE_WAIT: 2 sockets of leaky (pid 42) for 1m20s or less'),
          'the one 0 s old is not yet a leak',
        ),
    );
  });

  test('--uid and --command filter rows; TIME_WAIT keeps the command that held it', () => {
    const m = new WatchModel({}, { command: 'srv' });
    m.update([sock({}), sock({ remotePort: 1, pids: [7], command: 'other', uid: 0 })], 0);
    m.update(
      [
        sock({
          state: TcpState.TIME_WAIT,
          pids: [],
          command: null,
          inode: 0,
          uid: 0,
          timeWaitLeftMs: 60_000,
        }),
        sock({ remotePort: 1, pids: [7], command: 'other', uid: 0 }),
      ],
      1000,
    );
    assert.deepEqual(
      m.rows().map((r) => STATE_NAMES[r.sock.state]),
      ['TIME_WAIT'],
    );
    const byUid = new WatchModel({}, { uid: 1000 });
    byUid.update([sock({}), sock({ remotePort: 1, uid: 0 })], 0);
    assert.deepEqual(
      byUid.rows().map((r) => r.sock.remotePort),
      [40000],
    );
  });

  test('usage errors name the option, exit 1, one line', () => {
    for (const [args, want] of [
      [['--sort', 'bogus'], /--sort: unknown key 'bogus'/],
      [['--uid', '-3'], /--uid wants an integer/],
    ] as const) {
      const r = synack(['watch', '--once', ...args]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

// ---------------------------------------------------------------- against the kernel

interface SsRow {
  state: string;
  local: string;
  remote: string;
  pids: number[];
  command: string | null;
}

function ssRows(ns: Netns): SsRow[] {
  return parseSsLines(ns.exec('ss', '-tanpH')).map(({ state, local, remote, pids, command }) => ({
    state,
    local,
    remote,
    pids,
    command,
  }));
}

function watchRows(ns: Netns | null, ...extra: string[]): SsRow[] {
  const r = synackIn(ns, 'watch', '--once', '--json', ...extra);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const o = JSON.parse(l) as {
        local: { ip: string; port: number };
        remote: { ip: string; port: number };
        state: string;
        pids: number[];
        command: string | null;
        inode: number;
      };
      assert.deepEqual(
        Object.keys(o),
        ['local', 'remote', 'state', 'pids', 'command', 'inode', 'uid', 'recv_q', 'send_q', 'timer'],
        'the contract’s fields, then ss’s',
      );
      return {
        state: o.state,
        local: `${o.local.ip} ${o.local.port}`,
        remote: `${o.remote.ip} ${o.remote.port}`,
        pids: o.pids,
        command: o.command,
      };
    });
}

const key = (r: SsRow) => `${r.state} ${r.local} > ${r.remote}`;
const sorted = (rows: SsRow[]) =>
  rows.map((r) => `${key(r)} pids=${r.pids.join(',')} cmd=${r.command}`).sort();

const netnsOk = canUseNetns();
const nftOk = hasCommand('nft');

describe('watch on real sockets', { skip: netnsOk ? false : 'needs root and ip netns' }, () => {
  const tag = String(process.pid % 100000);
  let server: Netns;
  let client: Netns;
  const agents: Agent[] = [];
  const children: ChildProcess[] = [];

  before(() => {
    server = new Netns(`synack-w-${tag}s`);
    client = new Netns(`synack-w-${tag}c`);
    vethPair(server, client, tag);
  });

  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const a of agents) a.kill();
    server?.delete();
    client?.delete();
  });

  const agentIn = (ns: Netns | null) => {
    const a = new Agent(ns);
    agents.push(a);
    return a;
  };

  test('--once --json reports exactly the sockets, states and pids ss -tanp reports', {
    skip: nftOk ? false : 'needs nft',
  }, async () => {
    server.exec(
      'nft',
      'add table inet synack; add chain inet synack in { type filter hook input priority 0; }; add rule inet synack in tcp dport 5999 drop',
    );
    const srv = agentIn(server);
    const cli = agentIn(client);
    await srv.cmd({ op: 'listen', id: 'L4', host: '10.77.0.1', port: 5000 });
    await srv.cmd({ op: 'listen', id: 'L6', host: '::', port: 5001 });
    await cli.cmd({ op: 'connect', id: 'est', host: '10.77.0.1', port: 5000 });
    await cli.cmd({ op: 'connect', id: 'halfclosed', host: '10.77.0.1', port: 5000 });
    await cli.cmd({ op: 'connect', id: 'closed', host: '10.77.0.1', port: 5000 });
    await cli.cmd({ op: 'connect', id: 'est6', host: 'fd77::1', port: 5001 });
    await cli.cmd({ op: 'connect', id: 'mapped', host: '10.77.0.1', port: 5001 });
    await cli.cmd({ op: 'connect', id: 'blackholed', host: '10.77.0.1', port: 5999, wait: false });
    await srv.cmd({ op: 'accepted', server: 'L4', n: 3 });
    await srv.cmd({ op: 'accepted', server: 'L6', n: 2 });
    // Client closes two; the server answers only the second: CLOSE_WAIT there, TIME_WAIT here.
    await cli.cmd({ op: 'end', id: 'halfclosed' });
    await cli.cmd({ op: 'end', id: 'closed' });
    await sleep(100);
    await srv.cmd({ op: 'end', id: 'L4.3' });
    await sleep(150);

    const expectClient = [
      'ESTABLISHED 10.77.0.2 * > 10.77.0.1 5000',
      'FIN_WAIT_2 10.77.0.2 * > 10.77.0.1 5000',
      'TIME_WAIT 10.77.0.2 * > 10.77.0.1 5000',
      'ESTABLISHED fd77::2 * > fd77::1 5001',
      'ESTABLISHED 10.77.0.2 * > 10.77.0.1 5001',
      'SYN_SENT 10.77.0.2 * > 10.77.0.1 5999',
    ].sort();
    const expectServer = [
      'LISTEN 10.77.0.1 5000 > 0.0.0.0 0',
      'LISTEN :: 5001 > :: 0',
      'ESTABLISHED 10.77.0.1 5000 > 10.77.0.2 *',
      'CLOSE_WAIT 10.77.0.1 5000 > 10.77.0.2 *',
      'ESTABLISHED fd77::1 5001 > fd77::2 *',
      'ESTABLISHED ::ffff:10.77.0.1 5001 > ::ffff:10.77.0.2 *',
    ].sort();
    const wildPorts = (r: SsRow) => key(r).replace(/ (\d{5})( >|$)/g, ' *$2');

    let timersCompared = 0;
    for (const [ns, agent, expected] of [
      [client, cli, expectClient],
      [server, srv, expectServer],
    ] as const) {
      const ss = ssRows(ns);
      const ours = watchRows(ns);
      assert.deepEqual(ours.map(wildPorts).sort(), expected, `${ns.name}: the scripted states`);
      assert.deepEqual(
        sorted(ours),
        sorted(ss),
        `${ns.name}: same sockets, states, pids and commands as ss -tanp`,
      );
      for (const r of ours) {
        if (r.state === 'TIME_WAIT') assert.deepEqual(r.pids, [], 'TIME_WAIT has no owner');
        else assert.deepEqual(r.pids, [agent.pid], `${key(r)} is owned by the agent`);
      }
      // Every field ss -tanoep shows: queues, timers (kind, count, time left), uid, inode, pids.
      const t0 = Date.now();
      const json = synackIn(ns, 'watch', '--once', '--json');
      const ssFull = parseSsLines(ns.exec('ss', '-tanoepH'));
      const c = compareWithSs(watchSocketsFromJson(json.stdout), ssFull, Date.now() - t0, true);
      for (const f of WATCH_FIELDS) assert.deepEqual(c.fields[f].misses, [], `${ns.name}: ${f}`);
      timersCompared += c.fields.timer_left.total;
    }
    assert.ok(timersCompared >= 2, 'TIME_WAIT and SYN_SENT timers compared');

    // The filters select from the same table.
    const cw = watchRows(server, '--state', 'close-wait');
    assert.deepEqual(
      cw.map((r) => r.state),
      ['CLOSE_WAIT'],
    );
    const p5001 = watchRows(client, '--port', '5001');
    assert.equal(p5001.length, 2);
    assert.equal(watchRows(client, '--pid', String(srv.pid)).length, 0);
    // The table view names the states and owners too.
    const text = synackIn(server, 'watch', '--once');
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^6 sockets {2}LISTEN 2 {2}ESTABLISHED 3 {2}CLOSE_WAIT 1$/m);
    assert.match(
      text.stdout,
      new RegExp(`10\\.77\\.0\\.1:5000 +10\\.77\\.0\\.2:\\d+ +CLOSE_WAIT +${srv.pid}/node`),
    );
  });

  test('on loopback in this namespace: a listener and both ends of a connection, with pids', async () => {
    const a = agentIn(null);
    const { port } = (await a.cmd({ op: 'listen', id: 'L', host: '127.0.0.1', port: 0 })) as unknown as {
      port: number;
    };
    await a.cmd({ op: 'connect', id: 'c', host: '127.0.0.1', port });
    await a.cmd({ op: 'accepted', server: 'L', n: 1 });
    const rows = watchRows(null, '--port', String(port));
    assert.deepEqual(rows.map((r) => r.state).sort(), ['ESTABLISHED', 'ESTABLISHED', 'LISTEN']);
    for (const r of rows) assert.deepEqual(r.pids, [a.pid]);
  });

  test('--changes sees every transition of a scripted connection', {
    skip: nftOk ? false : 'needs nft',
  }, async () => {
    server.exec(
      'nft',
      'add table inet synack2; add chain inet synack2 in { type filter hook input priority 0; }; add rule inet synack2 in tcp dport 6000 drop',
    );
    const srv = agentIn(server);
    const cli = agentIn(client);
    await srv.ready;
    await cli.ready;
    const argv = [
      'ip',
      'netns',
      'exec',
      client.name,
      ...synackArgv('watch', '--changes', '--json', '--interval', '0.1'),
    ];
    const watcher = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT });
    children.push(watcher);
    let out = '';
    watcher.stdout.on('data', (d) => {
      out += d;
    });
    // The watcher's first poll is its baseline: a probe connection seen as new proves it is taken.
    await srv.cmd({ op: 'listen', id: 'P', host: '10.77.0.1', port: 6001 });
    for (let i = 0; i < 100 && !/"port":6001\},"from":null,"to":"ESTABLISHED"/.test(out); i++) {
      if (i % 10 === 0) await cli.cmd({ op: 'connect', id: `probe${i}`, host: '10.77.0.1', port: 6001 });
      await sleep(100);
    }
    const step = () => sleep(400);
    await srv.cmd({ op: 'listen', id: 'L', host: '10.77.0.1', port: 6000 });
    await cli.cmd({ op: 'connect', id: 'c', host: '10.77.0.1', port: 6000, wait: false });
    await step(); // SYN_SENT, its SYN dropped
    server.exec('nft', 'delete table inet synack2');
    await srv.cmd({ op: 'accepted', server: 'L', n: 1 }); // the SYN retransmission (1 s) gets through
    await step();
    await cli.cmd({ op: 'end', id: 'c' });
    await step(); // FIN_WAIT_2
    await srv.cmd({ op: 'end', id: 'L.1' });
    await step(); // TIME_WAIT
    watcher.kill('SIGINT');
    await new Promise((r) => watcher.once('exit', r));
    assert.equal(watcher.exitCode, 0);
    const changes = out
      .split('\n')
      .filter((l) => l !== '')
      .map(
        (l) =>
          JSON.parse(l) as {
            local: { port: number };
            remote: { port: number };
            from: string | null;
            to: string;
            pids: number[];
          },
      );
    const mine = changes.filter((c) => c.remote.port === 6000);
    const path = mine.map((c) => `${c.from ?? 'NEW'}->${c.to}`);
    assert.deepEqual(
      path,
      ['NEW->SYN_SENT', 'SYN_SENT->ESTABLISHED', 'ESTABLISHED->FIN_WAIT_2', 'FIN_WAIT_2->TIME_WAIT'],
      out,
    );
    for (const c of mine) assert.deepEqual(c.pids, [cli.pid], 'owner kept into TIME_WAIT');
  });

  test('the terminal view under tmux: table, highlight, pause, quit', {
    skip: hasCommand('tmux') ? false : 'needs tmux',
  }, async () => {
    const srv = agentIn(server);
    await srv.cmd({ op: 'listen', id: 'T', host: '10.77.0.1', port: 7000 });
    const session = `synack-w-${tag}`;
    const argv = [
      'ip',
      'netns',
      'exec',
      server.name,
      ...synackArgv('watch', '--interval', '0.2', '--port', '7000'),
    ];
    const quoted = argv.map((a) => `'${a}'`).join(' ');
    const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
    assert.equal(tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '30', quoted).status, 0);
    try {
      const pane = async (want: RegExp, escapes = false): Promise<string> => {
        let text = '';
        for (let i = 0; i < 60; i++) {
          text = tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session).stdout;
          if (want.test(text)) return text;
          await sleep(100);
        }
        assert.fail(`pane never matched ${want}:\n${text}`);
      };
      await pane(/10\.77\.0\.1:7000 +0\.0\.0\.0:0 +LISTEN/);
      const screen = await pane(/^synack watch/m);
      assert.match(screen, /q quit {2}p pause/);
      assert.match(screen, /^1 socket {2}LISTEN 1$/m);
      // A new connection shows up highlighted (green) on its first refreshes.
      const cli = agentIn(client);
      await cli.cmd({ op: 'connect', id: 'c', host: '10.77.0.1', port: 7000 });
      const green = new RegExp(
        `${String.fromCharCode(27)}\\[32m[^\\n]*10\\.77\\.0\\.1:7000 +10\\.77\\.0\\.2:\\d+ +ESTABLISHED`,
      );
      await pane(green, true);
      // The owner shows once the server has accept()ed it (until then it sits in the accept
      // queue, owned by no process: the listener's Recv-Q counts it), maybe a refresh later.
      await pane(new RegExp(`ESTABLISHED +${srv.pid}/node`));
      tmux('send-keys', '-t', session, 'p');
      await pane(/\[PAUSED\]/);
      tmux('send-keys', '-t', session, 'p');
      await pane(/^synack watch(?!.*PAUSED)/m);
      // s sorts by the next key, r reverses it, e adds uid and inode, c shows the leak view.
      tmux('send-keys', '-t', session, 's');
      await pane(/^synack watch .*sort state /m);
      tmux('send-keys', '-t', session, 'r');
      await pane(/^synack watch .*sort -state /m);
      tmux('send-keys', '-t', session, 'e');
      await pane(/^proto +Recv-Q +Send-Q +local +remote +state +timer +uid +inode +pid\/command/m);
      tmux('send-keys', '-t', session, 'c');
      await pane(/^CLOSE_WAIT: none$/m);
      tmux('send-keys', '-t', session, 'c');
      await pane(/10\.77\.0\.1:7000 +0\.0\.0\.0:0 +LISTEN/);
      tmux('send-keys', '-t', session, 'q');
      let alive = true;
      for (let i = 0; i < 50 && alive; i++) {
        await sleep(100);
        alive = tmux('has-session', '-t', session).status === 0;
      }
      assert.equal(alive, false, 'q ends watch (and so the tmux session)');
    } finally {
      tmux('kill-session', '-t', session);
    }
  });
});
