// A capture record as the readers yield it (one object, reused for every record), and the
// typed error a reader raises on a file-level fault. Pure: no Node APIs.

/** One packet record of a pcap/pcapng file. Reused: valid until the reader's next call. */
export class CaptureRecord {
  /** 1-based count of packet records (pcap records; pcapng EPB, SPB, obsolete PB) across sections. */
  frame = 0;
  /** Seconds since the epoch (integer). */
  tsSec = 0;
  /** Nanoseconds within the second, 0..999_999_999 (µs captures: usec * 1000). */
  tsNsec = 0;
  /**
   * A pcap record's fraction field as written when it was a second or more (carried into tsSec),
   * else -1: tcpdump prints it as written. Its unit is ns when tsFracNano, else µs.
   */
  tsRawFrac = -1;
  tsFracNano = false;
  /** Link-layer type (LINKTYPE_* as in pcap/pcapng). */
  linktype = 0;
  /** pcapng interface index (global across sections, counted from 0); 0 for pcap. */
  iface = 0;
  /** Bytes captured in this record. */
  caplen = 0;
  /** Length of the packet on the wire. */
  origLen = 0;
  /**
   * The captured bytes are buf[dataOffset, dataOffset + dataLen): the reader's current buffer, so
   * a record costs no allocation. Valid until the reader's next call; `copyData` keeps them.
   */
  buf: Uint8Array = new Uint8Array(0);
  dataOffset = 0;
  dataLen = 0;
  /** Absolute file offset of the record's header (for error messages). */
  fileOffset = 0;

  /** The captured bytes as their own view on the reader's buffer (allocates a view; no copy). */
  get data(): Uint8Array {
    return this.buf.subarray(this.dataOffset, this.dataOffset + this.dataLen);
  }

  /** Makes `bytes` the captured bytes (the whole array, from its start). */
  set data(bytes: Uint8Array) {
    this.buf = bytes;
    this.dataOffset = 0;
    this.dataLen = bytes.length;
  }

  /** A copy of the captured bytes that outlives the reader's buffer. */
  copyData(): Uint8Array {
    return this.buf.slice(this.dataOffset, this.dataOffset + this.dataLen);
  }
}

export type CaptureErrorCode =
  | 'NOT_A_CAPTURE'
  | 'BAD_HEADER'
  | 'BAD_BLOCK'
  | 'TRUNCATED_RECORD'
  | 'TRUNCATED_HEADER'
  | 'UNSUPPORTED_VERSION';

/** A file-level fault: names the absolute byte offset and what was wrong. */
export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}
