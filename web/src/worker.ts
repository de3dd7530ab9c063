// The analysis worker: reads a capture chosen, dropped or served (Blob or fetch stream), gunzips
// it through DecompressionStream when it starts with gzip's magic, feeds the chunks to the core
// (analysis.ts) and reports progress; then answers the page's questions about one connection,
// one packet or the hosts, and writes exports. Rows are posted in chunks as connections end, so
// no single message stalls the page. Nothing leaves the browser.

import { labPacketdrill, packetdrillFailureLines } from '../../src/lab/packetdrill-lab.js';
import { CaptureAnalysis } from './analysis.js';
import { type Exported, exportList, exportPcap } from './export.js';
import { keyRanks, SearchIndex, SORT_KEYS, sortKeys } from './filters.js';
import type { ConnRow, FromWorker, Source, ToWorker } from './protocol.js';
import { encodeRows, type Rows, RowTable, transferables } from './row-columns.js';

let current: CaptureAnalysis | null = null;
/** Where the current capture's bytes came from (read again for a pcap export). */
let currentSource: Source | null = null;
let generation = 0;

function post(m: FromWorker): void {
  (self as unknown as Worker).postMessage(m);
}

/** The source's bytes, its size (compressed, for progress) and its name. */
async function open(source: Source): Promise<{ stream: ReadableStream<Uint8Array>; total: number }> {
  if (source.kind === 'file') return { stream: source.file.stream(), total: source.file.size };
  const res = await fetch(source.url);
  if (!res.ok || !res.body)
    throw new Error(`${source.name}: the server answered ${res.status} ${res.statusText}`);
  const length = Number(res.headers.get('content-length'));
  return { stream: res.body, total: Number.isFinite(length) && length > 0 ? length : source.size };
}

/** Counts raw bytes as they pass (progress is measured on what was read, compressed or not). */
function counting(
  stream: ReadableStream<Uint8Array>,
  onBytes: (n: number) => void,
): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        onBytes(chunk.byteLength);
        ctl.enqueue(chunk);
      },
    }),
  );
}

/** Peeks at the first bytes: gzip'd input goes through DecompressionStream, the rest as is. */
async function decoded(stream: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let have = 0;
  while (have < 2) {
    const r = await reader.read();
    if (r.done) break;
    head.push(r.value);
    have += r.value.byteLength;
  }
  const rest = new ReadableStream<Uint8Array>({
    start(ctl) {
      for (const h of head) ctl.enqueue(h);
    },
    async pull(ctl) {
      const r = await reader.read();
      if (r.done) ctl.close();
      else ctl.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  const first = head[0];
  const b1 = first && first.byteLength > 1 ? first[1] : head[1]?.[0];
  if (first && first[0] === 0x1f && b1 === 0x8b) {
    return rest.pipeThrough(
      new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
  }
  return rest;
}

/** The rows posted for the current capture, in order, as the page holds them (its row indices). */
let posted = new RowTable();

/** Rows as transferred columns (row-columns.ts): no object-by-object clone for the page to undo. */
function postRowChunk(rows: ConnRow[]): void {
  const chunk = encodeRows(rows);
  posted.append(chunk);
  (self as unknown as Worker).postMessage(
    { type: 'rows', rows: chunk } satisfies FromWorker,
    transferables(chunk),
  );
}

/** Rows are posted in chunks of about this many, or every POST_MS, whichever comes first. */
const ROW_CHUNK = 4000;
const POST_MS = 250;

/**
 * A packetdrill script (`.pkt`) is run in the lab, here in the worker (the lab is pure), and its
 * capture analysed like any other; a script the stack did not follow keeps its capture and says
 * where in the notes; one outside the lab's subset fails with `synack lab run`'s message.
 */
async function scriptCapture(
  name: string,
  stream: ReadableStream<Uint8Array>,
  analysis: CaptureAnalysis,
): Promise<ReadableStream<Uint8Array>> {
  const text = await new Response(stream).text();
  let pcap: Uint8Array;
  try {
    const { result, lab } = labPacketdrill(text, name.replace(/\.pkt$/i, ''));
    pcap = lab.pcap;
    for (const line of packetdrillFailureLines(name, result)) analysis.note(line);
  } catch (err) {
    const m = err instanceof Error ? err.message : String(err);
    throw new Error(`${name}: ${m}`);
  }
  return new ReadableStream<Uint8Array>({
    start(ctl) {
      ctl.enqueue(pcap);
      ctl.close();
    },
  });
}

async function analyse(source: Source, timeWaitS: number, tap: string, gen: number): Promise<void> {
  const name = source.kind === 'file' ? source.file.name : source.name;
  const analysis = new CaptureAnalysis(name, timeWaitS, tap);
  const t0 = performance.now();
  const opened = await open(source);
  const { total } = opened;
  const stream = /\.pkt$/i.test(name) ? await scriptCapture(name, opened.stream, analysis) : opened.stream;
  let done = 0;
  let lastPost = 0;
  const postRows = () => {
    if (analysis.pendingRows > 0) postRowChunk(analysis.takeRows());
  };
  const input = await decoded(
    counting(stream, (n) => {
      done += n;
    }),
  );
  const reader = input.getReader();
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (err) {
      // A corrupt gzip stream: what came before it is kept, as the CLI keeps it.
      analysis.fail(`${name}: gzip data is corrupt (${err instanceof Error ? err.message : String(err)})`);
      break;
    }
    if (gen !== generation) {
      await reader.cancel();
      return;
    }
    if (r.done) break;
    if (!analysis.push(r.value)) {
      await reader.cancel();
      break;
    }
    const now = performance.now();
    if (analysis.pendingRows >= ROW_CHUNK || now - lastPost > POST_MS) {
      lastPost = now;
      postRows();
      post({ type: 'progress', phase: 'read', done, total, frames: analysis.framesRead });
    }
  }
  // The connections still open at the end are closed now: a phase of its own on the progress bar.
  post({ type: 'progress', phase: 'finish', done: total, total, frames: analysis.framesRead });
  analysis.finish();
  if (gen !== generation) return;
  for (let rows = analysis.takeRows(); rows.length > 0; rows = rows.slice(ROW_CHUNK))
    postRowChunk(rows.slice(0, ROW_CHUNK));
  current = analysis;
  currentSource = source;
  post({ type: 'done', summary: analysis.summary(done, Math.round(performance.now() - t0)) });
  // While the page shows the list: the sort ranks (a click on a column head then costs the page
  // one native sort), then the host view, so the tab opens at once; a question asked meanwhile
  // waits for them (one thread).
  setTimeout(() => {
    if (gen !== generation) return;
    postRanks(posted.view());
    if (current === analysis && !analysis.hostsReady) analysis.hosts();
  }, 20);
}

function postRanks(rows: Rows): void {
  const ranks = SORT_KEYS.map((key) => ({ key, ranks: keyRanks(sortKeys(rows, key)) }));
  const index = SearchIndex.build(rows);
  (self as unknown as Worker).postMessage(
    {
      type: 'ranks',
      rows: rows.length,
      ranks,
      search: { text: index.text, starts: index.starts },
    } satisfies FromWorker,
    [...ranks.map((r) => r.ranks.buffer as ArrayBuffer), index.starts.buffer as ArrayBuffer],
  );
}

async function runExport(analysis: CaptureAnalysis, m: Extract<ToWorker, { type: 'export' }>): Promise<void> {
  try {
    let out: Exported;
    if (m.kind === 'pcap') {
      if (!currentSource || m.ids.length !== 1) throw new Error('choose one connection to extract');
      const { stream } = await open(currentSource);
      out = await exportPcap(analysis, m.ids[0], await decoded(stream));
    } else out = exportList(analysis, m.kind, m.ids);
    (self as unknown as Worker).postMessage(
      { type: 'export', name: m.name, mime: out.mime, data: out.data, error: null } satisfies FromWorker,
      [out.data],
    );
  } catch (err) {
    post({
      type: 'export',
      name: m.name,
      mime: '',
      data: null,
      error: `${m.name}: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'open': {
      const gen = ++generation;
      current = null;
      posted = new RowTable();
      analyse(m.source, m.timeWaitS, m.tap, gen).catch((err: unknown) => {
        if (gen === generation)
          post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
      });
      break;
    }
    case 'conn':
      post({ type: 'conn', id: m.id, detail: current?.conn(m.id, m.view, m.focus) ?? null });
      break;
    case 'packet':
      if (current) post({ type: 'packet', detail: current.packet(m.conn, m.frame) });
      break;
    case 'hosts':
      if (current) post({ type: 'hosts', view: current.hosts() });
      break;
    case 'export':
      if (current) void runExport(current, m);
      break;
  }
};
