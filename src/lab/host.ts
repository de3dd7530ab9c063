// A lab host: an address (IPv4 or IPv6), the TCP endpoints it owns (one per connection, found by
// 4-tuple), the ports it listens on, and its ephemeral port range. It demultiplexes arriving
// segments as a stack does (RFC 9293 §3.10.7): to the connection's endpoint; a SYN to a listening
// port to a new endpoint opened passively; anything else to the CLOSED-port reset. A listener's
// SYN queue is bounded as Linux bounds it (tcp_conn_request): once it holds more half-open
// connections than the listen() backlog (capped by net.core.somaxconn), a SYN is dropped, or
// answered with a SYN cookie when net.ipv4.tcp_syncookies is on (syn-cookie.ts, RFC 4987 §3.6);
// without cookies the last quarter of tcp_max_syn_backlog is kept for peers proven alive. Its
// accept queue too (a listener whose application does not accept): once it holds more
// established connections than the backlog, new SYNs are dropped and the ACK that would complete
// a handshake is dropped (the request stays in SYN_RECEIVED and resends its SYN+ACK), or answered
// with a RST when net.ipv4.tcp_abort_on_overflow is 1 (tcp_conn_request, tcp_check_req).

import type { EndpointConfig } from '../tcp/config.js';
import { Disposition, type StateChange, TcpEndpoint } from '../tcp/endpoint.js';
import type { RandomSource } from '../tcp/random.js';
import { resetFor, type Segment } from '../tcp/segment.js';
import { seqAdd } from '../tcp/seq.js';
import { TcpState } from '../tcp/state.js';
import { ACK, RST, SYN } from '../wire/packet.js';
import { keyedHash } from './keyed-hash.js';
import { checkCookie, cookieIsn, cookieTsOptions, cookieTsval } from './syn-cookie.js';

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
  /** net.ipv4.tcp_syncookies: 0 off, 1 when a SYN queue is full (Linux's default), 2 always. */
  syncookies?: 0 | 1 | 2;
  /** net.ipv4.tcp_max_syn_backlog (Linux: 128 and up with memory; 1024 here). */
  maxSynBacklog?: number;
  /** net.core.somaxconn: the cap on every listen() backlog (Linux 5.4+: 4096). */
  somaxconn?: number;
  /** net.ipv4.tcp_abort_on_overflow: 1 resets the handshake a full accept queue cannot take (default 0). */
  abortOnOverflow?: 0 | 1;
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
  /** A passive connection its application has not accept()ed yet (it counts in the accept queue once established). */
  unaccepted?: boolean;
}

/** A listening socket: per-socket settings, listen()'s backlog, and whether its application accepts at once. */
interface Listener {
  tcp: SocketTcp;
  backlog: number;
  autoAccept: boolean;
  /** setsockopt(TCP_FASTOPEN) with net.ipv4.tcp_fastopen's server bit: Fast Open SYNs are served. */
  fastOpen: boolean;
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
  private readonly listening = new Map<number, Listener>();
  /** The host's SYN-queue sysctls (`sysctl` in a scenario changes them while it runs). */
  syncookies: 0 | 1 | 2;
  maxSynBacklog: number;
  somaxconn: number;
  abortOnOverflow: 0 | 1;
  /** When a listener last overflowed (µs): cookies are checked for 2 minutes after (tcp_synq_no_recent_overflow). */
  private lastOverflow = Number.NEGATIVE_INFINITY;
  /** SYNs dropped because a SYN or accept queue was full (no cookie), and handshake ACKs a full accept queue dropped. */
  synQueueDrops = 0;
  /** Why a SYN was dropped or answered statelessly, for the lab's notes. */
  readonly synQueueNotes: { at: number; text: string }[] = [];
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
    this.syncookies = config.syncookies ?? 1;
    this.maxSynBacklog = config.maxSynBacklog ?? 1024;
    this.somaxconn = config.somaxconn ?? 4096;
    this.abortOnOverflow = config.abortOnOverflow ?? 0;
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

  /**
   * Passive open on `port`; `tcp` overrides the host's settings for connections it accepts;
   * `backlog` is listen()'s (capped by somaxconn; Linux's SOMAXCONN when not given);
   * `autoAccept` false: the application does not call accept() until `accept(port)`.
   */
  listen(port: number, tcp: SocketTcp = {}, backlog = 4096, autoAccept = true, fastOpen = false): void {
    this.listening.set(port, { tcp, backlog, autoAccept, fastOpen });
  }

  /** Fast Open cookies this host got from servers, by server address (Linux's tcp_fastopen cache). */
  private readonly fastOpenCache = new Map<string, Uint8Array>();

  /** The Fast Open cookie this host, as a server, gives `clientIp` (RFC 7413 §4.1.2: a MAC of the address). */
  private fastOpenCookieFor(clientIp: string): Uint8Array {
    const a = keyedHash(this.secret, `tfo ${clientIp}`);
    const b = keyedHash(this.secret, `tfo2 ${clientIp}`);
    return new Uint8Array([
      a >>> 24,
      (a >>> 16) & 255,
      (a >>> 8) & 255,
      a & 255,
      b >>> 24,
      (b >>> 16) & 255,
      (b >>> 8) & 255,
      b & 255,
    ]);
  }

  /** The application accept()s every connection queued on `port`, and each new one from now on. */
  accept(port: number): number {
    const listener = this.listening.get(port);
    if (listener) listener.autoAccept = true;
    const n = this.acceptQueueLength(port);
    for (const c of this.connections) if (c.local.port === port) c.unaccepted = false;
    return n;
  }

  /** Established connections on `port` waiting for accept() (Linux's sk_ack_backlog). */
  acceptQueueLength(port: number): number {
    let n = 0;
    for (const c of this.active.values()) {
      const s = c.endpoint.state;
      if (c.unaccepted && c.local.port === port && s !== TcpState.SYN_RECEIVED && s !== TcpState.LISTEN) n++;
    }
    return n;
  }

  /** sk_acceptq_is_full: more queued connections than the backlog (capped by somaxconn). */
  private acceptQueueFull(port: number, listener: Listener): boolean {
    return this.acceptQueueLength(port) > Math.min(listener.backlog, this.somaxconn);
  }

  /** The listening socket is closed: new SYNs to the port are reset. */
  unlisten(port: number): void {
    this.listening.delete(port);
  }

  /** Active open from `localPort` (or a free ephemeral port). Undefined when no port is free (EADDRNOTAVAIL). */
  connect(
    now: number,
    remote: Address,
    localPort?: number,
    tcp: SocketTcp = {},
    fastOpenData?: Uint8Array,
  ): Connection | undefined {
    const port = localPort ?? this.freePort(remote);
    if (port === undefined || this.active.has(key(port, remote))) return undefined;
    const conn = this.newConnection(now, port, remote, false, tcp);
    const fastOpen = fastOpenData && { cookie: this.fastOpenCache.get(remote.ip), data: fastOpenData };
    conn.endpoint.connect(now, remote.port, fastOpen);
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
    if (existing && this.completesIntoFullQueue(existing, seg)) {
      const port = seg.dstPort;
      const limit = Math.min(this.listening.get(port)!.backlog, this.somaxconn);
      const what = `${this.name}: handshake ACK from ${remote.ip}:${remote.port}`;
      const why = `port ${port}'s accept queue is full (${this.acceptQueueLength(port)} > backlog ${limit})`;
      if (this.abortOnOverflow === 0) {
        // The request stays in SYN_RECEIVED, marked acked: its SYN+ACK timer goes on.
        this.synQueueNotes.push({ at: now, text: `${what} dropped: ${why}` });
        this.synQueueDrops++;
        return undefined;
      }
      // embryonic_reset: a RST formed from the ACK (seq = SEG.ACK), and the request is gone.
      this.synQueueNotes.push({
        at: now,
        text: `${what} answered with RST: ${why} and tcp_abort_on_overflow is 1`,
      });
      this.stackOut.push({ seg: resetFor(seg)!, to: srcIp });
      existing.endpoint.abort(now);
      while (existing.endpoint.pollTransmit());
      this.release(existing);
      return existing;
    }
    if (existing) {
      const disposition = existing.endpoint.handleSegment(now, seg);
      const cookie = existing.endpoint.fastOpenReceived;
      if (cookie) this.fastOpenCache.set(remote.ip, cookie);
      if (this.autoRead) existing.endpoint.read(now);
      this.release(existing);
      if (disposition !== Disposition.REUSE) return existing;
      // TIME_WAIT stepped aside: the SYN goes on to the listener below (RFC 6191).
    }
    const listener = this.listening.get(seg.dstPort);
    if (listener) {
      // §3.10.7.2: a RST is ignored, an ACK is reset, a SYN opens a new endpoint, the rest dropped.
      if (seg.flags & RST) return undefined;
      if (seg.flags & ACK) {
        if (!(seg.flags & SYN)) {
          const cookie = this.cookieConnection(now, remote, seg, listener);
          if (cookie === 'dropped') return undefined;
          if (cookie) return cookie;
        }
        this.stackOut.push({ seg: resetFor(seg)!, to: srcIp });
        return undefined;
      }
      if (!(seg.flags & SYN)) return undefined;
      if (!this.synQueueAdmits(now, seg, remote, listener)) return undefined;
      const conn = this.newConnection(now, seg.dstPort, remote, true, listener.tcp);
      if (!listener.autoAccept) conn.unaccepted = true;
      conn.endpoint.listen(now);
      const asked = seg.options.fastOpen;
      if (listener.fastOpen && asked) {
        // tcp_try_fastopen: a valid cookie takes the SYN's data at once; a request or a wrong
        // cookie is answered with the right one (the data, if any, is not acknowledged).
        const cookie = this.fastOpenCookieFor(remote.ip);
        if (asked.length > 0 && asked.every((b, i) => b === cookie[i]) && asked.length === cookie.length)
          conn.endpoint.fastOpenAcceptData = true;
        else conn.endpoint.fastOpenCookie = cookie;
      }
      conn.endpoint.handleSegment(now, seg);
      this.release(conn);
      return conn;
    }
    const rst = resetFor(seg);
    if (rst) this.stackOut.push({ seg: rst, to: srcIp });
    return undefined;
  }

  /**
   * tcp_check_req: the acceptable ACK (no SYN, no RST) that would move a request socket into a
   * full accept queue.
   */
  private completesIntoFullQueue(conn: Connection, seg: Segment): boolean {
    if (!conn.passive || conn.endpoint.state !== TcpState.SYN_RECEIVED) return false;
    if (!(seg.flags & ACK) || seg.flags & (SYN | RST) || seg.ack !== seqAdd(conn.endpoint.iss, 1))
      return false;
    const listener = this.listening.get(conn.local.port);
    return listener !== undefined && this.acceptQueueFull(conn.local.port, listener);
  }

  /** Half-open connections (SYN_RECEIVED, opened by a SYN) waiting on a listening port. */
  synQueueLength(port: number): number {
    let n = 0;
    for (const c of this.active.values())
      if (c.passive && c.local.port === port && c.endpoint.state === TcpState.SYN_RECEIVED) n++;
    return n;
  }

  /**
   * Linux tcp_conn_request: whether a SYN to a listener gets a request socket (true); otherwise
   * it is dropped, or answered with a cookie SYN+ACK put on stackOut.
   */
  private synQueueAdmits(now: number, syn: Segment, remote: Address, listener: Listener): boolean {
    const qlen = this.synQueueLength(syn.dstPort);
    const limit = Math.min(listener.backlog, this.somaxconn);
    // inet_csk_reqsk_queue_is_full (6.x): more request sockets than the backlog.
    const full = qlen > limit;
    if (full) this.lastOverflow = now;
    if ((full || this.syncookies === 2) && this.syncookies === 0) {
      this.synQueueNotes.push({
        at: now,
        text: `${this.name}: SYN from ${remote.ip}:${remote.port} dropped: port ${syn.dstPort}'s SYN queue is full (${qlen} > backlog ${limit}) and tcp_syncookies is 0`,
      });
      this.synQueueDrops++;
      return false;
    }
    // sk_acceptq_is_full: no SYN is answered, not even with a cookie (LINUX_MIB_LISTENOVERFLOWS).
    const accepted = this.acceptQueueLength(syn.dstPort);
    if (accepted > limit) {
      this.synQueueNotes.push({
        at: now,
        text: `${this.name}: SYN from ${remote.ip}:${remote.port} dropped: port ${syn.dstPort}'s accept queue is full (${accepted} > backlog ${limit})`,
      });
      this.synQueueDrops++;
      return false;
    }
    if (full || this.syncookies === 2) {
      this.stackOut.push({ seg: this.cookieSynAck(now, syn, remote, listener.tcp), to: remote.ip });
      this.synQueueNotes.push({
        at: now,
        text: `${this.name}: SYN from ${remote.ip}:${remote.port} answered with a SYN cookie (port ${syn.dstPort}'s SYN queue holds ${qlen}, backlog ${limit})`,
      });
      return false;
    }
    // Without cookies the last quarter of tcp_max_syn_backlog is for peers proven alive.
    if (this.syncookies === 0 && this.maxSynBacklog - qlen < this.maxSynBacklog >> 2) {
      this.synQueueNotes.push({
        at: now,
        text: `${this.name}: SYN from ${remote.ip}:${remote.port} dropped: ${qlen} half-open connections leave less than a quarter of tcp_max_syn_backlog (${this.maxSynBacklog})`,
      });
      this.synQueueDrops++;
      return false;
    }
    return true;
  }

  /** The stateless SYN+ACK: what a new passive endpoint would answer, its ISN the cookie. */
  private cookieSynAck(now: number, syn: Segment, remote: Address, tcp: SocketTcp): Segment {
    const tuple = this.tupleText(syn.dstPort, remote);
    const iss = cookieIsn(this.secret, tuple, syn.seq, now, syn.options.mss ?? 536);
    const probe = new TcpEndpoint(
      {
        ...this.config.tcp,
        ...tcp,
        random: this.random,
        localPort: syn.dstPort,
        issFor: () => iss,
        tsOffset: this.tsOffset,
      },
      now,
    );
    probe.listen(now);
    probe.handleSegment(now, syn);
    const synAck = probe.pollTransmit()!;
    const o = synAck.options;
    if (o.ts) o.ts = [cookieTsval(o.ts[0], syn.options.wscale, syn.options.sackOk === true), o.ts[1]];
    // Without timestamps there is nowhere to keep them: Linux offers neither (tcp_clear_options).
    else synAck.options = { mss: o.mss };
    return synAck;
  }

  /**
   * An ACK reaching a listener with no connection: when it returns one of our cookies (made
   * within 2 minutes of an overflow), the connection is created from it, ESTABLISHED by this ACK
   * (cookie_v4_check, tcp_get_cookie_sock).
   */
  private cookieConnection(
    now: number,
    remote: Address,
    ack: Segment,
    listener: Listener,
  ): Connection | 'dropped' | undefined {
    const tcp = listener.tcp;
    if (this.syncookies === 0) return undefined;
    if (this.syncookies !== 2 && now - this.lastOverflow > 120_000_000) return undefined;
    const cookie = seqAdd(ack.ack, -1);
    const peerIsn = seqAdd(ack.seq, -1);
    const mss = checkCookie(this.secret, this.tupleText(ack.dstPort, remote), cookie, peerIsn, now);
    if (mss === undefined) return undefined;
    const ts = ack.options.ts;
    const peer = ts ? cookieTsOptions(ts[1]) : { wscale: undefined, sackOk: false };
    // tcp_get_cookie_sock: a full accept queue takes no cookie connection either (the ACK is dropped).
    if (this.acceptQueueFull(ack.dstPort, listener)) {
      this.synQueueDrops++;
      return 'dropped';
    }
    const conn = this.newConnection(now, ack.dstPort, remote, true, tcp, cookie);
    if (!listener.autoAccept) conn.unaccepted = true;
    conn.endpoint.listen(now);
    // The SYN the cookie stands for, then the ACK: SYN_RECEIVED and ESTABLISHED at this instant.
    conn.endpoint.handleSegment(now, {
      srcPort: ack.srcPort,
      dstPort: ack.dstPort,
      seq: peerIsn,
      ack: 0,
      flags: SYN,
      window: ack.window,
      options: { mss, wscale: peer.wscale, sackOk: peer.sackOk, ts: ts ? [ts[0], 0] : undefined },
      payload: new Uint8Array(0),
    });
    // Its SYN+ACK left long ago, statelessly: not again.
    while (conn.endpoint.pollTransmit());
    conn.endpoint.handleSegment(now, ack);
    if (this.autoRead) conn.endpoint.read(now);
    this.release(conn);
    return conn;
  }

  private tupleText(localPort: number, remote: Address): string {
    return `${this.ip} ${localPort} ${remote.ip} ${remote.port}`;
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
    cookieIss?: number,
  ): Connection {
    // RFC 9293 §3.4.1 / RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock (or the cookie).
    const tuple = this.tupleText(port, remote);
    const issFor = (at: number) => cookieIss ?? (keyedHash(this.secret, tuple) + Math.floor(at / 4)) >>> 0;
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

function key(localPort: number, remote: Address): string {
  return `${localPort} ${remote.ip} ${remote.port}`;
}
