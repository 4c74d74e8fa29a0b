// RUN_DIR/metrics.jsonl: one JSON object a line — training lines {"step","loss","lr",
// "tokens_per_s","grad_norm",…} and eval lines {"step","val_loss","val_ppl"}. Appended as the run
// goes; on resume, lines after the checkpoint's step are dropped so the log matches the state.
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../io/atomic-file.js";
import { withFsContext } from "../io/fs-errors.js";

export const METRICS_FILE = "metrics.jsonl";

/** One line of RUN_DIR/metrics.jsonl: step, loss, lr, grad_norm, tokens_per_s, ... (val_loss on eval steps). */
export type MetricsLine = Record<string, number | string | boolean | null>;

export class MetricsLog {
  readonly file: string;

  constructor(runDir: string) {
    this.file = path.join(runDir, METRICS_FILE);
  }

  append(line: MetricsLine): void {
    // A full disk names the file (Node's own ENOSPC from write(2) has no path).
    withFsContext("append to", this.file, () => fs.appendFileSync(this.file, JSON.stringify(line) + "\n"));
  }

  /** Keeps only lines with step <= `step` (resume), dropping a torn last line. */
  truncateAfter(step: number): void {
    if (!fs.existsSync(this.file)) return;
    const kept = fs.readFileSync(this.file, "utf8").split("\n").filter((l) => {
      if (l.trim() === "") return false;
      try {
        const o = JSON.parse(l) as { step?: number };
        return typeof o.step === "number" && o.step <= step;
      } catch {
        return false;
      }
    });
    writeFileAtomic(this.file, kept.map((l) => l + "\n").join(""));
  }
}

/** Reads a metrics.jsonl; errors name file and line. */
export function readMetrics(file: string): MetricsLine[] {
  const out: MetricsLine[] = [];
  fs.readFileSync(file, "utf8").split("\n").forEach((l, i) => {
    if (l.trim() === "") return;
    try {
      out.push(JSON.parse(l) as MetricsLine);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
    }
  });
  return out;
}
