// `watch --sort KEYS` and the screen's `s`/`r` keys: the order of the socket table. Keys as ps
// takes them (`--sort=-recvq,state`: a leading `-` sorts that key descending); ties fall back
// to the default order (listeners first, then local and remote address and port). Sockets with
// no value for a key (no owner, no timer) sort after those with one, whatever the direction.

import { COUNT_ORDER, type WatchRow } from '../report/watch-table.js';
import { TcpState } from '../tcp/state.js';
import { parseIp } from '../track/ip-text.js';

export const SORT_KEYS = [
  'state',
  'local',
  'remote',
  'lport',
  'rport',
  'recvq',
  'sendq',
  'timer',
  'age',
  'pid',
  'command',
  'uid',
  'inode',
] as const;
export type SortKeyName = (typeof SORT_KEYS)[number];

/** ss's and netstat's words for the same keys. */
const ALIASES: Record<string, SortKeyName> = {
  sport: 'lport',
  dport: 'rport',
  'recv-q': 'recvq',
  'send-q': 'sendq',
  rx: 'recvq',
  tx: 'sendq',
  time: 'age',
  process: 'command',
  ino: 'inode',
};

export interface SortKey {
  name: SortKeyName;
  descending: boolean;
}

export class SortUsage extends Error {}

/** `-recvq,state` → keys; '' → none (the default order). */
export function parseSortKeys(text: string): SortKey[] {
  const keys: SortKey[] = [];
  for (const raw of text.split(',')) {
    const word = raw.trim().toLowerCase();
    if (word === '') continue;
    const descending = word.startsWith('-');
    const bare = word.replace(/^[-+]/, '');
    const name = (SORT_KEYS as readonly string[]).includes(bare) ? (bare as SortKeyName) : ALIASES[bare];
    if (name === undefined)
      throw new SortUsage(
        `--sort: unknown key '${raw.trim()}' (keys: ${SORT_KEYS.join(', ')}; -KEY descending)`,
      );
    keys.push({ name, descending });
  }
  return keys;
}

export function sortText(keys: readonly SortKey[]): string {
  return keys.map((k) => `${k.descending ? '-' : ''}${k.name}`).join(',');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Default order: listeners first, then by local address/port, remote address/port (numerically). */
export function compareDefault(x: WatchRow, y: WatchRow): number {
  const lx = x.sock.state === TcpState.LISTEN ? 0 : 1;
  const ly = y.sock.state === TcpState.LISTEN ? 0 : 1;
  if (lx !== ly) return lx - ly;
  const a = x.sock;
  const b = y.sock;
  return (
    a.ipVersion - b.ipVersion ||
    cmp(addressKey(a.localIp), addressKey(b.localIp)) ||
    a.localPort - b.localPort ||
    cmp(addressKey(a.remoteIp), addressKey(b.remoteIp)) ||
    a.remotePort - b.remotePort ||
    a.inode - b.inode
  );
}

type Value = number | string | null;

const addressKeys = new Map<string, string>();

/** An address as fixed-width hex of its bytes, so text order is numeric order (10.0.0.2 < 192.…). */
function addressKey(ip: string): string {
  let k = addressKeys.get(ip);
  if (k === undefined) {
    const bytes = parseIp(ip);
    k = bytes === null ? ip : Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    if (addressKeys.size > 100_000) addressKeys.clear();
    addressKeys.set(ip, k);
  }
  return k;
}

/** A row's value for a key; null when it has none. */
function keyValue(row: WatchRow, key: SortKeyName): Value {
  const s = row.sock;
  switch (key) {
    case 'state':
      return COUNT_ORDER.indexOf(s.state);
    case 'local':
      return `${s.ipVersion}|${addressKey(s.localIp)}|${String(s.localPort).padStart(5, '0')}`;
    case 'remote':
      return `${s.ipVersion}|${addressKey(s.remoteIp)}|${String(s.remotePort).padStart(5, '0')}`;
    case 'lport':
      return s.localPort;
    case 'rport':
      return s.remotePort;
    case 'recvq':
      return s.rxQueue;
    case 'sendq':
      return s.state === TcpState.LISTEN ? null : s.txQueue;
    case 'timer':
      return s.timer === null ? null : s.timer.leftMs;
    case 'age':
      // Earlier since = longer in state: ascending age is the newest first.
      return -row.stateSinceMs;
    case 'pid':
      return s.pids[0] ?? null;
    case 'command':
      return s.command;
    case 'uid':
      return s.uid;
    case 'inode':
      return s.inode;
  }
}

/** A comparator for `keys`, then the default order. */
export function rowComparator(keys: readonly SortKey[]): (x: WatchRow, y: WatchRow) => number {
  if (keys.length === 0) return compareDefault;
  return (x, y) => {
    for (const k of keys) {
      const a = keyValue(x, k.name);
      const b = keyValue(y, k.name);
      if (a === b) continue;
      if (a === null) return 1;
      if (b === null) return -1;
      const c = typeof a === 'number' && typeof b === 'number' ? a - b : cmp(String(a), String(b));
      if (c !== 0) return k.descending ? -c : c;
    }
    return compareDefault(x, y);
  };
}
