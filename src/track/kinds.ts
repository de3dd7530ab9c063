// The vocabulary of analysis events (PRODUCT.md, "events" and packet "tags"): Wireshark's
// tcp.analysis.* rules under our names, then synack's own kinds. Bits for the hot path,
// names for output, in this order (the order tags are printed in).

export const EVENT_KINDS = [
  // Wireshark tcp.analysis.* (tshark 4.0.17, two-pass)
  'retransmission',
  'fast-retransmission',
  'spurious-retransmission',
  'out-of-order',
  'previous-segment-not-captured',
  'acked-unseen-segment',
  'dup-ack',
  'zero-window',
  'zero-window-probe',
  'zero-window-probe-ack',
  'keep-alive',
  'keep-alive-ack',
  'window-update',
  'window-full',
  'port-reuse',
  // synack's own
  'syn-retransmission',
  'synack-retransmission',
  'handshake-ack-lost',
  'simultaneous-open',
  'simultaneous-close',
  'half-close',
  'rst-out-of-window',
  'rst-challenge-ack',
  'rst-suspect-forged',
  'window-probe',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

/** Bit for a kind (1 << index); a packet's tags are an OR of these. */
export function kindBit(kind: EventKind): number {
  return 1 << EVENT_KINDS.indexOf(kind);
}

export const K = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, 1 << i])) as Record<EventKind, number>;

/** The Wireshark-derived kinds (bits 0..14): what the tshark oracle compares. */
export const WIRESHARK_KINDS_MASK = (1 << 15) - 1;

/** Kind names for a tag bitmask, in vocabulary order. */
export function kindsOf(bits: number): EventKind[] {
  const out: EventKind[] = [];
  for (let i = 0; bits !== 0 && i < EVENT_KINDS.length; i++) {
    if (bits & (1 << i)) {
      out.push(EVENT_KINDS[i]);
      bits &= ~(1 << i);
    }
  }
  return out;
}
