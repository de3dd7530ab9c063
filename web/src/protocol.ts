// The messages between the page and the analysis worker (worker.ts), and the shapes they carry:
// one compact row per connection for the list, and what the connection, packet and host views
// draw. Plain data only (structured clone), no classes; rows travel in chunks, exports as
// transferred ArrayBuffers.

import type { StateName } from '../../src/tcp/state.js';
import type { SynFloodEntry, TimeWaitEntry } from '../../src/track/host-states.js';
import type { EventKind } from '../../src/track/kinds.js';
import type { SortKey } from './filters.js';
import type { RowChunk } from './row-columns.js';

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
  /** Retransmitted segments (any retransmission kind, SYN and SYN+ACK ones too). */
  retrans: number;
  /** Handshake RTT in µs (SYN → ACK at the capture point), -1 when not measured. */
  rttUs: number;
  evicted: boolean;
}

export type Severity = 'error' | 'warning' | 'note' | 'chat';

export interface KindCount {
  kind: EventKind;
  severity: Severity;
  /** Occurrences, and connections with at least one. */
  events: number;
  conns: number;
  /** The first occurrences (conn, frame, µs), to jump to. */
  first: { conn: number; frame: number; timeUs: number }[];
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
  /** Connections that ended in a reset, by who sent it (Zeek's RSTO/RSTR, and both). */
  resets: { orig: number; resp: number; both: number };
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

export interface LadderView {
  /** Every packet its own arrow (`synack ladder --all`). */
  all: boolean;
  /** Folds opened by the user, by their first packet index. */
  open: number[];
  /** Vertical position proportional to time instead of one row per arrow. */
  timeScale: boolean;
  /** Sequence numbers as the textbooks write them (x, y, u, v, w: `synack ladder --symbolic`). */
  symbolic: boolean;
}

export interface ConnDetail {
  id: number;
  view: LadderView;
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

/** A TIME_WAIT finding worth a line of its own. */
export type HostFinding = TimeWaitEntry & { why: 'exhausted' | 'near' | 'top' };

/** One charted host: its sockets at the end of the capture and per state over time. */
export interface HostChart {
  host: string;
  end: Partial<Record<StateName, number>>;
  series: Partial<Record<StateName, number[]>>;
  peak: number;
}

/**
 * The host view, already cut down in the worker to what a person reads: port exhaustion and
 * near-exhaustion, the top pairs by TIME_WAIT peak, SYN floods; the other pairs as one line.
 */
export interface HostsView {
  findings: HostFinding[];
  /** The TIME_WAIT pairs not listed: how many, their sockets at peak (sum) and the highest peak. */
  rest: { pairs: number; sockets: number; maxPeak: number };
  synflood: SynFloodEntry[];
  /** Sample times of the charts, epoch µs. */
  times: number[];
  charts: HostChart[];
  startUs: number;
  endUs: number;
  timeWaitS: number;
  /** Hosts with sockets in the capture (the chart shows the busiest few). */
  hostCount: number;
  computeMs: number;
}

export type ExportKind = 'ndjson' | 'csv' | 'parquet' | 'pcap';

export type Source = { kind: 'file'; file: File } | { kind: 'url'; url: string; name: string; size: number };

export type ToWorker =
  /** `tap`: where the capture was taken, as `--tap` takes it (auto, client, server, mid or an IP). */
  | { type: 'open'; source: Source; timeWaitS: number; tap: string }
  /** `focus`: a frame to show (the fold holding it opens). */
  | { type: 'conn'; id: number; view: LadderView; focus: number | null }
  | { type: 'packet'; conn: number; frame: number }
  | { type: 'hosts' }
  /** The listed connections (ids in list order) as a file, or one connection's packets as pcap. */
  | { type: 'export'; kind: ExportKind; ids: number[]; name: string };

export type FromWorker =
  | { type: 'progress'; phase: Phase; done: number; total: number; frames: number }
  /** Connections as they end, in chunks (no one big message). */
  | { type: 'rows'; rows: RowChunk }
  | { type: 'done'; summary: CaptureSummary }
  /**
   * Each row's rank for every sort column (filters.ts keyRanks), rows in the order they were
   * posted: sorting on the page is then one native sort, whatever the column; and the search index.
   */
  | {
      type: 'ranks';
      rows: number;
      ranks: { key: SortKey; ranks: Int32Array }[];
      /** The rows' search words (filters.ts SearchIndex): a search is then one pass of indexOf. */
      search: { text: string; starts: Int32Array };
    }
  | { type: 'failed'; message: string }
  | { type: 'conn'; detail: ConnDetail | null; id: number }
  | { type: 'packet'; detail: PacketDetail }
  | { type: 'hosts'; view: HostsView }
  | { type: 'export'; name: string; mime: string; data: ArrayBuffer | null; error: string | null };

/** Where the analysis is: reading the bytes, closing the connections still open at the end. */
export type Phase = 'read' | 'finish';
