// How file-level faults and non-fatal notes reach the user: one line each on stderr, in the one
// format every command uses (`synack: FILE: byte OFFSET: WHAT`, `synack: FILE: NOTE`).

/** A file-level fault (not a capture, corrupt header/block, truncated record, unreadable file). */
export class FileFault extends Error {
  constructor(
    /** The file as the user named it (`stdin` for `-`). */
    readonly file: string,
    /** Absolute byte offset in the capture data where the fault lies. */
    readonly offset: number,
    message: string,
    /** The reader's error code (CaptureError's, e.g. TRUNCATED_RECORD) when it came from one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'FileFault';
  }
}

/** Exactly one line (no newline): `synack: FILE: byte OFFSET: WHAT`. */
export function formatFault(fault: FileFault): string {
  return `synack: ${fault.file}: byte ${fault.offset}: ${oneLine(fault.message)}`;
}

/** One line (no newline) for a non-fatal note: `synack: FILE: NOTE`. */
export function formatNote(file: string, note: string): string {
  return `synack: ${file}: ${oneLine(note)}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

// Commands that print only after the whole input is read (ladder, explain, states, extract) would
// otherwise show the fault above their output: the line is held and written last, by main.ts.
let heldFault: string | null = null;

/** Keeps a fault's line (no newline) to be written after the command's output. */
export function holdFault(line: string): void {
  heldFault = line;
}

/** Writes the held fault line, if any, to stderr (once). */
export function writeHeldFault(): void {
  if (heldFault !== null) process.stderr.write(`${heldFault}\n`);
  heldFault = null;
}
