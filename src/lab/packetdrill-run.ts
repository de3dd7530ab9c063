// Runs a packetdrill script (packetdrill-syntax.ts) against the lab's endpoint: the lab host on
// the script's side of the socket calls is the stack under test, the other host is the script
// (no stack: its `<` segments are injected, what reaches it is only recorded), the path between
// them has no delay (packetdrill's tun device). Virtual time follows the script's clock: event
// times resolve as packetdrill's run.c does (absolute, `+` relative to the previous event, `~`
// ranges, `*`), `<` segments are injected at their time, a `>` line takes the next segment the
// stack sent (several in a row when the line's length asks for it, as packetdrill aggregates
// TSO/GSO segments) and checks it as run_packet.c does — flags, seq, ack, window and options
// where written, after packetdrill's relative sequence numbering — and its time within the
// window and --tolerance_usecs (default 4000). Socket calls run on the lab's endpoint with their
// results, errnos and blocking (`...t`) checked. The first mismatch ends the run (exit 3 in the
// CLI); the capture and the truth of what happened up to then are kept. Pure: no I/O (the
// caller passes defaults.sh's text through `include`).

import type { StackPersonality } from '../tcp/config.js';
import type { Segment, TcpOptions } from '../tcp/segment.js';
import { seqAdd, seqDiff } from '../tcp/seq.js';
import { TcpState as S, stateName } from '../tcp/state.js';
import { TcpEvent } from '../tcp/transitions.js';
import { tcpFlags, tcpOptions } from '../wire/build.js';
import { ACK, FIN, PSH, RST, SYN } from '../wire/packet.js';
import type { Connection, Host, SocketTcp } from './host.js';
import { Network } from './network.js';
import { ScriptPeer } from './packetdrill-peer.js';
import { SendBuffer } from './packetdrill-sndbuf.js';
import {
  PacketdrillUnsupported,
  type PdCode,
  type PdEvent,
  type PdExpr,
  type PdOption,
  type PdPacket,
  type PdScript,
  type PdSyscall,
  parsePacketdrill,
} from './packetdrill-syntax.js';
import { applyCommand, PACKETDRILL_DEFAULTS_SH, type StackSettings } from './packetdrill-sysctl.js';
import { collectRun, DEFAULT_EPOCH, type RunResult, type Side, type TrueEndpoint } from './scenario.js';

/** packetdrill's addresses and port (config.c): the stack under test is 192.168.0.1, the script 192.0.2.1. */
export const PD_LOCAL_IP = '192.168.0.1';
export const PD_REMOTE_IP = '192.0.2.1';
export const PD_PORT = 8080;
/** packetdrill's default --tolerance_usecs. */
export const PD_DEFAULT_TOLERANCE_US = 4000;
/**
 * One-way delay between the script and the stack (µs): packetdrill's tun device is a few µs
 * away; a delay keeps each segment's send and arrival apart so every frame has a before and an
 * after (a zero delay would put a whole handshake at one instant).
 */
export const PD_PATH_DELAY_US = 10;

export interface PacketdrillOptions {
  /** Personality of the stack under test (default 'linux'). */
  stack?: StackPersonality;
  seed?: number;
  /** Seconds since the Unix epoch of the run's time 0. */
  epoch?: number;
  /** The text of a file the init command runs (common/defaults.sh), or undefined. */
  include?: (path: string) => string | undefined;
}

export interface PacketdrillFailure {
  line: number;
  /** As packetdrill words it: `live packet field tcp_ack_seq: expected: 2 (0x2) vs actual: 1 (0x1)`. */
  message: string;
  /** The script's line and what the stack did, in packetdrill's dump format, when about a packet. */
  script?: string;
  actual?: string;
}

export interface PacketdrillResult {
  name: string;
  passed: boolean;
  failure?: PacketdrillFailure;
  run: RunResult;
  /** The side the stack under test plays ('server' when the script listens). */
  local: Side;
  /** Which (host, port) listen, for the truth of a side without an endpoint. */
  listening: (host: Side, port: number) => boolean;
  /** TIME_WAIT of the stack under test (s), for the analyzer's --time-wait. */
  timeWaitSec: number;
}

class ScriptFailure extends Error {
  constructor(readonly failure: PacketdrillFailure) {
    super(failure.message);
  }
}

interface Sock {
  fd: number;
  nonblock: boolean;
  tcp: SocketTcp;
  lingerZero: boolean;
  sndBuf: number;
  inq: boolean;
  listenPort?: number;
  conn?: Connection;
  shutWr: boolean;
  shutRd: boolean;
  /** The error a failed connect left (ECONNREFUSED, ETIMEDOUT). */
  error?: string;
  /** SO_ERROR was read after the connection failed (it reports the error once). */
  errorRead?: boolean;
  /** Linux's accounting of what write() queued (created by the first write, after SO_SNDBUF). */
  sendBuffer?: SendBuffer;
}

interface Pending {
  event: PdEvent;
  call: PdSyscall;
  startUs: number;
  endUs: number;
  /** The call's result once it can return, else undefined (it still blocks). */
  attempt: () => { value: number; errno?: string } | undefined;
}

interface Sent {
  seg: Segment;
  at: number;
}

const US = 1_000_000;
/** Linux errno numbers a script may name as a value. */
const ERRNO: Record<string, number> = { EPIPE: 32, ECONNRESET: 104, ETIMEDOUT: 110, ECONNREFUSED: 111 };
const secs = (us: number) => (us / US).toFixed(6);

function letters(flags: number): string {
  let s = '';
  if (flags & SYN) s += 'S';
  if (flags & FIN) s += 'F';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  if (flags & ACK) s += '.';
  return s || '-';
}

/** The options of a segment as its frame carries them (src/wire/build.ts lays them out), read back. */
function wireOptions(o: TcpOptions): PdOption[] {
  const b = tcpOptions({
    mss: o.mss,
    wscale: o.wscale,
    sackPermitted: o.sackOk,
    timestamp: o.ts,
    sack: o.sack,
  });
  const u32 = (i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
  const out: PdOption[] = [];
  for (let i = 0; i < b.length; ) {
    const kind = b[i];
    if (kind === 0) break; // EOL: the padding after the last option
    if (kind === 1) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    const len = b[i + 1];
    if (kind === 2) out.push({ kind: 'mss', value: (b[i + 2] << 8) | b[i + 3] });
    else if (kind === 3) out.push({ kind: 'wscale', value: b[i + 2] });
    else if (kind === 4) out.push({ kind: 'sackOK' });
    else if (kind === 8) out.push({ kind: 'ts', val: u32(i + 2), ecr: u32(i + 6) });
    else if (kind === 5) {
      const blocks: [number, number][] = [];
      for (let j = i + 2; j + 8 <= i + len; j += 8) blocks.push([u32(j), u32(j + 4)]);
      out.push({ kind: 'sack', blocks });
    }
    i += len;
  }
  return out;
}

function optionText(o: PdOption): string {
  switch (o.kind) {
    case 'nop':
    case 'eol':
    case 'sackOK':
      return o.kind;
    case 'mss':
    case 'wscale':
      return `${o.kind} ${o.value}`;
    case 'ts':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
  }
}

/** The exact option bytes a `<` line asks for. */
function rawOptions(
  opts: PdOption[],
  mapSack: (n: number) => number,
  mapEcr: (n: number) => number,
): Uint8Array {
  const b: number[] = [];
  const be32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  for (const o of opts) {
    switch (o.kind) {
      case 'nop':
        b.push(1);
        break;
      case 'eol':
        b.push(0);
        break;
      case 'mss':
        b.push(2, 4, (o.value >> 8) & 0xff, o.value & 0xff);
        break;
      case 'wscale':
        b.push(3, 3, o.value & 0xff);
        break;
      case 'sackOK':
        b.push(4, 2);
        break;
      case 'ts':
        b.push(8, 10, ...be32(o.val >>> 0), ...be32(mapEcr(o.ecr) >>> 0));
        break;
      case 'sack':
        b.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) b.push(...be32(mapSack(l)), ...be32(mapSack(r)));
        break;
    }
  }
  if (b.length > 40) throw new Error('TCP options longer than 40 bytes');
  return Uint8Array.from(b);
}

/** The error a connection that ended on its own leaves on its socket (Linux sk_err). */
function closedErrno(conn: Connection): string | undefined {
  if (conn.changes.some((c) => c.event === TcpEvent.RCV_RST)) return 'ECONNRESET';
  if (conn.changes.some((c) => c.event === TcpEvent.TIMEOUT_GIVE_UP)) return 'ETIMEDOUT';
  return undefined;
}

/** Runs a parsed script. Throws PacketdrillUnsupported for what the lab cannot do. */
export function runPacketdrillScript(
  script: PdScript,
  name: string,
  opts: PacketdrillOptions = {},
): PacketdrillResult {
  return new Runner(script, name, opts).run();
}

/** Parses and runs a script's text. */
export function runPacketdrill(text: string, name: string, opts: PacketdrillOptions = {}): PacketdrillResult {
  return runPacketdrillScript(parsePacketdrill(text), name, opts);
}

class Runner {
  private readonly net: Network;
  private readonly local: Side;
  private readonly remote: Side;
  private readonly localHost: Host;
  private readonly settings: StackSettings;
  private readonly tolerance: number;
  /** --tolerance_percent: the tolerance grows with the time since the previous event. */
  private tolerancePercent = 0;
  /** --tcp_ts_tick_usecs: outbound TS val are checked against the script's at this clock rate (0: not). */
  private tsTickUs = 0;
  private readonly sockets = new Map<number, Sock>();
  private readonly outQueue: Sent[] = [];
  private readonly pending: Pending[] = [];
  private readonly accepted = new Set<Connection>();
  private readonly peer: ScriptPeer;
  private readonly peerId: number;
  private readonly seed: number;
  private readonly epoch: number;
  /** The script's port and the stack's, once known. */
  private remotePort: number;
  private localPort = PD_PORT;
  /** Live ISNs (packetdrill maps script sequence numbers by them). */
  private localIsn: number | undefined;
  private remoteIsn: number | undefined;
  /** Script TS val → the stack's live TS val (for `<` TS ecr). */
  private readonly tsMap = new Map<number, number>();
  private firstTs: { script: number; live: number } | undefined;
  private lastEvent: PdEvent | undefined;
  private lastEventTime = 0;
  /** The socket the script last used (packetdrill's socket under test, for %{ }% code). */
  private current: Sock | undefined;

  constructor(
    private readonly script: PdScript,
    private readonly name: string,
    opts: PacketdrillOptions,
  ) {
    this.seed = opts.seed ?? 1;
    this.epoch = opts.epoch ?? DEFAULT_EPOCH;
    const tol = script.options.tolerance_usecs;
    this.tolerance = tol === undefined ? PD_DEFAULT_TOLERANCE_US : Number(tol);
    for (const [k, v] of Object.entries(script.options)) {
      if (k === 'tolerance_usecs') {
        if (!Number.isFinite(this.tolerance) || this.tolerance <= 0) {
          throw new PacketdrillUnsupported(script.options_line[k], `--tolerance_usecs=${v}`);
        }
      } else if (k === 'tolerance_percent') {
        this.tolerancePercent = Number(v);
        if (!Number.isFinite(this.tolerancePercent) || this.tolerancePercent < 0) {
          throw new PacketdrillUnsupported(script.options_line[k], `--tolerance_percent=${v}`);
        }
      } else if (k === 'tcp_ts_tick_usecs' && /^\d+$/.test(v)) {
        this.tsTickUs = Number(v);
      } else if (k === 'mss' && /^\d+$/.test(v)) {
        // The tun device's segment size for injected GSO packets: the lab injects them whole.
      } else if (k !== 'ip_version' || v !== 'ipv4') {
        throw new PacketdrillUnsupported(script.options_line[k], `option --${k}${v ? `=${v}` : ''}`);
      }
    }
    this.settings = { stack: opts.stack ?? 'linux', timeWaitUs: 60_000_000 };
    const include = opts.include ?? (() => undefined);
    // packetdrill's test environment: common/defaults.sh's settings, which the script's own
    // commands then change (scripts that do not run it still expect them, e.g. wscale 8).
    applyCommand(this.settings, PACKETDRILL_DEFAULTS_SH, 0, () => undefined, 1);
    if (script.init) applyCommand(this.settings, script.init.text, script.init.line, include);
    if (script.cleanup) applyCommand(this.settings, script.cleanup.text, script.cleanup.line, include);
    // The stack under test is the server when the script listens before it connects.
    const firstOpen = script.events.find(
      (e) => e.action.type === 'syscall' && (e.action.name === 'listen' || e.action.name === 'connect'),
    );
    this.local =
      firstOpen?.action.type === 'syscall' && firstOpen.action.name === 'connect' ? 'client' : 'server';
    this.remote = this.local === 'client' ? 'server' : 'client';
    const { sndBuf: _unused, ...tcp } = this.settings;
    const localHostConfig = { name: this.local, ip: PD_LOCAL_IP, autoRead: false, tcp };
    const remoteHostConfig = { name: this.remote, ip: PD_REMOTE_IP, scripted: true };
    this.net = new Network({
      seed: this.seed,
      client: this.local === 'client' ? localHostConfig : remoteHostConfig,
      server: this.local === 'server' ? localHostConfig : remoteHostConfig,
      link: { latencyUs: PD_PATH_DELAY_US },
    });
    this.localHost = this.local === 'client' ? this.net.client : this.net.server;
    this.peerId = this.net.newConnectionId();
    this.net.scriptedPeerId = this.peerId;
    this.remotePort = this.local === 'client' ? PD_PORT : 40000 + (this.net.random() % 20000);
    this.peer = new ScriptPeer(this.local === 'client', 0);
    // The script sees the stack's segments when they reach it (packetdrill sniffs its tun
    // device); their time is when the stack sent them.
    this.net.onTransmit = (from, seg, at) => {
      if (from !== this.localHost) this.peer.sent(at, seg);
    };
    this.net.onArrive = (to, seg, at) => {
      if (to === this.localHost) return;
      this.peer.received(at, seg);
      this.outQueue.push({ seg, at: at - PD_PATH_DELAY_US });
    };
  }

  run(): PacketdrillResult {
    let failure: PacketdrillFailure | undefined;
    try {
      for (const ev of this.script.events) this.event(ev);
      this.finishPending();
      // Segments still on the path reach the other end (the script has nothing more to say).
      this.advance(this.net.now + 2 * PD_PATH_DELAY_US);
    } catch (err) {
      if (!(err instanceof ScriptFailure)) throw err;
      failure = err.failure;
    }
    const peerTimeline = this.peer.timeline;
    const peerEndpoint: TrueEndpoint = {
      id: this.peerId,
      host: this.remote,
      local: { ip: PD_REMOTE_IP, port: this.remotePort },
      remote: { ip: PD_LOCAL_IP, port: this.localPort },
      passive: this.local === 'client',
      states: peerTimeline.map((t) => t.state),
      timeline: peerTimeline,
    };
    // The peer is born with its first segment (before it, it has no connection to show).
    if (peerTimeline.length > 1) peerTimeline[0] = { ...peerTimeline[0], at: peerTimeline[1].at };
    const run = collectRun(this.net, {
      scenario: this.name,
      seed: this.seed,
      epoch: this.epoch,
      endUs: this.net.now,
      extra: peerTimeline.length > 1 ? [peerEndpoint] : [],
    });
    const listenPorts = new Set<string>();
    for (const e of this.script.events) {
      if (e.action.type === 'syscall' && e.action.name === 'listen')
        listenPorts.add(`${this.local} ${PD_PORT}`);
    }
    return {
      name: this.name,
      passed: failure === undefined,
      failure,
      run,
      local: this.local,
      listening: (host, port) => listenPorts.has(`${host} ${port}`),
      timeWaitSec: (this.settings.timeWaitUs ?? 60_000_000) / US,
    };
  }

  // ---------------------------------------------------------------- time

  private fail(line: number, message: string, script?: string, actual?: string): never {
    throw new ScriptFailure({ line, message, script, actual });
  }

  /** The event's start and end (µs), resolved as packetdrill's adjust_relative_event_times does. */
  private resolve(ev: PdEvent): { start: number; end?: number; any: boolean } {
    const t = ev.time;
    if (t.kind === 'any') return { start: this.net.now, any: true };
    if (t.kind === 'absolute') return { start: t.start, end: t.end, any: false };
    const anchored =
      this.lastEvent !== undefined &&
      this.lastEvent.action.type === 'packet' &&
      this.lastEvent.action.dir === '<' &&
      ev.action.type === 'packet' &&
      ev.action.dir === '<';
    const base = anchored ? this.lastEventTime : this.net.now;
    return { start: base + t.start, end: t.end === undefined ? undefined : base + t.end, any: false };
  }

  private advance(to: number): void {
    this.net.advanceTo(to, () => this.pollPending());
    this.pollPending();
  }

  private event(ev: PdEvent): void {
    if (this.lastEvent === undefined && !(ev.time.kind === 'absolute' && ev.time.start === 0)) {
      this.fail(ev.line, 'first event should be at time 0');
    }
    const { start, end, any } = this.resolve(ev);
    if (
      ev.time.kind === 'absolute' &&
      start < this.lastEventTime &&
      this.lastEvent?.time.kind === 'absolute'
    ) {
      this.fail(ev.line, `time goes backward in script from ${this.lastEventTime} usec to ${start} usec`);
    }
    const a = ev.action;
    if (a.type === 'packet' && a.dir === '>') {
      this.expectOutbound(ev, a, start, end, any);
      // The script reads the segment, then acts: its next line is a µs after the arrival.
      this.advance(this.net.now + 1);
    } else {
      if (start > this.net.now) this.advance(start);
      if (a.type === 'packet') this.inject(ev, a);
      else if (a.type === 'syscall') this.syscall(ev, a, start);
      else if (a.type === 'command') applyCommand(this.settings, a.text, ev.line, () => undefined);
      else this.code(ev, a);
      this.pollPending();
    }
    this.lastEvent = ev;
    this.lastEventTime = a.type === 'packet' && a.dir === '>' ? this.net.now : start;
  }

  // ---------------------------------------------------------------- packets

  private inject(ev: PdEvent, p: PdPacket): void {
    const flags = tcpFlags(p.flags);
    if (flags & SYN && !(flags & ACK) && this.remoteIsn === undefined) {
      this.remoteIsn = (this.net.random() - p.seq) >>> 0;
    } else if (flags & SYN && flags & ACK && this.remoteIsn === undefined) {
      this.remoteIsn = (this.net.random() - p.seq) >>> 0;
    }
    const rIsn = this.remoteIsn ?? 0;
    const lIsn = this.localIsn ?? 0;
    const options: TcpOptions = {};
    const mapEcr = (ecr: number): number => {
      const exact = this.tsMap.get(ecr);
      if (exact !== undefined) return exact;
      return this.firstTs ? (ecr - this.firstTs.script + this.firstTs.live) >>> 0 : ecr;
    };
    const written = p.options === 'any' ? [] : (p.options ?? []);
    if (p.options === 'any') this.fail(ev.line, 'an inbound packet cannot use <...> options');
    for (const o of written) {
      if (o.kind === 'mss') options.mss = o.value;
      else if (o.kind === 'wscale') options.wscale = o.value;
      else if (o.kind === 'sackOK') options.sackOk = true;
      else if (o.kind === 'ts') options.ts = [o.val >>> 0, mapEcr(o.ecr)];
      else if (o.kind === 'sack') options.sack = o.blocks.map(([l, r]) => [seqAdd(lIsn, l), seqAdd(lIsn, r)]);
    }
    const seg: Segment = {
      srcPort: this.remotePort,
      dstPort: this.localPort,
      seq: seqAdd(rIsn, p.seq),
      ack: p.ack === undefined ? 0 : seqAdd(lIsn, p.ack),
      flags,
      window: p.win ?? 65535,
      options,
      payload: new Uint8Array(p.len),
      rawOptions: rawOptions(written, (n) => seqAdd(lIsn, n), mapEcr),
    };
    this.net.emit(this.remote, seg);
    // The stack takes it in (and answers) before the script's next line, which comes a µs
    // after (an application's call follows the kernel's processing; never the same instant).
    this.advance(this.net.now + PD_PATH_DELAY_US + 1);
  }

  /** The next segments the stack sent (packetdrill sniffs; several add up to a TSO-sized line). */
  private expectOutbound(
    ev: PdEvent,
    p: PdPacket,
    start: number,
    end: number | undefined,
    any: boolean,
  ): void {
    // packetdrill sniffs until a segment comes, however late (the time check then fails): wait
    // up to 2 min past the window before saying none came.
    const deadline = (any ? start : (end ?? start) + this.tolerance) + 120 * US;
    const script = this.scriptDump(p, start);
    const take = (): Sent => {
      while (this.outQueue.length === 0) {
        const next = this.net.nextEventAt();
        if (next === undefined || next > deadline) {
          if (deadline > this.net.now) this.advance(deadline);
          this.fail(
            ev.line,
            `expected outbound packet by ${secs(deadline)} sec but the stack sent none` +
              (next === undefined ? ' (nothing more was pending)' : ''),
            script,
          );
        }
        this.advance(next);
      }
      return this.outQueue.shift()!;
    };
    const frags: Sent[] = [take()];
    let total = frags[0].seg.payload.length;
    while (total < p.len) {
      const prev = frags[frags.length - 1];
      if (this.outQueue.length === 0 && this.net.nextEventAt() === undefined) break;
      const next = take();
      const contiguous =
        next.seg.seq === seqAdd(prev.seg.seq, prev.seg.payload.length) &&
        next.seg.ack === prev.seg.ack &&
        !(next.seg.flags & (SYN | RST));
      if (
        !contiguous ||
        (total + next.seg.payload.length < p.len && next.seg.payload.length !== prev.seg.payload.length)
      ) {
        this.fail(
          ev.line,
          `live packet payload: expected ${p.len} bytes vs actual ${total} bytes (the next segment does not continue it)`,
          script,
          this.actualDump(next.seg, next.at),
        );
      }
      frags.push(next);
      total += next.seg.payload.length;
    }
    const first = frags[0];
    const last = frags[frags.length - 1];
    let flags = 0;
    for (const f of frags) flags |= f.seg.flags;
    const seg: Segment = { ...last.seg, seq: first.seg.seq, flags, payload: new Uint8Array(total) };
    // A SYN or SYN+ACK from the stack fixes its ISN (packetdrill's local_isn).
    if (seg.flags & SYN && this.localIsn === undefined) this.localIsn = (seg.seq - p.seq) >>> 0;
    if (seg.options.ts) {
      const script = p.options !== 'any' ? p.options?.find((o) => o.kind === 'ts') : undefined;
      if (script && script.kind === 'ts') {
        this.tsMap.set(script.val, seg.options.ts[0]);
        this.firstTs ??= { script: script.val, live: seg.options.ts[0] };
      }
    }
    const actual = this.actualDump(seg, first.at);
    const field = (fieldName: string, expected: number, got: number) => {
      if (expected !== got) {
        this.fail(
          ev.line,
          `live packet field ${fieldName}: expected: ${expected} (0x${expected.toString(16)}) vs actual: ${got} (0x${got.toString(16)})`,
          script,
          actual,
        );
      }
    };
    if (total !== p.len) {
      this.fail(
        ev.line,
        `live packet payload: expected ${p.len} bytes vs actual ${total} bytes`,
        script,
        actual,
      );
    }
    const want = tcpFlags(p.flags);
    const bit = (b: number, f: number) => (f & b ? 1 : 0);
    field('tcp_fin', bit(FIN, want), bit(FIN, seg.flags));
    field('tcp_syn', bit(SYN, want), bit(SYN, seg.flags));
    field('tcp_rst', bit(RST, want), bit(RST, seg.flags));
    field('tcp_psh', bit(PSH, want), bit(PSH, seg.flags));
    field('tcp_ack', bit(ACK, want), bit(ACK, seg.flags));
    field('tcp_seq', p.seq >>> 0, seqDiff(seg.seq, this.localIsn ?? 0) >>> 0);
    if (want & ACK) field('tcp_ack_seq', (p.ack ?? 0) >>> 0, seqDiff(seg.ack, this.remoteIsn ?? 0) >>> 0);
    if (p.win !== undefined) field('tcp_window', p.win, seg.window);
    if (p.options !== 'any') {
      const expected = p.options ?? [];
      const got = wireOptions(seg.options);
      let badTs = false;
      const ok =
        expected.length === got.length &&
        expected.every((e, i) => {
          const g = got[i];
          if (e.kind !== g.kind) return false;
          if (e.kind === 'mss' || e.kind === 'wscale') return e.value === (g as typeof e).value;
          if (e.kind === 'ts' && g.kind === 'ts' && this.tsTickUs > 0 && this.firstTs) {
            // run_packet.c: the live TS val in script space, within the tolerance at the tick rate.
            const mapped = (this.firstTs.script + (g.val - this.firstTs.live)) | 0;
            if (Math.abs(mapped - e.val) * this.tsTickUs > this.tolerance) badTs = true;
            return !badTs;
          }
          if (e.kind === 'sack') {
            const gb = (g as typeof e).blocks.map(([l, r]) => [
              seqDiff(l, this.remoteIsn ?? 0),
              seqDiff(r, this.remoteIsn ?? 0),
            ]);
            return (
              e.blocks.length === gb.length && e.blocks.every(([l, r], j) => gb[j][0] === l && gb[j][1] === r)
            );
          }
          return true;
        });
      if (badTs) {
        this.fail(ev.line, `bad outbound TCP timestamp value, tolerance ${this.tolerance}`, script, actual);
      }
      if (!ok) this.fail(ev.line, 'bad outbound TCP options', script, actual);
    }
    if (!any) {
      const at = first.at;
      // run.c verify_time: --tolerance_percent of the time since the previous event, if larger.
      const tol = Math.max(this.tolerance, (this.tolerancePercent / 100) * (start - this.lastEventTime));
      const lo = start - tol;
      const hi = (end ?? start) + tol;
      if (at < lo || at > hi) {
        this.fail(
          ev.line,
          end === undefined
            ? `timing error: expected outbound packet at ${secs(start)} sec but happened at ${secs(at)} sec; tolerance ${secs(tol)} sec`
            : `timing error: expected outbound packet in time range ${secs(start)}~${secs(end)} sec but happened at ${secs(at)} sec`,
          script,
          actual,
        );
      }
    }
  }

  private scriptDump(p: PdPacket, at: number): string {
    let s = `${secs(at)} ${p.flags || '-'} ${p.seq}:${p.end}(${p.len})`;
    if (p.ack !== undefined) s += ` ack ${p.ack}`;
    if (p.win !== undefined) s += ` win ${p.win}`;
    if (p.options === 'any') s += ' <...>';
    else if (p.options?.length) s += ` <${p.options.map(optionText).join(',')}>`;
    return s;
  }

  private actualDump(seg: Segment, at: number): string {
    const seq = seqDiff(seg.seq, this.localIsn ?? seg.seq) >>> 0;
    let s = `${secs(at)} ${letters(seg.flags)} ${seq}:${(seq + seg.payload.length) >>> 0}(${seg.payload.length})`;
    if (seg.flags & ACK) s += ` ack ${seqDiff(seg.ack, this.remoteIsn ?? 0) >>> 0}`;
    s += ` win ${seg.window}`;
    const opts = wireOptions(seg.options);
    if (opts.length) s += ` <${opts.map(optionText).join(',')}>`;
    return s;
  }

  // ---------------------------------------------------------------- system calls

  private sock(ev: PdEvent, arg: PdExpr | undefined): Sock {
    const fd = arg?.k === 'int' ? arg.v : undefined;
    const s = fd === undefined ? undefined : this.sockets.get(fd);
    if (!s) {
      this.fail(ev.line, `bad file descriptor ${fd ?? '?'}`);
    }
    this.current = s;
    return s;
  }

  /** packetdrill maps the script's descriptors to live ones: the script's number is the socket's. */
  private scriptFd(result: PdExpr): number | undefined {
    return result.k === 'int' && result.v >= 0 && !this.sockets.has(result.v) ? result.v : undefined;
  }

  private newFd(): number {
    let fd = 3;
    while (this.sockets.has(fd)) fd++;
    return fd;
  }

  private intArg(ev: PdEvent, e: PdExpr | undefined, what: string): number {
    if (e?.k === 'int') return e.v;
    if (e?.k === 'array' && e.items.length === 1 && e.items[0].k === 'int') return e.items[0].v;
    this.fail(ev.line, `expected an integer for ${what}`);
  }

  private words(e: PdExpr | undefined): string[] {
    if (!e) return [];
    if (e.k === 'word') return [e.v];
    if (e.k === 'or') return e.items.flatMap((x) => this.words(x));
    return [];
  }

  private syscall(ev: PdEvent, call: PdSyscall, start: number): void {
    const blockingEnd =
      call.endUs === undefined
        ? undefined
        : ev.time.kind === 'relative'
          ? start - ev.time.start + call.endUs
          : call.endUs;
    const attempt = this.call(ev, call);
    const first = attempt();
    if (first !== undefined) {
      this.checkResult(ev, call, first, start, blockingEnd ?? start, start);
      return;
    }
    this.pending.push({ event: ev, call, startUs: start, endUs: blockingEnd ?? start, attempt });
  }

  private checkResult(
    ev: PdEvent,
    call: PdSyscall,
    got: { value: number; errno?: string },
    start: number,
    expectedEnd: number,
    at: number,
  ): void {
    const r = call.result;
    if (r.k !== 'ellipsis') {
      const want = r.k === 'int' ? r.v : undefined;
      if (want === undefined) this.fail(ev.line, `unsupported expected result for ${call.name}()`);
      if (want !== got.value) {
        this.fail(
          ev.line,
          `${call.name}(): expected result ${want}${call.errno ? ` ${call.errno}` : ''} but got ${got.value}${got.errno ? ` with errno ${got.errno}` : ''}`,
        );
      }
      if (want === -1 && call.errno && call.errno !== got.errno) {
        this.fail(ev.line, `${call.name}(): expected errno ${call.errno} but got ${got.errno ?? 'none'}`);
      }
    }
    if (at < expectedEnd - this.tolerance || at > expectedEnd + this.tolerance) {
      this.fail(
        ev.line,
        `timing error: expected system call return at ${secs(expectedEnd)} sec but happened at ${secs(at)} sec; tolerance ${secs(this.tolerance)} sec`,
      );
    }
    void start;
  }

  private pollPending(): void {
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      const got = p.attempt();
      if (got === undefined) continue;
      this.pending.splice(i--, 1);
      this.checkResult(p.event, p.call, got, p.startUs, p.endUs, this.net.now);
    }
  }

  private finishPending(): void {
    while (this.pending.length > 0) {
      const p = this.pending[0];
      const limit = p.endUs + this.tolerance;
      const next = this.net.nextEventAt();
      if (next === undefined || next > limit) {
        this.fail(
          p.event.line,
          `${p.call.name}() blocked past ${secs(limit)} sec (expected to return at ${secs(p.endUs)} sec)`,
        );
      }
      this.advance(next);
    }
  }

  /** The call's effect; returns a function that tries to complete it (undefined: it blocks). */
  private call(ev: PdEvent, call: PdSyscall): () => { value: number; errno?: string } | undefined {
    const a = call.args;
    const done = (value: number, errno?: string) => () => ({ value, errno });
    switch (call.name) {
      case 'socket': {
        const type = this.words(a[1]);
        if (!type.includes('SOCK_STREAM'))
          throw new PacketdrillUnsupported(ev.line, `socket type ${type.join('|') || '?'}`);
        const fd = this.scriptFd(call.result) ?? this.newFd();
        const s: Sock = {
          fd,
          nonblock: type.includes('SOCK_NONBLOCK'),
          tcp: {},
          lingerZero: false,
          sndBuf: this.settings.sndBuf ?? 262_144,
          inq: false,
          shutRd: false,
          shutWr: false,
        };
        this.sockets.set(fd, s);
        this.current = s;
        return done(fd);
      }
      case 'bind':
        this.sock(ev, a[0]);
        return done(0);
      case 'listen': {
        const s = this.sock(ev, a[0]);
        s.listenPort = PD_PORT;
        this.localHost.listen(PD_PORT, s.tcp);
        return done(0);
      }
      case 'accept':
      case 'accept4': {
        const s = this.sock(ev, a[0]);
        if (s.listenPort === undefined) return done(-1, 'EINVAL');
        return () => {
          const ready = this.localHost.connections.find(
            (c) =>
              c.passive &&
              c.local.port === s.listenPort &&
              !this.accepted.has(c) &&
              c.endpoint.history.some((h) => h.state >= S.ESTABLISHED && h.state <= S.TIME_WAIT),
          );
          if (!ready) return s.nonblock ? { value: -1, errno: 'EAGAIN' } : undefined;
          this.accepted.add(ready);
          const fd = this.scriptFd(call.result) ?? this.newFd();
          const child: Sock = {
            ...s,
            fd,
            listenPort: undefined,
            conn: ready,
            nonblock: false,
            tcp: { ...s.tcp },
          };
          this.sockets.set(fd, child);
          this.current = child;
          this.remotePort = ready.remote.port;
          return { value: fd };
        };
      }
      case 'connect': {
        const s = this.sock(ev, a[0]);
        if (s.conn && s.nonblock) {
          // A second connect() on a non-blocking socket: still going, done, or failed.
          const st = s.conn.endpoint.state;
          if (st === S.SYN_SENT || st === S.SYN_RECEIVED) return done(-1, 'EALREADY');
          if (st !== S.CLOSED) return done(-1, 'EISCONN');
        }
        if (!s.conn) {
          const conn = this.localHost.connect(
            this.net.now,
            { ip: PD_REMOTE_IP, port: PD_PORT },
            undefined,
            s.tcp,
          );
          if (!conn) return done(-1, 'EADDRNOTAVAIL');
          s.conn = conn;
          this.localPort = conn.local.port;
          this.net.flush(conn);
          if (s.nonblock) return done(-1, 'EINPROGRESS');
        }
        const conn = s.conn;
        return () => {
          const st = conn.endpoint.state;
          if (st === S.SYN_SENT || st === S.SYN_RECEIVED) return undefined;
          if (st === S.CLOSED)
            return {
              value: -1,
              errno: conn.changes.some((c) => c.reason === 'connection refused')
                ? 'ECONNREFUSED'
                : 'ETIMEDOUT',
            };
          return { value: 0 };
        };
      }
      case 'write':
      case 'send':
      case 'sendto': {
        const s = this.sock(ev, a[0]);
        const n = this.intArg(ev, a[2], 'the byte count');
        return this.writer(s, n);
      }
      case 'read':
      case 'recv':
      case 'recvfrom': {
        const s = this.sock(ev, a[0]);
        const n = this.intArg(ev, a[2], 'the byte count');
        return this.reader(ev, s, n);
      }
      case 'recvmsg':
        return this.recvmsg(ev, call);
      case 'sendmsg': {
        // sendmsg(fd, {msg_name(...)=..., msg_iov(N)=[{..., len}, …], msg_flags=0}, flags): the iovecs' total.
        const s = this.sock(ev, a[0]);
        const msg = a[1];
        let n = 0;
        if (msg?.k === 'struct') {
          for (const item of msg.items) {
            if (item.k !== 'assign' || item.name !== 'msg_iov' || item.value.k !== 'array') continue;
            for (const iov of item.value.items)
              if (iov.k === 'struct' && iov.items[1]?.k === 'int') n += iov.items[1].v;
          }
        }
        if (n === 0) throw new PacketdrillUnsupported(ev.line, 'sendmsg without msg_iov lengths');
        return this.writer(s, n);
      }
      case 'shutdown': {
        const s = this.sock(ev, a[0]);
        const how = this.words(a[1])[0];
        if (!s.conn) return done(-1, 'ENOTCONN');
        const ep = s.conn.endpoint;
        if (how === 'SHUT_RD' || how === 'SHUT_RDWR') {
          s.shutRd = true;
          ep.shutdownRead();
        }
        if (how === 'SHUT_WR' || how === 'SHUT_RDWR') {
          s.shutWr = true;
          ep.shutdown(this.net.now);
        }
        if (!['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR'].includes(how ?? '')) {
          throw new PacketdrillUnsupported(ev.line, `shutdown how=${how ?? '?'}`);
        }
        this.net.flush(s.conn);
        return done(0);
      }
      case 'close': {
        const s = this.sock(ev, a[0]);
        this.sockets.delete(s.fd);
        if (s.listenPort !== undefined) {
          this.localHost.unlisten(s.listenPort);
          // Linux inet_csk_listen_stop: connections not yet accepted are aborted (RST).
          for (const c of this.localHost.connections) {
            if (!c.passive || c.local.port !== s.listenPort || this.accepted.has(c)) continue;
            if (c.endpoint.state === S.CLOSED) continue;
            c.endpoint.abort(this.net.now);
            this.net.flush(c);
          }
        }
        if (s.conn) {
          if (s.lingerZero) s.conn.endpoint.abort(this.net.now);
          else s.conn.endpoint.close(this.net.now);
          this.net.flush(s.conn);
        }
        return done(0);
      }
      case 'setsockopt':
        return this.setsockopt(ev, call);
      case 'getsockopt':
        return this.getsockopt(ev, call);
      case 'fcntl': {
        const s = this.sock(ev, a[0]);
        const cmd = this.words(a[1])[0];
        if (cmd === 'F_GETFL') return done(0x2 | (s.nonblock ? 0x800 : 0));
        if (cmd === 'F_SETFL') {
          s.nonblock = this.words(a[2]).includes('O_NONBLOCK');
          return done(0);
        }
        throw new PacketdrillUnsupported(ev.line, `fcntl ${cmd ?? '?'}`);
      }
      case 'ioctl': {
        const s = this.sock(ev, a[0]);
        const req = this.words(a[1])[0];
        if (req !== 'SIOCINQ' && req !== 'FIONREAD')
          throw new PacketdrillUnsupported(ev.line, `ioctl ${req ?? '?'}`);
        if (s.listenPort !== undefined) return done(-1, 'EINVAL');
        const have = s.conn?.endpoint.readable ?? 0;
        const want = a[2];
        if (want?.k === 'array' && want.items[0]?.k === 'int' && want.items[0].v !== have) {
          this.fail(ev.line, `ioctl ${req}: expected ${want.items[0].v} bytes queued but found ${have}`);
        }
        return done(0);
      }
      default:
        throw new PacketdrillUnsupported(ev.line, `system call ${call.name}()`);
    }
  }

  private writer(s: Sock, n: number): () => { value: number; errno?: string } | undefined {
    let copied = 0;
    let blocked = false;
    return () => {
      const conn = s.conn;
      if (!conn || s.shutWr) return { value: -1, errno: 'EPIPE' };
      const ep = conn.endpoint;
      const st = ep.state;
      if (st === S.SYN_SENT || st === S.SYN_RECEIVED)
        return s.nonblock ? { value: -1, errno: 'EAGAIN' } : undefined;
      if (!(st === S.ESTABLISHED || st === S.CLOSE_WAIT)) {
        return copied > 0
          ? { value: copied }
          : { value: -1, errno: (st === S.CLOSED && closedErrno(conn)) || 'EPIPE' };
      }
      s.sendBuffer ??= new SendBuffer(s.sndBuf);
      const buf = s.sendBuffer;
      buf.sync(ep);
      if (blocked && !buf.writable) return undefined;
      copied += buf.write(n - copied, ep, ep.segmentSize, (bytes) => {
        ep.send(this.net.now, new Uint8Array(bytes));
        this.net.flush(conn);
      });
      if (copied === n) return { value: n };
      if (s.nonblock) return copied > 0 ? { value: copied } : { value: -1, errno: 'EAGAIN' };
      blocked = true;
      return undefined;
    };
  }

  private reader(ev: PdEvent, s: Sock, n: number): () => { value: number; errno?: string } | undefined {
    void ev;
    return () => {
      const conn = s.conn;
      if (!conn) return { value: -1, errno: 'ENOTCONN' };
      const ep = conn.endpoint;
      if (ep.readable > 0) {
        const got = ep.read(this.net.now, n).length;
        this.net.flush(conn);
        return { value: got };
      }
      if (ep.peerFinReceived || s.shutRd) return { value: 0 };
      if (ep.state === S.CLOSED) {
        const errno = closedErrno(conn);
        return errno ? { value: -1, errno } : { value: 0 };
      }
      return s.nonblock ? { value: -1, errno: 'EAGAIN' } : undefined;
    };
  }

  /** recvmsg with one iovec and, when TCP_INQ is on, the TCP_CM_INQ control message checked. */
  private recvmsg(ev: PdEvent, call: PdSyscall): () => { value: number; errno?: string } | undefined {
    const s = this.sock(ev, call.args[0]);
    const msg = call.args[1];
    if (msg?.k !== 'struct') this.fail(ev.line, 'recvmsg: expected a msghdr {…}');
    let len: number | undefined;
    let inq: number | undefined;
    for (const item of msg.items) {
      if (item.k !== 'assign') continue;
      if (item.name === 'msg_iov' && item.value.k === 'array') {
        const iov = item.value.items[0];
        if (iov?.k === 'struct' && iov.items[1]?.k === 'int') len = iov.items[1].v;
      }
      if (item.name === 'msg_control' && item.value.k === 'array') {
        for (const cmsg of item.value.items) {
          if (cmsg.k !== 'struct') continue;
          const field = (n: string) => cmsg.items.find((x) => x.k === 'assign' && x.name === n);
          const type = field('cmsg_type');
          const data = field('cmsg_data');
          if (type?.k === 'assign' && type.value.k === 'word' && type.value.v === 'TCP_CM_INQ') {
            if (data?.k === 'assign' && data.value.k === 'int') inq = data.value.v;
          } else throw new PacketdrillUnsupported(ev.line, 'recvmsg control messages other than TCP_CM_INQ');
        }
      }
    }
    if (len === undefined) this.fail(ev.line, 'recvmsg: expected msg_iov(1)=[{..., N}]');
    const read = this.reader(ev, s, len);
    return () => {
      const r = read();
      if (r === undefined || inq === undefined) return r;
      // Linux tcp_inq_hint: bytes left to read, and 1 once the peer's FIN is in (so the reader goes on to EOF).
      const ep = s.conn!.endpoint;
      const left = ep.readable > 0 ? ep.readable : ep.peerFinReceived ? 1 : 0;
      if (!s.inq) this.fail(ev.line, 'recvmsg: TCP_CM_INQ expected but TCP_INQ is not set');
      if (left !== inq) this.fail(ev.line, `recvmsg: expected TCP_CM_INQ ${inq} but found ${left}`);
      return r;
    };
  }

  private setsockopt(ev: PdEvent, call: PdSyscall): () => { value: number } {
    const s = this.sock(ev, call.args[0]);
    const name = this.words(call.args[2])[0];
    const value = call.args[3];
    const int = () => this.intArg(ev, value, name ?? 'the option');
    const ep = s.conn?.endpoint;
    switch (name) {
      case 'SO_REUSEADDR':
      case 'SO_REUSEPORT':
      case 'TCP_NODELAY':
        break;
      case 'TCP_MAXSEG':
        s.tcp.mss = int();
        break;
      case 'TCP_USER_TIMEOUT':
        s.tcp.userTimeoutUs = int() * 1000;
        if (ep) ep.config.userTimeoutUs = s.tcp.userTimeoutUs;
        break;
      case 'TCP_INQ':
        s.inq = int() !== 0;
        break;
      case 'SO_SNDBUF':
        // Linux doubles the value for its bookkeeping (socket(7)).
        s.sndBuf = 2 * int();
        break;
      case 'SO_KEEPALIVE':
        s.tcp.keepalive = int() !== 0;
        if (ep) ep.config.keepalive = s.tcp.keepalive;
        break;
      case 'SO_LINGER': {
        if (value?.k !== 'struct') this.fail(ev.line, 'SO_LINGER takes {onoff=…, linger=…}');
        const get = (n: string) => {
          const f = value.items.find((x) => x.k === 'assign' && x.name === n);
          return f?.k === 'assign' && f.value.k === 'int' ? f.value.v : undefined;
        };
        const onoff = get('onoff');
        const linger = get('linger');
        if (onoff && linger !== 0)
          throw new PacketdrillUnsupported(ev.line, 'SO_LINGER with a non-zero time');
        s.lingerZero = !!onoff && linger === 0;
        break;
      }
      default:
        throw new PacketdrillUnsupported(ev.line, `setsockopt ${name ?? '?'}`);
    }
    return () => ({ value: 0 });
  }

  private getsockopt(ev: PdEvent, call: PdSyscall): () => { value: number } {
    const s = this.sock(ev, call.args[0]);
    const name = this.words(call.args[2])[0];
    const ep = s.conn?.endpoint;
    let have: number;
    switch (name) {
      case 'TCP_MAXSEG': {
        const synced = ep !== undefined && ep.state >= S.ESTABLISHED;
        // Linux: mss_cache once connected; before that the user's TCP_MAXSEG, else TCP_MSS_DEFAULT.
        have = synced ? ep.segmentSize : (s.tcp.mss ?? 536);
        break;
      }
      case 'SO_SNDBUF':
        have = s.sndBuf;
        break;
      case 'TCP_USER_TIMEOUT':
        have = Math.round((s.tcp.userTimeoutUs ?? 0) / 1000);
        break;
      case 'SO_ERROR': {
        // The error a failed connect left, then cleared (as reading SO_ERROR clears it).
        const closed = ep !== undefined && ep.state === S.CLOSED && !s.errorRead;
        const refused = closed && s.conn!.changes.some((c) => c.reason === 'connection refused');
        have = !closed ? 0 : refused ? 111 : 110;
        if (closed) s.errorRead = true;
        break;
      }
      default:
        throw new PacketdrillUnsupported(ev.line, `getsockopt ${name ?? '?'}`);
    }
    const want = call.args[3];
    const first = want?.k === 'array' ? want.items[0] : undefined;
    // An errno name (SO_ERROR's [ECONNREFUSED]) stands for its Linux number.
    const expected = first?.k === 'int' ? first.v : first?.k === 'word' ? ERRNO[first.v] : undefined;
    if (first?.k === 'word' && expected === undefined) {
      throw new PacketdrillUnsupported(ev.line, `getsockopt value ${first.v}`);
    }
    if (expected !== undefined && expected !== have) {
      this.fail(ev.line, `getsockopt ${name}: expected ${expected} but found ${have}`);
    }
    return () => ({ value: 0 });
  }

  // ---------------------------------------------------------------- %{ }% code

  /** Assertions on TCP_INFO fields, the Python packetdrill runs after the socket's state is read. */
  private code(ev: PdEvent, c: PdCode): void {
    const s = this.current;
    const ep = s?.conn?.endpoint;
    const info: Record<string, number | undefined> = {
      tcpi_advmss: ep ? ep.config.mss : undefined,
      tcpi_snd_mss: ep?.segmentSize,
      tcpi_rto: ep ? ep.rto.current() : undefined,
      tcpi_snd_cwnd: ep?.cwndSegments,
      tcpi_state: ep?.state,
      tcpi_rtt: ep && ep.rto.srtt >= 0 ? Math.round(ep.rto.srtt) : undefined,
      tcpi_snd_wscale: ep?.sndWscale,
      tcpi_rcv_wscale: ep?.rcvWscale,
      tcpi_backoff: ep?.rto.backoff,
      tcpi_retransmits: ep?.retransmits,
    };
    for (const raw of c.text.split(/[;\n]/)) {
      const stmt = raw.trim();
      if (stmt === '') continue;
      const m = /^assert\s+(\w+)\s*(==|!=|<=|>=|<|>)\s*(\w+)\s*(,.*)?$/.exec(stmt);
      if (!m) throw new PacketdrillUnsupported(ev.line, `Python code '${stmt}'`);
      const value = (t: string): number => {
        if (/^-?\d+$/.test(t)) return Number(t);
        if (!(t in info)) throw new PacketdrillUnsupported(ev.line, `TCP_INFO field ${t}`);
        const v = info[t];
        if (v === undefined) this.fail(ev.line, `${t}: no connected socket to read TCP_INFO from`);
        return v;
      };
      const l = value(m[1]);
      const r = value(m[3]);
      const ok =
        m[2] === '=='
          ? l === r
          : m[2] === '!='
            ? l !== r
            : m[2] === '<'
              ? l < r
              : m[2] === '>'
                ? l > r
                : m[2] === '<='
                  ? l <= r
                  : l >= r;
      if (!ok) this.fail(ev.line, `AssertionError: ${stmt} (${m[1]} is ${l})`);
    }
    void stateName;
  }
}
