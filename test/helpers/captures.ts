// The capture files of a corpus folder, for tests that run something over every one of them.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every .pcap/.pcapng/.cap (gzipped or not) under `dir`, all subfolders down, sorted; none when `dir` is absent. */
export function capturesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...capturesUnder(p));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}
