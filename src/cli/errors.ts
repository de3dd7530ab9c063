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
