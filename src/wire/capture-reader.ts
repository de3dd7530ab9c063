// One push API over pcap and pcapng: detects the format by its magic, buffers input across chunk
// boundaries, and hands out records one at a time into a reused CaptureRecord. Pure: no Node APIs
// (the CLI feeds it file chunks; the browser feeds it Blob slices).
//
// Buffering: records normally lie inside one pushed chunk and are handed out as views on it. Only
// a unit (record or block) that straddles chunks is copied, into a reusable carry buffer that holds
// just that unit. When `next` returns false it has moved any unfinished bytes into the carry, so
// the caller may reuse a chunk's memory for the next push.

import { isPcapMagic, PcapParser } from './pcap.js';
import { PCAPNG_SHB, PcapngParser } from './pcapng.js';
import { CaptureError, type CaptureRecord } from './record.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** What CaptureReader needs of a format parser (PcapParser and PcapngParser). */
interface FormatParser {
  need: number;
  produced: boolean;
  parse(
    bytes: Uint8Array,
    view: DataView,
    pos: number,
    end: number,
    fileOffset: number,
    rec: CaptureRecord,
  ): number;
  truncated(fileOffset: number, avail: number): CaptureError;
}

const MAGIC_LEN = 4;
const EMPTY = new Uint8Array(0);

export class CaptureReader {
  /** Non-fatal notices, each kind once, in the order they arose. */
  readonly notes: string[] = [];
  /** Input bytes fully parsed so far (the absolute offset of the next unit). */
  bytesConsumed = 0;
  /** Packet records delivered so far (the last record's `frame`). */
  frames = 0;
  /** Known once the first bytes arrived. */
  format: CaptureFormat | null = null;

  private parser: FormatParser | null = null;
  private readonly noteKeys = new Set<string>();
  private readonly addNote = (key: string, message: string): void => {
    if (this.noteKeys.has(key)) return;
    this.noteKeys.add(key);
    this.notes.push(message);
  };

  // The window being parsed: bytes[pos, limit), a pushed chunk or the carry buffer.
  private bytes: Uint8Array = EMPTY;
  private view: DataView = new DataView(EMPTY.buffer);
  private pos = 0;
  private limit = 0;
  private inCarry = false;
  private carry: Uint8Array = EMPTY;
  private carryView: DataView = new DataView(EMPTY.buffer);

  // Chunks pushed and not yet entered; the first one may be partly taken (into the carry).
  private readonly queue: Uint8Array[] = [];
  private queueHead = 0;
  private headTaken = 0;
  private ended = false;
  private failure: CaptureError | null = null;

  /** Adds input. The reader keeps a reference until `next` returns false; then the memory is free. */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('CaptureReader.push after end()');
    if (chunk.length > 0) this.queue.push(chunk);
  }

  /** No more input: `next` drains what is buffered, then reports a unit cut short as an error. */
  end(): void {
    this.ended = true;
  }

  /**
   * Fills `rec` with the next packet record and returns true; returns false when more input is
   * needed or the input is over. Throws CaptureError on a file-level fault (again on later calls).
   * `rec` (and the bytes it points at in the reader's buffer) stays valid until the next call.
   */
  next(rec: CaptureRecord): boolean {
    if (this.failure !== null) throw this.failure;
    try {
      return this.advance(rec);
    } catch (err) {
      if (err instanceof CaptureError) this.failure = err;
      throw err;
    }
  }

  private advance(rec: CaptureRecord): boolean {
    for (;;) {
      const avail = this.limit - this.pos;
      let need = 1;
      if (avail > 0) {
        const parser = this.parser ?? this.detect();
        if (parser === null) {
          need = MAGIC_LEN;
        } else {
          const n = parser.parse(this.bytes, this.view, this.pos, this.limit, this.bytesConsumed, rec);
          if (n > 0) {
            this.pos += n;
            this.bytesConsumed += n;
            if (parser.produced) {
              rec.frame = ++this.frames;
              return true;
            }
            continue;
          }
          need = parser.need;
        }
      }
      if (!this.fill(avail, need)) {
        if (avail > 0 && !this.inCarry) this.stash(avail, avail);
        // An empty input is no capture either (tcpdump: "truncated dump file").
        if (this.ended && (avail > 0 || this.parser === null)) throw this.truncated(avail);
        return false;
      }
    }
  }

  /**
   * Makes more bytes available at pos: enters the next chunk when the window is used up, or copies
   * the unfinished unit plus up to `need` bytes in all into the carry. False when nothing is queued.
   */
  private fill(avail: number, need: number): boolean {
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
      return false;
    }
    if (avail === 0) {
      const chunk = this.queue[this.queueHead]!;
      this.enter(chunk, this.headTaken);
      this.queueHead++;
      this.headTaken = 0;
      return true;
    }
    this.stash(avail, need);
    let have = avail;
    while (have < need && this.queueHead < this.queue.length) {
      const chunk = this.queue[this.queueHead]!;
      const take = Math.min(need - have, chunk.length - this.headTaken);
      this.carry.set(chunk.subarray(this.headTaken, this.headTaken + take), have);
      have += take;
      this.headTaken += take;
      if (this.headTaken === chunk.length) {
        this.queueHead++;
        this.headTaken = 0;
      }
    }
    this.limit = have;
    return true;
  }

  /** Moves the `avail` unfinished bytes at pos to the start of the carry, sized for `need` bytes. */
  private stash(avail: number, need: number): void {
    const size = Math.max(need, avail);
    if (this.carry.length < size) {
      const grown = new Uint8Array(Math.max(size, this.carry.length * 2, 4096));
      grown.set(this.bytes.subarray(this.pos, this.limit));
      this.carry = grown;
      this.carryView = new DataView(grown.buffer);
    } else if (this.inCarry) {
      this.carry.copyWithin(0, this.pos, this.limit);
    } else {
      this.carry.set(this.bytes.subarray(this.pos, this.limit));
    }
    this.bytes = this.carry;
    this.view = this.carryView;
    this.inCarry = true;
    this.pos = 0;
    this.limit = avail;
  }

  private enter(chunk: Uint8Array, from: number): void {
    this.bytes = chunk;
    this.view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.inCarry = false;
    this.pos = from;
    this.limit = chunk.length;
  }

  /** Picks the parser from the first four bytes; null while fewer are available. */
  private detect(): FormatParser | null {
    if (this.limit - this.pos < MAGIC_LEN) return null;
    const magic = this.view.getUint32(this.pos, true);
    if (isPcapMagic(magic)) {
      this.format = 'pcap';
      this.parser = new PcapParser(this.addNote);
    } else if (magic === PCAPNG_SHB) {
      this.format = 'pcapng';
      this.parser = new PcapngParser(this.addNote);
    } else {
      throw new CaptureError('NOT_A_CAPTURE', 0, notACaptureMessage(this.bytes, this.pos));
    }
    return this.parser;
  }

  private truncated(avail: number): CaptureError {
    if (this.parser === null) {
      return new CaptureError(
        'NOT_A_CAPTURE',
        0,
        avail === 0
          ? 'not a pcap or pcapng file (empty)'
          : `not a pcap or pcapng file (only ${avail} byte${avail === 1 ? '' : 's'} long)`,
      );
    }
    return this.parser.truncated(this.bytesConsumed, avail);
  }
}

function notACaptureMessage(bytes: Uint8Array, pos: number): string {
  let hex = '';
  for (let i = pos; i < pos + MAGIC_LEN; i++) hex += bytes[i]!.toString(16).padStart(2, '0');
  const hint = bytes[pos] === 0x1f && bytes[pos + 1] === 0x8b ? '; gzip data must be decompressed first' : '';
  return `not a pcap or pcapng file (starts with 0x${hex}${hint})`;
}
