// The Suricata oracle of issue 3: for each suricata-verify capture (config-dependent ones
// skipped), compare the flow records' tcp.state with our final states as the issue maps them:
// syn_sent ↔ final.orig SYN_SENT; syn_recv ↔ final.resp SYN_RECEIVED; established ↔ both
// ESTABLISHED; fin_wait1 … last_ack ↔ final.resp of that name; closed ↔ final.resp CLOSED or an
// accepted RST. Prints one line per check and the agreement. Usage: tsx scripts/parity-suricata.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecords } from '../src/cli/input.js';
import { addrString } from '../src/report/zeek-tsv.js';
import { FlowTable } from '../src/track/flow-table.js';
import type { ConnRecord } from '../src/track/record.js';
import { TcpAnalysis } from '../src/track/wireshark.js';
import { ZeekSummary } from '../src/track/zeek-summary.js';
import { Decoder } from '../src/wire/decode.js';
import { Packet } from '../src/wire/packet.js';
import { CORPUS_DIR } from './corpus-dir.js';

export interface SuricataCheck {
  name: string;
  state: string;
  srcPort: number | null;
  dstPort: number | null;
  ours: string;
  agree: boolean;
}

export async function connRecords(path: string): Promise<ConnRecord[]> {
  const records: ConnRecord[] = [];
  const table = new FlowTable({
    newSummary: () => new ZeekSummary(),
    analysis: new TcpAnalysis(),
    addrText: addrString,
    onEnd: (r) => records.push(r),
  });
  const dec = new Decoder();
  const pkt = new Packet();
  await readRecords(
    [path],
    (rec) => {
      dec.decode(rec, pkt);
      table.process(pkt);
    },
    { onNote: () => {} },
  );
  table.finish();
  return records;
}

function agrees(state: string, r: ConnRecord): boolean {
  switch (state) {
    case 'syn_sent':
      return r.final.orig === 'SYN_SENT';
    case 'syn_recv':
      return r.final.resp === 'SYN_RECEIVED';
    case 'established':
      return r.final.orig === 'ESTABLISHED' && r.final.resp === 'ESTABLISHED';
    case 'closed':
      return r.final.resp === 'CLOSED' || r.reset !== null;
    default:
      return r.final.resp === state.toUpperCase().replace('FIN_WAIT', 'FIN_WAIT_');
  }
}

export async function suricataParity(dir: string): Promise<SuricataCheck[]> {
  const rows = readFileSync(join(dir, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  const out: SuricataCheck[] = [];
  for (const row of rows) {
    const [name, , , , , , notes] = row.split('\t') as string[];
    if (!name || !notes || notes.includes('CONFIG-DEPENDENT')) continue;
    const m = /flow checks: (.*?); also copied/.exec(notes);
    if (!m) continue;
    const records = await connRecords(join(dir, `${name}.pcap`));
    for (const alt of m[1]!.split(' | ')) {
      const kv = Object.fromEntries(alt.split(',').map((p) => p.split('=') as [string, string]));
      const state = kv['tcp.state'];
      if (state === undefined) continue;
      const srcPort = kv.src_port === undefined ? null : Number(kv.src_port);
      const dstPort = kv.dest_port === undefined ? null : Number(kv.dest_port);
      const r = records.find(
        (x) => (srcPort === null || x.orig.port === srcPort) && (dstPort === null || x.resp.port === dstPort),
      );
      const ours = r
        ? `${r.final.orig}/${r.final.resp}${r.reset ? ` reset=${r.reset}` : ''}`
        : 'no connection';
      out.push({ name, state, srcPort, dstPort, ours, agree: r !== undefined && agrees(state, r) });
    }
  }
  return out;
}

if (process.argv[1]?.endsWith('parity-suricata.ts')) {
  const dir = join(CORPUS_DIR, 'suricata-verify');
  const checks = await suricataParity(dir);
  for (const c of checks)
    console.log(
      `${c.agree ? 'agree   ' : 'DISAGREE'} ${c.name} ${c.srcPort ?? '*'}->${c.dstPort ?? '*'} suricata=${c.state} ours=${c.ours}`,
    );
  const n = checks.filter((c) => c.agree).length;
  console.log(`suricata tcp.state agreement: ${n}/${checks.length}`);
}
