// `read --packet-filter EXPR`: tcpdump's filter language (pcap-filter(7)) over single TCP packets,
// beside --filter which selects whole connections. The common forms: `host A`, `src host A`,
// `dst A`, `net 10.0.0.0/8` (or `net 10.1`), `port 80` (or `port http`), `src port`, `dst port`,
// `portrange 8000-8080`, `src or dst port`, `ip`, `ip6`, `tcp`, `less N`, `greater N`, the TCP
// header bytes `tcp[13]`, `tcp[4:4]`, `tcp[tcpflags]` with masks and comparisons
// (`tcp[tcpflags] & (tcp-syn|tcp-fin) != 0`, `tcp[tcpflags] == tcp-syn`), combined with
// and/or/not (&&, ||, !) and parentheses; a bare value repeats the qualifiers before it
// (`port 80 or 443`). Anything else is refused with its name (udp, vlan, ether, ip[…], …).
// Pure: a parser (text → predicate over the decoded Packet).
//
// Grammar (not binds tighter than and, and tighter than or, as in pcap-filter):
//   expr      = and { ("or" | "||") and }
//   and       = unary { ("and" | "&&") unary }
//   unary     = ("not" | "!") unary | "(" expr ")" | relation | primitive
//   relation  = arith ("=" | "==" | "!=" | "<" | ">" | "<=" | ">=") arith
//   arith     = operand { ("&" | "|") operand }
//   operand   = number | tcp-syn… | "tcp[" off [":" 1|2|4] "]" | "len" | "(" arith ")"

import { ACK, CWR, ECE, FIN, type Packet, PSH, RST, SYN, URG } from '../wire/packet.js';
import { FilterError } from './filter.js';
import { type Token, type TokenRules, tokenize } from './filter-tokens.js';
import { parseIPv4, parseIp } from './ip-text.js';
import { servicePort } from './services.js';

/** A --packet-filter that does not parse (a usage error, exit 1). */
export class PacketFilterError extends FilterError {
  constructor(text: string, at: number, token: string, reason: string) {
    super(text, at, token, reason);
    const where = token === '' ? 'at the end' : `"${token}" (character ${at + 1})`;
    this.message = `--packet-filter "${text}": ${where}: ${reason}`;
  }
}

/** Commander's help text for the option. */
export const PACKET_FILTER_HELP =
  '[src|dst] host/net/port/portrange, ip, ip6, tcp, less/greater N, tcp[tcpflags] & (tcp-syn|tcp-fin) != 0; and/or/not, ( )';

export interface PacketFilter {
  readonly text: string;
  matches(pkt: Packet): boolean;
}

type Pred = (p: Packet) => boolean;
type Num = (p: Packet) => number | null;

const FLAG_NAMES: Record<string, number> = {
  'tcp-fin': FIN,
  'tcp-syn': SYN,
  'tcp-rst': RST,
  'tcp-push': PSH,
  'tcp-ack': ACK,
  'tcp-urg': URG,
  'tcp-ece': ECE,
  'tcp-cwr': CWR,
};

/** What pcap-filter has and this does not: named in the error. */
const UNSUPPORTED = new Set([
  'udp',
  'icmp',
  'icmp6',
  'arp',
  'rarp',
  'sctp',
  'igmp',
  'vlan',
  'mpls',
  'pppoed',
  'pppoes',
  'geneve',
  'vxlan',
  'ether',
  'fddi',
  'tr',
  'wlan',
  'link',
  'ppp',
  'slip',
  'gateway',
  'broadcast',
  'multicast',
  'proto',
  'protochain',
  'inbound',
  'outbound',
  'ifname',
  'on',
  'rnr',
  'rulenum',
  'reason',
  'rset',
  'srnr',
  'subrulenum',
  'action',
  'type',
  'subtype',
  'dir',
  'iso',
  'decnet',
  'atalk',
  'aarp',
  'ipx',
  'netbeui',
  'stp',
  'lat',
  'mopdl',
  'moprc',
  'sca',
  'ah',
  'esp',
  'pim',
  'vrrp',
  'carp',
  'mask',
]);

const SUPPORTED_HINT =
  'supported: host, net, port, portrange, src/dst, ip, ip6, tcp, less, greater, tcp[…] with & | and comparisons, and/or/not, ( )';

const TOKENS: TokenRules = {
  operators: ['&&', '||', '==', '!=', '<=', '>=', '(', ')', '&', '|', '!', '<', '>', '='],
  brackets: true,
  wordChar: /[A-Za-z0-9_.:\-/%]/,
};

type Dir = 'src' | 'dst' | 'src or dst' | 'src and dst';
type Kind = 'host' | 'net' | 'port' | 'portrange';

/** The qualifiers a bare value repeats (`port 80 or 443`). */
interface Qualifiers {
  proto: 'ip' | 'ip6' | 'tcp' | null;
  dir: Dir;
  kind: Kind;
}

class Parser {
  private pos = 0;
  private last: Qualifiers | null = null;

  constructor(
    private readonly text: string,
    private readonly toks: Token[],
  ) {}

  parse(): Pred {
    if (this.toks.length === 0) throw this.error(null, 'empty filter');
    const p = this.expr();
    if (this.pos < this.toks.length) throw this.error(this.peek(), 'expected and/or or the end');
    return p;
  }

  private peek(): Token | null {
    return this.toks[this.pos] ?? null;
  }

  private error(tok: Token | null, reason: string): PacketFilterError {
    return new PacketFilterError(this.text, tok?.at ?? this.text.length, tok?.text ?? '', reason);
  }

  private eat(...words: string[]): boolean {
    const t = this.peek();
    if (t !== null && words.includes(t.text.toLowerCase())) {
      this.pos++;
      return true;
    }
    return false;
  }

  private expr(): Pred {
    let left = this.and();
    while (this.eat('or', '||')) {
      const l = left;
      const r = this.and();
      left = (p) => l(p) || r(p);
    }
    return left;
  }

  private and(): Pred {
    let left = this.unary();
    while (this.eat('and', '&&')) {
      const l = left;
      const r = this.unary();
      left = (p) => l(p) && r(p);
    }
    return left;
  }

  private unary(): Pred {
    if (this.eat('not', '!')) {
      const inner = this.unary();
      return (p) => !inner(p);
    }
    const t = this.peek();
    if (t === null) throw this.error(null, 'expected a primitive');
    if (t.text === '(') {
      // A group, or the start of a relation `(tcp[13] & 2) != 0`: try the group first.
      const start = this.pos;
      const saved = this.last;
      try {
        this.pos++;
        const inner = this.expr();
        if (!this.eat(')')) throw this.error(this.peek(), 'expected )');
        if (!this.isRelop(this.peek())) return inner;
      } catch (err) {
        if (!(err instanceof PacketFilterError)) throw err;
      }
      this.pos = start;
      this.last = saved;
      return this.relation();
    }
    if (this.startsArith(t)) return this.relation();
    return this.primitive();
  }

  private isRelop(t: Token | null): boolean {
    return t !== null && ['=', '==', '!=', '<', '>', '<=', '>='].includes(t.text);
  }

  private startsArith(t: Token): boolean {
    const w = t.text.toLowerCase();
    if (/^\d/.test(w)) {
      // `5 < len` is a relation; `port 80 or 21`'s bare 21 repeats `port`.
      const next = this.toks[this.toks.indexOf(t) + 1];
      return next !== undefined && (this.isRelop(next) || next.text === '&' || next.text === '|');
    }
    return w in FLAG_NAMES || w === 'tcpflags' || w === 'len' || this.isIndex(t);
  }

  /** `tcp[…]` (or another protocol's `x[…]`, refused by operand): a word with a bracket right after it. */
  private isIndex(t: Token): boolean {
    const next = this.toks[this.toks.indexOf(t) + 1];
    return /^[a-z0-9]+$/i.test(t.text) && next?.text.startsWith('[') && next.at === t.at + t.text.length;
  }

  private relation(): Pred {
    const left = this.arith();
    const op = this.peek();
    if (!this.isRelop(op)) throw this.error(op, 'expected a comparison (=, !=, <, >, <=, >=)');
    this.pos++;
    const right = this.arith();
    const cmp: Record<string, (a: number, b: number) => boolean> = {
      '=': (a, b) => a === b,
      '==': (a, b) => a === b,
      '!=': (a, b) => a !== b,
      '<': (a, b) => a < b,
      '>': (a, b) => a > b,
      '<=': (a, b) => a <= b,
      '>=': (a, b) => a >= b,
    };
    const f = cmp[op!.text]!;
    // A byte beyond the captured TCP header fails the whole test, as BPF rejects the packet.
    return (p) => {
      const a = left(p);
      const b = right(p);
      return a !== null && b !== null && f(a, b);
    };
  }

  private arith(): Num {
    let left = this.operand();
    for (;;) {
      const t = this.peek();
      if (t === null || (t.text !== '&' && t.text !== '|')) return left;
      this.pos++;
      const l = left;
      const r = this.operand();
      left =
        t.text === '&'
          ? (p) => {
              const a = l(p);
              const b = r(p);
              return a === null || b === null ? null : (a & b) >>> 0;
            }
          : (p) => {
              const a = l(p);
              const b = r(p);
              return a === null || b === null ? null : (a | b) >>> 0;
            };
    }
  }

  private operand(): Num {
    const t = this.peek();
    if (t === null) throw this.error(null, 'expected a number, tcp[…] or a flag name');
    const w = t.text.toLowerCase();
    this.pos++;
    if (w === '(') {
      const inner = this.arith();
      if (!this.eat(')')) throw this.error(this.peek(), 'expected )');
      return inner;
    }
    if (/^(0x[0-9a-f]+|\d+)$/.test(w)) {
      const n = Number(w);
      return () => n;
    }
    if (w in FLAG_NAMES) {
      const n = FLAG_NAMES[w]!;
      return () => n;
    }
    if (w === 'tcpflags') return () => 13;
    if (w === 'len') return (p) => p.origLen;
    if (w === 'tcp' && this.peek()?.text.startsWith('[')) return this.tcpIndex(this.toks[this.pos++]!);
    if (this.peek()?.text.startsWith('['))
      throw this.error(t, `${w}[…] is not supported (only tcp[…]); ${SUPPORTED_HINT}`);
    throw this.error(t, 'expected a number, tcp[…] or a flag name (tcp-syn, tcp-ack, …)');
  }

  /** `[13]`, `[tcpflags]`, `[4:4]`: bytes of the TCP header, big-endian. */
  private tcpIndex(t: Token): Num {
    const m = /^\[\s*([A-Za-z0-9]+)\s*(?::\s*([124]))?\s*\]$/.exec(t.text);
    if (m === null) throw this.error(t, 'expected tcp[OFFSET] or tcp[OFFSET:1|2|4] with a numeric offset');
    const offText = m[1]!.toLowerCase();
    const off = offText === 'tcpflags' ? 13 : /^(0x[0-9a-f]+|\d+)$/.test(offText) ? Number(offText) : -1;
    if (off < 0) throw this.error(t, `unknown offset "${m[1]}" (a number or tcpflags)`);
    const size = Number(m[2] ?? 1);
    return (p) => {
      if (off + size > p.tcpCaptured) return null;
      let v = 0;
      for (let i = 0; i < size; i++) v = v * 256 + p.tcpBuf[p.tcpOffset + off + i]!;
      return v;
    };
  }

  private primitive(): Pred {
    const first = this.peek()!;
    const w = first.text.toLowerCase();
    if (UNSUPPORTED.has(w)) throw this.error(first, `"${first.text}" is not supported; ${SUPPORTED_HINT}`);
    if (w === 'less' || w === 'greater') {
      this.pos++;
      const n = this.numberArg();
      return w === 'less' ? (p) => p.origLen <= n : (p) => p.origLen >= n;
    }
    let proto: Qualifiers['proto'] = null;
    if (w === 'ip' || w === 'ip6' || w === 'tcp') {
      this.pos++;
      proto = w;
    }
    let dir: Dir | null = null;
    const d = this.peek()?.text.toLowerCase();
    if (d === 'src' || d === 'dst') {
      this.pos++;
      dir = d;
      const both = this.peek()?.text.toLowerCase();
      const other = this.toks[this.pos + 1]?.text.toLowerCase();
      if ((both === 'or' || both === 'and') && other === (d === 'src' ? 'dst' : 'src')) {
        this.pos += 2;
        dir = both === 'or' ? 'src or dst' : 'src and dst';
      }
    }
    let kind: Kind | null = null;
    const k = this.peek()?.text.toLowerCase();
    if (k === 'host' || k === 'net' || k === 'port' || k === 'portrange') {
      this.pos++;
      kind = k;
    }
    if (proto !== null && dir === null && kind === null) {
      // `tcp`, `ip`, `ip6` alone: the protocol test.
      this.last = null;
      return proto === 'tcp'
        ? () => true
        : proto === 'ip'
          ? (p) => p.ipVersion === 4
          : (p) => p.ipVersion === 6;
    }
    if (dir === null && kind === null && proto === null) {
      // A bare value: the previous primitive's qualifiers, as tcpdump does.
      if (this.last === null)
        throw this.error(first, `"${first.text}" is not a primitive; ${SUPPORTED_HINT}`);
      return this.value(this.last);
    }
    const q: Qualifiers = { proto, dir: dir ?? 'src or dst', kind: kind ?? 'host' };
    this.last = q;
    return this.value(q);
  }

  private numberArg(): number {
    const t = this.peek();
    if (t === null || !/^\d+$/.test(t.text)) throw this.error(t, 'expected a number');
    this.pos++;
    return Number(t.text);
  }

  private value(q: Qualifiers): Pred {
    const t = this.peek();
    if (t === null) throw this.error(null, `expected a value after ${q.kind}`);
    this.pos++;
    const base = this.valueTest(q, t);
    const proto = q.proto;
    const gated =
      proto === 'ip'
        ? (p: Packet) => p.ipVersion === 4 && base(p)
        : proto === 'ip6'
          ? (p: Packet) => p.ipVersion === 6 && base(p)
          : base;
    return gated;
  }

  private valueTest(q: Qualifiers, t: Token): Pred {
    const side = (test: (p: Packet, src: boolean) => boolean): Pred => {
      switch (q.dir) {
        case 'src':
          return (p) => test(p, true);
        case 'dst':
          return (p) => test(p, false);
        case 'src and dst':
          return (p) => test(p, true) && test(p, false);
        default:
          return (p) => test(p, true) || test(p, false);
      }
    };
    if (q.kind === 'port' || q.kind === 'portrange') {
      let lo: number;
      let hi: number;
      if (q.kind === 'port') {
        lo = hi = this.port(t, t.text);
      } else {
        const m = /^([^-]+)-([^-]+)$/.exec(t.text);
        if (m === null) throw this.error(t, 'expected a port range LOW-HIGH');
        lo = this.port(t, m[1]!);
        hi = this.port(t, m[2]!);
        if (lo > hi) [lo, hi] = [hi, lo];
      }
      return side((p, src) => {
        const port = src ? p.srcPort : p.dstPort;
        return port >= lo && port <= hi;
      });
    }
    const net = q.kind === 'net' ? this.network(t) : this.hostAddress(t);
    return side((p, src) => {
      if ((p.ipVersion === 6 ? 16 : 4) !== net.addr.length) return false;
      const a = src ? p.src : p.dst;
      return prefixEqual(a, net.addr, net.bits);
    });
  }

  private port(t: Token, text: string): number {
    if (/^\d+$/.test(text)) {
      const n = Number(text);
      if (n <= 65535) return n;
      throw this.error(t, 'a port is 0 to 65535');
    }
    const n = servicePort(text);
    if (n < 0) throw this.error(t, `unknown port name "${text}"`);
    return n;
  }

  private hostAddress(t: Token): { addr: Uint8Array; bits: number } {
    const addr = parseIp(t.text);
    if (addr === null) {
      if (/^[A-Za-z]/.test(t.text) && !t.text.includes(':'))
        throw this.error(t, 'host names are not looked up: give an IP address');
      throw this.error(t, 'expected an IP address');
    }
    return { addr, bits: addr.length * 8 };
  }

  /** `net 10.0.0.0/8`, `net 2001:db8::/32`, and tcpdump's short `net 10.1` (a /16). */
  private network(t: Token): { addr: Uint8Array; bits: number } {
    const [ip, len] = t.text.split('/');
    if (len === undefined && /^\d+(\.\d+){0,2}$/.test(ip!)) {
      const parts = ip!.split('.');
      const addr = parseIPv4([...parts, '0', '0', '0'].slice(0, 4).join('.'));
      if (addr !== null) return { addr, bits: parts.length * 8 };
    }
    const addr = parseIp(ip!);
    if (addr === null) throw this.error(t, 'expected a network ADDRESS/LENGTH');
    const bits = len === undefined ? addr.length * 8 : Number(len);
    if (!/^\d+$/.test(len ?? '0') || bits > addr.length * 8)
      throw this.error(t, 'the prefix length does not fit the address');
    // pcap-filter refuses host bits set below the prefix ("non-network bits set").
    if (!prefixEqual(addr, new Uint8Array(addr.length), addr.length * 8) && hostBitsSet(addr, bits))
      throw this.error(t, 'non-network bits set in the address');
    return { addr, bits };
  }
}

function prefixEqual(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (a[i] !== b[i]) return false;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (a[i]! & mask) === (b[i]! & mask);
}

function hostBitsSet(addr: Uint8Array, bits: number): boolean {
  for (let i = 0; i < addr.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const hostMask = ~((0xff << (8 - keep)) & 0xff) & 0xff;
    if ((addr[i]! & hostMask) !== 0) return true;
  }
  return false;
}

/** Parses a --packet-filter expression; throws PacketFilterError naming what it cannot take. */
export function parsePacketFilter(text: string): PacketFilter {
  const tokens = tokenize(text, TOKENS, (at, c) => {
    throw new PacketFilterError(text, at, c, `unexpected character; ${SUPPORTED_HINT}`);
  });
  const pred = new Parser(text, tokens).parse();
  return { text, matches: pred };
}
