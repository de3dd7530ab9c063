// The lab's truth as the report layer's model: one ConnTimeline (report/timeline.ts) and one
// connection record (track/record.ts ConnRecord, printed by report/conn-json.ts) per connection
// seen at a tap, whose per-packet states and `states`/`final` are the endpoints' TRUE states
// (the sender's when it sent the frame, the receiver's after it processed it) rather than
// inferred ones. `synack lab run` draws them with the same ladder renderer as `synack ladder`.
//
// Connections follow PRODUCT.md "Connections" applied to the truth: the lab's endpoints on one
// 4-tuple belong to one connection while any of them is live (not CLOSED, not back in LISTEN, not
// in TIME_WAIT) when the next one is created; a SYN meeting TIME_WAIT (port reuse) or a port
// used again after its TIME_WAIT ran out starts a new one. Each side's true `states` is its
// endpoints' true sequences joined in creation order. A side with no endpoint at all (a port
// nobody listens on, or a listener that never answered on the 4-tuple) is CLOSED throughout; a
// listener that answered without a socket (a SYN cookie) is LISTEN.
//
// What only an observer computes (orientation, handshake/close/reset, conn_state, history,
// completeness, bytes, rtt, events, per-packet tags and roles, relative sequence numbers) comes
// from the real analyzer run on the same capture (observe.ts), matched by frame number.

import type { ConnTimeline, TimelinePacket } from '../report/timeline.js';
import { timelineRecord } from '../report/timeline-from-track.js';
import type { StateName } from '../tcp/state.js';
import type { ConnEvent, ConnRecord } from '../track/record.js';
import type { Address } from './host.js';
import type { CapturedFrame, TapName } from './network.js';
import type { Observation } from './observe.js';
import { type RunResult, type Scenario, type Side, stateAt, type TrueEndpoint } from './scenario.js';

/** One connection of the truth, as one tap saw it. */
export interface TrueConnection {
  /** Order of its first frame in the tap's capture, from 1 (PRODUCT.md "Ids"). */
  id: number;
  /** The lab's endpoints in it, per host, in creation order. */
  endpoints: Record<Side, TrueEndpoint[]>;
  /** Frame numbers (1-based, the capture's order) of its segments at this tap. */
  frames: number[];
  /** Which host is orig (the analyzer's orientation, Zeek's rule). */
  origHost: Side;
  /** Each host's true state sequence (initial state first, consecutive repeats removed). */
  states: Record<Side, StateName[]>;
  timeline: ConnTimeline;
  record: ConnRecord;
}

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');

/** A group of endpoints that form one connection (before any tap is looked at). */
interface Group {
  key: string;
  endpoints: TrueEndpoint[];
}

function tupleKey(e: TrueEndpoint): string {
  const a = endpointKey(e.local);
  const b = endpointKey(e.remote);
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

/**
 * The state of `e` just before a segment it sent at `at` left: every change before `at`, and the
 * changes at `at` that segments arriving then caused (RFC 9293 §3.10.7, SEGMENT ARRIVES) up to
 * the first that the endpoint's own call or timer caused (close, open, abort: the send's own).
 * With no processing time in the lab, an answer leaves at the instant its cause arrived: the
 * ACK of a FIN is sent from CLOSING, not from the FIN_WAIT_1 of a microsecond before.
 */
function stateBeforeSend(e: TrueEndpoint, at: number): StateName {
  // The first entry is the state the endpoint started in, no change: a listener's request socket
  // starts in LISTEN at the instant the SYN that made it arrives.
  let state = e.timeline[0].state;
  for (let i = 1; i < e.timeline.length; i++) {
    const t = e.timeline[i];
    if (t.at > at || (t.at === at && !t.rfc?.startsWith('3.10.7'))) break;
    state = t.state;
  }
  return state;
}

/** Still holding its 4-tuple for the purpose of connection boundaries at `at`. */
function liveAt(e: TrueEndpoint, at: number): boolean {
  if (e.timeline[0].at > at) return false;
  const s = stateAt(e, at);
  return s !== 'CLOSED' && s !== 'TIME_WAIT' && !(s === 'LISTEN' && e.passive);
}

/** The lab's endpoints grouped into connections (PRODUCT.md "Connections", applied to the truth). */
export function trueGroups(run: RunResult): Group[] {
  const groups: Group[] = [];
  const lastByKey = new Map<string, Group>();
  const byBirth = [...run.endpoints].sort((a, b) => a.timeline[0].at - b.timeline[0].at || a.id - b.id);
  for (const e of byBirth) {
    const key = tupleKey(e);
    const born = e.timeline[0].at;
    const last = lastByKey.get(key);
    if (last?.endpoints.some((x) => liveAt(x, born))) {
      last.endpoints.push(e);
      continue;
    }
    const g = { key, endpoints: [e] };
    groups.push(g);
    lastByKey.set(key, g);
  }
  return groups;
}

function pushState(list: StateName[], s: StateName): void {
  if (list[list.length - 1] !== s) list.push(s);
}

/** The frame's 4-tuple key and source IP, read from its IPv4/IPv6 header (Ethernet framing). */
function frameTuple(data: Uint8Array): { key: string; srcIp: string } | undefined {
  const ethType = (data[12] << 8) | data[13];
  let ip: string[];
  let l4: number;
  if (ethType === 0x0800) {
    const ihl = (data[14] & 0x0f) * 4;
    ip = [data.subarray(26, 30).join('.'), data.subarray(30, 34).join('.')];
    l4 = 14 + ihl;
  } else if (ethType === 0x86dd) {
    const hex = (o: number) => {
      const words: string[] = [];
      for (let i = 0; i < 16; i += 2) words.push(((data[o + i] << 8) | data[o + i + 1]).toString(16));
      return words.join(':');
    };
    ip = [hex(22), hex(38)];
    l4 = 54;
  } else return undefined;
  const sp = (data[l4] << 8) | data[l4 + 1];
  const dp = (data[l4 + 2] << 8) | data[l4 + 3];
  return { key: `${ip[0]} ${sp}|${ip[1]} ${dp}`, srcIp: ip[0] };
}

/** Expands an IPv6 text address to the 8 plain hex words frameTuple produces. */
function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((w) => Number.parseInt(w, 16).toString(16)).join(':');
}

function endpointKey(a: Address): string {
  return `${canonicalIp(a.ip)} ${a.port}`;
}

/**
 * Every connection of the truth that has at least one frame at `tap`, with its timeline and
 * record. `listening` says whether a host listens on a port (a side with no endpoint is LISTEN
 * there, CLOSED elsewhere).
 */
export function trueConnections(
  run: RunResult,
  tap: TapName,
  observation: Observation,
  listening: (host: Side, port: number) => boolean,
): TrueConnection[] {
  const groups = trueGroups(run);
  const groupOfEndpoint = new Map<number, Group>();
  for (const g of groups) for (const e of g.endpoints) groupOfEndpoint.set(e.id, g);
  const hostIp: Record<Side, string> = {
    client: canonicalIp(run.hosts.client),
    server: canonicalIp(run.hosts.server),
  };

  // The capture's frames in pcap order (pcap() sorts by time, stably).
  const frames = [...run.frames[tap]].sort((a, b) => a.at - b.at);
  // Frames no endpoint sent or processed (stack resets, ignored forgeries) join the last group
  // on their 4-tuple, or a group of their own.
  const byFrame: (Group | undefined)[] = [];
  const orphanGroups = new Map<string, Group>();
  const lastOnKey = new Map<string, Group>();
  frames.forEach((f, i) => {
    const w = f.wire;
    let g =
      (w.sender !== undefined ? groupOfEndpoint.get(w.sender) : undefined) ??
      (w.receiver !== undefined ? groupOfEndpoint.get(w.receiver) : undefined);
    const tuple = frameTuple(f.data);
    const [a, b] = (tuple?.key ?? '').split('|');
    const key = a < b ? `${a} ${b}` : `${b} ${a}`;
    if (!g) {
      g = lastOnKey.get(key) ?? groups.find((x) => x.key === key) ?? orphanGroups.get(key);
      if (!g) {
        g = { key, endpoints: [] };
        orphanGroups.set(key, g);
      }
    }
    lastOnKey.set(key, g);
    byFrame[i] = g;
  });

  // Observer fields by frame number (1-based).
  const packetOf = new Map<number, { p: TimelinePacket; t: ConnTimeline }>();
  for (const t of observation.timelines) for (const p of t.packets) packetOf.set(p.frame, { p, t });
  const recordOf = new Map<number, ConnRecord>();
  for (const r of observation.records) recordOf.set(r.id, r);

  const seen: Group[] = [];
  for (const g of byFrame) if (g && !seen.includes(g)) seen.push(g);

  return seen.map((g, index) => {
    const frameNos: number[] = [];
    byFrame.forEach((x, i) => {
      if (x === g) frameNos.push(i + 1);
    });
    const first = frames[frameNos[0] - 1];
    const firstTuple = frameTuple(first.data)!;
    const eps: Record<Side, TrueEndpoint[]> = {
      client: g.endpoints.filter((e) => e.host === 'client'),
      server: g.endpoints.filter((e) => e.host === 'server'),
    };
    // Each host's address on this 4-tuple, from an endpoint or from the first frame.
    const [srcText, dstText] = firstTuple.key.split('|');
    // Addresses no host has (spoofed sources) sit on the client's side of the path.
    const srcSide: Side = firstTuple.srcIp === hostIp.server ? 'server' : 'client';
    const addr: Record<Side, string> =
      srcSide === 'client' ? { client: srcText, server: dstText } : { client: dstText, server: srcText };
    const portOf = (side: Side) => Number(addr[side].split(' ')[1]);

    // A listener that answered on this 4-tuple without a socket of its own (a SYN cookie) is
    // LISTEN for it; one that said nothing at all (its full SYN queue dropped the SYN) never held
    // this connection: CLOSED, "no connection state at all" (RFC 9293 §3.3.2), as the kernel
    // shows it (no socket on the 4-tuple) and as the analyzer infers it beside the server.
    const spoke = (side: Side): boolean =>
      frameNos.some((n) => frameTuple(frames[n - 1].data)?.key.split('|')[0] === addr[side]);
    const fixedState = (side: Side): StateName =>
      listening(side, portOf(side)) && spoke(side) ? 'LISTEN' : 'CLOSED';
    const sideState = (side: Side, at: number, beforeSend = false): StateName => {
      const list = eps[side];
      if (list.length === 0) return fixedState(side);
      let e = list[0];
      for (const x of list) if (x.timeline[0].at <= at) e = x;
      return beforeSend ? stateBeforeSend(e, at) : stateAt(e, at);
    };
    const states: Record<Side, StateName[]> = { client: [], server: [] };
    for (const side of ['client', 'server'] as const) {
      if (eps[side].length === 0) states[side].push(fixedState(side));
      for (const e of eps[side]) for (const s of e.states) pushState(states[side], s);
    }

    // Orientation and observer-only fields from the analyzer's records that hold these frames.
    const recs: ConnRecord[] = [];
    for (const n of frameNos) {
      const id = packetOf.get(n)?.t.id;
      const r = id === undefined ? undefined : recordOf.get(id);
      if (r && !recs.includes(r)) recs.push(r);
    }
    const base = recs[0];
    const origHost: Side =
      base === undefined ? srcSide : endpointKey(base.orig) === addr.client ? 'client' : 'server';
    const sideOf = (host: Side) => (host === origHost ? 'orig' : 'resp');

    // Each arrow shows the sender's state when it sent and the receiver's after it processed
    // the segment, but a ladder has one row per segment in capture order: when the receiver
    // sent its next segment (in that order) before this one reached it (crossing FINs), the
    // row shows the receiver as it was before that next segment left, and the arrival shows
    // on a later row. Times per side never go back, so each column reads as the true sequence.
    // Chosen over the literal state at the frame's capture time (issue 17): it is what the
    // receiver's own next segment shows (a SYN+ACK is sent from SYN_RECEIVED, an ACK of a FIN
    // right after that FIN arrived), so it is decidable from the capture, and it agrees with the
    // kernel recordings (test/fixtures/kernel) wherever they resolve the order.
    const fromOf = (n: number): Side =>
      frameTuple(frames[n - 1].data)!.srcIp === hostIp.server ? 'server' : 'client';
    const nextSend = new Array<number>(frameNos.length);
    const upcoming: Record<Side, number> = {
      client: Number.MAX_SAFE_INTEGER,
      server: Number.MAX_SAFE_INTEGER,
    };
    for (let k = frameNos.length - 1; k >= 0; k--) {
      const from = fromOf(frameNos[k]);
      nextSend[k] = upcoming[other(from)];
      upcoming[from] = frames[frameNos[k] - 1].wire.sentAt;
    }
    // Each side's clock, and whether it stands just before a send at that time (`beforeSend`).
    const clock: Record<Side, number> = { client: -1, server: -1 };
    const beforeSend: Record<Side, boolean> = { client: false, server: false };
    const packets: TimelinePacket[] = frameNos.map((n, k) => {
      const f: CapturedFrame = frames[n - 1];
      const w = f.wire;
      const from = fromOf(n);
      const to = other(from);
      const arrive = w.arriveAt ?? f.at;
      if (w.sentAt >= clock[from]) {
        clock[from] = w.sentAt;
        beforeSend[from] = false;
      }
      const crossed = arrive > nextSend[k];
      const at = crossed ? nextSend[k] : arrive;
      if (at > clock[to] || (at === clock[to] && !crossed)) {
        clock[to] = at;
        beforeSend[to] = crossed;
      }
      const sent = sideState(from, clock[from]);
      const got = sideState(to, clock[to], beforeSend[to]);
      const observed = packetOf.get(n);
      const p: TimelinePacket = {
        ...(observed?.p ?? emptyPacket(n)),
        frame: n,
        timeUs: run.epoch * 1_000_000 + f.at,
        from: sideOf(from),
        states: from === origHost ? { orig: sent, resp: got } : { orig: got, resp: sent },
      };
      // A segment its receiver's stack dropped (a full SYN queue) is lost to that endpoint.
      if (w.arriveAt === undefined || w.dropped) p.lost = true;
      else delete p.lost;
      p.arrived = w.arriveAt !== undefined && !w.dropped;
      // Relative numbers are per analyzer connection; a split (an analyzer error) keeps its own.
      return p;
    });

    const origStates = states[origHost];
    const respStates = states[other(origHost)];
    const startUsec = packets[0].timeUs;
    const endUsec = packets[packets.length - 1].timeUs;
    const count = (side: 'orig' | 'resp') => packets.filter((p) => p.from === side).length;
    const events: ConnEvent[] = [];
    for (const r of recs) for (const e of r.events) if (frameNos.includes(e.frame)) events.push(e);
    const orig = { ip: base?.orig.ip ?? addr[origHost].split(' ')[0], port: portOf(origHost) };
    const resp = { ip: base?.resp.ip ?? addr[other(origHost)].split(' ')[0], port: portOf(other(origHost)) };
    const record: ConnRecord = {
      id: index + 1,
      startUsec,
      endUsec,
      orig,
      resp,
      handshake: base?.handshake ?? 'unseen',
      close: base?.close ?? 'none',
      reset: base?.reset ?? null,
      states: { orig: origStates, resp: respStates },
      final: { orig: origStates[origStates.length - 1], resp: respStates[respStates.length - 1] },
      conn_state: base?.conn_state ?? 'OTH',
      history: base?.history ?? '',
      completeness: base?.completeness ?? 0,
      packets: { orig: count('orig'), resp: count('resp') },
      bytes: base?.bytes ?? { orig: 0, resp: 0 },
      rttHandshakeUsec: base?.rttHandshakeUsec ?? -1,
      evicted: false,
      events,
    };
    const timeline: ConnTimeline = {
      id: record.id,
      orig,
      resp,
      initial: { orig: origStates[0], resp: respStates[0] },
      packets,
      record: timelineRecord(record),
      tap: tap === 'mid' ? 'mid' : tap === origHost ? 'orig' : 'resp',
    };
    return { id: record.id, endpoints: eps, frames: frameNos, origHost, states, timeline, record };
  });
}

function emptyPacket(frame: number): TimelinePacket {
  return {
    frame,
    timeUs: 0,
    from: 'orig',
    flags: 0,
    seq: 0,
    ack: 0,
    relSeq: 0,
    relAck: 0,
    len: 0,
    win: 0,
    tags: [],
    role: 'data',
    states: { orig: 'UNKNOWN', resp: 'UNKNOWN' },
  };
}

/** Which ports each host of a scenario listens on (its `listen` actions). */
export function scenarioListening(scenario: Scenario): (host: Side, port: number) => boolean {
  const ports = new Set<string>();
  for (const a of scenario.timeline) if (a.do === 'listen') ports.add(`${a.side ?? 'server'} ${a.port}`);
  return (host, port) => ports.has(`${host} ${port}`);
}

/** TIME_WAIT length (s) the scenario's hosts use, for the analyzer's --time-wait (Linux's 60 s unless set). */
export function scenarioTimeWaitSec(scenario: Scenario): number {
  const us = scenario.client?.tcp?.timeWaitUs ?? scenario.server?.tcp?.timeWaitUs;
  return us === undefined ? 60 : us / 1e6;
}
