// Adapter for `synack states`: the tracker's output (FlowTable onPacket/onEnd) → what the
// host-level view needs of each connection (track/host-states.ts ConnStatesInput), and nothing
// more. A SYN flood is 10^6 connections: the full timelines of ladder and explain (every packet
// with its sequence numbers, tags and roles) do not fit, so a connection keeps only the segments
// the socket table reads — its first and last, each change of either endpoint's state, the first
// from each side (a socket in UNKNOWN shows once its side has spoken) and the first SYN of each
// side (TIME_WAIT exhaustion's connection rate) — with endpoints and pairs of states shared
// between connections.
// The report built from these equals the one built from full timelines (test/states-compact.test.ts).

import { STATE_NAMES, type StateName } from '../tcp/state.js';
import type { Conn } from '../track/connection.js';
import type { HeldPacket } from '../track/held.js';
import type { ConnStatesInput, HostEndpoint } from '../track/host-states.js';
import type { ConnRecord } from '../track/record.js';
import { ACK, SYN } from '../wire/packet.js';

type StatePair = { orig: StateName; resp: StateName };

const STATE_INDEX = new Map<string, number>(STATE_NAMES.map((n, i) => [n, i]));

/** One kept segment, endpoints A and B (orientation is known at the end). */
interface Kept {
  timeUs: number;
  fromA: boolean;
  flags: number;
  stateA: number;
  stateB: number;
}

interface Open {
  kept: Kept[];
  /** The latest segment when it was not kept (it becomes the last one). */
  last: Kept | null;
  spokeA: boolean;
  spokeB: boolean;
  synA: boolean;
  synB: boolean;
}

export interface StatesCollectorOptions {
  /** --filter: keep only the connections whose record it accepts (the span counts them all). */
  keep?: (rec: ConnRecord) => boolean;
}

/** Wire `onPacket` and `onEnd` into a FlowTable; `conns` fills as connections end. */
export class StatesCollector {
  readonly conns: ConnStatesInput[] = [];
  /** Earliest first and latest last segment of every connection seen (epoch µs), for --at's default. */
  startUs = Number.POSITIVE_INFINITY;
  endUs = 0;
  private readonly open = new Map<number, Open>();
  /** By address: its one endpoint, or its endpoints by port once it has several (a flood's sources have one). */
  private readonly endpoints = new Map<string, HostEndpoint | Map<number, HostEndpoint>>();
  private readonly pairs: (StatePair | undefined)[] = [];

  constructor(private readonly opts: StatesCollectorOptions = {}) {}

  readonly onPacket = (conn: Conn, h: HeldPacket): void => {
    let o = this.open.get(conn.id);
    if (o === undefined) {
      o = { kept: [], last: null, spokeA: false, spokeB: false, synA: false, synB: false };
      this.open.set(conn.id, o);
    }
    const t = h.tsUsec;
    const prev = o.kept[o.kept.length - 1];
    const changed = prev === undefined || prev.stateA !== h.stateA || prev.stateB !== h.stateB;
    const firstWord = h.fromA ? !o.spokeA : !o.spokeB;
    const pureSyn = (h.flags & SYN) !== 0 && (h.flags & ACK) === 0;
    const firstSyn = pureSyn && (h.fromA ? !o.synA : !o.synB);
    const p: Kept = { timeUs: t, fromA: h.fromA, flags: h.flags, stateA: h.stateA, stateB: h.stateB };
    if (h.fromA) o.spokeA = true;
    else o.spokeB = true;
    if (pureSyn) {
      if (h.fromA) o.synA = true;
      else o.synB = true;
    }
    if (changed || firstWord || firstSyn) {
      o.kept.push(p);
      o.last = null;
    } else o.last = p;
  };

  readonly onEnd = (rec: ConnRecord, conn: Conn): void => {
    const o = this.open.get(conn.id);
    if (o === undefined) return;
    this.open.delete(conn.id);
    if (o.last !== null) o.kept.push(o.last);
    // The span as captureSpan() reads full timelines: each connection's first and last segment.
    const first = o.kept[0]!.timeUs;
    const last = o.kept[o.kept.length - 1]!.timeUs;
    if (first < this.startUs) this.startUs = first;
    if (last > this.endUs) this.endUs = last;
    if (this.opts.keep && !this.opts.keep(rec)) return;
    const origIsA = conn.summary.origIsA;
    const packets = o.kept.map((k) => ({
      timeUs: k.timeUs,
      from: k.fromA === origIsA ? ('orig' as const) : ('resp' as const),
      flags: k.flags,
      states: origIsA ? this.pair(k.stateA, k.stateB) : this.pair(k.stateB, k.stateA),
    }));
    this.conns.push({
      id: rec.id,
      orig: this.endpoint(rec.orig),
      resp: this.endpoint(rec.resp),
      initial: this.pair(
        STATE_INDEX.get(rec.states.orig[0] ?? 'UNKNOWN')!,
        STATE_INDEX.get(rec.states.resp[0] ?? 'UNKNOWN')!,
      ),
      packets,
    });
  };

  /** One shared (never modified) object per pair of states: a flood's 10^6 connections have a few. */
  private pair(orig: number, resp: number): StatePair {
    const i = orig * STATE_NAMES.length + resp;
    let p = this.pairs[i];
    if (p === undefined) {
      p = { orig: STATE_NAMES[orig] as StateName, resp: STATE_NAMES[resp] as StateName };
      this.pairs[i] = p;
    }
    return p;
  }

  /** The capture's span, as captureSpan() gives it for full timelines. */
  span(): { startUs: number; endUs: number } {
    return { startUs: this.startUs === Number.POSITIVE_INFINITY ? 0 : this.startUs, endUs: this.endUs };
  }

  /** One shared object per address and port (a server's endpoint is in every connection to it). */
  private endpoint(e: HostEndpoint): HostEndpoint {
    const known = this.endpoints.get(e.ip);
    if (known === undefined) {
      const first = { ip: e.ip, port: e.port };
      this.endpoints.set(e.ip, first);
      return first;
    }
    let byPort: Map<number, HostEndpoint>;
    if (known instanceof Map) byPort = known;
    else {
      if (known.port === e.port) return known;
      byPort = new Map([[known.port, known]]);
      this.endpoints.set(e.ip, byPort);
    }
    let shared = byPort.get(e.port);
    if (shared === undefined) {
      shared = { ip: e.ip, port: e.port };
      byPort.set(e.port, shared);
    }
    return shared;
  }
}
