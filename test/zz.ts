import { runTrace, statePairs } from './helpers/trace.js';
const r = runTrace(['C>S S seq=100', 'S>C S seq=500', 'C>S S. seq=100 ack=501', 'S>C S. seq=500 ack=101']);
console.log(statePairs(r), r.records[0]!.states);
