// The output of the commands: text collected and written to stdout in large chunks, not one
// write per line.

/** Collects output text and writes it to stdout in large chunks (not one write per line). */
export class OutputBuffer {
  // One growing string (V8 concatenates into a rope, flattened once by the write) beats an array
  // joined per flush; chunks of 256 KiB keep the number of writes small.
  private text = '';

  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  line(s: string): void {
    this.text += `${s}\n`;
    if (this.text.length >= 1 << 18) this.flush();
  }

  flush(): void {
    if (this.text.length === 0) return;
    this.write(this.text);
    this.text = '';
  }
}
