// Capture input on the Node side: files and `-` (stdin), gzip'd input detected by its magic and
// decompressed as a stream (node:zlib), read in large chunks with constant memory, and several
// files merged by packet time as mergecap does (a k-way merge on (tsSec, tsNsec), ties by argument
// order, frames renumbered from 1 in merged order). Parsing is CaptureReader's (src/wire).

import {
  closeSync,
  createReadStream,
  fstatSync,
  openSync,
  type ReadStream,
  readSync,
  statSync,
} from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CaptureReader } from '../wire/capture-reader.js';
import { CaptureError, CaptureRecord } from '../wire/record.js';
import { FileFault, formatNote } from './errors.js';
import { heapTick } from './heap-governor.js';
import { startProgress } from './progress.js';

export interface ReadRecordsOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /** Called with each note's stderr line (`synack: FILE: NOTE`) as it arises; default: write it to stderr. */
  onNote?: (line: string) => void;
  /** The stream `-` reads (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

const DEFAULT_CHUNK = 1024 * 1024;

/**
 * Reads every record of `paths` in time order (one file: file order) and calls `onRecord` with the
 * reused record and the file's display name. A file's fault (unreadable, not a capture, corrupt,
 * truncated) is thrown as a FileFault once every record before it has been delivered. Returns the
 * notes, formatted as stderr lines.
 */
export async function readRecords(
  paths: string[],
  onRecord: (rec: CaptureRecord, file: string) => void,
  opts: ReadRecordsOptions = {},
): Promise<{ notes: string[] }> {
  const notes: string[] = [];
  const emit = opts.onNote ?? ((line: string) => process.stderr.write(`${line}\n`));
  const onNote = (line: string) => {
    notes.push(line);
    emit(line);
  };
  const sources = paths.map((p) => new Source(p, opts, onNote));
  const progress = startProgress(totalBytes(paths));
  let each = onRecord;
  if (progress !== null) {
    let records = 0;
    each = (rec, file) => {
      records++;
      onRecord(rec, file);
    };
    const tick = () => progress.update(sumBytes(sources), records);
    for (const s of sources) s.onChunk = tick;
  }
  // The heap governor looks now and then: a chunk's records are decoded without a pause.
  const governed = (rec: CaptureRecord, file: string) => {
    heapTick();
    each(rec, file);
  };
  try {
    if (sources.length === 1) await readOne(sources[0]!, governed);
    else await mergeAll(sources, governed);
  } finally {
    progress?.stop();
    for (const s of sources) s.close();
  }
  return { notes };
}

/** Bytes of the regular files among `paths` (stdin and pipes count 0). */
function totalBytes(paths: string[]): number {
  let n = 0;
  for (const p of paths) {
    try {
      const st = p === '-' ? null : statSync(p);
      if (st?.isFile()) n += st.size;
    } catch {
      // Not readable: its fault is reported when it is read.
    }
  }
  return n;
}

function sumBytes(sources: Source[]): number {
  let n = 0;
  for (const s of sources) n += s.bytesRead;
  return n;
}

/** The file name shown to the user. */
export function displayName(path: string): string {
  return path === '-' ? 'stdin' : path;
}

async function readOne(src: Source, onRecord: (rec: CaptureRecord, file: string) => void): Promise<void> {
  const rec = src.rec;
  let frame = 0;
  for (;;) {
    while (src.nextSync()) {
      rec.frame = ++frame;
      onRecord(rec, src.name);
    }
    if (!(await src.refill())) return;
  }
}

/** mergecap's order: the earliest (tsSec, tsNsec) next record; ties go to the earlier argument. */
async function mergeAll(sources: Source[], onRecord: (rec: CaptureRecord, file: string) => void) {
  const live: Source[] = [];
  for (const s of sources) if (await s.advance()) live.push(s);
  let frame = 0;
  while (live.length > 0) {
    let best = 0;
    for (let i = 1; i < live.length; i++) {
      const a = live[i]!.rec;
      const b = live[best]!.rec;
      if (a.tsSec < b.tsSec || (a.tsSec === b.tsSec && a.tsNsec < b.tsNsec)) best = i;
    }
    const src = live[best]!;
    src.rec.frame = ++frame;
    onRecord(src.rec, src.name);
    if (!(await src.advance())) live.splice(best, 1);
  }
}

/** One input: its byte stream (raw or gunzipped) feeding a CaptureReader. */
class Source {
  readonly name: string;
  readonly rec = new CaptureRecord();
  private readonly reader = new CaptureReader();
  private readonly chunkSize: number;
  private notesSeen = 0;
  private gzip = false;
  private started = false;
  private done = false;
  // Plain file: synchronous reads into one reused buffer (the reader copies what straddles).
  private fd = -1;
  private buffer: Uint8Array | null = null;
  private fileBytes = 0;
  /** stdin: bytes taken from it so far (the progress bar's count; before any gunzip). */
  private stdinBytes = 0;
  // stdin or gzip: an async chunk iterator.
  private chunks: AsyncIterator<Uint8Array> | null = null;
  private gunzip: ReturnType<typeof createGunzip> | null = null;
  private fileStream: ReadStream | null = null;
  /** Called after each chunk is read (the progress bar). */
  onChunk: (() => void) | null = null;

  constructor(
    private readonly path: string,
    private readonly opts: ReadRecordsOptions,
    private readonly onNote: (line: string) => void,
  ) {
    this.name = displayName(path);
    this.chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  }

  /** The next record into `rec` from what is buffered; false when more input is needed or it is over. */
  nextSync(): boolean {
    try {
      const got = this.reader.next(this.rec);
      if (!got) this.flushNotes();
      return got;
    } catch (err) {
      this.flushNotes();
      throw this.fault(err);
    }
  }

  /** The next record, reading as needed; false at the end of the input. */
  async advance(): Promise<boolean> {
    for (;;) {
      if (this.nextSync()) return true;
      if (!(await this.refill())) return false;
    }
  }

  /** Pushes the next chunk into the reader (or ends it); false when the reader is drained and ended. */
  async refill(): Promise<boolean> {
    if (this.done) return false;
    let chunk: Uint8Array | null;
    try {
      chunk = await this.read();
    } catch (err) {
      throw this.fault(err);
    }
    if (chunk === null) {
      this.reader.end();
      this.done = true;
      // One more pass: the reader drains what it holds and reports a unit cut short by the end.
      return true;
    }
    this.reader.push(chunk);
    this.onChunk?.();
    // A plain file is read synchronously, so its loop would only ever await settled promises and
    // never let the event loop run: a closed stdout (`| head`, main.ts ends the run on EPIPE),
    // signals and the progress timer wait for a turn. One turn per chunk (1 MiB) costs nothing.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return true;
  }

  /** Bytes of the input read so far (compressed bytes for gzip). */
  get bytesRead(): number {
    return this.fileStream !== null ? this.fileStream.bytesRead : this.fileBytes + this.stdinBytes;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.gunzip?.destroy();
    this.gunzip = null;
  }

  /** The next chunk of capture bytes, or null at the end. */
  private async read(): Promise<Uint8Array | null> {
    if (!this.started) await this.open();
    if (this.chunks !== null) {
      const r = await this.chunks.next();
      if (r.done) return null;
      const b = r.value;
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }
    const buf = this.buffer!;
    const n = readSync(this.fd, buf, 0, buf.length, null);
    if (n === 0) return null;
    this.fileBytes += n;
    return buf.subarray(0, n);
  }

  /** Opens the input and decides between plain reads and a gunzip stream by the first two bytes. */
  private async open(): Promise<void> {
    this.started = true;
    let stream: AsyncIterable<Uint8Array>;
    if (this.path === '-') {
      stream = (this.opts.stdin ?? process.stdin) as AsyncIterable<Uint8Array>;
    } else {
      this.fd = openSync(this.path, 'r');
      const stat = fstatSync(this.fd);
      if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (stat.isFile()) {
        const head = new Uint8Array(2);
        const n = readSync(this.fd, head, 0, 2, 0);
        if (!(n === 2 && head[0] === 0x1f && head[1] === 0x8b)) {
          // The fast path: synchronous reads into one reused buffer.
          this.buffer = new Uint8Array(this.chunkSize);
          return;
        }
      }
      // gzip'd files, FIFOs (`<(zcat x)`), devices: a stream, peeked below.
      this.fileStream = createReadStream('', {
        fd: this.fd,
        highWaterMark: this.chunkSize,
        autoClose: false,
      });
      stream = this.fileStream;
    }
    const raw = stream[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let headLen = 0;
    while (headLen < 2) {
      const r = await raw.next();
      if (r.done) break;
      head.push(r.value);
      headLen += r.value.length;
    }
    const first = head.length === 1 ? head[0]! : Buffer.concat(head);
    const fromStdin = this.path === '-';
    const count = (n: number) => {
      if (fromStdin) this.stdinBytes += n;
    };
    async function* replay(): AsyncGenerator<Uint8Array> {
      count(first.length);
      if (first.length > 0) yield first;
      for (;;) {
        const r = await raw.next();
        if (r.done) return;
        count(r.value.length);
        yield r.value;
      }
    }
    if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
      this.gzip = true;
      this.chunks = this.gunzipped(Readable.from(replay(), { objectMode: false }));
    } else {
      this.chunks = replay();
    }
  }

  private gunzipped(compressed: Readable): AsyncIterator<Uint8Array> {
    const gunzip = createGunzip({ chunkSize: Math.max(this.chunkSize, 64) });
    this.gunzip = gunzip;
    compressed.on('error', (err) => gunzip.destroy(err));
    compressed.pipe(gunzip);
    return gunzip[Symbol.asyncIterator]();
  }

  private flushNotes(): void {
    const notes = this.reader.notes;
    while (this.notesSeen < notes.length) this.onNote(formatNote(this.name, notes[this.notesSeen++]!));
  }

  /** Any failure of this input as a FileFault naming the file and the byte offset. */
  private fault(err: unknown): FileFault {
    if (err instanceof FileFault) return err;
    const inflated = this.gzip ? ' (offset in the decompressed data)' : '';
    if (err instanceof CaptureError)
      return new FileFault(this.name, err.offset, `${err.message}${inflated}`, err.code);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return new FileFault(this.name, 0, 'cannot open: no such file');
    if (e.code === 'EACCES') return new FileFault(this.name, 0, 'cannot open: permission denied');
    if (e.code === 'EISDIR') return new FileFault(this.name, 0, 'cannot read: is a directory');
    if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
      const at = this.gunzip?.bytesWritten ?? 0;
      return new FileFault(this.name, at, `gzip data is corrupt: ${e.message}`);
    }
    const at = this.gzip ? (this.gunzip?.bytesWritten ?? 0) : this.fileBytes;
    return new FileFault(this.name, at, `read error: ${e.message ?? String(err)}`);
  }
}
