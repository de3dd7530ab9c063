// `--conn C` (PRODUCT.md): a connection id as `synack conns` numbers them, or a 4-tuple
// `IP:PORT-IP:PORT` in either order (IPv6 in brackets) with an optional `#n` for the n-th
// connection on that 4-tuple. Parsed once here for ladder, explain, extract, states and read.

import { parseIp } from '../track/ip-text.js';

export type ConnSelector =
  | { kind: 'id'; id: number }
  | { kind: 'tuple'; a: { ip: string; port: number }; b: { ip: string; port: number }; nth?: number };

export class ConnSelectorError extends Error {}

function parseEndpoint(text: string, whole: string): { ip: string; port: number } {
  let ip: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':')
      throw new ConnSelectorError(`--conn ${whole}: write IPv6 as [ADDR]:PORT`);
    ip = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw new ConnSelectorError(`--conn ${whole}: expected IP:PORT, got "${text}"`);
    ip = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (ip.includes(':')) throw new ConnSelectorError(`--conn ${whole}: write IPv6 as [ADDR]:PORT`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new ConnSelectorError(`--conn ${whole}: bad port "${portText}"`);
  if (ip === '') throw new ConnSelectorError(`--conn ${whole}: missing address`);
  return { ip: ip.toLowerCase(), port: Number(portText) };
}

export function parseConnSelector(text: string): ConnSelector {
  const s = text.trim();
  // A negative number is a wrong id, not a 4-tuple with an empty first endpoint.
  if (/^-?\d+$/.test(s)) {
    const id = Number(s);
    if (id < 1) throw new ConnSelectorError(`--conn ${text}: ids start at 1`);
    return { kind: 'id', id };
  }
  let body = s;
  let nth: number | undefined;
  const hash = s.lastIndexOf('#');
  if (hash >= 0) {
    const n = s.slice(hash + 1);
    if (!/^\d+$/.test(n) || Number(n) < 1) throw new ConnSelectorError(`--conn ${text}: #n counts from 1`);
    nth = Number(n);
    body = s.slice(0, hash);
  }
  // The dash between endpoints: the first '-' outside brackets (addresses never contain one).
  let depth = 0;
  let dash = -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '-' && depth === 0) {
      dash = i;
      break;
    }
  }
  if (dash < 0) throw new ConnSelectorError(`--conn ${text}: expected an id or IP:PORT-IP:PORT`);
  const a = parseEndpoint(body.slice(0, dash), text);
  const b = parseEndpoint(body.slice(dash + 1), text);
  return nth === undefined ? { kind: 'tuple', a, b } : { kind: 'tuple', a, b, nth };
}

interface Selectable {
  id: number;
  orig: { ip: string; port: number };
  resp: { ip: string; port: number };
}

function same(x: { ip: string; port: number }, y: { ip: string; port: number }): boolean {
  return x.port === y.port && x.ip.toLowerCase() === y.ip.toLowerCase();
}

/** Connections the selector matches, in id order (a tuple with #n: at most that one). */
export function selectConns<T extends Selectable>(conns: readonly T[], sel: ConnSelector): T[] {
  if (sel.kind === 'id') return conns.filter((c) => c.id === sel.id);
  const matches = conns
    .filter(
      (c) => (same(c.orig, sel.a) && same(c.resp, sel.b)) || (same(c.orig, sel.b) && same(c.resp, sel.a)),
    )
    .sort((x, y) => x.id - y.id);
  if (sel.nth === undefined) return matches;
  return matches.length >= sel.nth ? [matches[sel.nth - 1]] : [];
}

/** What ConnPicker reads of a connection at its first segment (the tracker's Conn fits). */
export interface PickableConn {
  id: number;
  ipVersion: number;
  addrA: Uint8Array;
  portA: number;
  addrB: Uint8Array;
  portB: number;
}

/**
 * Judges connections against a selector as they appear, for the commands that stream (read,
 * extract): `takes` is asked once per connection, in id order. A 4-tuple without `#n` takes
 * every connection on it when `everyOnTuple`, else the first (as ladder and explain show).
 */
export class ConnPicker {
  private readonly tuple: { a: Uint8Array; aPort: number; b: Uint8Array; bPort: number } | null;
  private readonly nth: number;
  /** The ids of the connections seen on the 4-tuple so far. */
  readonly onTuple: number[] = [];

  constructor(
    private readonly sel: ConnSelector,
    everyOnTuple = false,
  ) {
    if (sel.kind === 'tuple') {
      const a = parseIp(sel.a.ip);
      const b = parseIp(sel.b.ip);
      if (a === null || b === null)
        throw new ConnSelectorError(`--conn: "${a === null ? sel.a.ip : sel.b.ip}" is not an IP address`);
      this.tuple = { a, aPort: sel.a.port, b, bPort: sel.b.port };
    } else this.tuple = null;
    this.nth = sel.kind === 'tuple' ? (sel.nth ?? (everyOnTuple ? 0 : 1)) : 0;
  }

  takes(conn: PickableConn): boolean {
    if (this.sel.kind === 'id') return conn.id === this.sel.id;
    const t = this.tuple!;
    const n = conn.ipVersion === 6 ? 16 : 4;
    if (t.a.length !== n) return false;
    const a = conn.addrA.subarray(0, n);
    const b = conn.addrB.subarray(0, n);
    const on =
      (sameBytes(a, t.a) && conn.portA === t.aPort && sameBytes(b, t.b) && conn.portB === t.bPort) ||
      (sameBytes(a, t.b) && conn.portA === t.bPort && sameBytes(b, t.a) && conn.portB === t.aPort);
    if (!on) return false;
    this.onTuple.push(conn.id);
    return this.nth === 0 || this.onTuple.length === this.nth;
  }
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
