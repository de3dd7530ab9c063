// The messages between the page and the analysis worker (worker.ts), and the shapes they carry:
// one compact row per connection for the list, and what the connection, packet and host views
// draw. Plain data only (structured clone), no classes.

import type { StatesReport } from '../../src/report/socket-table.js';
import type { StateName } from '../../src/tcp/state.js';
import type { EventKind } from '../../src/track/kinds.js';

/** One connection as the list shows it (PRODUCT.md's connection record, flattened). */
export interface ConnRow {
  id: number;
  origIp: string;
  origPort: number;
  respIp: string;
  respPort: number;
  /** Epoch µs. */
  startUs: number;
  durationUs: number;
  handshake: string;
  close: string;
  reset: string | null;
  finalOrig: StateName;
  finalResp: StateName;
  /** Bit (1 << TcpState) for every state either endpoint passed through. */
  statesMask: number;
  connState: string;
  history: string;
  pktsOrig: number;
  pktsResp: number;
  bytesOrig: number;
  bytesResp: number;
  /** Number of events, and the OR of their kind bits (src/track/kinds.ts). */
  events: number;
  eventMask: number;
  evicted: boolean;
}

export interface KindCount {
  kind: EventKind;
  /** Occurrences, and connections with at least one. */
  events: number;
  conns: number;
}

/** The whole capture at a glance (the event summary). */
export interface CaptureSummary {
  name: string;
  bytes: number;
  frames: number;
  tcpPackets: number;
  malformed: number;
  connections: number;
  startUs: number;
  endUs: number;
  kinds: KindCount[];
  connStates: [string, number][];
  handshakes: [string, number][];
  closes: [string, number][];
  finals: [string, number][];
  notes: string[];
  /** A file-level fault: everything before it was analysed. */
  fault: string | null;
  analysisMs: number;
}

/** One packet of the selected connection that has its own arrow in the ladder. */
export interface LadderPacket {
  frame: number;
  /** µs since the connection's first packet. */
  relUs: number;
  timeUs: number;
  from: 'orig' | 'resp';
  flags: string;
  relSeq: number;
  relAck: number;
  len: number;
  win: number;
  role: string;
  tags: EventKind[];
  orig: StateName;
  resp: StateName;
  lost: boolean;
}

export interface ConnDetail {
  id: number;
  svg: string;
  /** Packets drawn as arrows, in order. */
  arrows: LadderPacket[];
  packets: number;
  explain: { en: string[]; zh: string[] };
  /** For each paragraph: the frames it speaks of ([0, 0] for the intro and the summary). */
  spans: [number, number][];
  states: { orig: StateName[]; resp: StateName[] };
}

export interface PacketDetail {
  conn: number;
  frame: number;
  /** tcpdump -n -tt's line for the frame ('' when the headers were not kept or tcpdump shows none). */
  tcpdump: string;
  /** PRODUCT.md's packet record (`synack read --json`), as an object; null when headers were not kept. */
  record: Record<string, unknown> | null;
}

export interface HostsView {
  report: StatesReport;
  startUs: number;
  endUs: number;
  timeWaitS: number;
  /** Hosts with sockets in the capture (the chart shows the busiest few). */
  hostCount: number;
}

export type Source = { kind: 'file'; file: File } | { kind: 'url'; url: string; name: string; size: number };

export type ToWorker =
  | { type: 'open'; source: Source; timeWaitS: number }
  | { type: 'conn'; id: number }
  | { type: 'packet'; conn: number; frame: number }
  | { type: 'hosts' };

export type FromWorker =
  | { type: 'progress'; done: number; total: number; frames: number }
  | { type: 'done'; rows: ConnRow[]; summary: CaptureSummary }
  | { type: 'failed'; message: string }
  | { type: 'conn'; detail: ConnDetail | null; id: number }
  | { type: 'packet'; detail: PacketDetail }
  | { type: 'hosts'; view: HostsView };
