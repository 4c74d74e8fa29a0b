// The annotation page's output file (`llama2 annotate --out`): preference rows appended one per
// comparison and fsynced, so a crash loses at most the comparison on screen; reopening it resumes at
// the first prompt without a row; undo takes the last row back (the file is rewritten atomically).
// Every row is checked with the reader `llama2 reward train` uses before it is written.
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../io/atomic-file.js";
import { withFsContext, mkdirpOrExplain } from "../io/fs-errors.js";
import { parsePreference, PreferenceDataError } from "../data/preferences.js";
import type { ComparisonRow } from "../data/comparison-row.js";

/** The rows of an annotation file and the prompts they answer. */
export class AnnotationLog {
  private lines: string[] = [];
  private indices: (number | null)[] = [];
  private fd: number;
  /** Bytes of a torn last line (no newline, not JSON) dropped on open, from a crash mid-write; 0 if none. */
  readonly recoveredBytes: number;

  /** Opens (or creates) `file` for `promptCount` prompts; existing rows are validated and counted. */
  constructor(readonly file: string, readonly promptCount: number) {
    mkdirpOrExplain(path.dirname(path.resolve(file)));
    let text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    let recovered = 0;
    if (text !== "" && !text.endsWith("\n")) {
      const cut = text.lastIndexOf("\n") + 1, tail = text.slice(cut);
      if (isJson(tail)) text += "\n";
      else { recovered = Buffer.byteLength(tail); text = text.slice(0, cut); }
      writeFileAtomic(file, text);
    }
    this.recoveredBytes = recovered;
    text.split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      const where = `${file}:${i + 1}`;
      let value: unknown;
      try { value = JSON.parse(line); } catch (e) { throw new PreferenceDataError(`${where}: not JSON (${(e as Error).message})`); }
      parsePreference(value, where, "none");
      const pi = (value as { prompt_index?: unknown }).prompt_index;
      if (pi !== null && !(Number.isInteger(pi) && (pi as number) >= 0))
        throw new PreferenceDataError(`${where}: field "prompt_index" must be a row number of the prompts file (0-based) or null, got ${JSON.stringify(pi)}`);
      if (typeof pi === "number" && pi >= promptCount)
        throw new PreferenceDataError(`${where}: field "prompt_index" is ${pi} but the prompts file has ${promptCount} rows (is --out from another prompts file?)`);
      this.lines.push(line);
      this.indices.push(pi as number | null);
    });
    this.fd = fs.openSync(file, "a");
  }

  /** Rows written. */
  get rows(): number { return this.lines.length; }

  /** Prompts of the file with at least one row. */
  get done(): number { return new Set(this.indices.filter((i) => i !== null)).size; }

  /** The first prompt without a row, or null when every prompt has one. */
  next(): number | null {
    const seen = new Set(this.indices);
    for (let i = 0; i < this.promptCount; i++) if (!seen.has(i)) return i;
    return null;
  }

  /** Appends one row and flushes it to disk; the row must read as `llama2 reward train` reads it. */
  append(row: ComparisonRow): void {
    parsePreference(row, `${this.file}:${this.lines.length + 1}`, "small");
    const line = JSON.stringify(row);
    withFsContext("append to", this.file, () => { fs.writeSync(this.fd, line + "\n"); fs.fsyncSync(this.fd); });
    this.lines.push(line);
    this.indices.push(row.prompt_index);
  }

  /** Removes the last row (the file is rewritten atomically) and returns it, or null when there is none. */
  undo(): ComparisonRow | null {
    if (this.lines.length === 0) return null;
    const last = this.lines.pop()!;
    this.indices.pop();
    fs.closeSync(this.fd);
    writeFileAtomic(this.file, this.lines.map((l) => l + "\n").join(""));
    this.fd = fs.openSync(this.file, "a");
    return JSON.parse(last) as ComparisonRow;
  }

  /** Closes the file. */
  close(): void { fs.closeSync(this.fd); }
}

function isJson(s: string): boolean {
  try { JSON.parse(s); return true; } catch { return false; }
}
