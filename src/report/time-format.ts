// `-t/--time-format` of the text outputs (read, conns, ladder): how a capture time is written.
// `epoch` seconds.microseconds (tcpdump -tt, the default), `iso` ISO 8601 in UTC with
// microseconds (2026-01-01T00:00:00.000000Z; tcpdump -tttt in UTC and with the T), `relative`
// seconds since the first time written (tcpdump -ttttt, tshark -t r), `delta` seconds since the
// previous time written (tcpdump -ttt, tshark -t d). JSON keeps epoch numbers (the contract).
// Also the reading of ISO 8601 times typed by users (`states --at`). Pure: no clock.

import { usecString } from './zeek-tsv.js';

export const TIME_FORMATS = ['epoch', 'iso', 'relative', 'delta'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

/** Writes capture times (integer µs since the epoch) in one format; relative/delta keep state. */
export class TimeFormatter {
  private first = -1;
  private previous = -1;

  constructor(readonly format: TimeFormat) {}

  /** The text of `us`; with relative/delta, in the order the times are written. */
  text(us: number): string {
    if (this.first < 0) this.first = us;
    const prev = this.previous < 0 ? us : this.previous;
    this.previous = us;
    switch (this.format) {
      case 'epoch':
        return usecString(us);
      case 'iso':
        return isoString(us);
      case 'relative':
        return secondsText(us - this.first);
      case 'delta':
        return secondsText(us - prev);
    }
  }
}

/** Seconds with six decimals from a signed µs count. */
function secondsText(us: number): string {
  return us < 0 ? `-${usecString(-us)}` : usecString(us);
}

/** 2026-01-01T00:00:00.000000Z from µs since the epoch. */
export function isoString(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  const frac = us - sec * 1_000_000;
  const d = new Date(sec * 1000).toISOString(); // 2026-01-01T00:00:00.000Z
  return `${d.slice(0, 19)}.${String(frac).padStart(6, '0')}Z`;
}

/**
 * An ISO 8601 date-time as people type it (`2026-01-01T00:00:05Z`, `2026-01-01 00:00:05.25+08:00`,
 * a date alone) to µs since the epoch, exact to the microsecond; no zone means UTC (captures carry
 * UTC times). Null when it is not one.
 */
export function parseIsoTime(text: string): number | null {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      text.trim(),
    );
  if (m === null) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(ms);
  // Date.UTC rolls 2026-02-30 over into March: refuse what is not a real date and time.
  if (
    check.getUTCDate() !== Number(d) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  )
    return null;
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  return (ms - offsetMin * 60_000) * 1000 + Number(frac.padEnd(6, '0').slice(0, 6));
}
