// A progress bar on stderr for long tokenizer jobs: bytes read (with MB/s) or steps done. On a
// terminal it redraws one line; otherwise it prints a line every few seconds.

/** Progress of one phase with a known total. */
export class Progress {
  private readonly start = Date.now();
  private lastDraw = Date.now();
  private readonly tty: boolean;

  /** unit "MB" shows bytes as MB and MB/s; anything else shows counts per second. */
  constructor(private readonly label: string, private readonly total: number, private readonly unit: "MB" | string,
    private readonly enabled = true, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  /** Reports `done` units finished; redraws at most 10 times a second (every 5 s off a terminal). */
  update(done: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < (this.tty ? 100 : 5000)) return;
    this.lastDraw = now;
    const secs = Math.max((now - this.start) / 1000, 1e-3);
    const frac = this.total > 0 ? Math.min(done / this.total, 1) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const bar = "#".repeat(filled) + ".".repeat(width - filled);
    const mb = this.unit === "MB";
    const amount = mb
      ? `${(done / 1e6).toFixed(1)}/${(this.total / 1e6).toFixed(1)} MB ${(done / 1e6 / secs).toFixed(1)} MB/s`
      : `${done}/${this.total} ${this.unit} ${(done / secs).toFixed(0)} ${this.unit}/s`;
    const line = `${this.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${amount} ${secs.toFixed(1)}s`;
    if (this.tty) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(`${line}\n`);
  }

  /** Draws the final state and ends the line. */
  finish(done: number): void {
    if (!this.enabled) return;
    this.update(done, true);
    if (this.tty) this.stream.write("\n");
  }
}
