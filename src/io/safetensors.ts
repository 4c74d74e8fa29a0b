// The safetensors format (huggingface/safetensors): u64 little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the raw little-endian
// tensor bytes (offsets relative to the end of the header). Reads go per tensor straight into the
// destination Float32Array (no whole-file buffer, so multi-GB files work); writes go to `<file>.tmp` + rename.
import { toFsOpError, withFsContext } from "./fs-errors.js";
import * as fs from "node:fs";
import * as os from "node:os";
import { decodeBf16, decodeF16, encodeBf16, encodeF16 } from "./dtype.js";

/** dtypes we read (converted to float32). */
export type Dtype = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32";
/** dtypes we write. */
export type WriteDtype = "F32" | "F16" | "BF16" | "I64" | "I32";

const ITEM_SIZE: Record<Dtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };
const MAX_HEADER = 100_000_000; // the reference implementation's limit
const CHUNK = 1 << 24; // elements converted per step (bounds scratch memory for 16-bit and 64-bit dtypes)

/** A float32 tensor, row-major. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
  /**
   * Set when the values are kept in a 16-bit or block format instead (data is then empty): bfloat16
   * bits as stored (ReadOptions.keepBf16), or ggml Q8_0 rows made from them by a ReadOptions.onTensor.
   */
  bf16?: Uint16Array;
  q8_0?: Uint8Array;
}

/** Options for readSafetensors / loadModelDir. */
export interface ReadOptions {
  /** BF16 tensors with these names come back as their raw bits (Tensor.bf16), never as float32. */
  keepBf16?: (name: string) => boolean;
  /** Replaces each tensor as soon as it is read (e.g. quantizes it), so only one is resident twice. */
  onTensor?: (name: string, t: Tensor) => Tensor;
}

/** One header entry; `begin`/`end` are absolute file offsets. */
export interface TensorEntry {
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/** A parsed, validated header. */
export interface SafetensorsHeader {
  path: string;
  metadata: Record<string, string>;
  entries: Map<string, TensorEntry>;
}

if (os.endianness() !== "LE") throw new Error("safetensors.ts: big-endian hosts are not supported");

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Reads and validates the header of `path` (reads only the header bytes). */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = fs.openSync(path, "r");
  try {
    return parseHeader(fd, path);
  } finally {
    fs.closeSync(fd);
  }
}

function readExact(fd: number, buf: Uint8Array, pos: number, path: string, what: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, Math.min(buf.length - done, 1 << 30), pos + done);
    if (n === 0) throw new Error(`${path}: truncated file while reading ${what} (wanted ${buf.length} bytes at offset ${pos}, got ${done})`);
    done += n;
  }
}

function parseHeader(fd: number, path: string): SafetensorsHeader {
  const size = fs.fstatSync(fd).size;
  if (size < 8) throw new Error(`${path}: truncated file: ${size} bytes, too short for the 8-byte header length`);
  const lenBuf = Buffer.alloc(8);
  readExact(fd, lenBuf, 0, path, "the header length");
  const n = lenBuf.readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER)) throw new Error(`${path}: header length ${n} exceeds ${MAX_HEADER} bytes (not a safetensors file?)`);
  const headerLen = Number(n);
  if (8 + headerLen > size) throw new Error(`${path}: truncated file: header says ${headerLen} bytes but the file has ${size - 8} after the length`);
  const hbuf = Buffer.alloc(headerLen);
  readExact(fd, hbuf, 8, path, "the header");
  let json: unknown;
  try {
    json = JSON.parse(hbuf.toString("utf8"));
  } catch (e) {
    throw new Error(`${path}: header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${path}: header must be a JSON object`);
  const dataStart = 8 + headerLen;
  const dataLen = size - dataStart;
  const metadata: Record<string, string> = {};
  const entries = new Map<string, TensorEntry>();
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof v !== "object" || v === null) throw new Error(`${path}: "__metadata__" must be an object of strings`);
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== "string") throw new Error(`${path}: "__metadata__.${k}" must be a string`);
        metadata[k] = s;
      }
      continue;
    }
    const where = `${path}: tensor "${name}"`;
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== "object" || e === null) throw new Error(`${where}: entry must be an object`);
    if (typeof e.dtype !== "string" || !(e.dtype in ITEM_SIZE))
      throw new Error(`${where}: unknown or unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(ITEM_SIZE).join(", ")})`);
    const dtype = e.dtype as Dtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new Error(`${where}: "shape" must be an array of non-negative integers, got ${JSON.stringify(e.shape)}`);
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1])
      throw new Error(`${where}: "data_offsets" must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`);
    const [b, en] = off as [number, number];
    const want = numel(shape) * ITEM_SIZE[dtype];
    if (en - b !== want)
      throw new Error(`${where}: data_offsets [${b}, ${en}] span ${en - b} bytes but ${dtype}${JSON.stringify(shape)} needs ${want}`);
    if (en > dataLen)
      throw new Error(`${where}: truncated file: data ends at byte ${en} of the data section, which has only ${dataLen} bytes`);
    entries.set(name, { dtype, shape: [...shape], begin: dataStart + b, end: dataStart + en });
  }
  const sorted = [...entries.entries()].sort((x, y) => x[1].begin - y[1].begin);
  for (let i = 1; i < sorted.length; i++) {
    const [pn, p] = sorted[i - 1]!;
    const [cn, c] = sorted[i]!;
    if (c.begin < p.end) throw new Error(`${path}: tensors "${pn}" and "${cn}" overlap in the data section`);
  }
  return { path, metadata, entries };
}

/** Reads one tensor of an open file as float32 (F64/I64/I32 are converted, so large integers lose precision). */
function readEntry(fd: number, path: string, name: string, e: TensorEntry, keepBf16 = false): Tensor {
  const n = numel(e.shape);
  const what = `tensor "${name}"`;
  if (keepBf16 && e.dtype === "BF16") {
    const bits = new Uint16Array(n);
    readExact(fd, new Uint8Array(bits.buffer), e.begin, path, what);
    return { shape: [...e.shape], data: new Float32Array(0), bf16: bits };
  }
  const out = new Float32Array(n);
  if (e.dtype === "F32") {
    readExact(fd, new Uint8Array(out.buffer), e.begin, path, what);
    return { shape: [...e.shape], data: out };
  }
  const size = ITEM_SIZE[e.dtype];
  const step = Math.min(n, CHUNK);
  const scratch = new ArrayBuffer(step * size);
  for (let i = 0; i < n; i += step) {
    const m = Math.min(step, n - i);
    readExact(fd, new Uint8Array(scratch, 0, m * size), e.begin + i * size, path, what);
    const dst = out.subarray(i, i + m);
    switch (e.dtype) {
      case "BF16": decodeBf16(new Uint16Array(scratch, 0, m), dst); break;
      case "F16": decodeF16(new Uint16Array(scratch, 0, m), dst); break;
      case "F64": dst.set(new Float64Array(scratch, 0, m)); break;
      case "I32": dst.set(new Int32Array(scratch, 0, m)); break;
      case "I64": {
        const src = new BigInt64Array(scratch, 0, m);
        for (let j = 0; j < m; j++) dst[j] = Number(src[j]!);
        break;
      }
    }
  }
  return { shape: [...e.shape], data: out };
}

/** The tensors of a safetensors file (all of them, or only `names`), converted to float32. */
export function readSafetensors(path: string, names?: Iterable<string>, opts: ReadOptions = {}): { metadata: Record<string, string>; tensors: Map<string, Tensor & { dtype: Dtype }> } {
  const fd = fs.openSync(path, "r");
  try {
    const header = parseHeader(fd, path);
    const tensors = new Map<string, Tensor & { dtype: Dtype }>();
    const wanted = names ? [...names] : [...header.entries.keys()];
    for (const name of wanted) {
      const e = header.entries.get(name);
      if (!e) throw new Error(`${path}: tensor "${name}" is missing`);
      const t = readEntry(fd, path, name, e, opts.keepBf16?.(name) ?? false);
      tensors.set(name, { ...(opts.onTensor ? opts.onTensor(name, t) : t), dtype: e.dtype });
    }
    return { metadata: header.metadata, tensors };
  } finally {
    fs.closeSync(fd);
  }
}

/** Options for writeSafetensors. */
export interface WriteOptions {
  /** Storage dtype, for all tensors or per name (default F32). */
  dtype?: WriteDtype | ((name: string) => WriteDtype);
  /** `__metadata__`; defaults to {format: "pt"}, which transformers requires. */
  metadata?: Record<string, string>;
}

/**
 * Writes tensors (in iteration order) to `path` via `<path>.tmp` + rename. F32 data is written from the
 * caller's buffer without a copy; BF16 rounds to nearest even; I32/I64 require integer values.
 */
export function writeSafetensors(path: string, tensors: Iterable<[string, Tensor]>, opts: WriteOptions = {}): void {
  const list = [...tensors];
  const dtypeOf = (name: string): WriteDtype => (typeof opts.dtype === "function" ? opts.dtype(name) : opts.dtype ?? "F32");
  const header: Record<string, unknown> = { __metadata__: opts.metadata ?? { format: "pt" } };
  let offset = 0;
  for (const [name, t] of list) {
    if (name === "__metadata__") throw new Error(`${path}: "__metadata__" cannot be a tensor name`);
    if (numel(t.shape) !== t.data.length)
      throw new Error(`${path}: tensor "${name}" has shape ${JSON.stringify(t.shape)} (${numel(t.shape)} elements) but ${t.data.length} values`);
    const dtype = dtypeOf(name);
    if (!(dtype in ITEM_SIZE) || dtype === ("F64" as string)) throw new Error(`${path}: tensor "${name}": cannot write dtype ${dtype}`);
    const bytes = t.data.length * ITEM_SIZE[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keep the data 8-byte aligned, as the reference writer does
  const hbytes = Buffer.from(json, "utf8");
  const tmp = `${path}.tmp`;
  const fd = withFsContext("write", path, () => fs.openSync(tmp, "w"));
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(hbytes.length));
    writeAll(fd, len);
    writeAll(fd, hbytes);
    for (const [name, t] of list) writeTensor(fd, name, t.data, dtypeOf(name), path);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw toFsOpError(e, "write", path); // ENOSPC on an fd names no file by itself
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, path);
}

function writeAll(fd: number, buf: Uint8Array): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, Math.min(buf.length - done, 1 << 30));
}

function writeTensor(fd: number, name: string, data: Float32Array, dtype: WriteDtype, path: string): void {
  if (dtype === "F32") {
    writeAll(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return;
  }
  const size = ITEM_SIZE[dtype];
  const step = Math.min(data.length, CHUNK);
  const scratch = new ArrayBuffer(Math.max(step, 1) * size);
  for (let i = 0; i < data.length; i += step) {
    const m = Math.min(step, data.length - i);
    const src = data.subarray(i, i + m);
    if (dtype === "BF16") encodeBf16(src, new Uint16Array(scratch, 0, m));
    else if (dtype === "F16") encodeF16(src, new Uint16Array(scratch, 0, m));
    else {
      for (let j = 0; j < m; j++)
        if (!Number.isInteger(src[j]!)) throw new Error(`${path}: tensor "${name}" element ${i + j} = ${src[j]} is not an integer (dtype ${dtype})`);
      if (dtype === "I32") new Int32Array(scratch, 0, m).set(src);
      else {
        const d = new BigInt64Array(scratch, 0, m);
        for (let j = 0; j < m; j++) d[j] = BigInt(src[j]!);
      }
    }
    writeAll(fd, new Uint8Array(scratch, 0, m * size));
  }
}
