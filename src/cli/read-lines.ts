// What `read` prints of the packets it decodes, whatever the mode: which lines (--conn,
// --packet-filter; --filter is the ConnGate of filter-option.ts), how many (-c N, as tcpdump:
// reading stops once N lines are out) and how each starts (--number: the frame number as
// tcpdump -# writes it; -t: the time in another format). JSON records keep their fields: their
// "frame" is the number and their "time" stays epoch seconds (the packet record's contract).

import type { TimeFormatter } from '../report/time-format.js';
import type { PacketFilter } from '../track/packet-filter.js';
import type { ConnPicker } from './conn-selector.js';
import { StopReading } from './errors.js';
import type { OutputBuffer } from './output-buffer.js';

export interface LineOptions {
  /** --conn: the connections whose packets are printed. */
  pick?: ConnPicker | null;
  /** --packet-filter: the packets printed (tcpdump's language). */
  packets?: PacketFilter | null;
  /** -c N: at most N lines, then reading stops. */
  count?: number;
  /** --number: the frame number before each text line. */
  number?: boolean;
  /** -t: the time at the start of each text line rewritten. */
  time?: TimeFormatter | null;
  /** JSON records: neither --number nor -t changes them. */
  json?: boolean;
}

/** Writes the lines `read` prints, in order, with -c, --number and -t applied. */
export class LineWriter {
  private printed = 0;
  private readonly limit: number;
  private readonly decorate: boolean;

  constructor(
    private readonly out: OutputBuffer,
    private readonly o: LineOptions,
  ) {
    this.limit = o.count ?? Number.POSITIVE_INFINITY;
    this.decorate = !o.json && (!!o.number || !!o.time);
  }

  /** -c reached: the reader stops at the next packet. */
  get full(): boolean {
    return this.printed >= this.limit;
  }

  /** Throws StopReading once -c lines are out (called before each packet is handled). */
  checkRoom(): void {
    if (this.printed >= this.limit) throw new StopReading('-c: enough lines printed');
  }

  /** One line of frame `frame` captured at `us` (µs since the epoch). */
  write(text: string, frame: number, us: number): void {
    if (this.printed >= this.limit) return;
    this.printed++;
    if (!this.decorate) {
      this.out.line(text);
      return;
    }
    let line = text;
    if (this.o.time) {
      // tcpdump's line starts with the time: `1795481857.857983 IP …`.
      const sp = line.indexOf(' ');
      line = this.o.time.text(us) + (sp < 0 ? '' : line.slice(sp));
    }
    if (this.o.number) line = `${String(frame).padStart(5)}  ${line}`;
    this.out.line(line);
  }
}
