import { runTrace, statePairs } from './helpers/trace.js';
const r = runTrace([
  'C>S S seq=100',
  'S>C S. seq=500 ack=101',
  'C>S . seq=101 ack=501',
]);
console.log(statePairs(r));
