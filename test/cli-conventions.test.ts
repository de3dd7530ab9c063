// The conventions users bring from tcpdump, tshark, Zeek and ss (issue 13), through the command
// line as a user types it: the shared tracking options on every command built on the flow table
// (the connection ids of ladder, explain, states and extract are conns' ids whatever --idle,
// --max-conns and --dedup say); read's --conn, -c, --number, --packet-filter (tcpdump's language,
// checked against tcpdump itself) and -t; …

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tcpLinesByFrame } from '../scripts/parity-tcpdump.js';
import { tcptraceParity } from '../scripts/parity-tcptrace.js';
import { connTable } from '../src/report/conn-table.js';
import { DEFAULT_TRACKING, newFlowTable } from '../src/report/tracking.js';
import { parsePacketFilter } from '../src/track/packet-filter.js';
import type { ConnRecord } from '../src/track/record.js';
import { forEachDecoded } from '../src/wire/capture-bytes.js';
import { DecodeStatus } from '../src/wire/packet.js';
import { FIXTURES, REPO_ROOT, ZEEK_CORPUS } from './helpers/paths.js';
import { jsonLines, synack } from './helpers/synack-cli.js';
import { haveTool } from './helpers/tools.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'loopback-lifecycles.pcap');

describe('tracking options on ladder, explain, states and extract', () => {
  // --idle 0.01 splits the first connection (35098) at its 50 ms pause: conns' id 2 is its second half.
  const split = jsonLines<{ id: number; start: number; orig: { port: number } }>(
    synack(['conns', '--json', '--sort', 'id', '--idle', '0.01', EXAMPLE]).stdout,
  );

  test('conns --idle gives the ids the other commands take', () => {
    assert.deepEqual(
      split.map((r) => [r.id, r.orig.port]),
      [
        [1, 35098],
        [2, 35098],
        [3, 35112],
        [4, 35124],
        [5, 35134],
        [6, 38940],
      ],
    );
  });

  test('ladder, explain and extract --conn 2 --idle 0.01 show that second half', () => {
    const ladder = synack(['ladder', EXAMPLE, '--conn', '2', '--idle', '0.01']);
    assert.equal(ladder.code, 0, ladder.stderr);
    assert.match(ladder.stdout.split('\n')[0]!, /client 127\.0\.0\.1:35098 .* server 127\.0\.0\.1:8801/);
    // Without --idle, id 2 is the next connection.
    assert.match(synack(['ladder', EXAMPLE, '--conn', '2']).stdout.split('\n')[0]!, /:35112/);

    const story = JSON.parse(
      synack(['explain', EXAMPLE, '--conn', '2', '--idle', '0.01', '--json']).stdout,
    ) as {
      conn: number;
      steps: { time: number | null }[];
    };
    assert.equal(story.conn, 2);
    assert.equal(story.steps.find((s) => s.time !== null)!.time, split[1]!.start);

    const ex = synack(['extract', EXAMPLE, '--conn', '2', '--idle', '0.01', '-w', '-']);
    assert.equal(ex.code, 0, ex.stderr);
    const back = synack(['conns', '--json', '-'], ex.out);
    assert.deepEqual(
      jsonLines<{ start: number }>(back.stdout).map((r) => r.start),
      [split[1]!.start],
    );
  });

  test('states --idle / --max-conns: its sockets name conns’ ids', () => {
    const states = JSON.parse(synack(['states', EXAMPLE, '--idle', '0.01', '--json']).stdout) as {
      sockets: { conn: number | null; local: { port: number } }[];
    };
    const ids = states.sockets.filter((s) => s.local.port === 35098).map((s) => s.conn);
    assert.deepEqual(ids, [2]);
    const evicting = synack(['states', EXAMPLE, '--max-conns', '1', '--json']);
    assert.equal(evicting.code, 0, evicting.stderr);
  });

  test('every command that tracks connections counts its evictions on stderr (--max-conns)', () => {
    // Four connections overlap in the example: with room for one, three are evicted early.
    const commands = [
      ['read'],
      ['read', '--json'],
      ['conns'],
      ['conns', '--json'],
      ['states'],
      ['ladder', '--conn', '1'],
      ['explain', '--conn', '1'],
      ['extract', '--conn', '1', '-w', '-'],
    ];
    for (const cmd of commands) {
      const r = synack([...cmd, EXAMPLE, '--max-conns', '1']);
      assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^synack: 3 connections evicted \(more than --max-conns 1 open at once\)$/m,
        cmd.join(' '),
      );
      assert.doesNotMatch(synack([...cmd, EXAMPLE]).stderr, /evicted/, cmd.join(' '));
    }
    // Zeek's own table is bounded too: the row of the connection idle longest is logged at once.
    const zeek = synack(['conns', '--zeek', EXAMPLE, '--max-conns', '1']);
    assert.match(
      zeek.stderr,
      /^synack: 4 Zeek connections logged early \(more than --max-conns 1 open at once\)$/m,
    );
    // Each connection still gets its row (an evicted one that goes on would get more).
    const rows = (out: string) => out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    assert.ok(rows(zeek.stdout) >= rows(synack(['conns', '--zeek', EXAMPLE]).stdout));
  });

  test('a bad value is one usage line, exit 1, on each command', () => {
    for (const cmd of ['ladder', 'explain', 'states', 'extract']) {
      const extra = cmd === 'states' ? [] : cmd === 'extract' ? ['--conn', '1', '-w', '-'] : ['--conn', '1'];
      for (const [flag, value] of [
        ['--idle', 'x'],
        ['--max-conns', '0'],
      ] as const) {
        const r = synack([cmd, EXAMPLE, ...extra, flag, value]);
        assert.equal(r.code, 1, `${cmd} ${flag} ${value}`);
        assert.match(r.stderr, new RegExp(`^synack ${cmd}: ${flag} wants .*'${value}'\\n$`));
      }
    }
  });
});

describe('read: --conn, -c, --number, -t', () => {
  test('--conn takes an id or a 4-tuple (every connection on it; #n the n-th), in every mode', () => {
    const all = jsonLines<{ frame: number; conn: number }>(synack(['read', '--json', EXAMPLE]).stdout);
    const of2 = all.filter((p) => p.conn === 2).map((p) => p.frame);
    for (const mode of [['--json'], [], ['--tcpdump', '--number']]) {
      const r = synack(['read', ...mode, '--conn', '2', EXAMPLE]);
      assert.equal(r.code, 0, r.stderr);
      const frames = mode[0] === '--json' ? jsonLines<{ frame: number }>(r.stdout).map((p) => p.frame) : null;
      if (frames) assert.deepEqual(frames, of2);
      else assert.equal(r.stdout.trim().split('\n').length, of2.length);
    }
    // conns' 4-tuple of connection 2, written the other way round.
    const c2 = jsonLines<{
      id: number;
      orig: { ip: string; port: number };
      resp: { ip: string; port: number };
    }>(synack(['conns', '--json', EXAMPLE]).stdout).find((c) => c.id === 2)!;
    const tuple = `${c2.resp.ip}:${c2.resp.port}-${c2.orig.ip}:${c2.orig.port}`;
    const byTuple = jsonLines<{ frame: number }>(synack(['read', '--json', '--conn', tuple, EXAMPLE]).stdout);
    assert.deepEqual(
      byTuple.map((p) => p.frame),
      of2,
    );
    // A 4-tuple used twice (--idle splits 35098): both without #n, the second with #2.
    const twice = '127.0.0.1:35098-127.0.0.1:8801';
    const both = jsonLines<{ conn: number }>(
      synack(['read', '--json', '--idle', '0.01', '--conn', twice, EXAMPLE]).stdout,
    );
    assert.deepEqual([...new Set(both.map((p) => p.conn))], [1, 2]);
    const second = jsonLines<{ conn: number }>(
      synack(['read', '--json', '--idle', '0.01', '--conn', `${twice}#2`, EXAMPLE]).stdout,
    );
    assert.deepEqual([...new Set(second.map((p) => p.conn))], [2]);
    const bad = synack(['read', '--conn', '1.2.3:80-1.2.3.4:90', EXAMPLE]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^synack read: --conn: "1\.2\.3" is not an IP address\n$/);
  });

  test('-c N stops after N lines in every mode, with --filter counting what it prints', () => {
    const full = synack(['read', '--tcpdump', EXAMPLE]).stdout.split('\n');
    const r = synack(['read', '--tcpdump', '-c', '5', EXAMPLE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${full.slice(0, 5).join('\n')}\n`);
    assert.equal(jsonLines(synack(['read', '--json', '-c', '7', EXAMPLE]).stdout).length, 7);
    const filtered = synack(['read', '-c', '2', '--filter', 'conn_state REJ', EXAMPLE])
      .stdout.trim()
      .split('\n');
    assert.equal(filtered.length, 2);
    for (const line of filtered) assert.match(line, /conn 5 /);
    const zero = synack(['read', '-c', '0', EXAMPLE]);
    assert.equal(zero.code, 1);
    assert.match(zero.stderr, /^synack read: -c wants a positive integer, not '0'\n$/);
  });

  test('--number prefixes the frame number in text modes as tcpdump -# does', () => {
    const plain = synack(['read', EXAMPLE]).stdout.trimEnd().split('\n');
    const numbered = synack(['read', '--number', EXAMPLE]).stdout.trimEnd().split('\n');
    assert.equal(numbered.length, plain.length);
    numbered.forEach((l, i) => {
      assert.equal(l, `${String(i + 1).padStart(5)}  ${plain[i]}`);
    });
  });

  test('-t epoch|iso|relative|delta rewrites the time that starts each line; JSON keeps epoch', () => {
    const lines = (fmt: string) =>
      synack(['read', '--tcpdump', '-t', fmt, EXAMPLE])
        .stdout.trim()
        .split('\n')
        .map((l) => l.slice(0, l.indexOf(' ')));
    const epoch = lines('epoch').map(Number);
    const usOf = (t: number) => Math.round(t * 1e6);
    assert.deepEqual(
      lines('relative'),
      epoch.map((t) => ((usOf(t) - usOf(epoch[0]!)) / 1e6).toFixed(6)),
    );
    assert.deepEqual(
      lines('delta'),
      epoch.map((t, i) => ((usOf(t) - usOf(epoch[Math.max(0, i - 1)]!)) / 1e6).toFixed(6)),
    );
    const iso = lines('iso');
    iso.forEach((t, i) => {
      assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.equal(Date.parse(t) * 1000 + Number(t.slice(23, 26)), usOf(epoch[i]!));
    });
    // --tcpdump stays byte-identical without -t; JSON records keep epoch "time".
    assert.equal(
      synack(['read', '--tcpdump', '-t', 'epoch', EXAMPLE]).stdout,
      synack(['read', '--tcpdump', EXAMPLE]).stdout,
    );
    assert.equal(
      synack(['read', '--json', '-t', 'iso', EXAMPLE]).stdout,
      synack(['read', '--json', EXAMPLE]).stdout,
    );
    const bad = synack(['read', '-t', 'local', EXAMPLE]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^synack read: --time-format takes epoch, iso, relative, delta, not 'local'\n$/);
  });
});

describe('read --packet-filter: tcpdump’s language on single packets', () => {
  const FILES = [
    EXAMPLE,
    join(FIXTURES, 'tcpdump-lo-ipv6.pcap'),
    join(ZEEK_CORPUS, 'http-get.pcap'),
    join(ZEEK_CORPUS, 'ftp-ipv6.pcap'),
    join(ZEEK_CORPUS, 'pop3-rej-reuse.pcap'),
  ];
  const FILTERS = [
    'tcp',
    'host 127.0.0.1 and port 8801',
    'src port 8801',
    'dst port 35098 or dst port 35112',
    'port 80 or 21',
    'src or dst port 110',
    'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0',
    'tcp[tcpflags] == tcp-syn',
    'tcp[tcpflags] & tcp-rst != 0 or tcp[13] = 17',
    '(tcp[13] & 2) != 0 and not src port 8801',
    'not (src host 127.0.0.1 and tcp[13] & 16 != 0)',
    'greater 120',
    'less 70',
    'ip6 and dst port 18082',
    'ip and not net 127.0.0.0/8',
    'net 127.0.0.0/8 and portrange 35100-35130',
    'src net 2001:470::/32 or dst host ::1',
    'tcp[4:4] > 2000000000',
    'tcp[14:2] < 100 && !(tcp[tcpflags] & tcp-ack = 0)',
    'dst port http || src port ftp',
  ];

  test('prints the lines tcpdump prints with the same filter, on IPv4 and IPv6 captures', (t) => {
    if (!haveTool('tcpdump')) return t.skip('tcpdump not installed');
    const tcpdump = (file: string, ...filter: string[]) =>
      spawnSync('tcpdump', ['-#', '-n', '-tt', '-r', file, ...filter], { encoding: 'utf8' });
    let compared = 0;
    for (const file of FILES) {
      // --number is the frame number (tcpdump -# counts the packets it prints): frames from the
      // unfiltered run, found by time, addresses and flags (tcpdump's relative sequence numbers
      // differ when the filter hides a SYN: the filtered run is the one the lines must equal).
      const key = (line: string) => line.slice(0, line.indexOf(']'));
      const frameOf = new Map([...tcpLinesByFrame(tcpdump(file).stdout)].map(([n, line]) => [key(line), n]));
      const v6 = /ipv6|ip6/.test(file);
      for (const f of FILTERS) {
        // BPF's tcp[…] reads IPv4 only (pcap-filter: not for IPv6); ours reads either (below).
        if (v6 && f.includes('tcp[')) continue;
        const want = tcpdump(file, f);
        assert.equal(want.status, 0, `tcpdump refused ${f}: ${want.stderr}`);
        const wanted = [...tcpLinesByFrame(want.stdout).values()].map((line) => [
          frameOf.get(key(line)),
          line,
        ]);
        const got = synack(['read', '--tcpdump', '--number', '--packet-filter', f, file]);
        assert.equal(got.code, 0, got.stderr);
        assert.deepEqual([...tcpLinesByFrame(got.stdout)], wanted, `${f} on ${file}`);
        compared += wanted.length;
      }
    }
    assert.ok(compared > 500, `only ${compared} lines compared`);
  });

  test('tcp[…] reads the TCP header of IPv6 packets too (BPF’s does not)', () => {
    const file = join(FIXTURES, 'tcpdump-lo-ipv6.pcap');
    const all = jsonLines<{ frame: number; flags: string }>(synack(['read', '--json', file]).stdout);
    const got = jsonLines<{ frame: number }>(
      synack(['read', '--json', '--packet-filter', 'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0', file]).stdout,
    );
    const want = all.filter((p) => /[SF]/.test(p.flags)).map((p) => p.frame);
    assert.ok(want.length >= 4);
    assert.deepEqual(
      got.map((p) => p.frame),
      want,
    );
  });

  test('with the tracked modes: the same packets, annotated', () => {
    const f = 'tcp[tcpflags] & tcp-fin != 0';
    const frames = jsonLines<{ frame: number; flags: string }>(
      synack(['read', '--json', '--packet-filter', f, EXAMPLE]).stdout,
    );
    assert.ok(frames.length > 5);
    for (const p of frames) assert.match(p.flags, /F/);
    const text = synack(['read', '--packet-filter', f, EXAMPLE]).stdout.trim().split('\n');
    assert.equal(text.length, frames.length);
  });

  test('what it does not take is named in one usage line, exit 1', () => {
    for (const [f, says] of [
      ['udp port 53', /"udp" is not supported; supported: host, net/],
      ['vlan and tcp', /"vlan" is not supported/],
      ['ip[8] < 5', /ip\[…\] is not supported \(only tcp\[…\]\)/],
      ['host example.com', /host names are not looked up/],
      ['port 80 and', /at the end: expected a primitive/],
      ['net 10.1.2.3/8', /non-network bits set/],
      ['tcp[tcpflags] & tcp-syn', /expected a comparison/],
    ] as const) {
      const r = synack(['read', '--packet-filter', f, EXAMPLE]);
      assert.equal(r.code, 1, f);
      assert.match(r.stderr, /^synack read: --packet-filter "/);
      assert.match(r.stderr, says);
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
    }
    assert.throws(() => parsePacketFilter('port 99999'), /a port is 0 to 65535/);
  });
});

/** conns' records of captures, in process (the table renderer takes records). */
function recordsOf(...files: string[]): ConnRecord[] {
  const out: ConnRecord[] = [];
  for (const file of files) {
    const table = newFlowTable(DEFAULT_TRACKING, (r) => void out.push(r));
    forEachDecoded(new Uint8Array(readFileSync(file)), { reassemble: true }, (pkt, status) => {
      if (status === DecodeStatus.TCP) table.process(pkt);
    });
    table.finish();
  }
  return out;
}

describe('conns: the columns of tcptrace and Wireshark Conversations', () => {
  test('RTT from data and its ACK, throughput: agree with tcptrace -l on corpus captures', (t) => {
    if (!haveTool('tcptrace')) return t.skip('tcptrace not installed');
    const files = [
      'http-get',
      'retransmit-fast009',
      'ftp-ipv4',
      'pop3-rej-reuse',
      'http-concurrent-range',
      'ssh-half-duplex-client',
      'm57-49600-byterange',
    ].map((n) => join(ZEEK_CORPUS, `${n}.pcap`));
    const checks = files.flatMap((f) => tcptraceParity(f));
    const rtt = checks.filter((c) => c.field.startsWith('rtt'));
    const agree = (l: typeof checks) => l.filter((c) => c.agree).length / l.length;
    assert.ok(rtt.length > 40, `only ${rtt.length} RTT checks`);
    assert.ok(
      agree(rtt) >= 0.97,
      `RTT agreement ${agree(rtt)}: ${JSON.stringify(rtt.filter((c) => !c.agree))}`,
    );
    const thr = checks.filter((c) => c.field.startsWith('throughput'));
    assert.ok(agree(thr) >= 0.9, `throughput agreement ${agree(thr)}`);
  });

  test('JSON adds service, ip_bytes, retransmissions, rtt_data, throughput; PRODUCT.md fields unchanged', () => {
    const file = join(ZEEK_CORPUS, 'retransmit-fast009.pcap');
    const [r] = jsonLines<Record<string, unknown>>(synack(['conns', '--json', file]).stdout);
    assert.deepEqual(Object.keys(r!).slice(0, 19), [
      'id',
      'start',
      'end',
      'duration',
      'orig',
      'resp',
      'handshake',
      'close',
      'reset',
      'states',
      'final',
      'conn_state',
      'history',
      'completeness',
      'packets',
      'bytes',
      'rtt',
      'evicted',
      'events',
    ]);
    assert.equal(r!.service, 'http');
    // Zeek's orig_ip_bytes/resp_ip_bytes for this trace (its conn.log baseline).
    const zeek = synack(['conns', '--zeek', file])
      .stdout.split('\n')
      .find((l) => !l.startsWith('#'))!
      .split('\t');
    const fields = synack(['conns', '--zeek', file])
      .stdout.split('\n')
      .find((l) => l.startsWith('#fields'))!
      .split('\t')
      .slice(1);
    const z = (name: string) => Number(zeek[fields.indexOf(name)]);
    assert.deepEqual(r!.ip_bytes, { orig: z('orig_ip_bytes'), resp: z('resp_ip_bytes') });
    // Retransmissions each way = the record's retransmission-family events from that side.
    const events = r!.events as { from: string; kind: string }[];
    const rex = (side: string) =>
      events.filter((e) => e.from === side && /retransmission$/.test(e.kind)).length;
    assert.deepEqual(r!.retransmissions, { orig: rex('orig'), resp: rex('resp') });
    assert.equal((r!.retransmissions as { resp: number }).resp, 3);
  });

  test('the terminal table fits 120 columns, no separator rows, IPv6 columns aligned', () => {
    const recs = recordsOf(
      EXAMPLE,
      join(FIXTURES, 'tcpdump-lo-ipv6.pcap'),
      join(ZEEK_CORPUS, 'retransmit-fast009.pcap'),
    );
    const lines = connTable(recs).split('\n');
    assert.equal(lines.length, recs.length + 1, 'a header and one line per connection');
    for (const l of lines) assert.ok(l.length <= 120, `${l.length} columns: ${l}`);
    // Every row's resp column starts where the header's does, IPv6 rows included.
    const at = lines[0]!.indexOf(' resp');
    assert.ok(lines.some((l) => l.includes('[::1]:')));
    for (const l of lines.slice(1)) assert.equal(l[at], ' ', l);
    for (const l of lines.slice(1)) assert.doesNotMatch(l, /^[-─+|]+$/);
    // Narrower terminals drop columns rather than wrap.
    for (const l of connTable(recs, null, 80).split('\n')) assert.ok(l.length <= 80);
    // Piped text keeps every column: the new ones before the events.
    const head = synack(['conns', EXAMPLE]).stdout.split('\n')[0]!;
    assert.match(head, /bytes o\/r +service +ip bytes o\/r +rexmt o\/r +rtt ms o\/r +B\/s o\/r +events$/);
  });

  test('IPv6 is written [addr]:port in every text output', () => {
    const file = join(FIXTURES, 'tcpdump-lo-ipv6.pcap');
    assert.match(synack(['conns', file]).stdout, /\[::1\]:42646 +\[::1\]:18082/);
    assert.match(
      synack(['ladder', file, '--conn', '1']).stdout.split('\n')[0]!,
      /client \[::1\]:42646 .*server \[::1\]:18082/,
    );
    assert.match(synack(['states', file]).stdout, /\[::1\]:18082/);
  });

  test('-t on conns and ladder; states --at takes ISO 8601', () => {
    const epoch = synack(['conns', '--sort', 'id', EXAMPLE]).stdout.split('\n');
    const iso = synack(['conns', '--sort', 'id', '-t', 'iso', EXAMPLE]).stdout.split('\n');
    assert.match(iso[1]!, /^1 +2026-11-24T01:53:12\.481229Z /);
    // Only the start column changes.
    assert.equal(iso[1]!.slice(iso[1]!.indexOf('Z ') + 2).trimStart(), epoch[1]!.slice(24).trimStart());
    const rel = synack(['conns', '--sort', 'id', '-t', 'relative', EXAMPLE]).stdout.split('\n');
    assert.match(rel[1]!, /^1 +0\.000000 /);
    assert.match(rel[2]!, /^2 +0\.151952 /);
    const ladder = synack(['ladder', EXAMPLE, '--conn', '3', '-t', 'epoch']).stdout.split('\n');
    assert.match(ladder[0]!, /^time \(epoch s\)/);
    assert.match(ladder[2]!, /^1795485192\.734277 /);
    const delta = synack(['ladder', EXAMPLE, '--conn', '3', '-t', 'delta']).stdout.split('\n');
    assert.match(delta[2]!, /^ *0\.000000 /);
    // --at: the same instant as epoch seconds and as ISO 8601 (UTC, or with an offset).
    const at = (t: string) =>
      JSON.parse(synack(['states', EXAMPLE, '--json', '--at', t]).stdout).at as number;
    assert.equal(at('2026-11-24T01:53:12.5Z'), 1795485192.5);
    assert.equal(at('2026-11-24T09:53:12.5+08:00'), 1795485192.5);
    assert.equal(at('1795485192.5'), 1795485192.5);
    const bad = synack(['states', EXAMPLE, '--at', '2026-02-30T00:00:00Z']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--at takes epoch seconds, \+S or an ISO 8601 time/);
  });
});

describe('- is stdout for every output path; extract writes pcapng by name; the lab says its TIME_WAIT', () => {
  test('conns --parquet - writes the Parquet file to stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-e13-'));
    try {
      const file = join(dir, 'c.parquet');
      assert.equal(synack(['conns', '--parquet', file, EXAMPLE]).code, 0);
      const r = synack(['conns', '--parquet', '-', EXAMPLE]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(new Uint8Array(r.out), new Uint8Array(readFileSync(file)));
      assert.equal(r.out.subarray(0, 4).toString(), 'PAR1');
      assert.equal(existsSync(join(REPO_ROOT, '-')), false, 'no file named "-"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('extract -w x.pcapng writes pcapng (tcpdump reads it back the same)', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-e13-'));
    try {
      const ng = join(dir, 'x.pcapng');
      const pcap = join(dir, 'x.pcap');
      assert.equal(synack(['extract', EXAMPLE, '--conn', '1', '-w', ng]).code, 0);
      assert.equal(synack(['extract', EXAMPLE, '--conn', '1', '-w', pcap]).code, 0);
      assert.equal(readFileSync(ng).readUInt32LE(0), 0x0a0d0d0a, 'a pcapng Section Header Block');
      assert.equal(readFileSync(pcap).readUInt32LE(0), 0xa1b2c3d4, 'classic pcap');
      assert.equal(synack(['read', '--tcpdump', ng]).stdout, synack(['read', '--tcpdump', pcap]).stdout);
      if (!haveTool('tcpdump')) return t.skip('tcpdump not installed');
      const td = (f: string) => spawnSync('tcpdump', ['-n', '-tt', '-r', f], { encoding: 'utf8' }).stdout;
      assert.equal(td(ng), td(pcap));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('lab run -w - writes the capture to stdout and the report to stderr; port-exhaustion names its --time-wait', () => {
    const r = synack(['lab', 'run', 'simultaneous-close', '-w', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out.readUInt32LE(0), 0xa1b2c3d4);
    const back = synack(['conns', '--json', '-'], r.out);
    assert.equal(jsonLines(back.stdout).length, 1);
    assert.match(r.stderr, /simultaneous-close/);
    const pe = synack(['lab', 'run', 'port-exhaustion', '-w', '-']);
    assert.match(pe.stderr, /the hosts keep TIME_WAIT 2 s: analyse the capture with --time-wait 2/);
    // With that flag the analyzer agrees with the lab's truth on every final state.
    const truth = jsonLines<{ final: unknown }>(synack(['lab', 'run', 'port-exhaustion', '--json']).stdout);
    const seen = jsonLines<{ final: unknown }>(
      synack(['conns', '--json', '--sort', 'id', '--time-wait', '2', '-'], pe.out).stdout,
    );
    assert.deepEqual(
      seen.map((c) => c.final),
      truth.map((c) => c.final),
    );
    const both = synack(['lab', 'run', 'simultaneous-close', '-w', '-', '--svg', '-']);
    assert.equal(both.code, 1);
  });
});

describe('--verify-checksums on a capture taken on the sending host', () => {
  // Zeek's trace taken on the client: its segments carry the checksum Linux leaves to the NIC.
  const local = join(ZEEK_CORPUS, 'localhost-bad-chksum.pcap');

  test('checksum offload is detected, said once per sender, and does not turn connections into OTH', () => {
    const plain = jsonLines<{ conn_state: string; history: string }>(
      synack(['conns', '--json', local]).stdout,
    );
    const r = synack(['conns', '--json', '--verify-checksums', local]);
    assert.equal(r.code, 0, r.stderr);
    const verified = jsonLines<{ conn_state: string; history: string }>(r.stdout);
    assert.deepEqual(
      verified.map((c) => [c.conn_state, c.history]),
      plain.map((c) => [c.conn_state, c.history]),
    );
    const notes = r.stderr.split('\n').filter((l) => /checksum offload/.test(l));
    assert.equal(notes.length, 1, r.stderr);
    assert.match(
      notes[0]!,
      /^synack: \d+ segments from 192\.168\.1\.28 carry the checksum left to its NIC .*as zeek -C would$/,
    );
    // read --json says "unverified" for those segments, not "bad".
    const pkts = jsonLines<{ checksum: string }>(
      synack(['read', '--json', '--verify-checksums', local]).stdout,
    );
    assert.ok(!pkts.some((p) => p.checksum === 'bad'));
  });

  test('conns --zeek keeps Zeek-without--C semantics; a real bad checksum stays bad', () => {
    const zeek = synack(['conns', '--zeek', '--verify-checksums', local]).stdout;
    assert.match(zeek, /\tOTH\t/);
    const bad = join(ZEEK_CORPUS, 'syn-bad-chksum.pcap');
    const r = synack(['read', '--json', '--verify-checksums', bad]);
    assert.deepEqual(
      jsonLines<{ checksum: string }>(r.stdout).map((p) => p.checksum),
      ['bad'],
    );
    assert.doesNotMatch(r.stderr, /offload/);
  });
});
