// The --filter language (src/track/filter.ts): tcpdump's words over whole connections, and the
// commands that take it (read, read --tcpdump, conns, states, ladder/explain, extract). A packet
// is printed when its connection is selected; a bad filter is one stderr line naming the token,
// exit 1.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { FilterError, type FilterSubject, parseFilter } from '../src/track/filter.js';
import { parseIp } from '../src/track/ip-text.js';
import { FIXTURES, ZEEK_CORPUS } from './helpers/paths.js';
import { jsonLines, synack } from './helpers/synack-cli.js';

function conn(over: Partial<FilterSubject> = {}): FilterSubject {
  return {
    orig: { ip: '10.0.0.1', port: 40000 },
    resp: { ip: '10.0.0.2', port: 80 },
    conn_state: 'SF',
    states: {
      orig: ['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'],
      resp: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'],
    },
    final: { orig: 'TIME_WAIT', resp: 'CLOSED' },
    events: [],
    ...over,
  };
}

const web = conn();
const v6 = conn({ orig: { ip: '2001:db8::1', port: 51000 }, resp: { ip: '2001:db8:0:0::2', port: 443 } });
const refused = conn({
  orig: { ip: '192.168.1.5', port: 41000 },
  resp: { ip: '10.0.0.2', port: 23 },
  conn_state: 'REJ',
  states: { orig: ['CLOSED', 'SYN_SENT', 'CLOSED'], resp: ['CLOSED'] },
  final: { orig: 'CLOSED', resp: 'CLOSED' },
  events: [{ kind: 'syn-retransmission', from: 'orig' }],
});
const leak = conn({
  orig: { ip: '10.0.0.7', port: 42000 },
  resp: { ip: '10.0.0.2', port: 8080 },
  conn_state: 'S1',
  states: {
    orig: ['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2'],
    resp: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT'],
  },
  final: { orig: 'FIN_WAIT_2', resp: 'CLOSE_WAIT' },
  events: [
    { kind: 'dup-ack', from: 'resp' },
    { kind: 'half-close', from: 'resp' },
  ],
});
const all = { web, v6, refused, leak };

function selected(expr: string): string[] {
  const f = parseFilter(expr);
  return Object.entries(all)
    .filter(([, c]) => f.matches(c))
    .map(([name]) => name);
}

test('host, net and port select by either endpoint, v4 and v6 alike', () => {
  assert.deepEqual(selected('host 10.0.0.2'), ['web', 'refused', 'leak']);
  assert.deepEqual(selected('host 10.0.0.1'), ['web']);
  // IPv6 text is compared as an address: zero groups written out or compressed are the same host.
  assert.deepEqual(selected('host 2001:db8::2'), ['v6']);
  assert.deepEqual(selected('host 2001:0db8:0:0:0:0:0:1'), ['v6']);
  assert.deepEqual(selected('net 10.0.0.0/8'), ['web', 'refused', 'leak']);
  assert.deepEqual(selected('net 192.168.0.0/16'), ['refused']);
  assert.deepEqual(selected('net 2001:db8::/32'), ['v6']);
  assert.deepEqual(selected('net 10.0.0.4/30'), ['leak']);
  assert.deepEqual(selected('net 0.0.0.0/0'), ['web', 'refused', 'leak']);
  assert.deepEqual(selected('port 80'), ['web']);
  assert.deepEqual(selected('port 80 or 443'), ['web', 'v6'], "tcpdump's abbreviation repeats `port`");
  assert.deepEqual(selected('portrange 1-1024'), ['web', 'v6', 'refused']);
  assert.deepEqual(selected('ip6'), ['v6']);
  assert.deepEqual(selected('ip and port 80'), ['web']);
  assert.deepEqual(selected('tcp port 443'), ['v6']);
});

test('orig/resp (client/server) pick one side', () => {
  assert.deepEqual(selected('orig host 10.0.0.2'), []);
  assert.deepEqual(selected('resp host 10.0.0.2'), ['web', 'refused', 'leak']);
  assert.deepEqual(selected('client net 192.168.0.0/16'), ['refused']);
  assert.deepEqual(selected('server port 8080'), ['leak']);
  assert.deepEqual(selected('orig port 80'), [], 'port 80 is the server side');
});

test('conn_state, state (passed through), final, event', () => {
  assert.deepEqual(selected('conn_state REJ'), ['refused']);
  assert.deepEqual(selected('conn_state rej'), ['refused'], 'codes are case-insensitive');
  assert.deepEqual(selected('conn_state!=SF'), ['refused', 'leak']);
  assert.deepEqual(selected('state TIME_WAIT'), ['web', 'v6']);
  assert.deepEqual(selected('state CLOSE_WAIT'), ['web', 'v6', 'leak'], 'passed through, not only final');
  assert.deepEqual(selected('state close-wait'), ['web', 'v6', 'leak'], "ss's spelling");
  assert.deepEqual(selected('state ESTAB'), ['web', 'v6', 'leak']);
  assert.deepEqual(selected('final.orig=TIME_WAIT'), ['web', 'v6']);
  assert.deepEqual(selected('final.resp=CLOSE_WAIT'), ['leak']);
  assert.deepEqual(selected('final CLOSE_WAIT'), ['leak']);
  assert.deepEqual(selected('resp final CLOSED'), ['web', 'v6', 'refused']);
  assert.deepEqual(selected('state.resp = SYN_RECEIVED'), ['web', 'v6', 'leak']);
  assert.deepEqual(selected('event half-close'), ['leak']);
  assert.deepEqual(selected('event dup_ack'), ['leak']);
  assert.deepEqual(selected('orig event dup-ack'), [], 'the dup ACK came from resp');
  // Wireshark sets tcp.analysis.retransmission on its special kinds too.
  assert.deepEqual(selected('event retransmission'), ['refused']);
  assert.deepEqual(selected('event syn-retransmission'), ['refused']);
});

test('and/or/not and parentheses: not binds tightest, then and, then or', () => {
  assert.deepEqual(selected('port 80 or port 23 and host 10.0.0.1'), ['web']);
  assert.deepEqual(selected('(port 80 or port 23) and host 10.0.0.2'), ['web', 'refused']);
  assert.deepEqual(selected('not port 80 and not ip6'), ['refused', 'leak']);
  assert.deepEqual(selected('not (port 80 or ip6)'), ['refused', 'leak']);
  assert.deepEqual(selected('! conn_state SF && host 10.0.0.2 || port 443'), ['v6', 'refused', 'leak']);
  assert.deepEqual(selected('host 10.0.0.2 and (state TIME_WAIT or event half-close)'), ['web', 'leak']);
  assert.deepEqual(selected('not not port 80'), ['web']);
});

test('filters on the 4-tuple alone are decided at the first segment; the rest wait for the record', () => {
  for (const e of ['host 10.0.0.1', 'net 10.0.0.0/8 and not port 22', 'ip6 or portrange 1-100'])
    assert.equal(parseFilter(e).needsRecord, false, e);
  for (const e of [
    'orig host 10.0.0.1',
    'port 80 and state TIME_WAIT',
    'conn_state S0',
    'event dup-ack',
    'final CLOSED',
  ])
    assert.equal(parseFilter(e).needsRecord, true, e);
  assert.equal(parseFilter('host 10.0.0.2 and not port 23').matchesTuple(web), true);
});

test('a bad filter names the offending token and its position', () => {
  const cases: [string, string, number, RegExp][] = [
    ['host and port 80', 'and', 6, /host wants an IPv4 or IPv6 address/],
    ['hots 10.0.0.1', 'hots', 1, /unknown word/],
    ['port 80 443', '443', 9, /expected "and" or "or"/],
    ['port 70000', '70000', 6, /0 to 65535/],
    ['state FOO', 'FOO', 7, /not a TCP state; states: CLOSED LISTEN/],
    ['conn_state XX', 'XX', 12, /one of Zeek's S0 S1 SF REJ/],
    ['event nope', 'nope', 7, /unknown event kind/],
    ['net 10.0.0.1/8', '10.0.0.1/8', 5, /bits set beyond the \/8 prefix/],
    ['net 10.0.0.0/40', '10.0.0.0/40', 5, /prefix length is 0 to 32/],
    ['src host 10.0.0.1', 'src', 1, /write orig or resp/],
    ['(port 80', '(', 1, /never closed/],
    ['port 80)', ')', 8, /without its "\("/],
    ['port 80 and', '', -1, /expected a primitive/],
    ['orig conn_state SF', 'SF', 17, /no orig\/resp/],
    ['', '', -1, /empty filter/],
  ];
  for (const [expr, token, char, reason] of cases) {
    assert.throws(
      () => parseFilter(expr),
      (err: unknown) => {
        assert.ok(err instanceof FilterError, expr);
        assert.equal(err.token, token, expr);
        if (char > 0) assert.equal(err.at + 1, char, expr);
        assert.match(err.message, reason, expr);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      },
    );
  }
});

test('IP text: RFC 4291 forms and dotted quads', () => {
  assert.deepEqual([...parseIp('::1')!], [...new Array(15).fill(0), 1]);
  assert.deepEqual([...parseIp('::ffff:1.2.3.4')!].slice(10), [0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual([...parseIp('fe80::1%eth0')!].slice(0, 2), [0xfe, 0x80]);
  for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', ':::']) {
    assert.equal(parseIp(bad), null, bad);
  }
});

// ---------------------------------------------------------------- the commands

const SLL2 = join(FIXTURES, 'tcpdump-any-sll2.pcap'); // 3 IPv4 + 2 IPv6 connections: SF, RSTO, a half-close

test('conns --filter prints only the selected records', () => {
  const ids = (expr: string) =>
    jsonLines<{ id: number }>(synack(['conns', '--json', '--filter', expr, SLL2]).stdout)
      .map((r) => r.id)
      .sort((a, b) => a - b);
  assert.deepEqual(ids('ip6'), [3, 5]);
  assert.deepEqual(ids('conn_state RSTO'), [5]);
  assert.deepEqual(ids('final.orig=TIME_WAIT or event half-close'), [4]);
  assert.deepEqual(ids('port 18081 and not state TIME_WAIT'), []);
});

test('read --filter prints the packets of the selected connections, in frame order, and nothing else', () => {
  const everything = jsonLines<{ frame: number; conn: number }>(synack(['read', '--json', SLL2]).stdout);
  for (const [expr, conns] of [
    ['ip6', [3, 5]],
    ['state TIME_WAIT and port 18081', [1, 2, 4]],
    ['conn_state RSTO or orig port 54116', [1, 5]],
  ] as const) {
    const got = jsonLines<{ frame: number; conn: number }>(
      synack(['read', '--json', '--filter', expr, SLL2]).stdout,
    );
    const want = everything.filter((p) => (conns as readonly number[]).includes(p.conn));
    assert.deepEqual(got, want, expr);
    assert.ok(got.length > 0);
  }
  // The annotated text and tcpdump's own lines: the same selection.
  const text = synack(['read', '--filter', 'conn_state RSTO', SLL2]).stdout.trim().split('\n');
  assert.equal(text.length, 4);
  const oracle = synack(['read', '--tcpdump', SLL2]).stdout.split('\n');
  const picked = synack(['read', '--tcpdump', '--filter', 'conn_state RSTO', SLL2]).stdout.trim().split('\n');
  assert.equal(picked.length, 4);
  for (const line of picked) assert.ok(oracle.includes(line), line);
  assert.ok(picked.every((l) => l.includes('42662')));
});

test('states, ladder and explain take --filter', () => {
  const states = JSON.parse(synack(['states', '--json', '--filter', 'ip6', SLL2]).stdout);
  assert.deepEqual(Object.keys(states.hosts), ['::1']);
  const whole = JSON.parse(synack(['states', '--json', SLL2]).stdout);
  assert.equal(states.at, whole.at, 'the default time is still the end of the whole capture');
  const ladder = synack(['ladder', '--filter', 'conn_state RSTO', SLL2]);
  assert.equal(ladder.code, 0);
  assert.match(ladder.stdout, /\[::1\]:42662/);
  const explain = synack(['explain', '--filter', 'ip6', SLL2]);
  assert.match(explain.stderr, /2 connections match --filter "ip6" \(ids 3, 5\); showing the first/);
  assert.match(explain.stdout, /^Connection 3:/);
  const none = synack(['ladder', '--conn', '1', '--filter', 'ip6', SLL2]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no connection matches --conn 1 and --filter "ip6"/);
});

test('a bad --filter is one usage line on stderr, exit 1, on every command', () => {
  for (const cmd of ['read', 'conns', 'states', 'ladder', 'explain', 'extract']) {
    const r = synack([
      cmd,
      '--filter',
      'port 80 or prot 443',
      SLL2,
      ...(cmd === 'extract' ? ['-w', '-'] : []),
    ]);
    assert.equal(r.code, 1, cmd);
    assert.equal(r.stdout, '', cmd);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${cmd}: ${r.stderr}`);
    assert.match(
      lines[0]!,
      new RegExp(
        `^(error: )?synack ${cmd}: --filter "port 80 or prot 443": "prot" \\(character 12\\): a port is a number from 0 to 65535`,
      ),
    );
  }
});

test('conn_state REJ selects the rows Zeek logs as REJ', () => {
  const trace = join(ZEEK_CORPUS, 'pop3-rej-reuse.pcap');
  const rej = jsonLines<{ conn_state: string }>(
    synack(['conns', '--json', '--filter', 'conn_state REJ', trace]).stdout,
  );
  const all = jsonLines<{ conn_state: string }>(synack(['conns', '--json', trace]).stdout);
  assert.ok(rej.length > 0);
  assert.deepEqual(
    rej,
    all.filter((r) => r.conn_state === 'REJ'),
  );
});
