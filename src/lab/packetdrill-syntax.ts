// The packetdrill script language (google/packetdrill gtests/net/packetdrill: lexer.l, parser.y),
// parsed into plain data: options (`--tolerance_usecs=…`), the init and cleanup commands, and
// events — a time (`0`, `+.1`, `*`, `0.1~0.2`, `+.3~+.4`) and an action: a TCP segment injected
// toward the stack under test (`<`) or expected from it (`>`), a socket call with its expected
// result and errno, a backtick command, or a `%{ … }%` code block. Pure: text in, data out.
// What the grammar has and the lab does not model (UDP, ICMP, GRE, MPLS, IPv6 flow labels, ECN
// bits, TCP Fast Open and MD5 options) is a PacketdrillUnsupported naming it and its line.

/** A syntax error: the line and what was wrong. */
export class PacketdrillSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Valid packetdrill outside the subset the lab runs (exit 4): the feature and its line. */
export class PacketdrillUnsupported extends Error {
  constructor(
    readonly line: number,
    readonly feature: string,
  ) {
    super(`line ${line}: unsupported: ${feature}`);
  }
}

export type PdExpr =
  | { k: 'ellipsis' }
  | { k: 'int'; v: number }
  | { k: 'word'; v: string }
  | { k: 'string'; v: string }
  | { k: 'array'; items: PdExpr[] }
  | { k: 'struct'; items: PdExpr[] }
  | { k: 'or'; items: PdExpr[] }
  | { k: 'assign'; name: string; value: PdExpr }
  | { k: 'call'; name: string; args: PdExpr[] };

export type PdOption =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'ts'; val: number; ecr: number };

export interface PdPacket {
  type: 'packet';
  /** '<' injected toward the stack under test, '>' expected from it. */
  dir: '<' | '>';
  /** Flag letters as written (S F R P . E W -). */
  flags: string;
  seq: number;
  end: number;
  len: number;
  ack?: number;
  win?: number;
  /** The options as written; 'any' for `<...>`; undefined when none were written (none expected). */
  options?: PdOption[] | 'any';
}

export interface PdSyscall {
  type: 'syscall';
  name: string;
  args: PdExpr[];
  result: PdExpr;
  errno?: string;
  /** `...t`: a blocking call that returns at t (µs; relative to the previous event for `+` times). */
  endUs?: number;
}

export interface PdCommand {
  type: 'command';
  text: string;
}

export interface PdCode {
  type: 'code';
  text: string;
}

export interface PdTime {
  kind: 'absolute' | 'relative' | 'any';
  /** µs */
  start: number;
  /** µs, for a range `a~b` (same kind as start). */
  end?: number;
}

export interface PdEvent {
  line: number;
  time: PdTime;
  action: PdPacket | PdSyscall | PdCommand | PdCode;
}

export interface PdScript {
  /** `--name=value` lines at the top. */
  options: Record<string, string>;
  options_line: Record<string, number>;
  init?: { line: number; text: string };
  events: PdEvent[];
  cleanup?: { line: number; text: string };
}

// ---------------------------------------------------------------- lexer

type TokKind = 'num' | 'hex' | 'word' | 'string' | 'backquote' | 'code' | 'option' | 'punct';
interface Tok {
  kind: TokKind;
  text: string;
  line: number;
  /** The numeric value of num/hex. */
  value?: number;
  /** A `.` written with no space after the word before it (flags like `S.`). */
  glued?: boolean;
}

const PUNCT = new Set(['+', '~', '<', '>', ':', '(', ')', '[', ']', '{', '}', ',', '=', '|', '.', '-', '*']);

function lex(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  let atLineStart = true;
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
      atLineStart = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    const startLine = line;
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) throw new PacketdrillSyntaxError(startLine, 'unterminated /* comment');
      for (let j = i; j < close; j++) if (text[j] === '\n') line++;
      i = close + 2;
      continue;
    }
    if (atLineStart && c === '-' && text[i + 1] === '-') {
      let j = i + 2;
      while (j < n && text[j] !== '\n') j++;
      toks.push({ kind: 'option', text: text.slice(i + 2, j).trim(), line: startLine });
      i = j;
      continue;
    }
    atLineStart = false;
    if (c === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) throw new PacketdrillSyntaxError(startLine, 'unterminated backtick command');
      const body = text.slice(i + 1, close);
      for (const ch of body) if (ch === '\n') line++;
      toks.push({ kind: 'backquote', text: body, line: startLine });
      i = close + 1;
      continue;
    }
    if (c === '%' && text[i + 1] === '{') {
      const close = text.indexOf('}%', i + 2);
      if (close < 0) throw new PacketdrillSyntaxError(startLine, 'unterminated %{ code block');
      const body = text.slice(i + 2, close);
      for (const ch of body) if (ch === '\n') line++;
      toks.push({ kind: 'code', text: body, line: startLine });
      i = close + 2;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') {
        if (text[j] === '\\') j++;
        if (text[j] === '\n') throw new PacketdrillSyntaxError(startLine, 'unterminated string');
        j++;
      }
      toks.push({ kind: 'string', text: text.slice(i + 1, j), line: startLine });
      i = j + 1;
      continue;
    }
    if (c === '.' && text.startsWith('...', i)) {
      toks.push({ kind: 'punct', text: '...', line: startLine });
      i += 3;
      continue;
    }
    if (c === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
      const m = /^0[xX][0-9a-fA-F]+/.exec(text.slice(i));
      if (!m) throw new PacketdrillSyntaxError(startLine, 'bad hex number');
      toks.push({ kind: 'hex', text: m[0], line: startLine, value: Number.parseInt(m[0].slice(2), 16) });
      i += m[0].length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:[0-9]*\.[0-9]+|[0-9]+)/.exec(text.slice(i))!;
      toks.push({ kind: 'num', text: m[0], line: startLine, value: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      toks.push({ kind: 'word', text: m[0], line: startLine });
      i += m[0].length;
      if (text[i] === '.' && text[i + 1] !== '.') {
        toks.push({ kind: 'punct', text: '.', line: startLine, glued: true });
        i++;
      }
      continue;
    }
    if (PUNCT.has(c)) {
      toks.push({ kind: 'punct', text: c, line: startLine });
      i++;
      continue;
    }
    throw new PacketdrillSyntaxError(startLine, `unexpected character '${c}'`);
  }
  return toks;
}

// ---------------------------------------------------------------- parser

const US = 1_000_000;
const toUs = (seconds: number) => Math.round(seconds * US);

const TCP_FLAG_LETTERS = /^[SFRP.EWAU]*$/;

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  get done(): boolean {
    return this.i >= this.toks.length;
  }

  peek(offset = 0): Tok | undefined {
    return this.toks[this.i + offset];
  }

  line(): number {
    return (this.peek() ?? this.toks[this.toks.length - 1])?.line ?? 1;
  }

  next(): Tok {
    const t = this.toks[this.i++];
    if (!t)
      throw new PacketdrillSyntaxError(
        this.toks[this.toks.length - 1]?.line ?? 1,
        'unexpected end of script',
      );
    return t;
  }

  is(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && (t.kind === 'punct' || t.kind === 'word') && t.text === text;
  }

  expect(text: string, what = `'${text}'`): Tok {
    const t = this.next();
    if ((t.kind !== 'punct' && t.kind !== 'word') || t.text !== text) {
      throw new PacketdrillSyntaxError(t.line, `expected ${what}, found '${t.text}'`);
    }
    return t;
  }

  integer(what: string): number {
    const t = this.next();
    if ((t.kind !== 'num' && t.kind !== 'hex') || !Number.isInteger(t.value)) {
      throw new PacketdrillSyntaxError(t.line, `expected ${what} (an integer), found '${t.text}'`);
    }
    return t.value!;
  }

  seconds(): number {
    const t = this.next();
    if (t.kind !== 'num')
      throw new PacketdrillSyntaxError(t.line, `expected a time in seconds, found '${t.text}'`);
    return t.value!;
  }

  // event_time: '+' time | time | '*' | time '~' time | '+' time '~' '+' time
  time(): PdTime {
    if (this.is('*')) {
      this.next();
      return { kind: 'any', start: 0 };
    }
    const relative = this.is('+');
    if (relative) this.next();
    const start = toUs(this.seconds());
    if (this.is('~')) {
      this.next();
      if (relative) this.expect('+', "'+' (a relative range is +a~+b)");
      const end = toUs(this.seconds());
      return { kind: relative ? 'relative' : 'absolute', start, end };
    }
    return { kind: relative ? 'relative' : 'absolute', start };
  }

  event(): PdEvent {
    const line = this.line();
    const time = this.time();
    const t = this.peek();
    if (!t) throw new PacketdrillSyntaxError(line, 'an event time with no action');
    if (t.kind === 'punct' && (t.text === '<' || t.text === '>'))
      return { line, time, action: this.packet() };
    if (t.kind === 'backquote') return { line, time, action: { type: 'command', text: this.next().text } };
    if (t.kind === 'code') return { line, time, action: { type: 'code', text: this.next().text } };
    if (t.kind === 'word' || (t.kind === 'punct' && t.text === '...'))
      return { line, time, action: this.syscall() };
    throw new PacketdrillSyntaxError(t.line, `expected a packet, system call or command, found '${t.text}'`);
  }

  packet(): PdPacket {
    const dirTok = this.next();
    const dir = dirTok.text as '<' | '>';
    const line = dirTok.line;
    // Unsupported prefixes and protocols.
    const first = this.peek();
    if (first?.kind === 'word') {
      const w = first.text;
      if (w === 'udp' || w === 'UDP') throw new PacketdrillUnsupported(line, 'UDP packets');
      if (w === 'icmp' || w === 'ICMP') throw new PacketdrillUnsupported(line, 'ICMP packets');
      if (w === 'gre' || w === 'GRE') throw new PacketdrillUnsupported(line, 'GRE encapsulation');
      if (w === 'mpls' || w === 'MPLS') throw new PacketdrillUnsupported(line, 'MPLS labels');
      if (w === 'ipv4' || w === 'ipv6')
        throw new PacketdrillUnsupported(line, `explicit ${w} addresses in a packet`);
    }
    if (this.is('(') || this.is('['))
      throw new PacketdrillUnsupported(line, 'IP header fields (ECN, TOS, TTL, flow label)');
    if (this.peek()?.kind === 'num' && this.is('>', 1)) {
      throw new PacketdrillUnsupported(line, 'explicit port numbers in a packet');
    }
    // flags: WORD | '.' | WORD '.' | '-'
    let flags = '';
    const f = this.next();
    if (f.kind === 'word') {
      flags = f.text;
      if (this.is('.') && this.peek()?.glued) {
        this.next();
        flags += '.';
      }
    } else if (f.kind === 'punct' && (f.text === '.' || f.text === '-')) {
      flags = f.text === '.' ? '.' : '';
    } else throw new PacketdrillSyntaxError(f.line, `expected TCP flags, found '${f.text}'`);
    if (!TCP_FLAG_LETTERS.test(flags)) throw new PacketdrillSyntaxError(f.line, `bad TCP flags '${flags}'`);
    if (/[EWAU]/.test(flags))
      throw new PacketdrillUnsupported(line, `TCP flag ${flags.replace(/[SFRP.]/g, '')} (ECN/URG)`);
    // seq: INTEGER ':' INTEGER '(' INTEGER ')'
    const seq = this.integer('the start sequence number');
    this.expect(':');
    const end = this.integer('the end sequence number');
    this.expect('(');
    const len = this.integer('the payload length');
    this.expect(')');
    if ((end - seq) >>> 0 !== len) {
      throw new PacketdrillSyntaxError(line, `sequence range ${seq}:${end} does not match length ${len}`);
    }
    const pkt: PdPacket = { type: 'packet', dir, flags, seq, end, len };
    if (this.is('ack')) {
      this.next();
      pkt.ack = this.integer('the ACK number');
    }
    if (this.is('win')) {
      this.next();
      pkt.win = this.integer('the window');
    }
    if (this.is('urg')) throw new PacketdrillUnsupported(line, 'urgent pointer');
    if (this.is('<')) pkt.options = this.tcpOptions(line);
    return pkt;
  }

  tcpOptions(line: number): PdOption[] | 'any' {
    this.expect('<');
    if (this.is('...')) {
      this.next();
      this.expect('>');
      return 'any';
    }
    const out: PdOption[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind !== 'word')
        throw new PacketdrillSyntaxError(t.line, `expected a TCP option, found '${t.text}'`);
      switch (t.text) {
        case 'nop':
          out.push({ kind: 'nop' });
          break;
        case 'eol':
          out.push({ kind: 'eol' });
          break;
        case 'mss':
          out.push({ kind: 'mss', value: this.integer('the MSS') });
          break;
        case 'wscale':
          out.push({ kind: 'wscale', value: this.integer('the window scale') });
          break;
        case 'sackOK':
          out.push({ kind: 'sackOK' });
          break;
        case 'sack': {
          const blocks: [number, number][] = [];
          while (this.peek()?.kind === 'num' && this.is(':', 1)) {
            const l = this.integer('a SACK block start');
            this.expect(':');
            blocks.push([l, this.integer('a SACK block end')]);
          }
          if (blocks.length === 0) throw new PacketdrillSyntaxError(t.line, 'sack with no blocks');
          out.push({ kind: 'sack', blocks });
          break;
        }
        case 'TS': {
          this.expect('val');
          const val = this.integer('TS val');
          this.expect('ecr');
          out.push({ kind: 'ts', val, ecr: this.integer('TS ecr') });
          break;
        }
        case 'FO':
        case 'FOEXP':
          throw new PacketdrillUnsupported(line, 'TCP Fast Open option');
        case 'md5':
          throw new PacketdrillUnsupported(line, 'TCP MD5 option');
        default:
          throw new PacketdrillUnsupported(line, `TCP option '${t.text}'`);
      }
      if (this.is(',')) {
        this.next();
        continue;
      }
      this.expect('>', "',' or '>' after a TCP option");
      return out;
    }
  }

  syscall(): PdSyscall {
    let endUs: number | undefined;
    if (this.is('...')) {
      this.next();
      endUs = toUs(this.seconds());
    }
    const nameTok = this.next();
    if (nameTok.kind !== 'word')
      throw new PacketdrillSyntaxError(nameTok.line, `expected a system call, found '${nameTok.text}'`);
    this.expect('(', `'(' after ${nameTok.text}`);
    const args = this.is(')') ? [] : this.expressionList(')');
    this.expect(')');
    this.expect('=', `'= result' after ${nameTok.text}(…)`);
    const result = this.expression();
    const call: PdSyscall = { type: 'syscall', name: nameTok.text, args, result };
    if (endUs !== undefined) call.endUs = endUs;
    // opt_errno: WORD note ; note: '(' words ')'
    const e = this.peek();
    if (e?.kind === 'word' && e.line === nameTok.line && /^E[A-Z0-9]+$/.test(e.text)) {
      call.errno = this.next().text;
    }
    if (this.is('(') && this.peek()?.line === this.toks[this.i - 1].line) this.skipNote();
    return call;
  }

  skipNote(): void {
    this.expect('(');
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === 'punct' && t.text === '(') depth++;
      if (t.kind === 'punct' && t.text === ')') depth--;
    }
  }

  expressionList(close: string): PdExpr[] {
    const items = [this.expression()];
    while (this.is(',')) {
      this.next();
      if (this.is(close)) break;
      items.push(this.expression());
    }
    return items;
  }

  expression(): PdExpr {
    let e = this.primary();
    if (this.is('=') && e.k === 'word') {
      this.next();
      return { k: 'assign', name: e.v, value: this.expression() };
    }
    if (this.is('=') && e.k === 'call' && this.peek(1)?.text !== '=') {
      // msg_name(...)=...
      this.next();
      return { k: 'assign', name: e.name, value: this.expression() };
    }
    if (this.is('|')) {
      const items = [e];
      while (this.is('|')) {
        this.next();
        items.push(this.primary());
      }
      e = { k: 'or', items };
    }
    return e;
  }

  primary(): PdExpr {
    const t = this.next();
    switch (t.kind) {
      case 'num':
      case 'hex':
        if (!Number.isInteger(t.value))
          throw new PacketdrillSyntaxError(t.line, `expected an integer, found '${t.text}'`);
        return { k: 'int', v: t.value! };
      case 'string':
        if (this.is('...')) this.next();
        return { k: 'string', v: t.text };
      case 'word':
        if (this.is('(')) {
          this.next();
          const args = this.is(')') ? [] : this.expressionList(')');
          this.expect(')');
          return { k: 'call', name: t.text, args };
        }
        return { k: 'word', v: t.text };
      case 'punct':
        if (t.text === '...') return { k: 'ellipsis' };
        if (t.text === '-' && (this.peek()?.kind === 'num' || this.peek()?.kind === 'hex')) {
          return { k: 'int', v: -this.integer('a number') };
        }
        if (t.text === '[') {
          const items = this.is(']') ? [] : this.expressionList(']');
          this.expect(']');
          return { k: 'array', items };
        }
        if (t.text === '{') {
          const items = this.is('}') ? [] : this.expressionList('}');
          this.expect('}');
          return { k: 'struct', items };
        }
        break;
      default:
        break;
    }
    throw new PacketdrillSyntaxError(t.line, `unexpected '${t.text}' in an expression`);
  }
}

/** Parses a whole script. Throws PacketdrillSyntaxError or PacketdrillUnsupported. */
export function parsePacketdrill(text: string): PdScript {
  const toks = lex(text);
  const script: PdScript = { options: {}, options_line: {}, events: [] };
  const p = new Parser(toks);
  while (p.peek()?.kind === 'option') {
    const t = p.next();
    const eq = t.text.indexOf('=');
    const name = eq < 0 ? t.text : t.text.slice(0, eq);
    script.options[name] = eq < 0 ? '' : t.text.slice(eq + 1);
    script.options_line[name] = t.line;
  }
  if (p.peek()?.kind === 'backquote') {
    const t = p.next();
    script.init = { line: t.line, text: t.text };
  }
  while (!p.done) {
    if (p.peek()?.kind === 'backquote' && p.peek(1) === undefined) {
      const t = p.next();
      script.cleanup = { line: t.line, text: t.text };
      break;
    }
    script.events.push(p.event());
  }
  if (script.events.length === 0) throw new PacketdrillSyntaxError(1, 'no events');
  return script;
}
