// The --filter language (PRODUCT.md "Common to all"): selects whole connections by address,
// network, port, Zeek conn_state, the states either endpoint passed through, its final states and
// its event kinds, in tcpdump's words (pcap-filter(7)): `host 10.0.0.1 and port 80`,
// `net 2001:db8::/32`, `conn_state REJ`, `state TIME_WAIT`, `final.orig=TIME_WAIT`,
// `event retransmission`, combined with and/or/not (&&, ||, !) and parentheses. A filter
// selects connections, never single packets: `read` prints a packet when its connection is
// selected. Pure: a parser (text → predicate) and an evaluator over the connection record.
//
// Grammar (not binds tighter than and, and tighter than or, as in pcap-filter):
//   expr      = and { ("or" | "||") and }
//   and       = unary { ("and" | "&&") unary }
//   unary     = ("not" | "!") unary | "(" expr ")" | primitive
//   primitive = [proto] [dir] keyword ["=" | "!="] value | proto | value
//   proto     = tcp | ip | ip6          dir = orig | resp (client | server)
//   keyword   = host | net | port | portrange | state | final | conn_state | event
//               (also keyword.dir, as the JSON spells it: final.orig=TIME_WAIT)
// A bare value repeats the previous primitive's qualifiers, as tcpdump does: `port 80 or 443`.

import { STATE_NAMES, type StateName } from '../tcp/state.js';
import { type Token, type TokenRules, tokenize } from './filter-tokens.js';
import { parseIp } from './ip-text.js';
import { EVENT_KINDS, type EventKind } from './kinds.js';

export interface FilterEndpoint {
  ip: string;
  port: number;
}

/** The 4-tuple of a connection (what host/net/port look at). */
export interface FilterTuple {
  orig: FilterEndpoint;
  resp: FilterEndpoint;
}

/** What a filter reads of a connection: PRODUCT.md's connection record fits it. */
export interface FilterSubject extends FilterTuple {
  conn_state: string;
  states: { orig: readonly string[]; resp: readonly string[] };
  final: { orig: string; resp: string };
  events: readonly { kind: string; from: 'orig' | 'resp' }[];
}

/** A filter that does not parse: `at` is the 0-based character offset of `token` in the text. */
export class FilterError extends Error {
  constructor(
    readonly text: string,
    readonly at: number,
    readonly token: string,
    readonly reason: string,
  ) {
    const where = token === '' ? 'at the end' : `"${token}" (character ${at + 1})`;
    super(`--filter "${text}": ${where}: ${reason}`);
    this.name = 'FilterError';
  }
}

/** Zeek's conn_state codes (scripts/base/protocols/conn/main.zeek). */
export const CONN_STATES = [
  'S0',
  'S1',
  'SF',
  'REJ',
  'S2',
  'S3',
  'RSTO',
  'RSTR',
  'RSTOS0',
  'RSTRH',
  'SH',
  'SHR',
  'OTH',
] as const;

/** How netstat and ss spell some states (after upper-casing and '-' → '_'). */
const STATE_ALIASES: Record<string, StateName> = {
  ESTAB: 'ESTABLISHED',
  SYN_RECV: 'SYN_RECEIVED',
  SYN_RCVD: 'SYN_RECEIVED',
  FIN_WAIT1: 'FIN_WAIT_1',
  FIN_WAIT2: 'FIN_WAIT_2',
  CLOSE: 'CLOSED',
};

/** Wireshark's tcp.analysis.retransmission is also set on these: `event retransmission` finds them. */
const RETRANSMISSION_FAMILY: readonly string[] = [
  'retransmission',
  'fast-retransmission',
  'spurious-retransmission',
  'syn-retransmission',
  'synack-retransmission',
];

type Side = 'orig' | 'resp';
type Keyword = 'host' | 'net' | 'port' | 'portrange' | 'state' | 'final' | 'conn_state' | 'event';
type Proto = 'tcp' | 'ip' | 'ip6';
type Pred = (s: FilterSubject) => boolean;

const KEYWORDS: Record<string, Keyword> = {
  host: 'host',
  net: 'net',
  port: 'port',
  portrange: 'portrange',
  state: 'state',
  states: 'state',
  final: 'final',
  conn_state: 'conn_state',
  event: 'event',
  events: 'event',
};
const DIRS: Record<string, Side> = { orig: 'orig', resp: 'resp', client: 'orig', server: 'resp' };
const PROTOS: Record<string, Proto> = { tcp: 'tcp', ip: 'ip', ip6: 'ip6' };
const OR = new Set(['or', '||']);
const AND = new Set(['and', '&&']);
const NOT = new Set(['not', '!']);
/** Tokens that end a primitive. */
const STOP = new Set(['or', '||', 'and', '&&', ')', '']);

const KEYWORD_LIST = 'host, net, port, portrange, state, final, conn_state, event';

/** Words, parentheses, `!`, `!=`, `=`, `&&`, `||`; a word runs to the next of them or a space. */
const TOKENS: TokenRules = { operators: ['!=', '&&', '||', '(', ')', '!', '='] };

function ipVersion(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function inPrefix(addr: Uint8Array, net: Uint8Array, bits: number): boolean {
  if (addr.length !== net.length) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== net[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (addr[whole]! & mask) === (net[whole]! & mask);
}

/** Either endpoint, or the one `dir` names, satisfies `test`. */
function onEndpoints(dir: Side | null, test: (e: FilterEndpoint) => boolean): Pred {
  if (dir === 'orig') return (s) => test(s.orig);
  if (dir === 'resp') return (s) => test(s.resp);
  return (s) => test(s.orig) || test(s.resp);
}

function onSides(dir: Side | null, test: (s: FilterSubject, side: Side) => boolean): Pred {
  if (dir !== null) return (s) => test(s, dir);
  return (s) => test(s, 'orig') || test(s, 'resp');
}

class Parser {
  private pos = 0;
  private last: { proto: Proto | null; dir: Side | null; keyword: Keyword } | null = null;
  /** Set when a predicate reads more than the unoriented 4-tuple. */
  needsRecord = false;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Pred {
    if (this.tokens.length === 0) this.fail('', 'an empty filter selects nothing: write a primitive');
    const p = this.orExpr();
    if (this.pos < this.tokens.length) {
      const t = this.peek();
      this.fail(t, t === ')' ? 'a ")" without its "("' : 'expected "and" or "or"');
    }
    return p;
  }

  private peek(): string {
    return this.tokens[this.pos]?.text ?? '';
  }

  private lower(): string {
    return this.peek().toLowerCase();
  }

  private next(): Token {
    const t = this.tokens[this.pos] ?? { text: '', at: this.text.length };
    this.pos++;
    return t;
  }

  private fail(token: string | Token, reason: string): never {
    const t: Token =
      typeof token === 'string' ? (this.tokens[this.pos] ?? { text: '', at: this.text.length }) : token;
    throw new FilterError(this.text, t.at, t.text, reason);
  }

  private orExpr(): Pred {
    let left = this.andExpr();
    while (OR.has(this.lower())) {
      this.next();
      const a = left;
      const b = this.andExpr();
      left = (s) => a(s) || b(s);
    }
    return left;
  }

  private andExpr(): Pred {
    let left = this.unary();
    while (AND.has(this.lower())) {
      this.next();
      const a = left;
      const b = this.unary();
      left = (s) => a(s) && b(s);
    }
    return left;
  }

  private unary(): Pred {
    const w = this.lower();
    if (NOT.has(w)) {
      this.next();
      const e = this.unary();
      return (s) => !e(s);
    }
    if (w === '(') {
      const open = this.next();
      const e = this.orExpr();
      if (this.peek() !== ')') {
        if (this.peek() === '') throw new FilterError(this.text, open.at, '(', 'this "(" is never closed');
        this.fail(this.peek(), 'expected ")"');
      }
      this.next();
      return e;
    }
    if (w === '' || w === ')' || OR.has(w) || AND.has(w) || w === '=' || w === '!=')
      this.fail(w, 'expected a primitive (host, port, state, …)');
    return this.primitive();
  }

  private primitive(): Pred {
    let proto: Proto | null = null;
    let dir: Side | null = null;
    let keyword: Keyword | null = null;
    const first = this.tokens[this.pos]!;
    let w = this.lower();
    if (w in PROTOS) {
      proto = PROTOS[w]!;
      this.next();
      w = this.lower();
      if (STOP.has(w)) return this.protoPred(proto);
    }
    if (w === 'src' || w === 'dst')
      this.fail(w, 'src and dst belong to packets, --filter selects connections: write orig or resp');
    if (w in DIRS) {
      dir = DIRS[w]!;
      this.next();
      w = this.lower();
      if (!(w in KEYWORDS)) this.fail(w, `expected one of ${KEYWORD_LIST} after "${first.text}"`);
    }
    if (w in KEYWORDS) {
      keyword = KEYWORDS[w]!;
      this.next();
    } else {
      const dot = w.indexOf('.');
      const head = dot > 0 ? w.slice(0, dot) : '';
      const tail = dot > 0 ? w.slice(dot + 1) : '';
      if (head in KEYWORDS && tail in DIRS) {
        if (dir !== null) this.fail(w, 'the side is given twice');
        keyword = KEYWORDS[head]!;
        dir = DIRS[tail]!;
        this.next();
      } else if (this.last !== null && proto === null && !(w in DIRS) && !(w in PROTOS)) {
        // tcpdump's abbreviation: `port 80 or 443` means `port 80 or port 443`.
        ({ proto, dir, keyword } = this.last);
      } else {
        this.fail(w, `unknown word: --filter knows ${KEYWORD_LIST}, orig/resp, ip/ip6, and/or/not`);
      }
    }
    let negate = false;
    if (this.peek() === '=' || this.peek() === '!=') negate = this.next().text === '!=';
    const value = this.next();
    const v = value.text;
    if (STOP.has(v.toLowerCase()) || v === '(' || v === '=' || v === '!=' || NOT.has(v.toLowerCase()))
      this.fail(value, `${keyword} wants ${WANTS[keyword]}`);
    this.last = { proto, dir, keyword };
    let p = this.keywordPred(keyword, dir, value);
    if (proto !== null && proto !== 'tcp') {
      const inner = p;
      const version = this.protoPred(proto);
      p = (s) => version(s) && inner(s);
    }
    if (negate) {
      const inner = p;
      return (s) => !inner(s);
    }
    return p;
  }

  private protoPred(proto: Proto): Pred {
    if (proto === 'tcp') return () => true;
    const want = proto === 'ip6' ? 6 : 4;
    return (s) => ipVersion(s.orig.ip) === want;
  }

  private keywordPred(keyword: Keyword, dir: Side | null, value: Token): Pred {
    const v = value.text;
    if (dir !== null) this.needsRecord = true;
    switch (keyword) {
      case 'host': {
        const addr = parseIp(v);
        if (addr === null) this.fail(value, 'host wants an IPv4 or IPv6 address');
        return onEndpoints(dir, (e) => {
          const b = parseIp(e.ip);
          return b !== null && sameBytes(b, addr);
        });
      }
      case 'net': {
        const slash = v.indexOf('/');
        const addr = parseIp(slash < 0 ? v : v.slice(0, slash));
        if (addr === null) this.fail(value, 'net wants ADDRESS/BITS (IPv4 or IPv6)');
        const max = addr.length * 8;
        const bitsText = slash < 0 ? String(max) : v.slice(slash + 1);
        const bits = Number(bitsText);
        if (!/^\d{1,3}$/.test(bitsText) || bits > max) this.fail(value, `the prefix length is 0 to ${max}`);
        // pcap-filter rejects address bits set beyond the prefix ("non-network bits set").
        const masked = new Uint8Array(addr.length);
        for (let i = 0; i < addr.length; i++) {
          const keep = Math.max(0, Math.min(8, bits - 8 * i));
          masked[i] = addr[i]! & ((0xff << (8 - keep)) & 0xff);
        }
        if (!sameBytes(masked, addr)) this.fail(value, `address bits set beyond the /${bits} prefix`);
        return onEndpoints(dir, (e) => {
          const b = parseIp(e.ip);
          return b !== null && inPrefix(b, addr, bits);
        });
      }
      case 'port': {
        const port = this.portNumber(value, v);
        return onEndpoints(dir, (e) => e.port === port);
      }
      case 'portrange': {
        const m = /^(\d+)-(\d+)$/.exec(v);
        if (m === null) this.fail(value, 'portrange wants LOW-HIGH');
        const lo = this.portNumber(value, m[1]!);
        const hi = this.portNumber(value, m[2]!);
        const [a, b] = lo <= hi ? [lo, hi] : [hi, lo];
        return onEndpoints(dir, (e) => e.port >= a && e.port <= b);
      }
      case 'state':
      case 'final': {
        this.needsRecord = true;
        const state = this.stateName(value);
        if (keyword === 'state') return onSides(dir, (s, side) => s.states[side].includes(state));
        return onSides(dir, (s, side) => s.final[side] === state);
      }
      case 'conn_state': {
        this.needsRecord = true;
        if (dir !== null) this.fail(value, 'conn_state sums up the whole connection: no orig/resp');
        const code = v.toUpperCase();
        if (!(CONN_STATES as readonly string[]).includes(code))
          this.fail(value, `conn_state is one of Zeek's ${CONN_STATES.join(' ')}`);
        return (s) => s.conn_state === code;
      }
      case 'event': {
        this.needsRecord = true;
        const kind = v.toLowerCase().replaceAll('_', '-');
        if (!(EVENT_KINDS as readonly string[]).includes(kind))
          this.fail(value, `unknown event kind; kinds: ${EVENT_KINDS.join(' ')}`);
        const kinds = kind === 'retransmission' ? RETRANSMISSION_FAMILY : [kind as EventKind];
        return (s) => s.events.some((e) => kinds.includes(e.kind) && (dir === null || e.from === dir));
      }
    }
  }

  private portNumber(token: Token, text: string): number {
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
      this.fail(token, 'a port is a number from 0 to 65535');
    return Number(text);
  }

  private stateName(token: Token): StateName {
    const up = token.text.toUpperCase().replaceAll('-', '_');
    const name = STATE_ALIASES[up] ?? up;
    if (!(STATE_NAMES as readonly string[]).includes(name))
      this.fail(token, `not a TCP state; states: ${STATE_NAMES.join(' ')}`);
    return name as StateName;
  }
}

const WANTS: Record<Keyword, string> = {
  host: 'an IPv4 or IPv6 address',
  net: 'ADDRESS/BITS',
  port: 'a port number',
  portrange: 'LOW-HIGH',
  state: 'a TCP state (TIME_WAIT, CLOSE_WAIT, …)',
  final: 'a TCP state (TIME_WAIT, CLOSE_WAIT, …)',
  conn_state: 'a Zeek conn_state (SF, REJ, S0, …)',
  event: 'an event kind (retransmission, dup-ack, …)',
};

/** A parsed --filter. */
export class ConnFilter {
  /**
   * False when the filter reads only the unoriented 4-tuple (host, net, port, ip/ip6 without
   * orig/resp): then `matchesTuple` decides at a connection's first segment.
   */
  readonly needsRecord: boolean;
  private readonly pred: Pred;

  constructor(readonly text: string) {
    const parser = new Parser(
      text,
      tokenize(text, TOKENS, (at, c) => {
        throw new FilterError(text, at, c, 'unexpected character');
      }),
    );
    this.pred = parser.parse();
    this.needsRecord = parser.needsRecord;
  }

  /** Is this connection selected? */
  matches(conn: FilterSubject): boolean {
    return this.pred(conn);
  }

  /** The verdict from the 4-tuple alone (either orientation); only when `needsRecord` is false. */
  matchesTuple(tuple: FilterTuple): boolean {
    if (this.needsRecord) throw new Error('ConnFilter.matchesTuple: this filter needs the whole record');
    return this.pred(tuple as FilterSubject);
  }
}

/** Parses a --filter expression; throws FilterError naming the bad token. */
export function parseFilter(text: string): ConnFilter {
  return new ConnFilter(text);
}
