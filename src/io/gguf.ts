// GGUF v3 (ggml docs/gguf.md, include/gguf.h): a little-endian header ("GGUF", version 3, tensor and
// key-value counts), typed key-value metadata, tensor infos (name, dims in ggml order = reverse of the
// PyTorch shape, ggml type, offset from the data start), then the tensor data, every tensor aligned to
// `general.alignment` (default 32). This file is the generic container only: the writer streams tensors
// to disk one at a time (a 7B export never holds the whole file), the reader parses headers for tests
// and tools. The Llama mapping (names, metadata, RoPE permutation) lives in src/model/gguf-export.ts.
import fs from "node:fs";

/** gguf_type: the value types of the key-value section. */
export const enum GgufValueType {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
}

/** ggml_type values this project writes. */
export const enum GgmlType { F32 = 0, F16 = 1, Q8_0 = 8, BF16 = 30 }

/** Elements per block and bytes per block of each ggml type. */
const TYPE_LAYOUT: Record<number, { block: number; bytes: number; name: string }> = {
  [GgmlType.F32]: { block: 1, bytes: 4, name: "F32" },
  [GgmlType.F16]: { block: 1, bytes: 2, name: "F16" },
  [GgmlType.Q8_0]: { block: 32, bytes: 34, name: "Q8_0" },
  [GgmlType.BF16]: { block: 1, bytes: 2, name: "BF16" },
};

/** A typed metadata value. Arrays hold one element type. */
export type GgufValue =
  | { type: GgufValueType.STRING; value: string }
  | { type: GgufValueType.BOOL; value: boolean }
  | { type: GgufValueType.U32 | GgufValueType.I32 | GgufValueType.F32 | GgufValueType.U8 | GgufValueType.I8 | GgufValueType.U16 | GgufValueType.I16 | GgufValueType.F64; value: number }
  | { type: GgufValueType.U64 | GgufValueType.I64; value: bigint }
  | { type: GgufValueType.ARRAY; itemType: GgufValueType.STRING; value: string[] }
  | { type: GgufValueType.ARRAY; itemType: GgufValueType.F32 | GgufValueType.I32 | GgufValueType.U32; value: ArrayLike<number> };

export const gguf = {
  str: (value: string): GgufValue => ({ type: GgufValueType.STRING, value }),
  u32: (value: number): GgufValue => ({ type: GgufValueType.U32, value }),
  i32: (value: number): GgufValue => ({ type: GgufValueType.I32, value }),
  f32: (value: number): GgufValue => ({ type: GgufValueType.F32, value }),
  bool: (value: boolean): GgufValue => ({ type: GgufValueType.BOOL, value }),
  strings: (value: string[]): GgufValue => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value }),
  f32s: (value: ArrayLike<number>): GgufValue => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.F32, value }),
  i32s: (value: ArrayLike<number>): GgufValue => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.I32, value }),
};

/** A tensor to write: its PyTorch shape (row-major, last dim contiguous), ggml type and encoded bytes. */
export interface GgufTensorSpec {
  name: string;
  shape: number[];
  type: GgmlType;
  /** Produces the tensor's bytes when the writer reaches it (so only one tensor is in memory at a time). */
  data: () => Uint8Array;
}

/** Bytes of a tensor of `shape` stored as `type` (the row length must be a multiple of the block size). */
export function tensorBytes(shape: number[], type: GgmlType): number {
  const layout = TYPE_LAYOUT[type];
  if (!layout) throw new Error(`gguf: unknown ggml type ${type}`);
  const row = shape[shape.length - 1] ?? 1;
  if (row % layout.block !== 0) throw new Error(`gguf: a ${layout.name} row needs a multiple of ${layout.block} elements, got ${row}`);
  return (shape.reduce((a, b) => a * b, 1) / layout.block) * layout.bytes;
}

export function ggmlTypeName(type: number): string {
  return TYPE_LAYOUT[type]?.name ?? `type ${type}`;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Growable little-endian byte buffer for the header. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = Buffer.alloc(cap);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): void { this.ensure(1); this.buf.writeUInt8(v, this.length); this.length += 1; }
  i8(v: number): void { this.ensure(1); this.buf.writeInt8(v, this.length); this.length += 1; }
  u16(v: number): void { this.ensure(2); this.buf.writeUInt16LE(v, this.length); this.length += 2; }
  i16(v: number): void { this.ensure(2); this.buf.writeInt16LE(v, this.length); this.length += 2; }
  u32(v: number): void { this.ensure(4); this.buf.writeUInt32LE(v, this.length); this.length += 4; }
  i32(v: number): void { this.ensure(4); this.buf.writeInt32LE(v, this.length); this.length += 4; }
  f32(v: number): void { this.ensure(4); this.buf.writeFloatLE(v, this.length); this.length += 4; }
  f64(v: number): void { this.ensure(8); this.buf.writeDoubleLE(v, this.length); this.length += 8; }
  u64(v: bigint | number): void { this.ensure(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
  i64(v: bigint): void { this.ensure(8); this.buf.writeBigInt64LE(v, this.length); this.length += 8; }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }
  zeros(n: number): void { this.ensure(n); this.buf.fill(0, this.length, this.length + n); this.length += n; }
  bytes(): Buffer { return this.buf.subarray(0, this.length); }
}

function writeScalar(s: ByteSink, type: GgufValueType, v: number | bigint | boolean | string): void {
  switch (type) {
    case GgufValueType.U8: s.u8(v as number); break;
    case GgufValueType.I8: s.i8(v as number); break;
    case GgufValueType.U16: s.u16(v as number); break;
    case GgufValueType.I16: s.i16(v as number); break;
    case GgufValueType.U32: s.u32(v as number); break;
    case GgufValueType.I32: s.i32(v as number); break;
    case GgufValueType.F32: s.f32(v as number); break;
    case GgufValueType.F64: s.f64(v as number); break;
    case GgufValueType.BOOL: s.u8(v ? 1 : 0); break;
    case GgufValueType.STRING: s.str(v as string); break;
    case GgufValueType.U64: s.u64(v as bigint); break;
    case GgufValueType.I64: s.i64(v as bigint); break;
    default: throw new Error(`gguf: cannot write value type ${type}`);
  }
}

/**
 * Writes a GGUF v3 file at `file` (to `file.tmp`, then renamed, so an interrupted export leaves no
 * truncated model). `general.alignment` is written when `alignment` is not the default 32.
 */
export function writeGguf(file: string, metadata: Map<string, GgufValue>, tensors: GgufTensorSpec[], alignment = 32): void {
  const kv = new Map(metadata);
  if (alignment !== 32) kv.set("general.alignment", gguf.u32(alignment));
  const s = new ByteSink();
  s.u32(0x46554747); // "GGUF" read as a little-endian u32
  s.u32(3);
  s.u64(tensors.length);
  s.u64(kv.size);
  for (const [key, val] of kv) {
    s.str(key);
    s.u32(val.type);
    if (val.type === GgufValueType.ARRAY) {
      s.u32(val.itemType);
      s.u64(val.value.length);
      for (let i = 0; i < val.value.length; i++) writeScalar(s, val.itemType, (val.value as ArrayLike<number | string>)[i]!);
    } else writeScalar(s, val.type, val.value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    if (Buffer.byteLength(t.name) >= 64) throw new Error(`gguf: tensor name "${t.name}" is longer than 63 bytes`);
    s.str(t.name);
    s.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) s.u64(t.shape[d]!); // ggml order: innermost first
    s.u32(t.type);
    s.u64(offset);
    offsets.push(offset);
    offset = align(offset + tensorBytes(t.shape, t.type), alignment);
  }
  s.zeros(align(s.length, alignment) - s.length);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, s.bytes());
    let written = 0;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      if (written < offsets[i]!) { fs.writeSync(fd, Buffer.alloc(offsets[i]! - written)); written = offsets[i]!; }
      const bytes = t.data();
      const want = tensorBytes(t.shape, t.type);
      if (bytes.byteLength !== want) throw new Error(`gguf: tensor "${t.name}" produced ${bytes.byteLength} bytes, expected ${want}`);
      fs.writeSync(fd, bytes);
      written += bytes.byteLength;
    }
    if (written < offset) fs.writeSync(fd, Buffer.alloc(offset - written));
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/** A parsed GGUF header: metadata values (plain JS values) and tensor infos with absolute file offsets. */
export interface GgufFile {
  version: number;
  metadata: Map<string, unknown>;
  tensors: Array<{ name: string; shape: number[]; type: number; offset: number; bytes: number }>;
  alignment: number;
  dataStart: number;
}

/** Reads a GGUF file's header (metadata and tensor table), validating every length against the file. */
export function readGguf(file: string): GgufFile {
  const buf = fs.readFileSync(file);
  let p = 0;
  const need = (n: number, what: string): void => {
    if (p + n > buf.length) throw new Error(`${file}: truncated GGUF (${what} at byte ${p})`);
  };
  const u32 = (): number => { need(4, "u32"); const v = buf.readUInt32LE(p); p += 4; return v; };
  const u64 = (): number => { need(8, "u64"); const v = Number(buf.readBigUInt64LE(p)); p += 8; return v; };
  const str = (): string => { const n = u64(); need(n, "string"); const v = buf.toString("utf8", p, p + n); p += n; return v; };
  const scalar = (type: number): unknown => {
    switch (type) {
      case GgufValueType.U8: need(1, "u8"); return buf.readUInt8(p++);
      case GgufValueType.I8: need(1, "i8"); return buf.readInt8(p++);
      case GgufValueType.U16: { need(2, "u16"); const v = buf.readUInt16LE(p); p += 2; return v; }
      case GgufValueType.I16: { need(2, "i16"); const v = buf.readInt16LE(p); p += 2; return v; }
      case GgufValueType.U32: return u32();
      case GgufValueType.I32: { need(4, "i32"); const v = buf.readInt32LE(p); p += 4; return v; }
      case GgufValueType.F32: { need(4, "f32"); const v = buf.readFloatLE(p); p += 4; return v; }
      case GgufValueType.F64: { need(8, "f64"); const v = buf.readDoubleLE(p); p += 8; return v; }
      case GgufValueType.BOOL: need(1, "bool"); return buf.readUInt8(p++) !== 0;
      case GgufValueType.STRING: return str();
      case GgufValueType.U64: return u64();
      case GgufValueType.I64: { need(8, "i64"); const v = Number(buf.readBigInt64LE(p)); p += 8; return v; }
      default: throw new Error(`${file}: unknown GGUF value type ${type} at byte ${p}`);
    }
  };
  if (u32() !== 0x46554747) throw new Error(`${file}: not a GGUF file (bad magic)`);
  const version = u32();
  if (version !== 3 && version !== 2) throw new Error(`${file}: GGUF version ${version} is not supported`);
  const nTensors = u64(), nKv = u64();
  const metadata = new Map<string, unknown>();
  for (let i = 0; i < nKv; i++) {
    const key = str(), type = u32();
    if (type === GgufValueType.ARRAY) {
      const itemType = u32(), n = u64();
      const arr: unknown[] = [];
      for (let j = 0; j < n; j++) arr.push(scalar(itemType));
      metadata.set(key, arr);
    } else metadata.set(key, scalar(type));
  }
  const alignment = typeof metadata.get("general.alignment") === "number" ? (metadata.get("general.alignment") as number) : 32;
  const infos: GgufFile["tensors"] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str(), nd = u32();
    const dims: number[] = [];
    for (let d = 0; d < nd; d++) dims.push(u64());
    const type = u32(), offset = u64();
    const shape = dims.reverse();
    infos.push({ name, shape, type, offset, bytes: tensorBytes(shape, type) });
  }
  const dataStart = align(p, alignment);
  for (const t of infos) {
    t.offset += dataStart;
    if (t.offset + t.bytes > buf.length) throw new Error(`${file}: tensor "${t.name}" runs past the end of the file`);
  }
  return { version, metadata, tensors: infos, alignment, dataStart };
}
