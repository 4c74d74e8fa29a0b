// The one reader of text inputs as bytes (issue 10 item 4): `tokenizer train` sees a file exactly
// as `data prepare` does (src/data/documents.ts) — .gz decompressed, JSONL reduced to its "text"
// fields — instead of the compressed bytes or raw JSON syntax. Plain text passes through as is
// (sentencepiece reads it line by line); each JSONL record becomes its text plus "\n".
import fs from "node:fs";
import { createGunzip } from "node:zlib";
import { readDocuments, readErrorMessage, sourceFormat } from "./documents.js";

/**
 * Yields the text of `file` as UTF-8 chunks. `onBytes(n)` receives the bytes read from disk (for
 * MB/s). Gzip and read errors name the file; a bad JSONL line names file:line and the field.
 */
export async function* readTextBytes(file: string, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  if (sourceFormat(file) === "jsonl") {
    for await (const doc of readDocuments(file, onBytes)) yield Buffer.from(doc.text + "\n", "utf8");
    return;
  }
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (onBytes) raw.on("data", (chunk) => onBytes(chunk.length));
  const gz = file.toLowerCase().endsWith(".gz");
  const stream = gz ? raw.pipe(createGunzip()) : raw;
  if (gz) raw.on("error", (e) => stream.destroy(e));
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } catch (e) {
    throw new Error(readErrorMessage(e, file, gz));
  } finally {
    raw.destroy();
  }
}
