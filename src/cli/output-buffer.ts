// The output of the commands: text collected and written to stdout in large chunks, not one
// write per line.

/** Bytes per chunk written. */
const CHUNK = 1 << 18;

/** Collects output lines as UTF-8 and writes them to stdout in chunks of 256 KiB (not one write per line). */
export class OutputBuffer {
  // Each line is encoded straight into the chunk: no rope of strings to flatten and encode again
  // at the write, which cost as much as building the lines.
  private buf = Buffer.allocUnsafe(CHUNK);
  private used = 0;

  constructor(private readonly write: (chunk: Uint8Array) => void = (b) => process.stdout.write(b)) {}

  line(s: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair 4 for two units).
    if (this.used + 3 * s.length + 1 > CHUNK) {
      this.flush();
      if (3 * s.length + 1 > CHUNK) {
        this.write(Buffer.from(`${s}\n`, 'utf8'));
        return;
      }
    }
    this.used += this.buf.write(s, this.used, 'utf8');
    this.buf[this.used++] = 0x0a;
  }

  flush(): void {
    if (this.used === 0) return;
    // The chunk goes to the writer as it is (a stream may keep it until written): a fresh one follows.
    this.write(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.used = 0;
  }
}
