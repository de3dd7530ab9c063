// The lab's network: two hosts (client and server) joined by one path, an attacker that injects
// forged segments at the middle of the path — from either host's address, or from addresses no
// host has (spoofed sources: what is sent back to them leaves by the middle and never returns) —
// and three taps (client NIC, server NIC, middle) that capture every frame as bytes (src/wire/build.ts). Pure and deterministic: virtual time, one
// seeded PRNG, no I/O. Runs to quiescence: no event pending but TIME_WAIT timers (PRODUCT.md, the lab).

import { type RandomSource, seededRandom } from '../tcp/random.js';
import type { Segment, TcpOptions } from '../tcp/segment.js';
import { TcpState } from '../tcp/state.js';
import { buildFrame, type FrameSpec, tcpFlags } from '../wire/build.js';
import { type Address, type Connection, Host, type HostConfig } from './host.js';
import { type Direction, Link, type LinkConfig } from './link.js';
import { ScriptPeer } from './packetdrill-peer.js';
import { Scheduler } from './scheduler.js';

export type TapName = 'client' | 'server' | 'mid';
export const TAP_NAMES: readonly TapName[] = ['client', 'server', 'mid'];

/**
 * One copy of a segment on the wire, shared by the taps that saw it: who sent it and when, and
 * which endpoint (if any) received it when. With the endpoints' timelines this gives every
 * captured frame both true states (the sender's after sending, the receiver's after processing).
 */
export interface WireCopy {
  /** µs the sender emitted it (for a forgery: when it entered the path). */
  sentAt: number;
  from: 'client' | 'server' | 'attacker';
  /** Connection id of the sending endpoint (undefined: the stack's own reset, or a forgery). */
  sender?: number;
  /** Connection id of the endpoint that processed it (undefined: lost, or no endpoint took it). */
  receiver?: number;
  /** µs it reached the other host (undefined: lost on the way). */
  arriveAt?: number;
  /** The host's stack dropped it on arrival (a full SYN queue): as lost, to the endpoints. */
  dropped?: boolean;
}

/** One frame as a tap saw it: µs since the start of the run, its bytes, and its copy's story. */
export interface CapturedFrame {
  at: number;
  data: Uint8Array;
  wire: WireCopy;
}

export interface NetworkConfig {
  seed: number;
  client: HostConfig;
  server: HostConfig;
  link?: Partial<LinkConfig>;
}

/** A forged segment: the attacker picks every field. */
export interface Forgery {
  /** Whose address it claims to come from. */
  from: 'client' | 'server';
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  /** Flag bits, or tcpdump letters ('R', 'S', 'R.'). */
  flags: number | string;
  window?: number;
  ttl?: number;
  payload?: Uint8Array;
  /** A source address no host has (a spoofed source); default the claimed host's own. */
  srcIp?: string;
  options?: TcpOptions;
}

/**
 * A spoofed source as the truth sees it: no host, no stack; its states are RFC 9293's for what
 * was sent in its name (a SYN: SYN_SENT), and nothing sent to it ever reaches it.
 */
export interface SpoofedSource {
  id: number;
  local: Address;
  remote: Address;
  peer: ScriptPeer;
}

type LabEvent =
  | { kind: 'arrive'; to: Host; srcIp: string; seg: Segment; data: Uint8Array; tap: TapName; wire: WireCopy }
  | { kind: 'mid'; data: Uint8Array; wire: WireCopy }
  | { kind: 'timer'; conn: Connection }
  | { kind: 'app'; run: (lab: Network) => void };

export interface RunLimits {
  /** Stop at this virtual time (µs) whatever is pending (default 2 h). */
  maxTimeUs?: number;
  /** Livelock guard (default 1 000 000 events). */
  maxSteps?: number;
}

export class Network {
  readonly scheduler = new Scheduler<LabEvent>();
  readonly random: RandomSource;
  readonly client: Host;
  readonly server: Host;
  readonly link: Link;
  readonly taps: Record<TapName, CapturedFrame[]> = { client: [], server: [], mid: [] };
  /** What happened besides segments (failed connects, actions skipped), for the report. */
  readonly notes: { at: number; text: string }[] = [];
  /** Called for every segment a host puts on the path (the packetdrill runner's sniffer). */
  onTransmit?: (from: Host, seg: Segment, at: number) => void;
  /** Called for every segment that reaches a host (before the host processes it). */
  onArrive?: (to: Host, seg: Segment, at: number) => void;
  /** The id frames of a scripted host (packetdrill's peer) carry as their sender or receiver. */
  scriptedPeerId?: number;
  /** Spoofed sources the attacker sent from, in first-use order. */
  readonly spoofed: SpoofedSource[] = [];
  private readonly spoofedByKey = new Map<string, SpoofedSource>();
  private connectionCount = 0;

  constructor(config: NetworkConfig) {
    this.random = seededRandom(config.seed);
    const newId = () => ++this.connectionCount;
    this.client = new Host({ mac: '02:00:00:00:00:01', ...config.client }, this.random, newId);
    this.server = new Host({ mac: '02:00:00:00:00:02', ...config.server }, this.random, newId);
    if (this.client.ip.includes(':') !== this.server.ip.includes(':')) {
      throw new Error('lab: client and server must use the same IP version');
    }
    this.link = new Link(config.link ?? {}, this.random);
  }

  get now(): number {
    return this.scheduler.now;
  }

  /** Every connection endpoint of both hosts, in creation order. */
  connections(): Connection[] {
    return [...this.client.connections, ...this.server.connections].sort((a, b) => a.id - b.id);
  }

  /** Runs `run` at virtual time `at` (µs). */
  at(at: number, run: (lab: Network) => void): void {
    this.scheduler.schedule(at, { kind: 'app', run });
  }

  note(text: string): void {
    this.notes.push({ at: this.now, text });
  }

  // ---------------------------------------------------------------- application commands

  listen(port: number): void {
    this.server.listen(port);
  }

  /**
   * `side` (the client unless told) opens a connection to the other host's `port`; undefined
   * when no local port is free.
   */
  connect(
    port: number,
    localPort?: number,
    side: 'client' | 'server' = 'client',
    /** TCP Fast Open: what the application writes with the connect (sendto(MSG_FASTOPEN)). */
    fastOpenData?: Uint8Array,
  ): Connection | undefined {
    const host = side === 'client' ? this.client : this.server;
    const other = side === 'client' ? this.server : this.client;
    const conn = host.connect(this.now, { ip: other.ip, port }, localPort, {}, fastOpenData);
    if (!conn) {
      this.note(`${host.name}: connect to port ${port} failed: no free local port (EADDRNOTAVAIL)`);
      return undefined;
    }
    this.service(conn);
    return conn;
  }

  /**
   * The other host's endpoint of a connection: on the same 4-tuple, the one whose ISNs match
   * (the same incarnation), else the one created closest in time.
   */
  peerOf(conn: Connection): Connection | undefined {
    const ep = conn.endpoint;
    const born = ep.history[0].at;
    let best: Connection | undefined;
    let bestScore = -1;
    for (const c of (conn.host === this.client ? this.server : this.client).connections) {
      if (c.local.port !== conn.remote.port || c.remote.port !== conn.local.port) continue;
      const score =
        (c.endpoint.irs === ep.iss ? 2 : 0) +
        (c.endpoint.iss === ep.irs ? 2 : 0) +
        1 / (1 + Math.abs(c.endpoint.history[0].at - born));
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    return best;
  }

  /** Sends what an endpoint produced after the caller drove it directly (the packetdrill runner). */
  flush(conn: Connection): void {
    conn.host.release(conn);
    this.service(conn);
  }

  /** Apply an application command to an endpoint and send what it produces. */
  command(conn: Connection, what: 'shutdown' | 'close' | 'abort' | 'read' | { send: Uint8Array }): void {
    const ep = conn.endpoint;
    const now = this.now;
    if (what === 'shutdown') ep.shutdown(now);
    else if (what === 'close') ep.close(now);
    else if (what === 'abort') ep.abort(now);
    else if (what === 'read') ep.read(now);
    else if (!ep.send(now, what.send))
      this.note(`send on connection ${conn.id} refused in state ${TcpState[ep.state]}`);
    conn.host.release(conn);
    this.service(conn);
  }

  /** The attacker's frame enters the path at the middle (now) and goes on to the other host. */
  inject(f: Forgery): void {
    const sender = f.from === 'client' ? this.client : this.server;
    const target = f.from === 'client' ? this.server : this.client;
    const seg: Segment = {
      srcPort: f.srcPort,
      dstPort: f.dstPort,
      seq: f.seq >>> 0,
      ack: (f.ack ?? 0) >>> 0,
      flags: tcpFlags(f.flags),
      window: f.window ?? 0,
      options: f.options ?? {},
      payload: f.payload ?? new Uint8Array(0),
    };
    const srcIp = f.srcIp ?? sender.ip;
    const data = this.frame(sender, target, seg, f.ttl ?? sender.ttl, this.random() & 0xffff, srcIp);
    const half = Math.floor(this.link.config.latencyUs / 2);
    const arriveAt = this.now + (this.link.config.latencyUs - half);
    const spoof = srcIp === sender.ip ? undefined : this.spoofedSource(srcIp, seg, target);
    spoof?.peer.sent(this.now, seg);
    const wire: WireCopy = { sentAt: this.now, from: 'attacker', sender: spoof?.id, arriveAt };
    this.taps.mid.push({ at: this.now, data, wire });
    this.scheduler.schedule(arriveAt, {
      kind: 'arrive',
      to: target,
      srcIp,
      seg,
      data,
      tap: target === this.client ? 'client' : 'server',
      wire,
    });
  }

  /** The spoofed source `ip` at `seg`'s source port, talking to `target` (made on first use). */
  private spoofedSource(ip: string, seg: Segment, target: Host): SpoofedSource {
    const key = `${ip} ${seg.srcPort} ${seg.dstPort}`;
    let s = this.spoofedByKey.get(key);
    if (!s) {
      s = {
        id: this.newConnectionId(),
        local: { ip, port: seg.srcPort },
        remote: { ip: target.ip, port: seg.dstPort },
        peer: new ScriptPeer(false, this.now),
      };
      this.spoofedByKey.set(key, s);
      this.spoofed.push(s);
    }
    return s;
  }

  /** A scripted host (packetdrill's peer) sends `seg` now, through the path like any segment. */
  emit(side: 'client' | 'server', seg: Segment): void {
    this.transmit(side === 'client' ? this.client : this.server, seg, this.scriptedPeerId);
  }

  /** A new lab-wide connection id (for a scripted peer's pseudo-endpoint). */
  newConnectionId(): number {
    return ++this.connectionCount;
  }

  /** Processes every event due at or before `at` (µs), then sets the clock to `at`. */
  advanceTo(at: number, afterEach?: () => void): void {
    for (;;) {
      let earliest = Number.MAX_SAFE_INTEGER;
      for (const e of this.scheduler.pending()) if (e.at < earliest) earliest = e.at;
      if (earliest > at) break;
      const ev = this.scheduler.next()!;
      this.dispatch(ev.at, ev.item);
      afterEach?.();
    }
    if (this.scheduler.now < at) this.scheduler.now = at;
  }

  /** When the next event is due (µs), or undefined when nothing is pending but stale timers. */
  nextEventAt(): number | undefined {
    let earliest: number | undefined;
    for (const e of this.scheduler.pending()) {
      if (e.item.kind === 'timer' && e.item.conn.endpoint.pollTimeout() === undefined) continue;
      if (earliest === undefined || e.at < earliest) earliest = e.at;
    }
    return earliest;
  }

  // ---------------------------------------------------------------- the event loop

  /** Runs until quiescent (only TIME_WAIT timers left) or a limit. Returns the end time (µs). */
  run(limits: RunLimits = {}): number {
    const maxTime = limits.maxTimeUs ?? 7_200_000_000;
    const maxSteps = limits.maxSteps ?? 1_000_000;
    for (let step = 0; ; step++) {
      if (step >= maxSteps) throw new Error(`lab: no quiescence after ${maxSteps} events (livelock?)`);
      if (this.quiescent()) break;
      const pending = this.scheduler.pending();
      let earliest = Number.MAX_SAFE_INTEGER;
      for (const e of pending) if (e.at < earliest) earliest = e.at;
      if (earliest > maxTime) break;
      const ev = this.scheduler.next()!;
      this.dispatch(ev.at, ev.item);
    }
    return this.now;
  }

  private quiescent(): boolean {
    for (const e of this.scheduler.pending()) {
      const item = e.item;
      if (item.kind !== 'timer') return false;
      // A timer event is stale once its endpoint has no timer left; TIME_WAIT's does not count.
      if (item.conn.endpoint.pollTimeout() === undefined) continue;
      if (item.conn.endpoint.state !== TcpState.TIME_WAIT) return false;
    }
    return true;
  }

  private dispatch(now: number, ev: LabEvent): void {
    switch (ev.kind) {
      case 'app':
        ev.run(this);
        break;
      case 'mid':
        this.taps.mid.push({ at: now, data: ev.data, wire: ev.wire });
        break;
      case 'arrive': {
        this.taps[ev.tap].push({ at: now, data: ev.data, wire: ev.wire });
        // Dropped at the receiver's NIC, after its tap (a link rule `at-receiver`).
        if (ev.wire.dropped) break;
        this.onArrive?.(ev.to, ev.seg, now);
        const drops = ev.to.synQueueDrops;
        const conn = ev.to.receive(now, ev.srcIp, ev.seg);
        ev.wire.receiver = ev.to.config.scripted ? this.scriptedPeerId : conn?.id;
        if (ev.to.synQueueDrops > drops) ev.wire.dropped = true;
        if (conn) this.service(conn);
        this.flushStack(ev.to);
        break;
      }
      case 'timer': {
        const conn = ev.conn;
        if (conn.timerAt === now) conn.timerAt = -1;
        const t = conn.endpoint.pollTimeout();
        if (t !== undefined && t <= now) {
          conn.endpoint.handleTimeout(now);
          conn.host.release(conn);
        }
        this.service(conn);
        break;
      }
    }
  }

  /** Sends what an endpoint produced and keeps its timer scheduled. */
  private service(conn: Connection): void {
    const ep = conn.endpoint;
    for (let seg = ep.pollTransmit(); seg; seg = ep.pollTransmit())
      this.transmit(conn.host, seg, conn.id, conn.remote.ip);
    for (let ev = ep.pollEvent(); ev; ev = ep.pollEvent()) conn.changes.push(ev);
    const t = ep.pollTimeout();
    if (t !== undefined && (conn.timerAt < 0 || t < conn.timerAt)) {
      conn.timerAt = t;
      this.scheduler.schedule(t, { kind: 'timer', conn });
    }
  }

  private flushStack(host: Host): void {
    while (host.stackOut.length) {
      const out = host.stackOut.shift()!;
      this.transmit(host, out.seg, undefined, out.to);
    }
  }

  /**
   * A host puts a segment on the path: its own tap now, the middle and the far end later. A
   * segment to an address the far host does not have (a spoofed source) leaves by the middle.
   */
  private transmit(from: Host, seg: Segment, sender?: number, dstIp?: string): void {
    const to = from === this.client ? this.server : this.client;
    const dir: Direction = from === this.client ? 'c2s' : 's2c';
    const elsewhere = dstIp !== undefined && dstIp !== to.ip;
    const data = this.frame(from, to, seg, from.ttl, from.nextIpId(), from.ip, dstIp);
    this.onTransmit?.(from, seg, this.now);
    const copies = this.link.route(this.now, dir, seg);
    copies.forEach((copy, i) => {
      const side = dir === 'c2s' ? 'client' : 'server';
      if (elsewhere) copy.arriveAt = undefined;
      const wire: WireCopy = { sentAt: this.now, from: side, sender, arriveAt: copy.arriveAt };
      if (copy.droppedAtReceiver) wire.dropped = true;
      // The sender's own tap sees the segment once, as it leaves (the first copy).
      if (i === 0 && !copy.droppedAtSender) this.taps[side].push({ at: this.now, data, wire });
      if (copy.midAt !== undefined) this.scheduler.schedule(copy.midAt, { kind: 'mid', data, wire });
      if (copy.arriveAt !== undefined) {
        this.scheduler.schedule(copy.arriveAt, {
          kind: 'arrive',
          to,
          srcIp: from.ip,
          seg,
          data,
          tap: dir === 'c2s' ? 'server' : 'client',
          wire,
        });
      }
    });
  }

  private frame(
    from: Host,
    to: Host,
    seg: Segment,
    ttl: number,
    ipId: number,
    srcIp = from.ip,
    dstIp = to.ip,
  ): Uint8Array {
    const header: FrameSpec = {
      srcMac: from.mac,
      dstMac: to.mac,
      src: srcIp,
      dst: dstIp,
      ttl,
      ipId,
      srcPort: seg.srcPort,
      dstPort: seg.dstPort,
      seq: seg.seq,
      ack: seg.ack,
      flags: seg.flags,
      window: seg.window,
      payload: seg.payload,
    };
    // A packetdrill segment carries its options as written; the endpoint's as fields.
    if (seg.rawOptions) return buildFrame({ ...header, rawOptions: seg.rawOptions });
    const o = seg.options;
    return buildFrame({
      ...header,
      mss: o.mss,
      wscale: o.wscale,
      sackPermitted: o.sackOk,
      timestamp: o.ts,
      sack: o.sack,
      rawOptions: o.fastOpen ? fastOpenOption(o.fastOpen) : undefined,
    });
  }
}

/**
 * The Fast Open option as Linux writes it after the others (tcp_options_write): kind 34, length,
 * the cookie, then two NOPs when the length leaves the option 2 bytes short of a 32-bit word.
 */
function fastOpenOption(cookie: Uint8Array): number[] {
  const len = 2 + cookie.length;
  return [34, len, ...cookie, ...((len & 3) === 2 ? [1, 1] : [])];
}
