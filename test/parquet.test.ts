// `synack conns --parquet OUT` (src/cli/conns-parquet.ts): read back with hyparquet, every row
// equals the `--json` record of the same run, field by field, in the same order, the fields added
// after PRODUCT.md's (service, ip_bytes, retransmissions, rtt_data, throughput) included.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { CLI, REPO_ROOT } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'synack-parquet-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function synack(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

interface JsonRec {
  id: number;
  start: number;
  end: number;
  duration: number;
  orig: { ip: string; port: number };
  resp: { ip: string; port: number };
  handshake: string;
  close: string;
  reset: string | null;
  states: { orig: string[]; resp: string[] };
  final: { orig: string; resp: string };
  conn_state: string;
  history: string;
  completeness: number;
  packets: { orig: number; resp: number };
  bytes: { orig: number; resp: number };
  rtt: { handshake?: number };
  evicted: boolean;
  events: { kind: string }[];
  service: string;
  ip_bytes: Sides<number>;
  retransmissions: Sides<number>;
  rtt_data: Sides<{ samples: number; min: number; avg: number; max: number } | null>;
  throughput: Sides<number | null>;
}

type Sides<T> = { orig: T; resp: T };

/** A JSON figure each way as the two flat columns `NAME_orig`, `NAME_resp`. */
function sides<T>(name: string, s: Sides<T>, of: (v: T) => unknown): Record<string, unknown> {
  return { [`${name}_orig`]: of(s.orig), [`${name}_resp`]: of(s.resp) };
}

/** The flat row the Parquet file must hold for a JSON record. */
function flat(r: JsonRec): Record<string, unknown> {
  return {
    id: BigInt(r.id),
    start: r.start,
    end: r.end,
    duration: r.duration,
    orig_ip: r.orig.ip,
    orig_port: r.orig.port,
    resp_ip: r.resp.ip,
    resp_port: r.resp.port,
    handshake: r.handshake,
    close: r.close,
    reset: r.reset,
    final_orig: r.final.orig,
    final_resp: r.final.resp,
    states_orig: r.states.orig.join(' '),
    states_resp: r.states.resp.join(' '),
    conn_state: r.conn_state,
    history: r.history,
    completeness: r.completeness,
    packets_orig: BigInt(r.packets.orig),
    packets_resp: BigInt(r.packets.resp),
    bytes_orig: BigInt(r.bytes.orig),
    bytes_resp: BigInt(r.bytes.resp),
    rtt_handshake: r.rtt.handshake ?? null,
    evicted: r.evicted,
    events: r.events.length,
    event_kinds: r.events.map((e) => e.kind).join(' '),
    service: r.service,
    ...sides('ip_bytes', r.ip_bytes, BigInt),
    ...sides('retransmissions', r.retransmissions, BigInt),
    ...sides('rtt_samples', r.rtt_data, (d) => BigInt(d?.samples ?? 0)),
    ...sides('rtt_min', r.rtt_data, (d) => d?.min ?? null),
    ...sides('rtt_avg', r.rtt_data, (d) => d?.avg ?? null),
    ...sides('rtt_max', r.rtt_data, (d) => d?.max ?? null),
    ...sides('throughput', r.throughput, (v) => (v === null ? null : BigInt(v))),
  };
}

test('--parquet rows read back equal the --json records', async (t) => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'conns-parquet.js'))) return t.skip('not built');
  const gen = join(tmp, 'gen.pcap');
  const g = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench', 'gen.ts'),
      gen,
      '--packets',
      '20000',
      '--seed',
      '5',
      '--snaplen',
      '128',
    ],
    { cwd: REPO_ROOT },
  );
  assert.equal(g.status, 0);
  const example = join(REPO_ROOT, 'examples', 'loopback-lifecycles.pcap');
  for (const f of [gen, example].filter(existsSync)) {
    const json = synack(['conns', '--json', '--threads', '1', f])
      .trim()
      .split('\n')
      .map((l) => flat(JSON.parse(l) as JsonRec));
    const out = join(tmp, 'out.parquet');
    synack(['conns', '--parquet', out, '--threads', '2', f]);
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(out) });
    assert.ok(rows.length > 0);
    assert.equal(rows.length, json.length);
    for (let i = 0; i < rows.length; i++) assert.deepEqual(rows[i], json[i], `row ${i}`);
    // The figures are there, not only nulls.
    assert.ok(rows.some((r) => typeof r.rtt_avg_orig === 'number'));
    assert.ok(rows.some((r) => typeof r.ip_bytes_resp === 'bigint' && r.ip_bytes_resp > 0n));
  }
});
