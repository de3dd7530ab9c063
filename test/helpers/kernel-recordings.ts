// The real-kernel recordings of test/fixtures/kernel (scripts/record-kernel-scenarios.sh): each
// NAME.truth.json with NAME.client.pcap and NAME.server.pcap beside it. I/O: reads the folder.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Recording } from './kernel-timed.js';

/**
 * The recordings of `dir` whose truth can be scored per moment: those recorded with the poller
 * of issue 17 (a process of its own every ~0.5 ms, each state's last poll in `until`). The older
 * ones' poll times lag the reads behind them by up to tens of ms (a thread under the GIL).
 */
export function timedRecordings(dir: string): Recording[] {
  return kernelRecordings(dir).filter((r) => r.truth.sockets.every((s) => s.until !== undefined));
}

export function kernelRecordings(dir: string): Recording[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.truth.json'))
    .sort()
    .map((f) => {
      const truth = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Recording['truth'];
      return { name: truth.scenario, truth };
    });
}
