// Headers of every TCP frame the worker read (not their payload), in a paged arena, so a clicked
// arrow can be decoded again into `read --json`'s record and tcpdump's line.

import type { Decoder } from '../../src/wire/decode.js';
import { DecodeStatus, type Packet } from '../../src/wire/packet.js';
import type { CaptureRecord } from '../../src/wire/record.js';

const PAGE = 4 << 20;
const ENTRY_HEAD = 24;
/** Frames keep at most this many header bytes (link + IP + TCP with options fit). */
const MAX_KEPT = 320;

/**
 * Headers of every TCP frame, for decoding a clicked packet again: 4 MiB pages filled in order,
 * up to `limitBytes` in all (beyond it, later frames are shown from the tracker's fields alone).
 */
export class FrameStore {
  private readonly pages: Uint8Array[] = [];
  private views: DataView[] = [];
  private used = PAGE;
  private locs = new Int32Array(1024).fill(-1);
  full = false;

  constructor(private readonly limitBytes = 192 << 20) {}

  keep(rec: CaptureRecord, pkt: Packet): void {
    if (pkt.status !== DecodeStatus.TCP || pkt.tcpBuf !== rec.buf) return;
    const keep = Math.min(rec.caplen, pkt.tcpOffset - rec.dataOffset + pkt.headerLen, MAX_KEPT);
    const size = ENTRY_HEAD + keep;
    if (this.used + size > PAGE) {
      if ((this.pages.length + 1) * PAGE > this.limitBytes) {
        this.full = true;
        return;
      }
      this.pages.push(new Uint8Array(PAGE));
      this.views.push(new DataView(this.pages[this.pages.length - 1].buffer));
      this.used = 0;
    }
    const page = this.pages.length - 1;
    const v = this.views[page];
    const at = this.used;
    v.setUint32(at, rec.tsSec, true);
    v.setUint32(at + 4, rec.tsNsec, true);
    v.setUint32(at + 8, rec.linktype, true);
    v.setUint32(at + 12, rec.origLen, true);
    v.setUint32(at + 16, keep, true);
    v.setUint32(at + 20, pkt.truncated ? 1 : 0, true);
    this.pages[page].set(rec.buf.subarray(rec.dataOffset, rec.dataOffset + keep), at + ENTRY_HEAD);
    this.used += size;
    while (rec.frame >= this.locs.length) {
      const grown = new Int32Array(this.locs.length * 2).fill(-1);
      grown.set(this.locs);
      this.locs = grown;
    }
    this.locs[rec.frame] = page * PAGE + at;
  }

  /** Decodes `frame` again from its kept headers into `pkt`; false when they were not kept. */
  decode(frame: number, decoder: Decoder, rec: CaptureRecord, pkt: Packet): Uint8Array | null {
    const loc = frame < this.locs.length ? this.locs[frame] : -1;
    if (loc < 0) return null;
    const page = Math.floor(loc / PAGE);
    const at = loc % PAGE;
    const v = this.views[page];
    const kept = v.getUint32(at + 16, true);
    rec.frame = frame;
    rec.tsSec = v.getUint32(at, true);
    rec.tsNsec = v.getUint32(at + 4, true);
    rec.linktype = v.getUint32(at + 8, true);
    rec.origLen = v.getUint32(at + 12, true);
    rec.caplen = kept;
    const data = this.pages[page].subarray(at + ENTRY_HEAD, at + ENTRY_HEAD + kept);
    rec.data = data;
    if (decoder.decode(rec, pkt) !== DecodeStatus.TCP) return null;
    // Only the payload was left out: the frame was as complete as the capture had it.
    pkt.truncated = v.getUint32(at + 20, true) === 1;
    return data;
  }

  get bytes(): number {
    return this.pages.length * PAGE;
  }
}
