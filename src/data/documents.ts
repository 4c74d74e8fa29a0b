// Streams pretraining documents out of text files (DESIGN.md §4 "pretraining text"): plain .txt,
// where a document is a paragraph — lines up to the next blank line, joined with "\n" — and
// JSONL, one {"text": ...} object a line. Either may be gzip-compressed (.gz). Bytes are counted
// as they are read so callers can show MB/s.
import fs from "node:fs";
import readline from "node:readline";
import { createGunzip } from "node:zlib";
import { describeFsError } from "../io/fs-errors.js";

/** One document and where it came from (for error messages). */
export interface SourceDocument {
  text: string;
  file: string;
  /** 1-based line number of the document's first line. */
  line: number;
}

/** "txt" or "jsonl", from the file name with an optional .gz suffix. */
export function sourceFormat(file: string): "txt" | "jsonl" {
  const base = file.toLowerCase().replace(/\.gz$/, "");
  if (base.endsWith(".jsonl") || base.endsWith(".ndjson")) return "jsonl";
  if (base.endsWith(".txt") || base.endsWith(".text") || base.endsWith(".md")) return "txt";
  throw new Error(`${file}: unknown input format (expected .txt, .md, .jsonl or .ndjson, optionally .gz)`);
}

/**
 * Yields the documents of one file in order. `onBytes(n)` receives the compressed bytes read from
 * disk as they arrive. A JSONL line that is not an object with a string "text" throws an error
 * naming file, line and field; blank JSONL lines are skipped.
 */
export async function* readDocuments(file: string, onBytes?: (n: number) => void): AsyncGenerator<SourceDocument> {
  try {
    yield* readDocumentsRaw(file, onBytes);
  } catch (e) {
    // gzip and file-system errors arrive without the file's name: add it (our own errors name file:line already).
    if (typeof (e as NodeJS.ErrnoException).code === "string") throw new Error(readErrorMessage(e, file, file.toLowerCase().endsWith(".gz")));
    throw e;
  }
}

async function* readDocumentsRaw(file: string, onBytes?: (n: number) => void): AsyncGenerator<SourceDocument> {
  const format = sourceFormat(file);
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (onBytes) raw.on("data", (chunk) => onBytes(chunk.length));
  const stream = file.toLowerCase().endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  raw.on("error", (e) => stream.destroy(e));
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  if (format === "jsonl") {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === "") continue;
      yield { text: parseJsonlText(line, file, lineNo), file, line: lineNo };
    }
    return;
  }
  let paragraph: string[] = [];
  let start = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") {
      if (paragraph.length > 0) yield { text: paragraph.join("\n"), file, line: start };
      paragraph = [];
      continue;
    }
    if (paragraph.length === 0) start = lineNo;
    paragraph.push(line);
  }
  if (paragraph.length > 0) yield { text: paragraph.join("\n"), file, line: start };
}

/** The "text" field of one JSONL line; errors name file:line and the field. */
export function parseJsonlText(line: string, file: string, lineNo: number): string {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new Error(`${file}:${lineNo}: invalid JSON (${(e as Error).message})`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    throw new Error(`${file}:${lineNo}: expected a JSON object with a "text" field`);
  const text = (obj as Record<string, unknown>).text;
  if (typeof text !== "string")
    throw new Error(`${file}:${lineNo}: field "text" must be a string, got ${text === undefined ? "nothing" : typeof text}`);
  return text;
}

/** "FILE: not valid gzip data (…)" for zlib errors, "cannot read FILE: …" for system errors. */
export function readErrorMessage(e: unknown, file: string, gz: boolean): string {
  const err = e as NodeJS.ErrnoException;
  if (gz && typeof err?.code === "string" && err.code.startsWith("Z_"))
    return `${file}: not valid gzip data (${err.message}${err.code === "Z_BUF_ERROR" ? ": the file is truncated" : ""})`;
  return describeFsError(e, "read", file);
}
