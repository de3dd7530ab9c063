// The lab's scenario format (docs/lab-scenarios.md): plain data — hosts, the link and its fault
// rules, and a timeline of application actions and forgeries, every time in milliseconds — and
// the runner that plays one on a Network to quiescence and returns the captures (pcap bytes
// through src/wire/pcap-writer.ts) and the endpoints' true state sequences. Pure: no I/O.

import type { EndpointConfig, StackPersonality } from '../tcp/config.js';
import { type StateName, stateName } from '../tcp/state.js';
import { pcapBytes } from '../wire/pcap-writer.js';
import type { Address, Connection } from './host.js';
import type { LinkConfig, LinkRule, SegmentKind } from './link.js';
import { type CapturedFrame, Network, TAP_NAMES, type TapName } from './network.js';

export type Side = 'client' | 'server';

export interface ScenarioHost {
  /** Default 10.0.0.1 (client), 10.0.0.2 (server). IPv6 when it has a ':'. */
  ip?: string;
  /** Endpoint settings (times in µs, as EndpointConfig). */
  tcp?: Partial<Omit<EndpointConfig, 'random' | 'localPort' | 'issFor'>>;
  /** The application reads data as it arrives (default true). */
  autoRead?: boolean;
  ttl?: number;
  ephemeral?: [number, number];
  /** net.ipv4.tcp_syncookies (default 1), net.ipv4.tcp_max_syn_backlog, net.core.somaxconn. */
  syncookies?: 0 | 1 | 2;
  maxSynBacklog?: number;
  somaxconn?: number;
  /** net.ipv4.tcp_abort_on_overflow (default 0). */
  abortOnOverflow?: 0 | 1;
}

export interface ScenarioRule {
  match?: SegmentKind | SegmentKind[];
  dir?: 'c2s' | 's2c' | 'any';
  nth?: number;
  count?: number;
  probability?: number;
  action: 'drop' | 'duplicate' | 'delay';
  /** ms */
  delay?: number;
  where?: 'at-sender' | 'before-mid' | 'after-mid' | 'at-receiver';
  /** Only segments sent in [after, before) ms. */
  after?: number;
  before?: number;
}

export interface ScenarioLink {
  /** One-way latency, ms (default 10). */
  latency?: number;
  /** ms */
  jitter?: number;
  reorder?: boolean;
  loss?: number;
  duplicate?: number;
  rules?: ScenarioRule[];
}

/** A sequence number: a constant, or a field of a connection's endpoint plus an offset. */
export type SeqRef =
  | number
  | { side: Side; field: 'rcvNxt' | 'sndNxt' | 'sndUna' | 'iss' | 'irs' | 'rcvWndEnd'; plus?: number };

interface ActionTiming {
  /** ms from the start. */
  at: number;
  /** Repeat `count` times, `every` ms apart; `{n}` in a conn label becomes 1, 2, 3… */
  repeat?: { count: number; every: number };
}

export type ScenarioAction = ActionTiming &
  (
    | {
        do: 'listen';
        port: number;
        side?: Side;
        backlog?: number;
        /** false: the application does not accept() until an `accept` action (its accept queue fills). */
        accept?: boolean;
        /** TCP Fast Open served on this port (net.ipv4.tcp_fastopen=3, setsockopt TCP_FASTOPEN). */
        fastOpen?: boolean;
      }
    | { do: 'accept'; port: number; side?: Side }
    | { do: 'sysctl'; side?: Side; name: HostSysctl; value: number }
    | {
        do: 'connect';
        conn: string;
        port: number;
        localPort?: number;
        side?: Side;
        /** TCP Fast Open: written with the connect (sendto(MSG_FASTOPEN)); in the SYN once a cookie is cached. */
        fastOpenData?: number | string;
      }
    | { do: 'send'; conn: string; side: Side; bytes: number | string }
    | { do: 'read' | 'shutdown' | 'close' | 'abort'; conn: string; side: Side }
    | {
        do: 'inject';
        /** The connection whose ports (and, for SeqRefs, endpoints) the forgery uses. */
        conn?: string;
        /** Whose side of the path the forged segment comes from (and whose address, unless srcIp). */
        from: Side;
        /** A source address no host has (a spoofed source); `{n}` as in conn labels. */
        srcIp?: string;
        flags: string;
        /** 'random': drawn from the run's PRNG (a flooder's ISNs). */
        seq: SeqRef | 'random';
        /** SYN options: MSS, window scale, SACK-permitted. */
        options?: { mss?: number; wscale?: number; sackOk?: boolean };
        ack?: SeqRef;
        ttl?: number;
        window?: number;
        bytes?: number | string;
        srcPort?: number;
        dstPort?: number;
      }
  );

/** The host sysctls a scenario may change while it runs (Host's SYN-queue settings). */
export const HOST_SYSCTLS = [
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_max_syn_backlog',
  'net.core.somaxconn',
  'net.ipv4.tcp_abort_on_overflow',
] as const;
export type HostSysctl = (typeof HOST_SYSCTLS)[number];

export interface Scenario {
  name: string;
  /** One line, for `synack lab list`. */
  description: string;
  /** Default PRNG seed (ISNs, jitter, probabilistic loss); --seed overrides. */
  seed?: number;
  client?: ScenarioHost;
  server?: ScenarioHost;
  link?: ScenarioLink;
  timeline: ScenarioAction[];
  /** The true state sequences a test expects, per connection label. */
  expect?: Record<string, { client?: StateName[]; server?: StateName[] }>;
}

/** One endpoint's truth. */
export interface TrueEndpoint {
  /** Lab connection id (creation order). */
  id: number;
  host: Side;
  /** The scenario's connection label, when it has one. */
  label?: string;
  local: Address;
  remote: Address;
  passive: boolean;
  /** Initial state (LISTEN for a passive opener, CLOSED for an active one) and every change. */
  states: StateName[];
  /** The same, with when each state was entered (µs since the start) and, for changes, why. */
  timeline: { at: number; state: StateName; rfc?: string; reason?: string }[];
}

export interface RunOptions {
  seed?: number;
  /** Seconds since the Unix epoch of the run's time 0 (default 2026-01-01T00:00:00Z). */
  epoch?: number;
  maxTimeUs?: number;
  /** Overrides both hosts' endpoint personality (`synack lab run --stack`). */
  stack?: StackPersonality;
}

export interface RunResult {
  scenario: string;
  seed: number;
  epoch: number;
  /** Virtual time at quiescence (µs). */
  endUs: number;
  endpoints: TrueEndpoint[];
  /** Each host's address. */
  hosts: Record<Side, string>;
  frames: Record<TapName, CapturedFrame[]>;
  notes: { at: number; text: string }[];
  /** The capture at a tap, as a pcap file (Ethernet, µs). */
  pcap(tap: TapName): Uint8Array;
  /** Truth for a labelled connection's side. */
  endpoint(label: string, side: Side): TrueEndpoint | undefined;
}

/** An endpoint's true state at `at` (µs), after every change up to and including that instant. */
export function stateAt(e: TrueEndpoint, at: number): StateName {
  let state = e.timeline[0].state;
  for (const t of e.timeline) {
    if (t.at > at) break;
    state = t.state;
  }
  return state;
}

/** 2026-01-01T00:00:00Z */
export const DEFAULT_EPOCH = 1767225600;

const TEXT = new TextEncoder();

function bytesOf(spec: number | string): Uint8Array {
  if (typeof spec === 'string') return TEXT.encode(spec);
  const out = new Uint8Array(spec);
  for (let i = 0; i < spec; i++) out[i] = 0x61 + (i % 26);
  return out;
}

const ms = (t: number) => Math.round(t * 1000);

function linkConfig(link: ScenarioLink = {}): Partial<LinkConfig> {
  const rules: LinkRule[] = (link.rules ?? []).map((r) => ({
    match: r.match,
    dir: r.dir,
    nth: r.nth,
    count: r.count,
    probability: r.probability,
    action: r.action,
    delayUs: r.delay === undefined ? undefined : ms(r.delay),
    where: r.where,
    afterUs: r.after === undefined ? undefined : ms(r.after),
    beforeUs: r.before === undefined ? undefined : ms(r.before),
  }));
  return {
    latencyUs: ms(link.latency ?? 10),
    jitterUs: ms(link.jitter ?? 0),
    reorder: link.reorder ?? false,
    lossProbability: link.loss ?? 0,
    duplicateProbability: link.duplicate ?? 0,
    rules,
  };
}

function withStack<T extends { tcp?: ScenarioHost['tcp'] }>(host: T, stack: StackPersonality | undefined): T {
  return stack === undefined ? host : { ...host, tcp: { ...host.tcp, stack } };
}

/** Plays a scenario to quiescence. Pure and deterministic for a given seed. */
export function runScenario(scenario: Scenario, options: RunOptions = {}): RunResult {
  const seed = options.seed ?? scenario.seed ?? 1;
  const epoch = options.epoch ?? DEFAULT_EPOCH;
  const net = new Network({
    seed,
    client: withStack({ name: 'client', ip: '10.0.0.1', ...scenario.client }, options.stack),
    server: withStack({ name: 'server', ip: '10.0.0.2', ...scenario.server }, options.stack),
    link: linkConfig(scenario.link),
  });
  const labels = new Map<string, Connection>();
  const labelOf = new Map<Connection, string>();

  const sideConn = (label: string, side: Side): Connection | undefined => {
    const conn = labels.get(label);
    if (!conn) return undefined;
    const host = side === 'client' ? net.client : net.server;
    return conn.host === host ? conn : net.peerOf(conn);
  };

  /** A SeqRef's value now, or undefined when its endpoint does not exist (yet). */
  const resolve = (ref: SeqRef, label: string | undefined): number | undefined => {
    if (typeof ref === 'number') return ref >>> 0;
    const conn = label === undefined ? undefined : sideConn(label, ref.side);
    if (!conn) return undefined;
    const ep = conn.endpoint;
    const base =
      ref.field === 'rcvWndEnd' ? ep.rcvNxt + Math.max(0, ep.config.rcvBufSize - ep.readable) : ep[ref.field];
    return (base + (ref.plus ?? 0)) >>> 0;
  };

  const perform = (action: ScenarioAction, n: number): void => {
    const label =
      'conn' in action && action.conn !== undefined ? action.conn.replaceAll('{n}', String(n)) : undefined;
    switch (action.do) {
      case 'listen':
        (action.side === 'client' ? net.client : net.server).listen(
          action.port,
          {},
          action.backlog,
          action.accept ?? true,
          action.fastOpen ?? false,
        );
        return;
      case 'accept': {
        const host = action.side === 'client' ? net.client : net.server;
        net.note(
          `${host.name}: accept() on port ${action.port} takes ${host.accept(action.port)} queued connection(s)`,
        );
        return;
      }
      case 'sysctl': {
        const host = action.side === 'client' ? net.client : net.server;
        if (action.name === 'net.ipv4.tcp_syncookies')
          host.syncookies = Math.min(2, action.value) as 0 | 1 | 2;
        else if (action.name === 'net.ipv4.tcp_max_syn_backlog') host.maxSynBacklog = action.value;
        else if (action.name === 'net.ipv4.tcp_abort_on_overflow')
          host.abortOnOverflow = action.value ? 1 : 0;
        else host.somaxconn = action.value;
        net.note(`${host.name}: sysctl ${action.name}=${action.value}`);
        return;
      }
      case 'connect': {
        const data = action.fastOpenData === undefined ? undefined : bytesOf(action.fastOpenData);
        const conn = net.connect(action.port, action.localPort, action.side ?? 'client', data);
        if (conn && label) {
          labels.set(label, conn);
          labelOf.set(conn, label);
        }
        return;
      }
      case 'inject': {
        const conn = label === undefined ? undefined : sideConn(label, action.from);
        const peer = conn ? net.peerOf(conn) : undefined;
        const srcPort = action.srcPort ?? conn?.local.port ?? peer?.remote.port;
        const dstPort = action.dstPort ?? conn?.remote.port ?? peer?.local.port;
        const seq = action.seq === 'random' ? net.random() : resolve(action.seq, label);
        const ack = action.ack === undefined ? 0 : resolve(action.ack, label);
        if (srcPort === undefined || dstPort === undefined || seq === undefined || ack === undefined) {
          net.note(`inject skipped: no endpoint for '${label}' to take ports or sequence numbers from`);
          return;
        }
        net.inject({
          from: action.from,
          srcPort,
          dstPort,
          seq,
          ack,
          flags: action.flags,
          window: action.window,
          ttl: action.ttl,
          payload: action.bytes === undefined ? undefined : bytesOf(action.bytes),
          srcIp: action.srcIp?.replaceAll('{n}', String(n)),
          options: action.options,
        });
        return;
      }
      default: {
        const conn = label === undefined ? undefined : sideConn(label, action.side);
        if (!conn) {
          net.note(`${action.do} skipped: no ${action.side} endpoint for '${label}'`);
          return;
        }
        net.command(conn, action.do === 'send' ? { send: bytesOf(action.bytes) } : action.do);
      }
    }
  };

  for (const action of scenario.timeline) {
    const count = action.repeat?.count ?? 1;
    for (let i = 0; i < count; i++) {
      net.at(ms(action.at + i * (action.repeat?.every ?? 0)), () => perform(action, i + 1));
    }
  }
  const endUs = net.run({ maxTimeUs: options.maxTimeUs });
  return collectRun(net, { scenario: scenario.name, seed, epoch, endUs, labels, labelOf });
}

/** What collectRun needs besides the network: the run's identity and the connection labels. */
export interface RunIdentity {
  scenario: string;
  seed: number;
  epoch: number;
  endUs: number;
  labels?: Map<string, Connection>;
  labelOf?: Map<Connection, string>;
  /** Endpoints that are not the lab's (a packetdrill script's peer), added to the truth. */
  extra?: TrueEndpoint[];
}

/** The truth and the captures of a network that has run (runScenario, the packetdrill runner). */
export function collectRun(net: Network, id: RunIdentity): RunResult {
  const { seed, epoch, endUs } = id;
  const labels = id.labels ?? new Map<string, Connection>();
  const labelOf = id.labelOf ?? new Map<Connection, string>();
  const sideConn = (label: string, side: Side): Connection | undefined => {
    const conn = labels.get(label);
    if (!conn) return undefined;
    const host = side === 'client' ? net.client : net.server;
    return conn.host === host ? conn : net.peerOf(conn);
  };
  const endpoints: TrueEndpoint[] = net.connections().map((c) => {
    const history = c.endpoint.history;
    // A passive endpoint's life starts in LISTEN (its listen() is the stack's, not an event).
    const from = c.passive && history.length > 1 && history[1].state === 1 ? 1 : 0;
    const timeline = history.slice(from).map((h, i) => {
      const change = c.changes[from + i - 1];
      return change && i > 0
        ? { at: h.at, state: stateName(h.state), rfc: change.rfc, reason: change.reason }
        : { at: h.at, state: stateName(h.state) };
    });
    return {
      id: c.id,
      host: c.host === net.client ? 'client' : 'server',
      label: labelOf.get(c) ?? (net.peerOf(c) ? labelOf.get(net.peerOf(c)!) : undefined),
      local: c.local,
      remote: c.remote,
      passive: c.passive,
      states: timeline.map((t) => t.state),
      timeline,
    };
  });
  // Spoofed sources: the states RFC 9293 gives for what was sent in their name.
  for (const s of net.spoofed) {
    const timeline = s.peer.timeline.map((t) => ({ ...t }));
    endpoints.push({
      id: s.id,
      host: 'client',
      local: s.local,
      remote: s.remote,
      passive: false,
      states: timeline.map((t) => t.state),
      timeline,
    });
  }
  if (id.extra) endpoints.push(...id.extra);

  return {
    scenario: id.scenario,
    seed,
    epoch,
    endUs,
    endpoints,
    hosts: { client: net.client.ip, server: net.server.ip },
    frames: net.taps,
    notes: [...net.notes, ...net.client.synQueueNotes, ...net.server.synQueueNotes].sort(
      (a, b) => a.at - b.at,
    ),
    pcap(tap: TapName): Uint8Array {
      if (!TAP_NAMES.includes(tap)) throw new Error(`unknown tap '${tap}'`);
      const frames = [...net.taps[tap]].sort((a, b) => a.at - b.at);
      return pcapBytes(
        frames.map((f) => ({
          tsSec: epoch + Math.floor(f.at / 1_000_000),
          tsNsec: (f.at % 1_000_000) * 1000,
          data: f.data,
        })),
      );
    },
    endpoint(label: string, side: Side): TrueEndpoint | undefined {
      const conn = sideConn(label, side);
      return conn && endpoints.find((e) => e.id === conn.id);
    },
  };
}
