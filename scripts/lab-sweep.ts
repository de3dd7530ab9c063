// The long property sweep of the lab (test/lab-differential.test.ts runs a CI-sized slice):
// every scenario of PROPERTY_SCENARIOS under random loss, reordering and duplication for many
// seeds, at every tap; prints each violation of PRODUCT.md's rule (inferred states minus UNKNOWN
// a subsequence of the truth, final the true one or UNKNOWN) and the failure rate.
// Usage: npx tsx scripts/lab-sweep.ts [--presumed] [SEEDS=1000] [LOSS=0.1] [SCENARIO…]
// --presumed: leave out states that only the presumed arrival of an ACK lost past the tap explains
// (lab-rule.ts presumedArrivalStates: no capture can tell them from the lossless case).

import { labRun } from '../src/lab/lab-report.js';
import { TAP_NAMES } from '../src/lab/network.js';
import { findScenario } from '../src/lab/scenarios/index.js';
import { faulty, PROPERTY_SCENARIOS, ruleViolations } from '../test/helpers/lab-rule.js';

const args = process.argv.slice(2);
const presumed = args[0] === '--presumed';
if (presumed) args.shift();
const seeds = Number(args[0] ?? 1000);
const loss = Number(args[1] ?? 0.1);
const names = args.length > 2 ? args.slice(2) : PROPERTY_SCENARIOS;
let runs = 0;
let failed = 0;
const byScenario = new Map<string, number>();
for (const name of names) {
  const base = findScenario(name);
  if (!base) throw new Error(`no scenario ${name}`);
  for (let seed = 1; seed <= seeds; seed++) {
    for (const tap of TAP_NAMES) {
      const v = ruleViolations(labRun(faulty(base, loss), { seed, tap }), { presumed });
      runs++;
      if (v.length > 0) {
        failed++;
        byScenario.set(name, (byScenario.get(name) ?? 0) + 1);
        console.log(`${name} seed ${seed} @${tap}: ${v.join('; ')}`);
      }
    }
  }
}
for (const [name, n] of byScenario) console.log(`${name}: ${n} failing runs`);
console.log(`${failed}/${runs} runs with a violation (${((100 * failed) / runs).toFixed(2)}%)`);
