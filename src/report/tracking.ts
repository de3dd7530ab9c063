// The flow table wired as every command wires it: Zeek's summary (orientation, conn_state,
// history, bytes), Wireshark's analysis (tags) and tcpdump's address text, with the tracking
// options of PRODUCT.md (--time-wait, --idle, --max-conns). Shared by the CLI (cmd-conns and
// the commands built on it) and the web UI's worker, so both count the same connections. Pure.

import { FlowTable, type FlowTableOptions } from '../track/flow-table.js';
import { AUTO_TAP, autoTapOn, parseTap } from '../track/tap.js';
import { TcpAnalysis } from '../track/wireshark.js';
import { ZeekSummary } from '../track/zeek-summary.js';
import { addrString } from './zeek-tsv.js';

export interface TrackingOptions {
  timeWaitSec: number;
  idleSec: number;
  maxConns: number;
  /** --tap as typed: auto, client, server, mid or an IP address (checked by the CLI). */
  tap?: string;
  /** A live capture's own host addresses: `auto` places the tap beside a connection's end that has one. */
  ownAddresses?: readonly string[];
}

/** PRODUCT.md's defaults: Linux's 60 s TIME_WAIT, Zeek's 300 s inactivity, 250 000 open connections. */
export const DEFAULT_TRACKING: Readonly<TrackingOptions> = {
  timeWaitSec: 60,
  idleSec: 300,
  maxConns: 250_000,
};

/** A flow table wired to Zeek's summary and Wireshark's analysis, as every command uses it. */
export function newFlowTable(
  t: TrackingOptions,
  onEnd: FlowTableOptions['onEnd'],
  onPacket?: FlowTableOptions['onPacket'],
  /** FlowTableOptions.reuseConns: only when no Conn handed out is kept past the next packet. */
  reuseConns = false,
): FlowTable {
  return new FlowTable({
    timeWaitSec: t.timeWaitSec,
    idleSec: t.idleSec,
    maxConns: t.maxConns,
    tap:
      (t.tap ?? 'auto') === 'auto' && t.ownAddresses !== undefined
        ? autoTapOn(t.ownAddresses)
        : (parseTap(t.tap ?? 'auto') ?? AUTO_TAP),
    newSummary: () => new ZeekSummary(),
    // Wireshark's streams are forgotten on the same horizon as connections (--idle, --max-conns),
    // so memory follows the open connections, not the length of the capture.
    analysis: new TcpAnalysis({ forgetAfterUsec: Math.round(t.idleSec * 1e6), maxStreams: t.maxConns }),
    addrText: addrString,
    onEnd,
    onPacket,
    reuseConns,
  });
}
