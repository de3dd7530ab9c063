// The classic pcap file format (pcap-savefile(5); draft-ietf-opsawg-pcap): a push parser over
// bytes already in memory. Owns the four magics (µs and ns resolution, either byte order), the
// file header, and record headers, and follows libpcap 1.10's sf-pcap.c where the format is loose:
// a record with caplen > snaplen is cut to snaplen (the rest skipped), caplen beyond the link
// type's maximum is a corrupt file. Pure: no Node APIs. Driven by CaptureReader.

import { CaptureError, type CaptureRecord } from './record.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;

/** libpcap's MAXIMUM_SNAPLEN and max_snaplen_for_dlt(): the largest caplen it accepts. */
export function maxSnaplenForLinktype(linktype: number): number {
  switch (linktype) {
    case 231: // D-Bus
      return 128 * 1024 * 1024;
    case 279: // EBHSCR
      return 8 * 1024 * 1024;
    case 249: // USBPcap
      return 1024 * 1024;
    default:
      return 262144;
  }
}

/** True when the first four bytes (read little-endian) are one of the four pcap magics. */
export function isPcapMagic(le32: number): boolean {
  return (
    le32 === PCAP_MAGIC_USEC ||
    le32 === PCAP_MAGIC_NSEC ||
    le32 === 0xd4c3b2a1 || // big-endian µs
    le32 === 0x4d3cb2a1 // big-endian ns
  );
}

export class PcapParser {
  /** Bytes needed from the current position before `parse` can progress (valid after it returned 0). */
  need = FILE_HEADER_LEN;
  /** Set by `parse`: the unit it consumed was a packet record and `rec` was filled. */
  produced = false;
  /** Format-level facts, known once the header is parsed. */
  littleEndian = true;
  nanosecond = false;
  linktype = 0;
  snaplen = 0;
  versionMajor = 0;
  versionMinor = 0;

  private headerDone = false;
  /** libpcap's p->snapshot: the header's snaplen, or the link type's maximum when it is <= 0 as an int. */
  private snapshot = 0;
  private maxCaplen = 0;

  constructor(private readonly note: (key: string, message: string) => void) {}

  /**
   * Parses one unit (the file header or one record) at bytes[pos, end), where `fileOffset` is the
   * absolute offset of `pos`. Returns the bytes consumed, or 0 when more are needed (see `need`).
   * `view` must be a DataView over the same memory as `bytes`, with the same indexing.
   */
  parse(bytes: Uint8Array, view: DataView, pos: number, end: number, fileOffset: number, rec: CaptureRecord) {
    this.produced = false;
    const avail = end - pos;
    if (!this.headerDone) {
      if (avail < FILE_HEADER_LEN) {
        this.need = FILE_HEADER_LEN;
        return 0;
      }
      this.parseHeader(view, pos);
      return FILE_HEADER_LEN;
    }
    if (avail < RECORD_HEADER_LEN) {
      this.need = RECORD_HEADER_LEN;
      return 0;
    }
    const le = this.littleEndian;
    const caplen = view.getUint32(pos + 8, le);
    if (caplen > this.maxCaplen) {
      throw new CaptureError(
        'BAD_HEADER',
        fileOffset,
        `record header: invalid captured length ${caplen}, bigger than ` +
          (caplen > this.snapshot
            ? `the snapshot length of ${this.snapshot}`
            : `the maximum of ${this.maxCaplen}`),
      );
    }
    const total = RECORD_HEADER_LEN + caplen;
    if (avail < total) {
      this.need = total;
      return 0;
    }
    let sec = view.getUint32(pos, le);
    let frac = view.getUint32(pos + 4, le);
    // Fractions at or beyond one second are carried into the seconds so times stay comparable.
    const perSecond = this.nanosecond ? 1_000_000_000 : 1_000_000;
    rec.tsRawFrac = -1;
    rec.tsFracNano = this.nanosecond;
    if (frac >= perSecond) {
      rec.tsRawFrac = frac;
      sec += Math.floor(frac / perSecond);
      frac %= perSecond;
      this.note(
        'frac',
        `record at byte ${fileOffset}: timestamp fraction of a second out of range (carried into the seconds)`,
      );
    }
    rec.tsSec = sec;
    rec.tsNsec = this.nanosecond ? frac : frac * 1000;
    rec.linktype = this.linktype;
    rec.iface = 0;
    rec.origLen = view.getUint32(pos + 12, le);
    let delivered = caplen;
    if (caplen > this.snapshot) {
      // sf-pcap.c: hand over snapshot bytes, report them as the caplen, discard the rest.
      delivered = this.snapshot;
      this.note(
        'snaplen',
        `record at byte ${fileOffset}: captured length ${caplen} exceeds the snapshot length ` +
          `${this.snapshot}; cut to ${this.snapshot} bytes as libpcap does`,
      );
    }
    rec.caplen = delivered;
    rec.buf = bytes;
    rec.dataOffset = pos + RECORD_HEADER_LEN;
    rec.dataLen = delivered;
    rec.fileOffset = fileOffset;
    this.produced = true;
    return total;
  }

  /** The fault for input that ended with `avail` bytes of an unfinished unit at `fileOffset`. */
  truncated(fileOffset: number, avail: number): CaptureError {
    if (!this.headerDone) {
      return new CaptureError(
        'TRUNCATED_HEADER',
        fileOffset,
        `file header cut short: ${avail} of ${FILE_HEADER_LEN} bytes present`,
      );
    }
    const what = avail < RECORD_HEADER_LEN ? 'record header' : 'record';
    return new CaptureError(
      'TRUNCATED_RECORD',
      fileOffset,
      `${what} cut short by the end of the file: ${avail} of ${this.need} bytes present`,
    );
  }

  private parseHeader(view: DataView, pos: number): void {
    const magic = view.getUint32(pos, true);
    if (!isPcapMagic(magic)) {
      throw new CaptureError('BAD_HEADER', 0, `bad pcap magic 0x${magic.toString(16).padStart(8, '0')}`);
    }
    const le = magic === PCAP_MAGIC_USEC || magic === PCAP_MAGIC_NSEC;
    this.littleEndian = le;
    this.nanosecond = magic === PCAP_MAGIC_NSEC || magic === 0x4d3cb2a1;
    this.versionMajor = view.getUint16(pos + 4, le);
    this.versionMinor = view.getUint16(pos + 6, le);
    if (this.versionMajor < 2) {
      // libpcap refuses these as "archaic pcap savefile format".
      throw new CaptureError(
        'UNSUPPORTED_VERSION',
        0,
        `pcap version ${this.versionMajor}.${this.versionMinor} is not supported (archaic format)`,
      );
    }
    this.snaplen = view.getUint32(pos + 16, le);
    // The upper 16 bits carry FCS information (LT_FCS_DATA), not the link type.
    this.linktype = view.getUint32(pos + 20, le) & 0xffff;
    this.maxCaplen = maxSnaplenForLinktype(this.linktype);
    this.snapshot = this.snaplen === 0 || this.snaplen > 0x7fffffff ? this.maxCaplen : this.snaplen;
    this.headerDone = true;
  }
}
