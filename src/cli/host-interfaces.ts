// The reading host's interface names by index, for the SLL2 captures of `-i any` whose frames
// name their interface by index (tcpdump resolves them on the reading host too).

import { readdirSync, readFileSync } from 'node:fs';

/** SLL2 interface names as tcpdump resolves them: by index on the reading host ('?' if none). */
export function hostInterfaceNames(): (index: number) => string {
  let names: Map<number, string> | null = null;
  return (index) => {
    if (names === null) {
      names = new Map();
      try {
        for (const name of readdirSync('/sys/class/net')) {
          const idx = Number.parseInt(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'), 10);
          if (Number.isFinite(idx)) names.set(idx, name);
        }
      } catch {
        // Not Linux: every index is unknown, as for tcpdump without if_indextoname.
      }
    }
    return names.get(index) ?? '?';
  };
}
