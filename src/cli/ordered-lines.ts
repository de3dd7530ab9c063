// `read`'s lines in frame order with bounded memory. A tracked line is final only once its
// segment's evidence is in (PRODUCT.md "How states are inferred"): a connection's last ACK in
// TIME_WAIT stays in doubt until the connection ends, up to --time-wait of capture time, and every
// later line waits behind it. Those waiting lines are kept in memory up to a budget; past it they
// are appended, in frame order, to an unlinked temporary file, and read back when the line at the
// head is decided. A line in doubt goes to the file with its text as rendered so far (`hold`);
// its decision then stays in memory as the few fields that finish it (`decideLate`), joined to
// the text when the file is read back. Memory is the budget plus the newest lines and the late
// decisions (a SYN flood's 250 000 held SYN lines are not kept); the output is byte for byte what
// an unbounded buffer would give.

import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Default budget of waiting text kept in memory, in UTF-16 code units (~ bytes for our ASCII lines). */
const DEFAULT_BUDGET = 4 << 20;
const READ_CHUNK = 1 << 20;
/**
 * The newest lines stay in memory when spilling: most lines in doubt are decided by their
 * connection's next packet, and one spilled as a placeholder would come back as a late decision.
 */
const KEEP_RECENT = 8192;
// Spill records, one per line number: READY + text, EMPTY (no line), WAITING (decided later, its
// text kept in memory), or HELD + the text so far (decided later).
const READY = 0x4c; // 'L'
const WAITING = 0x50; // 'P'
const HELD = 0x48; // 'H'
const EMPTY_LINE = 'E\n';
const WAITING_LINE = 'P\n';

/**
 * `s` as one flat string. A line built by concatenation is a tree of its pieces (a rope, ~32 bytes
 * a piece, ~5× the text for a tcpdump line): one kept while it waits (a SYN flood holds every SYN's
 * line until its connection is evicted) costs that much. Reading a character makes V8 flatten it
 * in place, once; writing it out would flatten it anyway.
 */
export function flatString(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** A late decision (boxed: `D` may itself be a string). */
class Late<D> {
  constructor(readonly d: D) {}
}

/** `D`: what finishes a held line spilled before its decision (see `decideLate`). */
export class OrderedLines<D = never> {
  /** Decided lines not yet written, by number ('' = the number prints nothing). */
  private readonly ready = new Map<number, string>();
  /** Lines in doubt with their text so far (`hold`), by number. */
  private readonly held = new Map<number, string>();
  /** Characters of ready lines, and of held ones when they may be spilled (+16 a line). */
  private readyChars = 0;
  /** readyChars at which the next spill happens. */
  private spillAt: number;
  /** Lines spilled in doubt and decided since (bounded by the lines in doubt): text, or what finishes it. */
  private readonly late = new Map<number, string | Late<D>>();
  private nextOut = 0;
  /** Numbers handed out so far (every number below it is ready or in doubt). */
  private assigned = 0;
  // The spill file holds the numbers [nextOut, spillTo) in order (its records before nextOut are read).
  private fd = -1;
  private spillTo = 0;
  private writePos = 0;
  private readPos = 0;
  private readBuf: Buffer | null = null;
  private readStart = 0;
  private readEnd = 0;
  /** Lines written through the spill file (for the tests and the curious). */
  spilled = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly budget = DEFAULT_BUDGET,
    private readonly keepRecent = KEEP_RECENT,
    /**
     * A held line's final text from its text so far and its late decision. Without it held lines
     * stay in memory until taken (`take`) and are spilled as placeholders.
     */
    private readonly compose: ((held: string, d: D) => string) | null = null,
  ) {
    this.spillAt = budget;
  }

  /** A new line number, in frame order (decided later with `decide`). */
  next(): number {
    return this.assigned++;
  }

  /** Line `n` (not yet decided) waits with `text` as rendered so far; `take` gets it back. */
  hold(n: number, text: string): void {
    this.held.set(n, flatString(text));
    if (this.compose === null) return;
    this.readyChars += text.length + 16;
    if (this.readyChars > this.spillAt) this.spill();
  }

  /**
   * The text `hold` kept for line `n`, now forgotten here; undefined when it went to the spill
   * file (decide it with `decideLate`).
   */
  take(n: number): string | undefined {
    const t = this.held.get(n);
    if (t === undefined) return undefined;
    this.held.delete(n);
    if (this.compose !== null) this.readyChars -= t.length + 16;
    return t;
  }

  /** Held line `n`, spilled with its text: `compose(text, d)` is its final text ('' for none). */
  decideLate(n: number, d: D): void {
    this.late.set(n, new Late(d));
    if (n === this.nextOut) this.drain();
  }

  /** Lines whose text or decision is in memory (what the budget bounds; for the tests). */
  get inMemory(): number {
    return this.ready.size + this.held.size + this.late.size;
  }

  /** Line `n` is final: `text`, or '' for none (a held line is taken first). Writes every line it unblocks. */
  decide(n: number, text: string): void {
    if (n < this.spillTo) this.late.set(n, flatString(text));
    else {
      this.ready.set(n, flatString(text));
      this.readyChars += text.length + 16;
    }
    if (n === this.nextOut) this.drain();
    else if (this.readyChars > this.spillAt) this.spill();
  }

  /** End of input: every number is decided; writes what is left and removes the spill file. */
  finish(): void {
    this.drain();
    this.close();
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private drain(): void {
    for (;;) {
      if (this.nextOut < this.spillTo) {
        if (!this.drainSpill()) return;
        continue;
      }
      const t = this.ready.get(this.nextOut);
      if (t === undefined) return;
      if (t !== '') this.write(t);
      this.ready.delete(this.nextOut);
      this.readyChars -= t.length + 16;
      this.nextOut++;
    }
  }

  /** Moves the assigned numbers from spillTo to all but the newest keepRecent to the file, in order. */
  private spill(): void {
    const upTo = this.assigned - this.keepRecent;
    let text = '';
    const flush = () => {
      const b = Buffer.from(text, 'utf8');
      writeSync(this.fd, b, 0, b.length, this.writePos);
      this.writePos += b.length;
      text = '';
    };
    if (this.spillTo < this.nextOut) this.spillTo = this.nextOut;
    if (upTo <= this.spillTo) {
      // All waiting text is recent: spill again only after another budget's worth.
      this.spillAt = this.readyChars + this.budget;
      return;
    }
    if (this.fd < 0) this.open();
    for (let n = this.spillTo; n < upTo; n++) {
      const t = this.ready.get(n);
      if (t === undefined) {
        const h = this.compose === null ? undefined : this.held.get(n);
        if (h === undefined) text += WAITING_LINE;
        else {
          text += `H${h}\n`;
          this.held.delete(n);
          this.spilled++;
        }
      } else {
        text += t === '' ? EMPTY_LINE : `L${t}\n`;
        this.ready.delete(n);
        this.spilled++;
      }
      if (text.length >= READ_CHUNK) flush();
    }
    flush();
    this.spillTo = upTo;
    this.readyChars = 0;
    for (const t of this.ready.values()) this.readyChars += t.length + 16;
    if (this.compose !== null) for (const t of this.held.values()) this.readyChars += t.length + 16;
    this.spillAt = Math.max(this.budget, this.readyChars + this.budget / 2);
  }

  /** Writes spilled lines from the head while they are decided; false when the head waits. */
  private drainSpill(): boolean {
    while (this.nextOut < this.spillTo) {
      const rec = this.peekRecord();
      const tag = this.readBuf![this.readStart]!;
      let text: string;
      if (tag === WAITING || tag === HELD) {
        const t = this.late.get(this.nextOut);
        if (t === undefined) return false;
        this.late.delete(this.nextOut);
        text =
          typeof t === 'string'
            ? t
            : this.compose!(this.readBuf!.toString('utf8', this.readStart + 1, rec), t.d);
      } else text = tag === READY ? this.readBuf!.toString('utf8', this.readStart + 1, rec) : '';
      if (text !== '') this.write(text);
      this.readStart = rec + 1;
      this.nextOut++;
    }
    // Everything spilled is out: the file starts over.
    ftruncateSync(this.fd, 0);
    this.writePos = 0;
    this.readPos = 0;
    this.readStart = this.readEnd = 0;
    return true;
  }

  /** The end (index of '\n') of the record at readStart, reading more of the file as needed. */
  private peekRecord(): number {
    for (;;) {
      const buf = this.readBuf!;
      const nl = buf.indexOf(0x0a, this.readStart);
      if (nl >= 0 && nl < this.readEnd) return nl;
      // Keep the partial record, read the next chunk behind it (growing for a very long line).
      const keep = this.readEnd - this.readStart;
      const size = Math.max(READ_CHUNK, keep * 2);
      const next = size > buf.length ? Buffer.alloc(size) : buf;
      buf.copy(next, 0, this.readStart, this.readEnd);
      this.readBuf = next;
      this.readStart = 0;
      this.readEnd = keep;
      const n = readSync(this.fd, next, keep, next.length - keep, this.readPos);
      if (n === 0) throw new Error('spill file ended early');
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
    this.readBuf = Buffer.alloc(READ_CHUNK);
  }
}
