// How serious each analysis event is, in Wireshark's Expert Info levels (packet-tcp.c's expert
// fields: retransmissions and duplicate ACKs are notes, lost or out-of-order segments, zero and
// full windows and resets are warnings, window updates are chat). synack's own kinds are placed
// the same way; a RST that looks forged is an error: someone other than the peer ended the
// connection.

import type { EventKind } from '../../src/track/kinds.js';
import type { Severity } from './protocol.js';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'note', 'chat'];

export const SEVERITY_OF: Record<EventKind, Severity> = {
  retransmission: 'note',
  'fast-retransmission': 'note',
  'spurious-retransmission': 'note',
  'out-of-order': 'warning',
  'previous-segment-not-captured': 'warning',
  'acked-unseen-segment': 'warning',
  'dup-ack': 'note',
  'zero-window': 'warning',
  'zero-window-probe': 'note',
  'zero-window-probe-ack': 'note',
  'keep-alive': 'note',
  'keep-alive-ack': 'note',
  'window-update': 'chat',
  'window-full': 'warning',
  'port-reuse': 'note',
  'syn-retransmission': 'note',
  'synack-retransmission': 'note',
  'handshake-ack-lost': 'warning',
  'simultaneous-open': 'chat',
  'simultaneous-close': 'chat',
  'half-close': 'chat',
  'rst-out-of-window': 'warning',
  'rst-challenge-ack': 'note',
  'rst-suspect-forged': 'error',
  'window-probe': 'note',
};
