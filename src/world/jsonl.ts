// JSONL I/O for the world: a buffered writer that streams to a temp file and renames it into
// place when closed (nothing half-written is left under the final name), and a line reader for
// .jsonl and .jsonl.gz that reports bad lines with file and line number.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import zlib from "node:zlib";
import { mkdirpOrExplain } from "../io/fs-errors.js";

/** Streams text to `file` through a temp file; `close()` renames it into place. */
export class TextWriter {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  bytes = 0;
  readonly tmp: string;
  constructor(readonly file: string, private readonly flushAt = 1 << 20) {
    mkdirpOrExplain(path.dirname(file));
    this.tmp = `${file}.tmp-${process.pid}`;
    this.fd = fs.openSync(this.tmp, "w");
  }
  write(s: string): void {
    this.buf.push(s);
    this.size += s.length;
    if (this.size >= this.flushAt) this.flush();
  }
  private flush(): void {
    if (this.buf.length === 0) return;
    const data = Buffer.from(this.buf.join(""), "utf8");
    fs.writeSync(this.fd, data);
    this.bytes += data.length;
    this.buf = []; this.size = 0;
  }
  close(): void { this.flush(); fs.closeSync(this.fd); fs.renameSync(this.tmp, this.file); }
  /** Abandons the output: the temp file is removed and the final name untouched. */
  abort(): void { try { fs.closeSync(this.fd); } catch { /* already closed */ } fs.rmSync(this.tmp, { force: true }); }
}

/** A JSONL writer: one JSON object per line. */
export class JsonlWriter extends TextWriter {
  count = 0;
  put(obj: unknown): void { this.write(JSON.stringify(obj) + "\n"); this.count++; }
}

/** One input line: parsed JSON or the reason it failed, with its 1-based line number. */
export type Line = { line: number; value: unknown } | { line: number; error: string };

/** Reads a .jsonl or .jsonl.gz (by name or gzip magic) file line by line; blank lines are skipped. */
export async function* readJsonl(file: string): AsyncGenerator<Line> {
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, "r");
  const n = fs.readSync(fd, head, 0, 2, 0);
  fs.closeSync(fd);
  const gz = file.endsWith(".gz") || (n === 2 && head[0] === 0x1f && head[1] === 0x8b);
  const raw = fs.createReadStream(file);
  const input = gz ? raw.pipe(zlib.createGunzip()) : raw;
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.trim() === "") continue;
    try { yield { line, value: JSON.parse(text) as unknown }; }
    catch (e) { yield { line, error: `not valid JSON (${(e as Error).message})` }; }
  }
}
