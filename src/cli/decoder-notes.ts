// The decoder's notes (IP fragment buffer full, unknown link type, offload lengths) attributed to
// the file whose record raised them, so each stderr line names its file as every other note does.

import type { Decoder } from '../wire/decode.js';
import { formatNote } from './errors.js';

export class DecoderNotes {
  private seen = 0;
  private readonly lines: string[] = [];

  constructor(private readonly decoder: Decoder) {}

  /** Call after each decode: notes that appeared since the last call belong to `file`. */
  take(file: string): void {
    const notes = this.decoder.notes;
    while (this.seen < notes.length) this.lines.push(formatNote(file, notes[this.seen++]!));
  }

  /** The notes as stderr lines (`synack: FILE: NOTE`, no newline), in the order they arose. */
  formatted(): readonly string[] {
    return this.lines;
  }
}
