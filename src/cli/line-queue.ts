// `read`'s lines in frame order as bytes (the common case: no --filter, -c, --number or -t; those
// go through ordered-lines.ts). Each line is rendered as its packet arrives, straight into one
// byte arena in number order, and waits there for its segment's annotation (conn, role, states,
// tags: PacketAnnotation), which `settle` stores beside it in typed arrays. The head of the queue
// goes out once settled: its bytes copied into the output chunk, then the annotation written
// after them (`suffix`). A waiting line costs no JS object: as strings in maps, the lines of a
// long TIME_WAIT wait were promoted to the old generation, flattened, re-concatenated and
// encoded, and the garbage collector took a fifth of `read --json`'s CPU.
//
// Memory is bounded as in ordered-lines.ts: past a budget of waiting bytes, all but the newest
// lines move, in order, to an unlinked temporary file (each with its annotation when settled);
// a line settled after it moved keeps its annotation in memory until the file is read back.
// The output is byte for byte what an unbounded queue would write.

import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PacketAnnotation } from '../report/annotate.js';
import { LineBytes } from '../report/line-bytes.js';
import type { OutputBuffer } from './output-buffer.js';

/** Default budget of waiting bytes kept in memory (+16 a line). */
const DEFAULT_BUDGET = 4 << 20;
/** The newest lines stay in memory when spilling (most are settled by their connection's next packet). */
const KEEP_RECENT = 8192;
const STAGE = 1 << 20;

// A line's state: waiting for its annotation, settled with it, or settled as no line.
const WAITING = 0;
const SETTLED = 1;
const NONE = 2;

// Spill record: state, arrived, role, orig, resp, fromOrig (1 byte each), pad (2), conn, tags,
// length of the text (u32 LE each), then the text.
const HEADER = 20;

const allocBuffer = (size: number): Uint8Array => Buffer.allocUnsafe(size);

/** Writes a settled line's annotation after its text (and whatever closes the line). */
export type AnnotationWriter = (w: LineBytes, a: PacketAnnotation) => void;

export class LineQueue {
  /** The arena: lines [memLo, assigned) in number order; a line is rendered into it at `begin`. */
  readonly w = new LineBytes(allocBuffer, 1 << 16);
  /** Virtual offset (bytes ever appended before w.buf[0]) and offset of line memLo in w.buf. */
  private arenaBase = 0;
  private head = 0;
  // Per line in memory, at index n & mask: virtual start, length, state and annotation.
  private mask = 1023;
  private start = new Float64Array(1024);
  private len = new Int32Array(1024);
  private state = new Uint8Array(1024);
  private conn = new Uint32Array(1024);
  /** arrived (0 false, 1 true, 2 null) | role << 2 | orig << 10 | resp << 18 | fromOrig << 26. */
  private packed = new Int32Array(1024);
  private tags = new Int32Array(1024);
  /** Bytes of lines in memory, +16 a line. */
  private memBytes = 0;
  private spillAt: number;
  private assigned = 0;
  private nextOut = 0;
  /** Lines [nextOut, spillTo) are in the spill file. */
  private spillTo = 0;
  /** Annotations of lines settled after they were spilled (null: no line). */
  private readonly late = new Map<number, PacketAnnotation | null>();
  private fd = -1;
  private writePos = 0;
  private readPos = 0;
  private readBuf: Buffer = Buffer.alloc(0);
  /** Where spilled records are put together before each write. */
  private stage: Buffer = Buffer.alloc(0);
  private readStart = 0;
  private readEnd = 0;
  /** One annotation object reused to hand a settled line's fields to the writer. */
  private readonly ann: PacketAnnotation = {
    conn: 0,
    fromOrig: true,
    role: 0,
    orig: 0,
    resp: 0,
    arrived: true,
    tags: 0,
  };
  /** Lines written through the spill file (for the tests and the curious). */
  spilled = 0;

  constructor(
    private readonly out: OutputBuffer,
    private readonly suffix: AnnotationWriter,
    private readonly budget = DEFAULT_BUDGET,
    private readonly keepRecent = KEEP_RECENT,
  ) {
    this.spillAt = budget;
  }

  /** A new line, in frame order: render its text into `w`, then `commit()`. Returns its number. */
  begin(): number {
    // Lines gone out leave dead bytes at the front: moved away once they are half the arena.
    const w = this.w;
    if (this.head > 0 && this.head >= w.buf.length >> 1) {
      w.buf.copyWithin(0, this.head, w.pos);
      w.pos -= this.head;
      this.arenaBase += this.head;
      this.head = 0;
    }
    const n = this.assigned;
    if (n - Math.max(this.nextOut, this.spillTo) > this.mask) this.grow();
    const i = n & this.mask;
    this.start[i] = this.arenaBase + w.pos;
    this.state[i] = WAITING;
    return n;
  }

  /** The text of the line begun last is complete (it may be empty). */
  commit(): void {
    const n = this.assigned++;
    const i = n & this.mask;
    const len = this.arenaBase + this.w.pos - this.start[i]!;
    this.len[i] = len;
    this.memBytes += len + 16;
    if (this.memBytes > this.spillAt) this.spill();
  }

  /** Line `n`'s annotation is in (null: the line prints nothing); writes every line it unblocks. */
  settle(n: number, a: PacketAnnotation | null): void {
    if (n < this.spillTo) {
      this.late.set(n, a === null ? null : { ...a });
    } else {
      const i = n & this.mask;
      if (a === null) this.state[i] = NONE;
      else {
        this.state[i] = SETTLED;
        this.conn[i] = a.conn;
        this.packed[i] = packAnnotation(a);
        this.tags[i] = a.tags;
      }
    }
    if (n === this.nextOut) this.drain();
  }

  /** Lines whose text or annotation is in memory (what the budget bounds; for the tests). */
  get inMemory(): number {
    return this.assigned - Math.max(this.nextOut, this.spillTo) + this.late.size;
  }

  /** End of input: every line is settled; writes what is left and removes the spill file. */
  finish(): void {
    this.drain();
    this.close();
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private grow(): void {
    const size = 2 * (this.mask + 1);
    const mask = size - 1;
    const lo = Math.max(this.nextOut, this.spillTo);
    const start = new Float64Array(size);
    const len = new Int32Array(size);
    const state = new Uint8Array(size);
    const conn = new Uint32Array(size);
    const packed = new Int32Array(size);
    const tags = new Int32Array(size);
    for (let n = lo; n < this.assigned; n++) {
      const a = n & this.mask;
      const b = n & mask;
      start[b] = this.start[a]!;
      len[b] = this.len[a]!;
      state[b] = this.state[a]!;
      conn[b] = this.conn[a]!;
      packed[b] = this.packed[a]!;
      tags[b] = this.tags[a]!;
    }
    this.mask = mask;
    this.start = start;
    this.len = len;
    this.state = state;
    this.conn = conn;
    this.packed = packed;
    this.tags = tags;
  }

  private drain(): void {
    for (;;) {
      if (this.nextOut < this.spillTo) {
        if (!this.drainSpill()) return;
        continue;
      }
      if (this.nextOut >= this.assigned) return;
      const i = this.nextOut & this.mask;
      const st = this.state[i]!;
      if (st === WAITING) return;
      const len = this.len[i]!;
      if (st === SETTLED) {
        const s = this.start[i]! - this.arenaBase;
        this.unpack(this.conn[i]!, this.packed[i]!, this.tags[i]!);
        this.writeLine(this.w.buf as Buffer, s, s + len, this.ann);
      }
      this.head = this.start[i]! - this.arenaBase + len;
      this.memBytes -= len + 16;
      this.nextOut++;
    }
  }

  /** One line out: its text, then its annotation, then the newline. */
  private writeLine(src: Buffer, from: number, to: number, a: PacketAnnotation): void {
    // A packet without a line (--packet-filter, nothing tcpdump shows) prints nothing.
    if (to === from) return;
    const o = this.out.bytes;
    o.ensure(to - from);
    src.copy(o.buf, o.pos, from, to);
    o.pos += to - from;
    this.suffix(o, a);
    this.out.endLine();
  }

  private unpack(conn: number, packed: number, tags: number): void {
    const a = this.ann;
    a.conn = conn;
    const arrived = packed & 3;
    a.arrived = arrived === 2 ? null : arrived === 1;
    a.role = (packed >>> 2) & 0xff;
    a.orig = (packed >>> 10) & 0xff;
    a.resp = (packed >>> 18) & 0xff;
    a.fromOrig = ((packed >>> 26) & 1) === 1;
    a.tags = tags;
  }

  /** Moves the lines from the head to all but the newest keepRecent to the file, in order. */
  private spill(): void {
    const lo = Math.max(this.nextOut, this.spillTo);
    const upTo = this.assigned - this.keepRecent;
    if (upTo <= lo) {
      // All waiting text is recent: spill again only after another budget's worth.
      this.spillAt = this.memBytes + this.budget;
      return;
    }
    if (this.fd < 0) this.open();
    const stage = this.stage;
    let p = 0;
    const flush = () => {
      writeSync(this.fd, stage, 0, p, this.writePos);
      this.writePos += p;
      p = 0;
    };
    const arena = this.w.buf as Buffer;
    for (let n = lo; n < upTo; n++) {
      const i = n & this.mask;
      const st = this.state[i]!;
      const len = st === NONE ? 0 : this.len[i]!;
      if (p + HEADER > STAGE) flush();
      stage[p] = st;
      stage.writeInt32LE(this.packed[i]!, p + 4);
      stage.writeUInt32LE(this.conn[i]!, p + 8);
      stage.writeInt32LE(this.tags[i]!, p + 12);
      stage.writeUInt32LE(len, p + 16);
      p += HEADER;
      const s = this.start[i]! - this.arenaBase;
      if (p + len > STAGE) {
        flush();
        if (len > STAGE) {
          writeSync(this.fd, arena, s, len, this.writePos);
          this.writePos += len;
          this.spilled++;
          continue;
        }
      }
      arena.copy(stage, p, s, s + len);
      p += len;
      this.spilled++;
    }
    flush();
    const last = (upTo - 1) & this.mask;
    this.head = this.start[last]! - this.arenaBase + this.len[last]!;
    this.spillTo = upTo;
    let mem = 0;
    for (let n = upTo; n < this.assigned; n++) mem += this.len[n & this.mask]! + 16;
    this.memBytes = mem;
    this.spillAt = Math.max(this.budget, mem + this.budget / 2);
  }

  /** Writes spilled lines from the head while they are settled; false when the head waits. */
  private drainSpill(): boolean {
    while (this.nextOut < this.spillTo) {
      if (!this.peekRecord()) throw new Error('spill file ended early');
      const b = this.readBuf;
      const r = this.readStart;
      const st = b[r]!;
      const len = b.readUInt32LE(r + 16);
      if (st === WAITING) {
        const a = this.late.get(this.nextOut);
        if (a === undefined) return false;
        this.late.delete(this.nextOut);
        if (a !== null) this.writeLine(b, r + HEADER, r + HEADER + len, a);
      } else if (st === SETTLED) {
        this.unpack(b.readUInt32LE(r + 8), b.readInt32LE(r + 4), b.readInt32LE(r + 12));
        this.writeLine(b, r + HEADER, r + HEADER + len, this.ann);
      }
      this.readStart = r + HEADER + len;
      this.nextOut++;
    }
    // Everything spilled is out: the file starts over.
    ftruncateSync(this.fd, 0);
    this.writePos = 0;
    this.readPos = 0;
    this.readStart = this.readEnd = 0;
    return true;
  }

  /** The record at readStart is whole in readBuf (reading more of the file as needed). */
  private peekRecord(): boolean {
    for (;;) {
      const have = this.readEnd - this.readStart;
      if (have >= HEADER && have >= HEADER + this.readBuf.readUInt32LE(this.readStart + 16)) return true;
      const need = have >= HEADER ? HEADER + this.readBuf.readUInt32LE(this.readStart + 16) : HEADER;
      const size = Math.max(STAGE, 2 * need);
      const buf = size > this.readBuf.length ? Buffer.allocUnsafe(size) : this.readBuf;
      this.readBuf.copy(buf, 0, this.readStart, this.readEnd);
      this.readBuf = buf;
      this.readStart = 0;
      this.readEnd = have;
      const n = readSync(this.fd, buf, have, buf.length - have, this.readPos);
      if (n === 0) return false;
      this.readPos += n;
      this.readEnd += n;
    }
  }

  private open(): void {
    const dir = mkdtempSync(join(tmpdir(), 'synack-read-'));
    const path = join(dir, 'lines');
    this.fd = openSync(path, 'w+', 0o600);
    // Unlinked at once: nothing is left behind whatever ends the run.
    rmSync(dir, { recursive: true, force: true });
    this.stage = Buffer.allocUnsafe(STAGE);
  }
}

function packAnnotation(a: PacketAnnotation): number {
  const arrived = a.arrived === null ? 2 : a.arrived ? 1 : 0;
  return arrived | (a.role << 2) | (a.orig << 10) | (a.resp << 18) | ((a.fromOrig ? 1 : 0) << 26);
}
