// Loaded with `node --import` before the CLI, in tests only: makes the decoder throw a TypeError on
// the third record, standing in for any bug of synack's own, so the CLI's handling of internal
// errors (one line, exit 70, never posing as a file fault) can be observed on every command.

import { Decoder } from '../../src/wire/decode.js';

const decode = Decoder.prototype.decode;
let calls = 0;
Decoder.prototype.decode = function (this: Decoder, ...args: Parameters<Decoder['decode']>) {
  if (++calls === 3) throw new TypeError('injected fault standing in for a bug');
  return decode.apply(this, args);
};
