// `explain --json` against the lab's truth (issue 16): for every built-in scenario at every tap,
// the story the analyzer tells from the capture makes claims — who acts at each step, each
// endpoint's state after it, whether a segment arrived, who closed first, which SYN was lost —
// and every claim it makes must be what the lab's endpoints really did. UNKNOWN states and null
// arrivals are not claims. The count of claims checked is printed (the closing note reports it).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labRun } from '../src/lab/lab-report.js';
import { TAP_NAMES } from '../src/lab/network.js';
import { BUILTIN_SCENARIOS } from '../src/lab/scenarios/index.js';
import { type Actor, explainStory, type Story } from '../src/report/explain.js';
import type { ConnTimeline, TimelinePacket } from '../src/report/timeline.js';

interface Tally {
  claims: number;
  wrong: string[];
}

const sideOf = (a: Actor) => (a === 'client' ? 'orig' : 'resp');

/** Checks one story against the true timeline of the same connection. */
export function checkStory(story: Story, truth: ConnTimeline, where: string, tally: Tally): void {
  const byFrame = new Map<number, TimelinePacket>();
  for (const p of truth.packets) byFrame.set(p.frame, p);
  for (const step of story.steps) {
    if (step.frame === null) continue;
    const frames = step.evidence.frames;
    const lastFrame = frames[frames.length - 1];
    const first = byFrame.get(step.frame);
    const last = byFrame.get(lastFrame);
    if (!first || !last) continue;
    if (step.actor !== null) {
      tally.claims++;
      if (sideOf(step.actor) !== first.from) tally.wrong.push(`${where} frame ${step.frame}: actor ${step.actor}`);
    }
    for (const side of ['client', 'server'] as const) {
      const said = step.states[side];
      if (said === 'UNKNOWN') continue;
      tally.claims++;
      const real = last.states[sideOf(side)];
      if (said !== real) tally.wrong.push(`${where} frame ${lastFrame}: ${side} ${said}, truly ${real}`);
    }
    if (step.evidence.arrived !== null && frames.length === 1) {
      tally.claims++;
      const real = first.lost !== true;
      if (step.evidence.arrived !== real)
        tally.wrong.push(`${where} frame ${step.frame}: arrived ${step.evidence.arrived}, truly ${real}`);
    }
  }
  const truthStates = truth.record?.states;
  for (const f of story.findings) {
    if (f.kind === 'closed-first' && truthStates) {
      tally.claims++;
      // The side that closed first never passes CLOSE_WAIT; the other does.
      const first = (['orig', 'resp'] as const).find(
        (s) => !truthStates[s].includes('CLOSE_WAIT') && truthStates[s].includes('FIN_WAIT_1'),
      );
      const said = byFrame.get(f.frames[0])?.from;
      if (said !== first) tally.wrong.push(`${where}: closed first ${said}, truly ${first}`);
    }
    if (f.kind === 'simultaneous-close' && truthStates) {
      tally.claims++;
      if (!truthStates.orig.includes('CLOSING') && !truthStates.resp.includes('CLOSING'))
        tally.wrong.push(`${where}: simultaneous close claimed, no CLOSING in the truth`);
    }
    if (f.kind === 'syn-lost') {
      for (const n of f.frames.slice(0, -1)) {
        tally.claims++;
        if (byFrame.get(n)?.lost !== true) tally.wrong.push(`${where}: SYN at frame ${n} claimed lost, it arrived`);
      }
    }
  }
}

test('explain --json claims equal the lab truth, every scenario at every tap', () => {
  const tally: Tally = { claims: 0, wrong: [] };
  let stories = 0;
  for (const scenario of BUILTIN_SCENARIOS) {
    for (const tap of TAP_NAMES) {
      const lab = labRun(scenario, { tap });
      for (const c of lab.connections) {
        const analyzed = lab.observation.timelines.find((t) => t.packets.some((p) => p.frame === c.frames[0]));
        if (!analyzed) continue;
        for (const lang of ['en', 'zh'] as const) {
          const story = explainStory(analyzed, { lang, timeWaitS: lab.run.endpoints.length > 0 ? undefined : 60 });
          if (lang === 'en') checkStory(story, c.timeline, `${scenario.name}@${tap} #${c.id}`, tally);
          stories++;
        }
      }
    }
  }
  process.stdout.write(`# explain claims checked: ${tally.claims} in ${stories / 2} stories, wrong: ${tally.wrong.length}\n`);
  assert.ok(tally.claims > 1000);
  assert.deepEqual(tally.wrong, []);
});
