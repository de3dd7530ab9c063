// The output of the commands: text collected and written to stdout in large chunks, not one
// write per line. A line comes as a string (line()) or is written as bytes into the chunk itself
// (bytes, then endLine(): conns --json, src/report/line-bytes.ts).

import { LineBytes } from '../report/line-bytes.js';

/** Bytes per chunk written. */
const CHUNK = 1 << 18;
/** A chunk is written once a byte-written line leaves less room than this (lines are ~1 KiB). */
const SLACK = 1 << 14;

const allocChunk = (size: number): Buffer => Buffer.allocUnsafe(size);

/** Collects output lines as UTF-8 and writes them to stdout in chunks of 256 KiB (not one write per line). */
export class OutputBuffer {
  // Each line is encoded straight into the chunk: no rope of strings to flatten and encode again
  // at the write, which cost as much as building the lines.
  /** The chunk being filled: a renderer writes a line into it, then calls endLine(). */
  readonly bytes = new LineBytes(allocChunk, CHUNK);

  constructor(private readonly write: (chunk: Uint8Array) => void = (b) => process.stdout.write(b)) {}

  line(s: string): void {
    const w = this.bytes;
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair 4 for two units).
    if (w.pos + 3 * s.length + 1 > CHUNK) {
      this.flush();
      if (3 * s.length + 1 > CHUNK) {
        this.write(Buffer.from(`${s}\n`, 'utf8'));
        return;
      }
    }
    w.pos += (w.buf as Buffer).write(s, w.pos, 'utf8');
    w.buf[w.pos++] = 0x0a;
  }

  /** Ends the line written into `bytes`; the chunk goes out once nearly full. */
  endLine(): void {
    const w = this.bytes;
    w.byte(0x0a);
    if (w.pos > CHUNK - SLACK) this.flush();
  }

  flush(): void {
    const w = this.bytes;
    if (w.pos === 0) return;
    // The chunk goes to the writer as it is (a stream may keep it until written): a fresh one follows.
    this.write(w.buf.subarray(0, w.pos));
    w.renew(CHUNK);
  }
}
