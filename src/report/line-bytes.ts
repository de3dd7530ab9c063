// Output lines written as UTF-8 bytes straight into a buffer: text, integers and six-decimal
// seconds without building a string first. A renderer that runs once per connection (conns
// --json) spent more CPU making its line — template pieces, number strings, the flattened rope,
// then the encoding — than the tracker spent on the connection's packets; written here byte by
// byte it makes no garbage at all. Every method writes exactly the bytes the string it replaces
// would encode to (String(n), usecString, JSON.stringify). Pure: a Uint8Array, no Buffer, so the
// web UI can use it too.

import { usecString } from './zeek-tsv.js';

/** Bytes a new writer holds before it grows. */
const INITIAL = 1 << 12;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ZERO = 0x30;

/** Text as UTF-8 bytes, made once for the constant pieces of a line. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export class LineBytes {
  /** The bytes written are buf[0, pos). */
  buf: Uint8Array;
  pos = 0;
  private readonly encoder = new TextEncoder();
  // The digits of a number, least significant first (a number has at most 16 before it is unsafe).
  private readonly digits = new Uint8Array(24);

  constructor(
    /** New storage (a caller writing to a stream passes Buffer.allocUnsafe). */
    private readonly alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
    size = INITIAL,
  ) {
    this.buf = alloc(size);
  }

  /** Room for `n` more bytes (the storage doubles, what was written kept). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = this.alloc(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Fresh storage of `size` bytes, nothing written (the old storage is the caller's now). */
  renew(size: number): void {
    this.buf = this.alloc(size);
    this.pos = 0;
  }

  /** Bytes made by utf8(). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** `s` as it is, in UTF-8 (the quotes around a plain word are the caller's). */
  text(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = p;
        this.utf8From(s, i);
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** The rest of `s` from index `i`, through the encoder (text beyond ASCII). */
  private utf8From(s: string, i: number): void {
    const rest = s.slice(i);
    this.ensure(3 * rest.length);
    this.pos += this.encoder.encodeInto(rest, this.buf.subarray(this.pos)).written;
  }

  /** `s` as JSON.stringify(s) writes it. */
  json(s: string): void {
    const n = s.length;
    this.ensure(n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f || c === QUOTE || c === BACKSLASH) {
        // Escapes, or text beyond ASCII: JSON.stringify's own spelling of the whole string.
        this.text(JSON.stringify(s));
        return;
      }
      buf[p++] = c;
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }

  /** `n` as String(n) writes it. */
  num(n: number): void {
    // Most numbers (ports, counts, seconds of a capture time) fit 31 bits: int32 arithmetic.
    if ((n | 0) === n && n >= 0) {
      this.uint31(n);
      return;
    }
    if (!Number.isSafeInteger(n)) {
      this.text(String(n));
      return;
    }
    this.ensure(17);
    if (n < 0) {
      this.buf[this.pos++] = 0x2d;
      n = -n;
    }
    const d = this.digits;
    let k = 0;
    do {
      const q = Math.floor(n / 10);
      d[k++] = n - q * 10;
      n = q;
    } while (n > 0);
    const buf = this.buf;
    let p = this.pos;
    while (k > 0) buf[p++] = ZERO + d[--k]!;
    this.pos = p;
  }

  /** A whole number 0 … 2^31 − 1, in decimal. */
  private uint31(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let k = 1;
    for (let m = n | 0; m >= 10; m = (m / 10) | 0) k++;
    let p = this.pos + k;
    this.pos = p;
    let m = n | 0;
    do {
      const q = (m / 10) | 0;
      buf[--p] = ZERO + (m - q * 10);
      m = q;
    } while (m > 0);
  }

  /** Seconds with exactly six decimals from integer µs, as usecString writes them. */
  usec(usec: number): void {
    if (!Number.isSafeInteger(usec)) {
      this.text(usecString(usec));
      return;
    }
    const sec = Math.floor(usec / 1_000_000);
    let frac = usec - sec * 1_000_000;
    if (frac < 0 || frac >= 1_000_000) {
      // Rounded division near 2^53: usecString's own spelling.
      this.text(usecString(usec));
      return;
    }
    this.num(sec);
    this.ensure(7);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = 0x2e;
    frac |= 0;
    for (let i = 6; i >= 1; i--) {
      const q = (frac / 10) | 0;
      buf[p + i] = ZERO + (frac - q * 10);
      frac = q;
    }
    this.pos = p + 7;
  }

  /** What was written, as a string (the writer starts over). */
  take(): string {
    const s = new TextDecoder().decode(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return s;
  }
}
