// The lab's virtual clock and event queue: integer microseconds, events ordered by time and then
// by insertion (so equal-time events run in the order they were scheduled, every run the same).
// A binary heap; nothing here reads a real clock.

export interface ScheduledEvent<T> {
  at: number;
  /** Insertion number: the tie-breaker that makes the order stable. */
  order: number;
  item: T;
}

export class Scheduler<T> {
  /** The virtual clock (µs since the start of the run). */
  now = 0;
  private readonly heap: ScheduledEvent<T>[] = [];
  private inserted = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `item` at `at` (never before now). */
  schedule(at: number, item: T): void {
    const ev = { at: Math.max(Math.round(at), this.now), order: this.inserted++, item };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  /** Removes the next event and advances the clock to it. */
  next(): ScheduledEvent<T> | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    this.now = top.at;
    return top;
  }

  /** Pending events, in no particular order (for quiescence checks). */
  pending(): readonly ScheduledEvent<T>[] {
    return this.heap;
  }
}

function before<T>(a: ScheduledEvent<T>, b: ScheduledEvent<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
