// Whether the external tools the oracle tests compare with (tcpdump, tshark, mergecap) are
// installed: those tests skip without them (CI installs them).

import { spawnSync } from 'node:child_process';

export function haveTool(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

export const hasTcpdump = haveTool('tcpdump');
export const hasTshark = haveTool('tshark');
