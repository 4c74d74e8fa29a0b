// A live one-line progress display on stderr (data prepare, the trainer). On a terminal it
// redraws one line in place at most every `intervalMs`; otherwise (CI logs, files) it prints a
// plain line every `plainIntervalMs` so logs stay readable. No dependency: cli-progress would
// add little beyond this. trainProgress() is the trainer's display (the trainer only calls back).
import type { TrainProgress } from "../train/trainer.js";

/** Formats seconds as "1h02m", "3m05s" or "12s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** A fixed-width text bar, e.g. "[#####.....]". */
export function bar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const n = Math.round(f * width);
  return `[${"#".repeat(n)}${".".repeat(width - n)}]`;
}

export class ProgressLine {
  private last = 0;
  private shown = false;
  private readonly tty: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = 200,
    private readonly plainIntervalMs = 10_000,
    private readonly enabled = true,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  /** Shows `text` unless the last update was too recent (force = always). */
  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < (this.tty ? this.intervalMs : this.plainIntervalMs)) return;
    this.last = now;
    if (this.tty) {
      const cols = this.stream.columns ?? 120;
      this.stream.write(`\r${text.slice(0, cols - 1)}\x1b[K`);
      this.shown = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Prints a whole line (e.g. an eval result) without breaking the live line. */
  log(text: string): void {
    if (!this.enabled) return;
    if (this.tty && this.shown) this.stream.write("\r\x1b[K");
    this.stream.write(`${text}\n`);
    this.shown = false;
    this.last = 0;
  }

  /** Ends the live line with a newline. */
  done(text?: string): void {
    if (!this.enabled) return;
    if (text !== undefined) {
      if (this.tty) this.stream.write(`\r${text}\x1b[K\n`);
      else this.stream.write(`${text}\n`);
    } else if (this.tty && this.shown) {
      this.stream.write("\n");
    }
    this.shown = false;
  }
}

/** The trainer's live line: "step 12/100 loss 3.2100 lr 3.00e-04 | 950 tok/s | ETA 1m05s", and its log lines. */
export function trainProgress(stream: NodeJS.WriteStream = process.stderr): TrainProgress {
  const line = new ProgressLine(stream, 250, 10_000);
  return {
    step: (p) => line.update(`step ${p.step}/${p.maxSteps} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} ` +
      `| ${Math.round(p.tokensPerSecond)} tok/s | ETA ${formatDuration(p.etaSeconds)}`),
    log: (m) => line.log(m),
    done: () => line.done(),
  };
}
