// The namespace's TCP counters from /proc/net/netstat (the file nstat and netstat -s read): pairs
// of lines, names then values, per group (`TcpExt:`). watch uses ListenOverflows (a SYN or the
// final ACK of a handshake dropped because a listener's accept queue was full) to say when a
// listener's backlog overflows; ss's Send-Q of a listener (its backlog) is not in /proc.

import { readFileSync } from 'node:fs';

/** `Group.Name` → value, e.g. `TcpExt.ListenOverflows`. */
export function parseProcNetstat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const group = names[0];
    if (group === undefined || !group.endsWith(':') || values[0] !== group) continue;
    if (names.length !== values.length || values.slice(1).some((v) => !/^-?\d+$/.test(v))) continue;
    for (let k = 1; k < names.length; k++) out.set(`${group.slice(0, -1)}.${names[k]}`, Number(values[k]));
    i++;
  }
  return out;
}

/** ListenOverflows of this namespace, null when /proc/net/netstat is missing or lacks it. */
export function readListenOverflows(root = '/proc'): number | null {
  try {
    return (
      parseProcNetstat(readFileSync(`${root}/net/netstat`, 'latin1')).get('TcpExt.ListenOverflows') ?? null
    );
  } catch {
    return null;
  }
}
