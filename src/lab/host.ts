// A lab host: an address (IPv4 or IPv6), the TCP endpoints it owns (one per connection, found by
// 4-tuple), the ports it listens on, and its ephemeral port range. It demultiplexes arriving
// segments as a stack does (RFC 9293 §3.10.7): to the connection's endpoint; a SYN to a listening
// port to a new endpoint opened passively; anything else to the CLOSED-port reset.

import type { EndpointConfig } from '../tcp/config.js';
import { Disposition, type StateChange, TcpEndpoint } from '../tcp/endpoint.js';
import type { RandomSource } from '../tcp/random.js';
import { resetFor, type Segment } from '../tcp/segment.js';
import { TcpState } from '../tcp/state.js';
import { ACK, RST, SYN } from '../wire/packet.js';

export interface HostConfig {
  name: string;
  ip: string;
  mac?: string;
  /** Endpoint settings for every connection of this host (Linux defaults otherwise). */
  tcp?: Partial<Omit<EndpointConfig, 'random' | 'localPort'>>;
  /** The application reads everything as soon as it arrives (default true). */
  autoRead?: boolean;
  /** IPv4 TTL / IPv6 hop limit of its frames (Linux: 64). */
  ttl?: number;
  /** Ephemeral port range (Linux ip_local_port_range: 32768–60999). */
  ephemeral?: [number, number];
  /**
   * A packetdrill script speaks for this host: it has no TCP stack (no endpoints, no resets);
   * what it sends is injected, what reaches it is only recorded.
   */
  scripted?: boolean;
}

/** Per-socket endpoint settings (setsockopt before listen or connect). */
export type SocketTcp = Partial<Omit<EndpointConfig, 'random' | 'localPort'>>;

export interface Address {
  ip: string;
  port: number;
}

/** One endpoint of one connection, with where it lives. */
export interface Connection {
  /** Lab-wide number, in creation order. */
  id: number;
  host: Host;
  endpoint: TcpEndpoint;
  local: Address;
  remote: Address;
  passive: boolean;
  /** The deadline of the timer event scheduled for it (-1: none). */
  timerAt: number;
  /** Every state change, as the endpoint reported it (history[i + 1] is changes[i]). */
  changes: StateChange[];
}

export class Host {
  readonly name: string;
  readonly ip: string;
  readonly mac: string;
  readonly ttl: number;
  readonly autoRead: boolean;
  /** Every connection this host ever had, in creation order. */
  readonly connections: Connection[] = [];
  private readonly active = new Map<string, Connection>();
  private readonly listening = new Map<number, SocketTcp>();
  private readonly ephemeral: [number, number];
  private nextPort: number;
  /** IPv4 identification counter (Linux: per socket; one per host is enough here). */
  private ipId: number;
  /** RFC 6528's secret key for ISNs, and the timestamp offset (Linux: per address pair). */
  private readonly secret: number;
  private readonly tsOffset: number;
  /** Segments the stack itself sends (resets for closed ports), with their destination. */
  readonly stackOut: { seg: Segment; to: string }[] = [];

  constructor(
    readonly config: HostConfig,
    private readonly random: RandomSource,
    private readonly newId: () => number,
  ) {
    this.name = config.name;
    this.ip = config.ip;
    this.mac = config.mac ?? '02:00:00:00:00:01';
    this.ttl = config.ttl ?? 64;
    this.autoRead = config.autoRead ?? true;
    this.ephemeral = config.ephemeral ?? [32768, 60999];
    const span = this.ephemeral[1] - this.ephemeral[0] + 1;
    this.nextPort = this.ephemeral[0] + (random() % span);
    this.ipId = random() & 0xffff;
    this.secret = random();
    this.tsOffset = random();
  }

  nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /** Passive open on `port`; `tcp` overrides the host's settings for connections it accepts. */
  listen(port: number, tcp: SocketTcp = {}): void {
    this.listening.set(port, tcp);
  }

  /** The listening socket is closed: new SYNs to the port are reset. */
  unlisten(port: number): void {
    this.listening.delete(port);
  }

  /** Active open from `localPort` (or a free ephemeral port). Undefined when no port is free (EADDRNOTAVAIL). */
  connect(now: number, remote: Address, localPort?: number, tcp: SocketTcp = {}): Connection | undefined {
    const port = localPort ?? this.freePort(remote);
    if (port === undefined || this.active.has(key(port, remote))) return undefined;
    const conn = this.newConnection(now, port, remote, false, tcp);
    conn.endpoint.connect(now, remote.port);
    return conn;
  }

  /** Connections still holding their 4-tuple (not CLOSED, not back in LISTEN). */
  find(localPort: number, remote: Address): Connection | undefined {
    return this.active.get(key(localPort, remote));
  }

  /**
   * A segment arrives from `srcIp`. Returns the connection that consumed it (the caller drains
   * its output), or undefined when the stack answered (stackOut) or dropped it.
   */
  receive(now: number, srcIp: string, seg: Segment): Connection | undefined {
    if (this.config.scripted) return undefined;
    const remote = { ip: srcIp, port: seg.srcPort };
    const existing = this.active.get(key(seg.dstPort, remote));
    if (existing) {
      const disposition = existing.endpoint.handleSegment(now, seg);
      if (this.autoRead) existing.endpoint.read(now);
      this.release(existing);
      if (disposition !== Disposition.REUSE) return existing;
      // TIME_WAIT stepped aside: the SYN goes on to the listener below (RFC 6191).
    }
    if (this.listening.has(seg.dstPort)) {
      // §3.10.7.2: a RST is ignored, an ACK is reset, a SYN opens a new endpoint, the rest dropped.
      if (seg.flags & RST) return undefined;
      if (seg.flags & ACK) {
        this.stackOut.push({ seg: resetFor(seg)!, to: srcIp });
        return undefined;
      }
      if (!(seg.flags & SYN)) return undefined;
      const conn = this.newConnection(now, seg.dstPort, remote, true, this.listening.get(seg.dstPort));
      conn.endpoint.listen(now);
      conn.endpoint.handleSegment(now, seg);
      this.release(conn);
      return conn;
    }
    const rst = resetFor(seg);
    if (rst) this.stackOut.push({ seg: rst, to: srcIp });
    return undefined;
  }

  /** Frees the 4-tuple of a connection that is over (CLOSED, or a passive one back in LISTEN). */
  release(conn: Connection): void {
    const s = conn.endpoint.state;
    if (s === TcpState.CLOSED || (s === TcpState.LISTEN && conn.passive)) {
      const k = key(conn.local.port, conn.remote);
      if (this.active.get(k) === conn) this.active.delete(k);
    }
  }

  private newConnection(
    now: number,
    port: number,
    remote: Address,
    passive: boolean,
    tcp: SocketTcp = {},
  ): Connection {
    // RFC 9293 §3.4.1 / RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock.
    const tuple = `${this.ip} ${port} ${remote.ip} ${remote.port}`;
    const issFor = (at: number) => (fnv1a(this.secret, tuple) + Math.floor(at / 4)) >>> 0;
    const endpoint = new TcpEndpoint(
      { ...this.config.tcp, ...tcp, random: this.random, localPort: port, issFor, tsOffset: this.tsOffset },
      now,
    );
    const conn: Connection = {
      id: this.newId(),
      host: this,
      endpoint,
      local: { ip: this.ip, port },
      remote,
      passive,
      timerAt: -1,
      changes: [],
    };
    this.connections.push(conn);
    this.active.set(key(port, remote), conn);
    return conn;
  }

  /** The next ephemeral port with no live connection to `remote` (Linux lets one port serve several destinations). */
  private freePort(remote: Address): number | undefined {
    const [lo, hi] = this.ephemeral;
    const span = hi - lo + 1;
    for (let i = 0; i < span; i++) {
      const port = lo + ((this.nextPort - lo + i) % span);
      if (!this.active.has(key(port, remote)) && !this.listening.has(port)) {
        this.nextPort = lo + ((port - lo + 1) % span);
        return port;
      }
    }
    return undefined;
  }
}

/** FNV-1a over a string, seeded (a keyed hash good enough for a simulation's F()). */
function fnv1a(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function key(localPort: number, remote: Address): string {
  return `${localPort} ${remote.ip} ${remote.port}`;
}
