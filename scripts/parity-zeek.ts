// Zeek parity: for every trace in test/corpus/zeek (or $SYNACK_CORPUS/zeek) with a conn.log baseline, the rows the
// CLI prints (`synack conns --zeek`, with --verify-checksums where the MANIFEST's Zeek command has
// no -C, Zeek's default) against the baseline's TCP rows, matched by 4-tuple (either order) and
// occurrence; conn_state and history per row, then every other unmasked column the baseline has.
// The synack_id column is checked against `synack read --json`: each row's id is the connection
// of the packet that opened the row (same 4-tuple, same time). Also the extra/ traces whose
// expected output prints histories, conn_states or endpoint states (run in-process).
//
//   npx tsx scripts/parity-zeek.ts [--verbose] [--in-process] [NAME…]
//
// --in-process runs ZeekConnLog directly instead of the CLI (faster; the tests use both).
//
// The comparison functions are exported for test/zeek-parity.test.ts.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { addrString, ZEEK_CONN_FIELDS, zeekConnLine } from '../src/report/zeek-tsv.js';
import { PortSet } from '../src/track/likely-server-ports.js';
import { ZeekConnLog, type ZeekConnLogOptions, type ZeekConnRow } from '../src/track/zeek-log.js';
import { ZeekSummary } from '../src/track/zeek-summary.js';
import { forEachDecoded } from '../src/wire/capture-bytes.js';
import { DecodeStatus } from '../src/wire/packet.js';
import { CORPUS_DIR, REPO_ROOT } from './corpus-dir.js';

const REPO = REPO_ROOT;
export const ZEEK_DIR = join(CORPUS_DIR, 'zeek');

export interface ManifestEntry {
  name: string;
  notes: string;
  trace: string;
  baseline: string;
  /** The Zeek command ran without -C: checksums were verified. */
  verifyChecksums: boolean;
}

/** The Zeek command line quoted in a MANIFEST note. */
function zeekCommand(notes: string): string {
  const m = /Zeek cmd: ([^.]*(?:\.[a-z]+[^.]*)*?)(?:\. Baseline via|$)/.exec(notes);
  return m ? m[1]! : '';
}

/** True when the command has -C (alone or bundled, e.g. -Cr, -bC). */
export function commandIgnoresChecksums(cmd: string): boolean {
  return /(^|\s)-[a-zA-Z]*C[a-zA-Z]*(\s|$)/.test(cmd);
}

export function readManifest(dir: string = ZEEK_DIR): ManifestEntry[] {
  const lines = readFileSync(join(dir, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1);
  const out: ManifestEntry[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const [name, tracePath, , , , , notes] = line.split('\t') as string[];
    const ext = tracePath!.endsWith('.pcapng') ? '.pcapng' : '.pcap';
    const trace = join(dir, `${name}${ext}`);
    const baseline = join(dir, `${name}.conn.log`);
    if (!existsSync(trace) || !existsSync(baseline)) continue;
    out.push({
      name: name!,
      notes: notes ?? '',
      trace,
      baseline,
      verifyChecksums: !commandIgnoresChecksums(zeekCommand(notes ?? '')),
    });
  }
  return out;
}

/** Runs a capture through ZeekConnLog. */
export function zeekRows(
  file: string,
  verifyChecksums: boolean,
  options: ZeekConnLogOptions = {},
): ZeekConnRow[] {
  const log = new ZeekConnLog(options);
  forEachDecoded(new Uint8Array(readFileSync(file)), { verifyChecksums }, (pkt, status) => {
    if (status === DecodeStatus.TCP) log.process(pkt, 0);
  });
  return log.finish();
}

/** Runs a capture holding one connection through a bare ZeekSummary (no row splits). */
export function zeekSummaryOf(file: string, verifyChecksums: boolean, ports?: PortSet): ZeekSummary {
  const summary = new ZeekSummary(ports ? { ports } : {});
  let aPort = -1;
  forEachDecoded(new Uint8Array(readFileSync(file)), { verifyChecksums }, (pkt, status) => {
    if (status !== DecodeStatus.TCP) return;
    if (aPort < 0) aPort = pkt.srcPort;
    summary.add(pkt, pkt.srcPort === aPort);
  });
  return summary;
}

export interface BaselineRow {
  [field: string]: string;
}

/** Baseline rows by column name: #fields of a full log, or the header line of a cut log. */
export function readBaseline(file: string): { fields: string[]; rows: BaselineRow[] } {
  return parseConnLog(readFileSync(file, 'utf8'));
}

/** A conn.log's text (ours or Zeek's) as rows by column name. */
export function parseConnLog(text: string): { fields: string[]; rows: BaselineRow[] } {
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('###'));
  let fields: string[] = [];
  const rows: BaselineRow[] = [];
  const full = lines.some((l) => l.startsWith('#fields'));
  let headerDone = false;
  for (const line of lines) {
    if (line.startsWith('#')) {
      if (line.startsWith('#fields\t')) fields = line.split('\t').slice(1);
      continue;
    }
    if (!full && !headerDone) {
      fields = line.split('\t');
      headerDone = true;
      continue;
    }
    const cols = line.split('\t');
    const row: BaselineRow = {};
    fields.forEach((f, i) => {
      if (f !== '') row[f] = cols[i] ?? '';
    });
    rows.push(row);
  }
  return { fields, rows };
}

/** One of our rows by column name, exactly as `conns --zeek` prints it. */
export function asBaselineRow(row: ZeekConnRow): BaselineRow {
  const cols = zeekConnLine(row).split('\t');
  const out: BaselineRow = {};
  ZEEK_CONN_FIELDS.forEach((f, i) => {
    out[f] = cols[i]!;
  });
  return out;
}

/** Columns compared besides conn_state and history (masked, random or non-TCP ones left out). */
export const OTHER_FIELDS = [
  'orientation',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'missed_bytes',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
  'local_orig',
  'local_resp',
] as const;

export interface FieldTally {
  agree: number;
  total: number;
}

export interface TraceResult {
  name: string;
  baselineRows: number;
  ourRows: number;
  matched: number;
  /** Matched rows whose conn_state and history (those the baseline has) both agree. */
  exact: number;
  fields: Record<string, FieldTally>;
  disagreements: string[];
  /** Baseline TCP rows with no row of ours on that 4-tuple and occurrence. */
  missing: string[];
  /** Our rows with no baseline row. */
  extra: string[];
}

function tupleKey(h1: string, p1: string, h2: string, p2: string): string {
  const a = `${h1}|${p1}`;
  const b = `${h2}|${p2}`;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Compares our rows (ZeekConnLog's) with one baseline. */
export function compareTrace(name: string, ours: ZeekConnRow[], baselineFile: string): TraceResult {
  return compareRows(name, ours.map(asBaselineRow), baselineFile);
}

/** Compares our rows (as printed, by column name) with one baseline. */
export function compareRows(name: string, ours: BaselineRow[], baselineFile: string): TraceResult {
  const { fields, rows } = readBaseline(baselineFile);
  const hasProto = fields.includes('proto');
  const hasTuple = fields.includes('id.orig_h') && fields.includes('id.resp_h');
  const base = rows.filter((r) => !hasProto || r.proto === 'tcp');
  const result: TraceResult = {
    name,
    baselineRows: base.length,
    ourRows: ours.length,
    matched: 0,
    exact: 0,
    fields: {},
    disagreements: [],
    missing: [],
    extra: [],
  };
  const tally = (f: string, ok: boolean) => {
    const t = result.fields[f] ?? { agree: 0, total: 0 };
    t.total++;
    if (ok) t.agree++;
    result.fields[f] = t;
  };
  // Pair rows by 4-tuple and occurrence; without 4-tuple columns, by position.
  const ourByKey = new Map<string, BaselineRow[]>();
  for (const r of ours) {
    const k = hasTuple ? tupleKey(r['id.orig_h']!, r['id.orig_p']!, r['id.resp_h']!, r['id.resp_p']!) : '';
    const list = ourByKey.get(k) ?? [];
    list.push(r);
    ourByKey.set(k, list);
  }
  const used = new Set<BaselineRow>();
  const seen = new Map<string, number>();
  for (const b of base) {
    const bp = fields.includes('id.resp_p') ? b['id.resp_p']! : '';
    const op = fields.includes('id.orig_p') ? b['id.orig_p']! : '';
    const k = hasTuple ? tupleKey(b['id.orig_h']!, op, b['id.resp_h']!, bp) : '';
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    let ourRow = ourByKey.get(k)?.[n];
    if (ourRow === undefined && hasTuple && !fields.includes('id.orig_p')) {
      // Cut logs without ports: match on the address pair and the responder port alone.
      ourRow = ours.find(
        (r) =>
          !used.has(r) &&
          ((r['id.orig_h'] === b['id.orig_h'] && r['id.resp_h'] === b['id.resp_h']) ||
            (r['id.orig_h'] === b['id.resp_h'] && r['id.resp_h'] === b['id.orig_h'])) &&
          (bp === '' || r['id.resp_p'] === bp || r['id.orig_p'] === bp),
      );
    }
    const label = hasTuple ? `${b['id.orig_h']}:${op} > ${b['id.resp_h']}:${bp} #${n + 1}` : `row ${n + 1}`;
    if (ourRow === undefined || used.has(ourRow)) {
      result.missing.push(`${label} ${b.conn_state ?? ''} ${b.history ?? ''}`.trim());
      for (const f of ['conn_state', 'history']) if (fields.includes(f)) tally(f, false);
      continue;
    }
    used.add(ourRow);
    result.matched++;
    let exact = true;
    for (const f of ['conn_state', 'history']) {
      if (!fields.includes(f)) continue;
      const ok = ourRow[f] === b[f];
      tally(f, ok);
      if (!ok) {
        exact = false;
        result.disagreements.push(`${label}: ${f} ours ${ourRow[f]} zeek ${b[f]}`);
      }
    }
    if (exact) result.exact++;
    for (const f of OTHER_FIELDS) {
      if (f === 'orientation') {
        if (!hasTuple) continue;
        const ok =
          ourRow['id.orig_h'] === b['id.orig_h'] &&
          (op === '' || ourRow['id.orig_p'] === op) &&
          ourRow['id.resp_h'] === b['id.resp_h'];
        tally(f, ok);
        if (!ok)
          result.disagreements.push(
            `${label}: orientation flipped (ours orig ${ourRow['id.orig_h']}:${ourRow['id.orig_p']})`,
          );
        continue;
      }
      if (!fields.includes(f)) continue;
      const ok = ourRow[f] === b[f];
      tally(f, ok);
      if (!ok) result.disagreements.push(`${label}: ${f} ours ${ourRow[f]} zeek ${b[f]}`);
    }
  }
  for (const r of ours) {
    if (used.has(r)) continue;
    result.extra.push(
      `${r['id.orig_h']}:${r['id.orig_p']} > ${r['id.resp_h']}:${r['id.resp_p']} ${r.conn_state} ${r.history}`,
    );
  }
  return result;
}

/**
 * Traces whose Zeek run was bare (-b) and loaded no script registering the ports that matter:
 * their likely_server_ports differ from a default run's.
 */
export const BARE_RUN_PORTS: Record<string, { ports: PortSet; reason: string }> = {
  'localhost-bad-chksum': {
    ports: new PortSet(),
    reason:
      'core/checksums_ignore_nets.test runs zeek -b loading only base/protocols/conn: no likely server ports',
  },
};

export function runTrace(entry: ManifestEntry): TraceResult {
  const override = BARE_RUN_PORTS[entry.name];
  const rows = zeekRows(entry.trace, entry.verifyChecksums, override ? { ports: override.ports } : {});
  return compareTrace(entry.name, rows, entry.baseline);
}

// ------------------------------------------------------------------ the CLI

/** Runs the synack CLI: the built one when this file runs from dist/, else the sources via tsx. */
export function synackCli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const fromDist = fileURLToPath(import.meta.url).includes(`${join(REPO, 'dist')}`);
  const argv = fromDist
    ? [join(REPO, 'bin', 'synack'), ...args]
    : ['--import', 'tsx', join(REPO, 'src', 'cli', 'main.ts'), ...args];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', cwd: REPO, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function checksumArgs(entry: ManifestEntry): string[] {
  return entry.verifyChecksums ? ['--verify-checksums'] : [];
}

/** `synack conns --zeek` on one trace: the printed rows by column name. */
export function cliZeekRows(entry: ManifestEntry): BaselineRow[] {
  const r = synackCli(['conns', '--zeek', ...checksumArgs(entry), entry.trace]);
  if (r.code !== 0) throw new Error(`conns --zeek ${entry.name}: exit ${r.code}: ${r.stderr}`);
  return parseConnLog(r.stdout).rows;
}

/** Traces where the CLI cannot reproduce Zeek's run (its likely_server_ports were not a default run's). */
export function cliCannotMatch(entry: ManifestEntry): string | null {
  return BARE_RUN_PORTS[entry.name]?.reason ?? null;
}

/** Microseconds from a time printed with six decimals (exact: no floating point). */
function usecOf(text: string): bigint {
  const [sec, frac = ''] = text.split('.');
  return BigInt(sec!) * 1_000_000n + BigInt(frac.padEnd(6, '0').slice(0, 6));
}

/**
 * The synack_id column: for each row, the synack connections of the packets on the row's 4-tuple
 * at the row's ts (its first packet), from `synack read --json`; the row's synack_id must be one
 * of them (there is one unless two segments of the tuple share a microsecond). Returns problems.
 */
export function checkSynackIds(entry: ManifestEntry, rows: BaselineRow[]): string[] {
  const r = synackCli(['read', '--json', ...checksumArgs(entry), entry.trace]);
  if (r.code !== 0) return [`read --json ${entry.name}: exit ${r.code}: ${r.stderr}`];
  const connsAt = new Map<string, Set<number>>();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const time = /"time":\s*([0-9.]+)/.exec(line)![1]!;
    const p = JSON.parse(line) as {
      src: { ip: string; port: number };
      dst: { ip: string; port: number };
      conn: number;
    };
    const k = `${tupleKey(p.src.ip, String(p.src.port), p.dst.ip, String(p.dst.port))}@${usecOf(time)}`;
    const set = connsAt.get(k) ?? new Set<number>();
    set.add(p.conn);
    connsAt.set(k, set);
  }
  const problems: string[] = [];
  for (const row of rows) {
    const k = `${tupleKey(row['id.orig_h']!, row['id.orig_p']!, row['id.resp_h']!, row['id.resp_p']!)}@${usecOf(row.ts!)}`;
    const ids = connsAt.get(k);
    const id = Number(row.synack_id);
    if (ids === undefined || !ids.has(id))
      problems.push(
        `${entry.name}: ${row['id.orig_h']}:${row['id.orig_p']} > ${row['id.resp_h']}:${row['id.resp_p']} at ${row.ts}: synack_id ${row.synack_id}, packets there belong to ${ids === undefined ? 'none' : [...ids].join(',')}`,
      );
  }
  return problems;
}

// ------------------------------------------------------------------ extra/

export interface ExtraCheck {
  name: string;
  expected: string;
  actual: string;
}

/** The extra/ traces: histories, conn_states and Zeek endpoint states printed by Zeek's tests. */
export function extraChecks(dir: string = join(ZEEK_DIR, 'extra')): ExtraCheck[] {
  const out: ExtraCheck[] = [];
  const expectedLines = (f: string) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('###'));
  // conn_state-RST-behavior: "history, conn_state" at removal, -C.
  const rst = expectedLines('conn-state-rst-behavior.expected.txt');
  ['single-rst', 'syn-then-rst', 'syn-then-ack-then-rst', 'syn-then-stuff-then-rst'].forEach((n, i) => {
    const rows = zeekRows(join(dir, `${n}.pcap`), false);
    out.push({
      name: n,
      expected: rst[i]!,
      actual: rows.map((r) => `${r.history}, ${r.connState}`).join(' | '),
    });
  });
  // fin-retransmit: endpoint size and state (no -C).
  {
    const rows = zeekRows(join(dir, 'fin_retransmission.pcap'), true);
    const s = zeekSummaryOf(join(dir, 'fin_retransmission.pcap'), true);
    const exp = expectedLines('fin-retransmit.expected.txt').map((l) =>
      /size=(\d+), state=(\d+), num_pkts=(\d+), num_bytes_ip=(\d+)/.exec(l)!.slice(1).join(' '),
    );
    const r = rows[0]!;
    out.push({
      name: 'fin_retransmission',
      expected: exp.join(' | '),
      actual: `${s.origBytes} ${s.origState} ${r.origPkts} ${r.origIpBytes} | ${s.respBytes} ${s.respState} ${r.respPkts} ${r.respIpBytes}`,
    });
  }
  // rst-after-syn: orig/resp endpoint records (no -C).
  {
    const s = zeekSummaryOf(join(dir, 'rst-inject-rae.pcap'), true);
    const exp = expectedLines('rst-after-syn-inject.expected.txt')
      .slice(1)
      .map((l) => /size=(\d+), state=(\d+), num_pkts=(\d+), num_bytes_ip=(\d+)/.exec(l)!.slice(1).join(' '));
    out.push({
      name: 'rst-inject-rae',
      expected: exp.join(' | '),
      actual: `${s.origBytes} ${s.origState} ${s.origPkts} ${s.origIpBytes} | ${s.respBytes} ${s.respState} ${s.respPkts} ${s.respIpBytes}`,
    });
  }
  // tcp-dups: the final history (log-scale T/t), -C.
  {
    const rows = zeekRows(join(dir, 'ssh-dups.pcap'), false);
    const last = expectedLines('tcp-dups-ssh.expected.txt').at(-1)!;
    out.push({
      name: 'ssh-dups',
      expected: last.split(', ').at(-1)!,
      actual: rows.map((r) => r.history).join(' | '),
    });
  }
  // connection_flipped: SYN+ACK captured before SYN, with likely_server_ports = {}.
  {
    const rows = zeekRows(join(dir, 'handshake-reorder.pcap'), true, { ports: new PortSet() });
    const last = expectedLines('handshake-reorder-flip.expected.txt').at(-1)!;
    const m = /\[orig_h=([^,]+), orig_p=(\d+).*\], ([^,]+), /.exec(last)!;
    out.push({
      name: 'handshake-reorder',
      expected: `${m[1]}:${m[2]} ${m[3]}`,
      actual: rows
        .map((r) => `${addrString(r.origAddr, r.ipVersion)}:${r.origPort} ${r.history}`)
        .join(' | '),
    });
  }
  return out;
}

// ------------------------------------------------------------------ main

function pct(a: number, b: number): string {
  return b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`;
}

function main(argv: string[]): void {
  const verbose = argv.includes('--verbose');
  const inProcess = argv.includes('--in-process');
  let idRows = 0;
  const idProblems: string[] = [];
  const cliNotes: string[] = [];
  const only = argv.filter((a) => !a.startsWith('--'));
  const totals: Record<string, FieldTally> = {};
  let rowsTotal = 0;
  let exactTotal = 0;
  let matchedTotal = 0;
  let tracesExact = 0;
  let traces = 0;
  for (const entry of readManifest()) {
    if (only.length > 0 && !only.includes(entry.name)) continue;
    traces++;
    let r: TraceResult;
    if (inProcess) r = runTrace(entry);
    else {
      const rows = cliZeekRows(entry);
      r = compareRows(entry.name, rows, entry.baseline);
      idRows += rows.length;
      idProblems.push(...checkSynackIds(entry, rows));
      const why = cliCannotMatch(entry);
      if (why !== null) cliNotes.push(`${entry.name}: ${why}`);
    }
    rowsTotal += r.baselineRows;
    exactTotal += r.exact;
    matchedTotal += r.matched;
    const allExact = r.exact === r.baselineRows && r.extra.length === 0;
    if (allExact) tracesExact++;
    for (const [f, t] of Object.entries(r.fields)) {
      const tt = totals[f] ?? { agree: 0, total: 0 };
      tt.agree += t.agree;
      tt.total += t.total;
      totals[f] = tt;
    }
    const fieldText = Object.entries(r.fields)
      .filter(([f]) => f !== 'conn_state' && f !== 'history')
      .filter(([, t]) => t.agree !== t.total)
      .map(([f, t]) => `${f} ${t.agree}/${t.total}`)
      .join(', ');
    console.log(
      `${allExact ? 'ok  ' : 'DIFF'} ${entry.name}: state+history ${r.exact}/${r.baselineRows} (ours ${r.ourRows} rows)${fieldText ? `; other: ${fieldText}` : ''}`,
    );
    if (verbose || !allExact) {
      const show = verbose ? r.disagreements : r.disagreements.filter((d) => /conn_state|history/.test(d));
      for (const d of show.slice(0, 20)) console.log(`       ${d}`);
      for (const m of r.missing.slice(0, 10)) console.log(`       missing: ${m}`);
      for (const x of r.extra.slice(0, 10)) console.log(`       extra:   ${x}`);
    }
  }
  console.log('');
  console.log(`traces exact (conn_state+history, no extra rows): ${tracesExact}/${traces}`);
  console.log(
    `rows exact: ${exactTotal}/${rowsTotal} (${pct(exactTotal, rowsTotal)}); rows matched: ${matchedTotal}`,
  );
  for (const [f, t] of Object.entries(totals))
    console.log(`  ${f.padEnd(14)} ${t.agree}/${t.total} (${pct(t.agree, t.total)})`);
  if (!inProcess) {
    console.log(
      `synack_id: ${idRows - idProblems.length}/${idRows} rows name the connection of their first packet`,
    );
    for (const p of idProblems.slice(0, 20)) console.log(`       ${p}`);
    for (const n of cliNotes) console.log(`  (CLI cannot match ${n})`);
  }
  console.log('');
  let extraOk = 0;
  const extras = extraChecks();
  for (const c of extras) {
    const ok = c.actual === c.expected;
    if (ok) extraOk++;
    console.log(
      `${ok ? 'ok  ' : 'DIFF'} extra/${c.name}: expected ${c.expected}${ok ? '' : ` got ${c.actual}`}`,
    );
  }
  console.log(`extra exact: ${extraOk}/${extras.length}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
