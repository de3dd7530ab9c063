// The pcapng file format (draft-ietf-opsawg-pcapng: §4 general block structure, §4.1 SHB, §4.2 IDB
// with if_tsresol/if_tsoffset, §4.3 EPB, §4.4 SPB, Appendix A obsolete Packet Block): a push
// parser over bytes in memory. Several sections, each in its own byte order; interface ids restart
// per section, and the CaptureRecord.iface it exposes counts interfaces across all sections.
// NRB, ISB, DSB, custom and unknown blocks are skipped. Follows Wireshark's wiretap/pcapng.c on
// what is corrupt. Pure: no Node APIs. Driven by CaptureReader.

import { CaptureError, type CaptureRecord } from './record.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_PB = 0x00000002; // obsolete Packet Block
const BLOCK_IDB = 0x00000001;
const BLOCK_SPB = 0x00000003;
const BLOCK_NRB = 0x00000004;
const BLOCK_ISB = 0x00000005;
const BLOCK_EPB = 0x00000006;
const BLOCK_JOURNAL = 0x00000009;
const BLOCK_DSB = 0x0000000a;
const BLOCK_CUSTOM = 0x00000bad;
const BLOCK_CUSTOM_NOCOPY = 0x40000bad;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Minimum total lengths (header, fixed fields, trailer). */
const MIN_BLOCK = 12;
const MIN_SHB = 28;
const MIN_IDB = 20;
const MIN_EPB = 32;
const MIN_PB = 32;
const MIN_SPB = 16;
/** Wireshark's MAX_BLOCK_SIZE: an EPB holding the largest D-Bus packet plus 128 KiB of options. */
const MAX_BLOCK = MIN_EPB + 128 * 1024 * 1024 + 131072;

const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/** One interface (IDB) of the current section: how to turn its timestamps into sec/nsec. */
interface Interface {
  linktype: number;
  snaplen: number;
  /** k for a resolution of 10^-k with k <= 9 (exact float arithmetic), else -1 (BigInt path). */
  pow10: number;
  /** For the BigInt path: units per second, and log2 of it when it is a power of two (else -1). */
  unitsPerSecond: bigint;
  pow2: number;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSec: number;
}

export class PcapngParser {
  /** Bytes needed from the current position before `parse` can progress (valid after it returned 0). */
  need = MIN_BLOCK;
  /** Set by `parse`: the block it consumed was a packet block (EPB, SPB, PB) and `rec` was filled. */
  produced = false;
  /** Sections seen so far. */
  sections = 0;

  private littleEndian = true;
  private ifaces: Interface[] = [];
  /** Interfaces of earlier sections: the global index of this section's interface 0. */
  private ifaceBase = 0;

  constructor(private readonly note: (key: string, message: string) => void) {}

  /** Like PcapParser.parse: one block at bytes[pos, end); returns bytes consumed or 0 (see `need`). */
  parse(bytes: Uint8Array, view: DataView, pos: number, end: number, fileOffset: number, rec: CaptureRecord) {
    this.produced = false;
    const avail = end - pos;
    if (avail < 8) {
      this.need = 8;
      return 0;
    }
    const type0 = view.getUint32(pos, true);
    let le = this.littleEndian;
    if (type0 === PCAPNG_SHB) {
      // The SHB's type reads the same in both orders; its byte-order magic decides the section's.
      if (avail < 12) {
        this.need = 12;
        return 0;
      }
      const bom = view.getUint32(pos + 8, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else {
        throw new CaptureError(
          'BAD_HEADER',
          fileOffset,
          `section header block: bad byte-order magic 0x${bom.toString(16).padStart(8, '0')}`,
        );
      }
    } else if (this.sections === 0) {
      throw new CaptureError(
        'BAD_HEADER',
        fileOffset,
        'pcapng file does not start with a section header block',
      );
    }
    const type = type0 === PCAPNG_SHB ? PCAPNG_SHB : view.getUint32(pos, le);
    const len = view.getUint32(pos + 4, le);
    const minimum = minimumLength(type);
    if (len < minimum || len % 4 !== 0 || len > MAX_BLOCK) {
      const why =
        len % 4 !== 0
          ? 'is not a multiple of 4'
          : len < minimum
            ? `is below the minimum of ${minimum}`
            : `exceeds the maximum of ${MAX_BLOCK}`;
      throw new CaptureError('BAD_BLOCK', fileOffset, `${blockName(type)}: block length ${len} ${why}`);
    }
    if (avail < len) {
      this.need = len;
      return 0;
    }
    const trailer = view.getUint32(pos + len - 4, le);
    if (trailer !== len) {
      throw new CaptureError(
        'BAD_BLOCK',
        fileOffset,
        `${blockName(type)}: trailing block length ${trailer} does not match the leading ${len}`,
      );
    }
    switch (type) {
      case PCAPNG_SHB:
        this.startSection(view, pos, le, fileOffset);
        break;
      case BLOCK_IDB:
        this.addInterface(view, pos, len, fileOffset);
        break;
      case BLOCK_EPB:
        this.packet(bytes, view, pos, len, fileOffset, rec, view.getUint32(pos + 8, le), type);
        break;
      case BLOCK_PB:
        this.packet(bytes, view, pos, len, fileOffset, rec, view.getUint16(pos + 8, le), type);
        break;
      case BLOCK_SPB:
        this.simplePacket(bytes, view, pos, len, fileOffset, rec);
        break;
      case BLOCK_NRB:
      case BLOCK_ISB:
      case BLOCK_JOURNAL:
      case BLOCK_DSB:
      case BLOCK_CUSTOM:
      case BLOCK_CUSTOM_NOCOPY:
        // Names, statistics, secrets, custom data: nothing the analysis needs.
        break;
      default:
        this.note(
          `block-${type}`,
          `skipped block(s) of unknown type 0x${type.toString(16).padStart(8, '0')}`,
        );
        break;
    }
    return len;
  }

  /** The fault for input that ended with `avail` bytes of an unfinished block at `fileOffset`. */
  truncated(fileOffset: number, avail: number): CaptureError {
    if (this.sections === 0) {
      return new CaptureError(
        'TRUNCATED_HEADER',
        fileOffset,
        `section header block cut short: ${avail} of ${this.need} bytes present`,
      );
    }
    return new CaptureError(
      'TRUNCATED_RECORD',
      fileOffset,
      `block cut short by the end of the file: ${avail} of ${this.need} bytes present`,
    );
  }

  private startSection(view: DataView, pos: number, le: boolean, fileOffset: number): void {
    const major = view.getUint16(pos + 12, le);
    const minor = view.getUint16(pos + 14, le);
    // wiretap accepts 1.0 and 1.2 (1.2 was written by some tools and means the same).
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      throw new CaptureError(
        'UNSUPPORTED_VERSION',
        fileOffset,
        `section header block: pcapng version ${major}.${minor} is not supported`,
      );
    }
    this.littleEndian = le;
    this.ifaceBase += this.ifaces.length;
    this.ifaces = [];
    this.sections++;
  }

  private addInterface(view: DataView, pos: number, len: number, fileOffset: number): void {
    const le = this.littleEndian;
    const iface: Interface = {
      linktype: view.getUint16(pos + 8, le),
      snaplen: view.getUint32(pos + 12, le),
      pow10: 6,
      unitsPerSecond: 1_000_000n,
      pow2: -1,
      offsetSec: 0,
    };
    const optEnd = pos + len - 4;
    let p = pos + 16;
    while (p + 4 <= optEnd) {
      const code = view.getUint16(p, le);
      const optLen = view.getUint16(p + 2, le);
      if (code === OPT_ENDOFOPT) break;
      const value = p + 4;
      if (value + optLen > optEnd) {
        throw new CaptureError(
          'BAD_BLOCK',
          fileOffset,
          `interface description block: option ${code} runs past the end of the block`,
        );
      }
      if (code === OPT_IF_TSRESOL && optLen >= 1) {
        this.setResolution(iface, view.getUint8(value), fileOffset + (value - pos));
      } else if (code === OPT_IF_TSOFFSET && optLen >= 8) {
        // A signed 64-bit count of seconds, as two 32-bit words in the section's byte order.
        const hi = view.getInt32(value + (le ? 4 : 0), le);
        const lo = view.getUint32(value + (le ? 0 : 4), le);
        iface.offsetSec = hi * 4294967296 + lo;
      }
      p = value + ((optLen + 3) & ~3);
    }
    this.ifaces.push(iface);
  }

  /**
   * if_tsresol (§4.2): 10^-n, or 2^-n with the top bit set. A unit finer than a 64-bit timestamp
   * can count in one second (2^-64 and below, 10^-20 and below) is nonsense: refused as libpcap
   * refuses it (sf-pcapng.c), a fault of the file at the option's byte.
   */
  private setResolution(iface: Interface, tsresol: number, optionOffset: number): void {
    const binary = (tsresol & 0x80) !== 0;
    const n = tsresol & 0x7f;
    if (binary ? n > 63 : n > 19) {
      throw new CaptureError(
        'BAD_BLOCK',
        optionOffset,
        `interface description block: if_tsresol ${binary ? 2 : 10}^-${n} is finer than a 64-bit ` +
          `timestamp can count in a second (at most 2^-63 or 10^-19)`,
      );
    }
    if (binary) {
      iface.pow10 = -1;
      iface.pow2 = n;
      iface.unitsPerSecond = 1n << BigInt(n);
    } else {
      iface.pow10 = n <= 9 ? n : -1;
      iface.pow2 = -1;
      iface.unitsPerSecond = 10n ** BigInt(n);
    }
  }

  /** EPB (id 32-bit) and obsolete PB (id 16-bit + drops): at +12 ts high, ts low, caplen, origLen, data. */
  private packet(
    bytes: Uint8Array,
    view: DataView,
    pos: number,
    len: number,
    fileOffset: number,
    rec: CaptureRecord,
    ifaceId: number,
    type: number,
  ): void {
    const le = this.littleEndian;
    const iface = this.interfaceFor(ifaceId, type, fileOffset);
    const caplen = view.getUint32(pos + 20, le);
    const dataAt = pos + 28;
    if (caplen > pos + len - 4 - dataAt) {
      throw new CaptureError(
        'BAD_BLOCK',
        fileOffset,
        `${blockName(type)}: captured length ${caplen} does not fit in the block of ${len} bytes`,
      );
    }
    this.timestamp(iface, view.getUint32(pos + 12, le), view.getUint32(pos + 16, le), rec);
    rec.linktype = iface.linktype;
    rec.iface = this.ifaceBase + ifaceId;
    rec.caplen = caplen;
    rec.origLen = view.getUint32(pos + 24, le);
    rec.buf = bytes;
    rec.dataOffset = dataAt;
    rec.dataLen = caplen;
    rec.fileOffset = fileOffset;
    this.produced = true;
  }

  /** SPB: no interface id (the section's first IDB), no timestamp, caplen = min(origLen, snaplen). */
  private simplePacket(
    bytes: Uint8Array,
    view: DataView,
    pos: number,
    len: number,
    fileOffset: number,
    rec: CaptureRecord,
  ): void {
    const iface = this.interfaceFor(0, BLOCK_SPB, fileOffset);
    const origLen = view.getUint32(pos + 8, this.littleEndian);
    const room = len - MIN_SPB;
    let caplen = iface.snaplen !== 0 && iface.snaplen < origLen ? iface.snaplen : origLen;
    if (caplen > room) caplen = room;
    rec.tsSec = 0;
    rec.tsNsec = 0;
    rec.tsRawFrac = -1;
    rec.linktype = iface.linktype;
    rec.iface = this.ifaceBase;
    rec.caplen = caplen;
    rec.origLen = origLen;
    rec.buf = bytes;
    rec.dataOffset = pos + 12;
    rec.dataLen = caplen;
    rec.fileOffset = fileOffset;
    this.produced = true;
  }

  private interfaceFor(ifaceId: number, type: number, fileOffset: number): Interface {
    const iface = this.ifaces[ifaceId];
    if (iface === undefined) {
      throw new CaptureError(
        'BAD_BLOCK',
        fileOffset,
        `${blockName(type)}: interface ${ifaceId} is not defined in this section ` +
          `(${this.ifaces.length} interface${this.ifaces.length === 1 ? '' : 's'})`,
      );
    }
    return iface;
  }

  /**
   * Splits the 64-bit unit count hi:lo into seconds and nanoseconds exactly. For 10^-k with k <= 9
   * (µs, ns and friends) it divides by 16-bit limbs in plain numbers (every intermediate stays below
   * 2^53, no allocation); other resolutions go through BigInt.
   */
  private timestamp(iface: Interface, hi: number, lo: number, rec: CaptureRecord): void {
    rec.tsRawFrac = -1;
    const k = iface.pow10;
    if (k >= 0) {
      const d = POW10[k]!;
      let x = hi >>> 16;
      const q3 = Math.floor(x / d);
      let r = x - q3 * d;
      x = r * 65536 + (hi & 0xffff);
      const q2 = Math.floor(x / d);
      r = x - q2 * d;
      x = r * 65536 + (lo >>> 16);
      const q1 = Math.floor(x / d);
      r = x - q1 * d;
      x = r * 65536 + (lo & 0xffff);
      const q0 = Math.floor(x / d);
      r = x - q0 * d;
      rec.tsSec = ((q3 * 65536 + q2) * 65536 + q1) * 65536 + q0 + iface.offsetSec;
      rec.tsNsec = r * POW10[9 - k]!;
      return;
    }
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    const perSecond = iface.unitsPerSecond;
    const frac = units % perSecond;
    rec.tsSec = Number(units / perSecond) + iface.offsetSec;
    // Exact floor of frac × 10^9 / units-per-second (Wireshark truncates the multiplier instead).
    rec.tsNsec = Number((frac * 1_000_000_000n) / perSecond);
  }
}

function minimumLength(type: number): number {
  switch (type) {
    case PCAPNG_SHB:
      return MIN_SHB;
    case BLOCK_IDB:
      return MIN_IDB;
    case BLOCK_EPB:
      return MIN_EPB;
    case BLOCK_PB:
      return MIN_PB;
    case BLOCK_SPB:
      return MIN_SPB;
    default:
      return MIN_BLOCK;
  }
}

function blockName(type: number): string {
  switch (type) {
    case PCAPNG_SHB:
      return 'section header block';
    case BLOCK_IDB:
      return 'interface description block';
    case BLOCK_EPB:
      return 'enhanced packet block';
    case BLOCK_PB:
      return 'packet block';
    case BLOCK_SPB:
      return 'simple packet block';
    default:
      return `block type 0x${type.toString(16).padStart(8, '0')}`;
  }
}
