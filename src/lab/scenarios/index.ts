// The built-in scenarios, by name (the names issue 5 fixes; `synack lab list` shows them).

import type { Scenario } from '../scenario.js';
import { ATTACK_SCENARIOS } from './attacks.js';
import { HANDSHAKE_SCENARIOS } from './handshake.js';
import { TEARDOWN_SCENARIOS } from './teardown.js';
import { TIMER_SCENARIOS } from './timers.js';

export const BUILTIN_SCENARIOS: readonly Scenario[] = [
  ...HANDSHAKE_SCENARIOS,
  ...TEARDOWN_SCENARIOS,
  ...ATTACK_SCENARIOS,
  ...TIMER_SCENARIOS,
];

export function findScenario(name: string): Scenario | undefined {
  return BUILTIN_SCENARIOS.find((s) => s.name === name);
}
