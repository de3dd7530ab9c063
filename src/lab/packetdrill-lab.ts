// A packetdrill script's run as a lab report (lab-report.ts): the same capture, analyzer
// observation, true connections, ladders and `conns --json` records as a named scenario, plus
// packetdrill's own verdict text for a script the stack did not follow. Pure.

import { type LabRun, labReport } from './lab-report.js';
import type { TapName } from './network.js';
import { type PacketdrillOptions, type PacketdrillResult, runPacketdrill } from './packetdrill-run.js';
import type { Scenario } from './scenario.js';

export interface PacketdrillLab {
  result: PacketdrillResult;
  lab: LabRun;
}

/** Runs a script's text and reports it at `tap` (default: the stack under test's side). */
export function labPacketdrill(
  text: string,
  name: string,
  opts: PacketdrillOptions & { tap?: TapName } = {},
): PacketdrillLab {
  const result = runPacketdrill(text, name, opts);
  const scenario: Scenario = {
    name,
    description: `packetdrill script, the ${result.local} under test (${opts.stack ?? 'linux'} stack): ${
      result.passed ? 'passed' : `failed at line ${result.failure!.line}`
    }`,
    timeline: [],
  };
  // Default: the stack under test's own interface, where packetdrill sniffs.
  const lab = labReport(scenario, result.run, opts.tap ?? result.local, result.listening, result.timeWaitSec);
  return { result, lab };
}

/** packetdrill's error report for a failed script: `FILE:LINE: error handling packet: …` and the dumps. */
export function packetdrillFailureLines(file: string, result: PacketdrillResult): string[] {
  const f = result.failure;
  if (!f) return [];
  const kind = f.script !== undefined ? 'error handling packet' : 'runtime error';
  const lines = [`${file}:${f.line}: ${kind}: ${f.message}`];
  if (f.script !== undefined) lines.push(`script packet:  ${f.script}`);
  if (f.actual !== undefined) lines.push(`actual packet:  ${f.actual}`);
  return lines;
}
