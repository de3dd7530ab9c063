// Timers at any capture time: capture times are doubles (µs), and past 2^53 µs (a pcapng
// if_tsoffset of 2^62 s, if_tsresol 0 with a large count) adding a timer's delay can leave the
// time unchanged, so a timer re-armed "later" would be due again at once, forever. Every re-armed
// timer goes through laterThan: it is always strictly later, whatever the time value.

/** `at` when it is after `t`; otherwise the next double after `t` (a timer that makes progress). */
export function laterThan(at: number, t: number): number {
  if (at > t) return at;
  if (!Number.isFinite(t)) return Number.POSITIVE_INFINITY;
  // One ulp of t is between |t|·ε/2 and |t|·ε: adding |t|·ε (at least 1 µs) always moves it.
  return t + Math.max(1, Math.abs(t) * Number.EPSILON);
}
