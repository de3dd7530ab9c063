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

/** Thrown from a packet callback to end reading early on purpose: neither a fault nor a bug. */
export class StopReading extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'StopReading';
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

/**
 * The one line (no newline) for an internal error, which is a bug of synack's and never the user's
 * file: what went wrong and where to report it. Exit code 70 goes with it.
 */
export function internalErrorLine(err: unknown): string {
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const where = err instanceof Error ? firstFrame(err) : '';
  return oneLine(
    `synack: internal error (a bug in synack, not a fault of the input): ${what}${where}; please report it with the command line and, if you can, the capture`,
  );
}

/** ` at FILE:LINE` of the innermost stack frame, to make a report useful; '' when unknown. */
function firstFrame(err: Error): string {
  const m = /\n\s+at (?:.*\()?(?:file:\/\/)?[^\n]*?([^/\s()]+:\d+):\d+\)?/.exec(err.stack ?? '');
  return m ? ` (at ${m[1]})` : '';
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
