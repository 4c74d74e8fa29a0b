// `world convert`: reads a real dataset (JSONL or .jsonl.gz) in one of the supported formats and
// writes our formats (DESIGN.md §4). A line that does not parse is reported with file, line and
// field and skipped, unless `strict`, which stops at the first one and leaves no output file.
import { JsonlWriter, readJsonl } from "../jsonl.js";
import type { Rating } from "../ratings.js";
import { ReaderError } from "./common.js";
import { fromHH } from "./hh.js";
import { fromPrefs } from "./prefs.js";
import { fromAlpaca, fromMessages } from "./sft.js";

export type Format = "hh" | "messages" | "alpaca" | "prefs";
export const FORMATS: readonly Format[] = ["hh", "messages", "alpaca", "prefs"];

/** A bad input line. */
export interface LineError { file: string; line: number; message: string }

/** Converts one parsed line; throws ReaderError naming the field. */
export function convertRecord(format: Format, value: unknown, line: number, rating: Rating = "negligibly_better"): object {
  switch (format) {
    case "hh": return fromHH(value, line, rating);
    case "messages": return fromMessages(value, line);
    case "alpaca": return fromAlpaca(value, line);
    case "prefs": return fromPrefs(value, line, rating);
  }
}

/** Reads and converts a whole file, yielding converted records and bad lines in order. */
export async function* readConverted(format: Format, file: string, rating?: Rating): AsyncGenerator<{ record: object } | { error: LineError }> {
  for await (const l of readJsonl(file)) {
    if ("error" in l) { yield { error: { file, line: l.line, message: l.error } }; continue; }
    try { yield { record: convertRecord(format, l.value, l.line, rating) }; }
    catch (e) {
      if (!(e instanceof ReaderError)) throw e;
      yield { error: { file, line: l.line, message: e.message } };
    }
  }
}

/** Converts `input` into `out`; returns counts and bad lines (at most the first in strict mode). */
export async function convertFile(format: Format, input: string, out: string, opts: { strict?: boolean; rating?: Rating } = {}): Promise<{ converted: number; errors: LineError[]; written: boolean }> {
  const w = new JsonlWriter(out);
  const errors: LineError[] = [];
  try {
    for await (const item of readConverted(format, input, opts.rating)) {
      if ("record" in item) { w.put(item.record); continue; }
      errors.push(item.error);
      if (opts.strict) { w.abort(); return { converted: w.count, errors, written: false }; }
    }
  } catch (e) { w.abort(); throw e; }
  w.close();
  return { converted: w.count, errors, written: true };
}

/** "FILE:LINE: field: message" */
export const formatError = (e: LineError): string => `${e.file}:${e.line}: ${e.message}`;
