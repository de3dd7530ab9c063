// `--dedup` while reading (issue 3): a TCP segment captured again on another interface within
// 1 ms (track/dedup.ts decides) never reaches the command; the interface is told apart by the
// input file, the pcapng interface and the SLL2 interface index. Shared by the input pipeline
// (read, conns, live) and decode-files.ts (ladder, explain, states, extract).

import { captureInterface, SegmentDedup } from '../track/dedup.js';
import type { Packet } from '../wire/packet.js';

export class InputDedup {
  private readonly dedup = new SegmentDedup();
  private readonly fileIndex = new Map<string, number>();

  /** True when this decoded TCP segment is a copy to drop. */
  isCopy(pkt: Packet, frame: Uint8Array, file: string): boolean {
    let fi = this.fileIndex.get(file);
    if (fi === undefined) {
      fi = this.fileIndex.size;
      this.fileIndex.set(file, fi);
    }
    return this.dedup.isCopy(pkt, captureInterface(pkt, frame, fi));
  }

  /** The stderr line counting what was dropped, or '' when nothing was. */
  note(): string {
    const n = this.dedup.dropped;
    return n === 0
      ? ''
      : `synack: ${n} duplicate segment${n === 1 ? '' : 's'} seen on another interface dropped (--dedup)\n`;
  }
}
