// Two sans-IO endpoints wired back to back on simulated time, for the endpoint's pair tests:
// a fixed one-way latency, optional drop/mangle hooks, and a step limit that catches livelock.

import type { EndpointOptions } from '../../src/tcp/config.js';
import { Disposition, TcpEndpoint } from '../../src/tcp/endpoint.js';
import { seededRandom } from '../../src/tcp/random.js';
import { formatSegment, type Segment } from '../../src/tcp/segment.js';
import { stateName } from '../../src/tcp/state.js';

export type Side = 'a' | 'b';

export interface TraceLine {
  at: number;
  from: Side;
  seg: Segment;
  /** Dropped by the test's filter. */
  dropped: boolean;
}

export interface PairOptions {
  latencyUs?: number;
  seed?: number;
  a?: Partial<EndpointOptions>;
  b?: Partial<EndpointOptions>;
  /** Return true to drop this segment (n counts segments from this side, from 1). */
  drop?: (from: Side, seg: Segment, n: number) => boolean;
}

interface InFlight {
  at: number;
  order: number;
  to: Side;
  seg: Segment;
}

export class Pair {
  readonly a: TcpEndpoint;
  readonly b: TcpEndpoint;
  now = 0;
  readonly trace: TraceLine[] = [];
  private readonly flight: InFlight[] = [];
  private order = 0;
  private readonly sent = { a: 0, b: 0 };
  readonly latency: number;

  constructor(private readonly options: PairOptions = {}) {
    const random = seededRandom(options.seed ?? 1);
    this.latency = options.latencyUs ?? 10_000;
    this.a = new TcpEndpoint({ random, localPort: 40000, ...options.a });
    this.b = new TcpEndpoint({ random, localPort: 80, ...options.b });
  }

  endpoint(side: Side): TcpEndpoint {
    return side === 'a' ? this.a : this.b;
  }

  /** Move every segment the endpoints produced onto the wire. */
  flush(): void {
    for (const side of ['a', 'b'] as const) {
      for (let seg = this.endpoint(side).pollTransmit(); seg; seg = this.endpoint(side).pollTransmit()) {
        const n = ++this.sent[side];
        const dropped = this.options.drop?.(side, seg, n) ?? false;
        this.trace.push({ at: this.now, from: side, seg, dropped });
        if (!dropped) {
          this.flight.push({
            at: this.now + this.latency,
            order: this.order++,
            to: side === 'a' ? 'b' : 'a',
            seg,
          });
        }
      }
    }
  }

  /** Inject a segment as if `from` had sent it (it is not traced as dropped). */
  inject(to: Side, seg: Segment, delayUs = 0): void {
    this.trace.push({ at: this.now, from: to === 'a' ? 'b' : 'a', seg, dropped: false });
    this.flight.push({ at: this.now + delayUs, order: this.order++, to, seg });
  }

  /** Run until `until` (µs) or until nothing is pending; throws past `maxSteps` (livelock). */
  run(until = Number.MAX_SAFE_INTEGER, maxSteps = 10_000): void {
    this.flush();
    for (let step = 0; ; step++) {
      if (step > maxSteps) throw new Error(`pair did not go idle within ${maxSteps} steps`);
      let next = Number.MAX_SAFE_INTEGER;
      let nextFlight = -1;
      this.flight.forEach((f, i) => {
        if (f.at < next || (f.at === next && nextFlight >= 0 && f.order < this.flight[nextFlight].order)) {
          next = f.at;
          nextFlight = i;
        }
      });
      let timerSide: Side | undefined;
      for (const side of ['a', 'b'] as const) {
        const t = this.endpoint(side).pollTimeout();
        if (t !== undefined && t < next) {
          next = t;
          nextFlight = -1;
          timerSide = side;
        }
      }
      if (next === Number.MAX_SAFE_INTEGER || next > until) {
        if (until !== Number.MAX_SAFE_INTEGER) this.now = until;
        return;
      }
      this.now = Math.max(this.now, next);
      if (timerSide) this.endpoint(timerSide).handleTimeout(this.now);
      else {
        const [f] = this.flight.splice(nextFlight, 1);
        const disposition = this.endpoint(f.to).handleSegment(this.now, f.seg);
        if (disposition === Disposition.REUSE) throw new Error('unexpected TIME_WAIT reuse in a pair');
      }
      this.flush();
    }
  }

  /** The endpoint's state names since creation, consecutive repeats removed. */
  states(side: Side): string[] {
    return this.endpoint(side).history.map((h) => stateName(h.state));
  }

  /** The trace as tcpdump-like lines: `+10.000ms a> [S] seq …` (dropped ones marked). */
  lines(): string[] {
    return this.trace.map(
      (t) => `${(t.at / 1000).toFixed(3)} ${t.from}>${t.dropped ? ' (lost)' : ''} ${formatSegment(t.seg)}`,
    );
  }
}
