// Writers for captures that tcpdump, tshark and CaptureReader read back identically: classic pcap
// (pcap-savefile(5); µs or ns magic, any link type) and pcapng (draft-ietf-opsawg-pcapng §4.1 SHB,
// §4.2 IDB with if_tsresol, §4.3 EPB; several interfaces, each its own link type). Bytes go to a
// sink in chunks (fresh Uint8Arrays the sink may keep), so a writer of millions of packets runs in
// constant memory. Pure: no Node APIs; the sink does the I/O.

import type { CaptureRecord } from './record.js';

export type ChunkSink = (chunk: Uint8Array) => void;

const DEFAULT_CHUNK = 256 * 1024;

/** Collects bytes in a buffer and hands full chunks to the sink. */
class ChunkBuffer {
  private buf: Uint8Array;
  view: DataView;
  used = 0;

  constructor(
    private readonly sink: ChunkSink,
    private readonly chunkSize: number,
  ) {
    this.buf = new Uint8Array(chunkSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Room for `n` more bytes at `used` (flushing first, or growing for one oversized unit). */
  reserve(n: number): Uint8Array {
    if (this.used + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        this.buf = new Uint8Array(Math.max(n, this.chunkSize));
        this.view = new DataView(this.buf.buffer);
      }
    }
    return this.buf;
  }

  flush(): void {
    if (this.used === 0) return;
    this.sink(this.buf.slice(0, this.used));
    this.used = 0;
  }
}

export interface PcapWriterOptions {
  /** LINKTYPE_* of every record (default 1, Ethernet). */
  linktype?: number;
  /** Nanosecond magic (0xa1b23c4d) instead of microseconds (default false). */
  nanosecond?: boolean;
  /** Snapshot length in the header; longer packets are cut to it (default 262144). */
  snaplen?: number;
  /** Write big-endian (default little-endian, as on x86). */
  bigEndian?: boolean;
  /** Bytes per chunk handed to the sink (default 256 KiB). */
  chunkSize?: number;
}

/** Writes a classic pcap file: the header at once, then one record per `writePacket`. */
export class PcapWriter {
  private readonly out: ChunkBuffer;
  private readonly le: boolean;
  private readonly nanosecond: boolean;
  readonly snaplen: number;
  /** Records written so far. */
  packets = 0;

  constructor(sink: ChunkSink, opts: PcapWriterOptions = {}) {
    this.out = new ChunkBuffer(sink, opts.chunkSize ?? DEFAULT_CHUNK);
    this.le = !opts.bigEndian;
    this.nanosecond = opts.nanosecond ?? false;
    this.snaplen = opts.snaplen ?? 262144;
    this.out.reserve(24);
    const v = this.out.view;
    v.setUint32(0, this.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, this.le);
    v.setUint16(4, 2, this.le);
    v.setUint16(6, 4, this.le);
    v.setUint32(8, 0, this.le); // thiszone
    v.setUint32(12, 0, this.le); // sigfigs
    v.setUint32(16, this.snaplen, this.le);
    v.setUint32(20, opts.linktype ?? 1, this.le);
    this.out.used = 24;
  }

  /** One record. `tsNsec` is cut to µs for a µs file; `origLen` defaults to the data's length. */
  writePacket(tsSec: number, tsNsec: number, data: Uint8Array, origLen = data.length): void {
    const caplen = Math.min(data.length, this.snaplen);
    const buf = this.out.reserve(16 + caplen);
    const v = this.out.view;
    const at = this.out.used;
    v.setUint32(at, tsSec, this.le);
    v.setUint32(at + 4, this.nanosecond ? tsNsec : Math.floor(tsNsec / 1000), this.le);
    v.setUint32(at + 8, caplen, this.le);
    v.setUint32(at + 12, origLen, this.le);
    buf.set(caplen === data.length ? data : data.subarray(0, caplen), at + 16);
    this.out.used = at + 16 + caplen;
    this.packets++;
  }

  /** Hands everything written so far to the sink. Call once at the end (or any time). */
  flush(): void {
    this.out.flush();
  }
}

export interface PcapngInterface {
  linktype: number;
  /** 0 means no limit (default 0). */
  snaplen?: number;
  /** if_tsresol: 6 (µs, default) or 9 (ns). */
  tsresolDigits?: 6 | 9;
}

export interface PcapngWriterOptions {
  bigEndian?: boolean;
  chunkSize?: number;
}

/** Writes a pcapng file with one section: SHB at once, IDBs as added, then EPBs. */
export class PcapngWriter {
  private readonly out: ChunkBuffer;
  private readonly le: boolean;
  private readonly ifaces: { snaplen: number; units: bigint }[] = [];
  packets = 0;

  constructor(sink: ChunkSink, opts: PcapngWriterOptions = {}) {
    this.out = new ChunkBuffer(sink, opts.chunkSize ?? DEFAULT_CHUNK);
    this.le = !opts.bigEndian;
    this.out.reserve(28);
    const v = this.out.view;
    v.setUint32(0, 0x0a0d0d0a, this.le);
    v.setUint32(4, 28, this.le);
    v.setUint32(8, 0x1a2b3c4d, this.le);
    v.setUint16(12, 1, this.le);
    v.setUint16(14, 0, this.le);
    v.setInt32(16, -1, this.le); // section length unknown (-1 as 64 bits)
    v.setInt32(20, -1, this.le);
    v.setUint32(24, 28, this.le);
    this.out.used = 28;
  }

  /** Adds an interface (IDB) and returns its id for `writePacket`. */
  addInterface(iface: PcapngInterface): number {
    const digits = iface.tsresolDigits ?? 6;
    const len = 20 + (digits === 6 ? 0 : 12); // if_tsresol option (8) + opt_endofopt (4)
    const buf = this.out.reserve(len);
    const v = this.out.view;
    const at = this.out.used;
    v.setUint32(at, 1, this.le);
    v.setUint32(at + 4, len, this.le);
    v.setUint16(at + 8, iface.linktype, this.le);
    v.setUint16(at + 10, 0, this.le);
    v.setUint32(at + 12, iface.snaplen ?? 0, this.le);
    if (digits !== 6) {
      v.setUint16(at + 16, 9, this.le);
      v.setUint16(at + 18, 1, this.le);
      v.setUint32(at + 20, 0, this.le);
      buf[at + 20] = digits;
      v.setUint32(at + 24, 0, this.le); // opt_endofopt
    }
    v.setUint32(at + len - 4, len, this.le);
    this.out.used = at + len;
    this.ifaces.push({ snaplen: iface.snaplen ?? 0, units: 10n ** BigInt(digits) });
    return this.ifaces.length - 1;
  }

  /** One EPB on interface `iface` at tsSec + tsNsec/1e9 (cut to the interface's resolution). */
  writePacket(iface: number, tsSec: number, tsNsec: number, data: Uint8Array, origLen = data.length): void {
    const desc = this.ifaces[iface];
    if (desc === undefined) throw new Error(`PcapngWriter: interface ${iface} was not added`);
    const caplen = desc.snaplen > 0 ? Math.min(data.length, desc.snaplen) : data.length;
    const len = 32 + ((caplen + 3) & ~3);
    const buf = this.out.reserve(len);
    const v = this.out.view;
    const at = this.out.used;
    const units = BigInt(tsSec) * desc.units + (BigInt(tsNsec) * desc.units) / 1_000_000_000n;
    v.setUint32(at, 6, this.le);
    v.setUint32(at + 4, len, this.le);
    v.setUint32(at + 8, iface, this.le);
    v.setUint32(at + 12, Number(units >> 32n), this.le);
    v.setUint32(at + 16, Number(units & 0xffffffffn), this.le);
    v.setUint32(at + 20, caplen, this.le);
    v.setUint32(at + 24, origLen, this.le);
    buf.set(caplen === data.length ? data : data.subarray(0, caplen), at + 28);
    buf.fill(0, at + 28 + caplen, at + len - 4);
    v.setUint32(at + len - 4, len, this.le);
    this.out.used = at + len;
    this.packets++;
  }

  flush(): void {
    this.out.flush();
  }
}

/** One packet for the whole-file helpers. */
export interface TimedFrame {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  origLen?: number;
}

/** A whole pcap file in one Uint8Array (for tests and small captures). */
export function pcapBytes(frames: Iterable<TimedFrame>, opts: PcapWriterOptions = {}): Uint8Array {
  return writtenBytes((sink) => {
    const writer = new PcapWriter(sink, opts);
    for (const f of frames) writer.writePacket(f.tsSec, f.tsNsec, f.data, f.origLen);
    writer.flush();
  });
}

/** Everything `write` puts into the sink it is given (a writer's whole output), as one Uint8Array. */
export function writtenBytes(write: (sink: ChunkSink) => void): Uint8Array {
  const chunks: Uint8Array[] = [];
  write((c) => chunks.push(c));
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** One captured frame as it is written again (`synack extract`, the web UI's pcap export). */
export interface CapturedFrame {
  frame: number;
  tsSec: number;
  tsNsec: number;
  linktype: number;
  origLen: number;
  data: Uint8Array;
}

/** The record's frame, its bytes copied out of the reader's buffer (which the next record reuses). */
export function capturedFrameOf(rec: CaptureRecord): CapturedFrame {
  return {
    frame: rec.frame,
    tsSec: rec.tsSec,
    tsNsec: rec.tsNsec,
    linktype: rec.linktype,
    origLen: rec.origLen,
    data: rec.copyData(),
  };
}

/**
 * The frames as one capture file's bytes: one link type → classic pcap (nanosecond magic when a
 * timestamp needs it); several → pcapng with one interface per link type.
 */
export function framesCaptureBytes(frames: readonly CapturedFrame[], pcapng = false): Uint8Array {
  const nanosecond = frames.some((f) => f.tsNsec % 1000 !== 0);
  // reduce, not Math.max(...): a connection of millions of frames would overflow the stack.
  const snaplen = frames.reduce((m, f) => Math.max(m, f.data.length), 262144);
  const linktypes = [...new Set(frames.map((f) => f.linktype))];
  // pcapng when asked (extract -w x.pcapng) or when link types differ.
  if (linktypes.length === 1 && !pcapng)
    return pcapBytes(frames, { linktype: linktypes[0], nanosecond, snaplen });
  // Classic pcap has one link type per file: pcapng holds one interface per link type.
  return writtenBytes((sink) => {
    const w = new PcapngWriter(sink);
    const ifaces = new Map<number, number>();
    for (const lt of linktypes)
      ifaces.set(lt, w.addInterface({ linktype: lt, tsresolDigits: nanosecond ? 9 : 6 }));
    for (const f of frames) w.writePacket(ifaces.get(f.linktype)!, f.tsSec, f.tsNsec, f.data, f.origLen);
    w.flush();
  });
}
