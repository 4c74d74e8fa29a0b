import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { bf16ToF32, f16ToF32, f32ToBf16, f32BitsToF16 } from "../../src/io/dtype.js";
import { readSafetensors, readSafetensorsHeader, type Tensor, writeSafetensors } from "../../src/io/safetensors.js";
import { MODELS, tempDir } from "./helpers.js";

function randomTensor(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = ((s / 2 ** 32) - 0.5) * 8; // values across several binades, many not representable in 16 bits
  }
  return { shape, data };
}

/** A file with a hand-written header and `dataBytes` bytes of data. */
function rawFile(file: string, header: unknown, data: number | Uint8Array): void {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeFileSync(file, Buffer.concat([len, h, typeof data === "number" ? Buffer.alloc(data) : data]));
}

test("float32 tensors, metadata, a scalar and an empty tensor round-trip exactly", () => {
  const { dir, done } = tempDir();
  try {
    const file = path.join(dir, "a.safetensors");
    const t = new Map<string, Tensor>([
      ["w", randomTensor([3, 5], 1)],
      ["scalar", { shape: [], data: new Float32Array([2.5]) }],
      ["empty", { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    writeSafetensors(file, t, { metadata: { format: "pt", note: "x" } });
    const r = readSafetensors(file);
    assert.deepEqual(r.metadata, { format: "pt", note: "x" });
    for (const [k, v] of t) {
      assert.deepEqual(r.tensors.get(k)!.shape, v.shape);
      assert.deepEqual(r.tensors.get(k)!.data, v.data);
      assert.equal(r.tensors.get(k)!.dtype, "F32");
    }
    assert.ok(!fs.existsSync(file + ".tmp"), "the temp file is renamed away");
    const headerLen = Number(fs.readFileSync(file).readBigUInt64LE(0));
    assert.equal(headerLen % 8, 0, "the header is padded so the data starts 8-byte aligned");
  } finally { done(); }
});

test("bfloat16 and float16 writes store the round-to-nearest-even value of each float", () => {
  const { dir, done } = tempDir();
  try {
    const src = randomTensor([7, 11], 7);
    for (const [dtype, dec] of [["BF16", (x: number) => bf16ToF32(f32ToBf16(x))],
      ["F16", (x: number) => f16ToF32(f32BitsToF16(new Uint32Array(new Float32Array([x]).buffer)[0]!))]] as const) {
      const file = path.join(dir, `${dtype}.safetensors`);
      writeSafetensors(file, [["t", src]], { dtype });
      assert.equal(fs.statSync(file).size - 8 - Number(fs.readFileSync(file).readBigUInt64LE(0)), 77 * 2);
      const got = readSafetensors(file).tensors.get("t")!;
      assert.equal(got.dtype, dtype);
      const want = Float32Array.from(src.data, dec);
      assert.deepEqual(got.data, want);
      assert.notDeepEqual(got.data, src.data, "rounding really happened");
    }
  } finally { done(); }
});

test("integer tensors are written as I32/I64 and read back as the same numbers; non-integers are refused", () => {
  const { dir, done } = tempDir();
  try {
    const ids: Tensor = { shape: [2, 3], data: new Float32Array([1, -100, 31999, 0, 7, 2]) };
    const file = path.join(dir, "ids.safetensors");
    writeSafetensors(file, [["a", ids], ["b", ids]], { dtype: (n) => (n === "a" ? "I64" : "I32") });
    const r = readSafetensors(file).tensors;
    assert.equal(r.get("a")!.dtype, "I64");
    assert.equal(r.get("b")!.dtype, "I32");
    assert.deepEqual(r.get("a")!.data, ids.data);
    assert.deepEqual(r.get("b")!.data, ids.data);
    fs.writeFileSync(file, "previous");
    assert.throws(() => writeSafetensors(file, [["x", { shape: [1], data: new Float32Array([0.5]) }]], { dtype: "I32" }),
      /tensor "x" element 0 = 0.5 is not an integer/);
    assert.equal(fs.readFileSync(file, "utf8"), "previous", "a failed write leaves the old file alone");
    assert.ok(!fs.existsSync(file + ".tmp"));
  } finally { done(); }
});

test("files written by the Python safetensors library are read, including I64 ids and 0-dim scalars", () => {
  const file = path.join(MODELS, "llama-gqa", "expected.safetensors");
  const h = readSafetensorsHeader(file);
  assert.equal(h.metadata["format"], "pt");
  assert.equal(h.entries.get("input_ids")!.dtype, "I64");
  const r = readSafetensors(file, ["input_ids", "labels", "loss"]).tensors;
  assert.deepEqual(r.get("input_ids")!.shape, [2, 12]);
  assert.equal(r.get("input_ids")!.data[0], 1, "row 0 starts with BOS");
  assert.ok(r.get("labels")!.data.includes(-100));
  assert.deepEqual(r.get("loss")!.shape, []);
  const json = JSON.parse(fs.readFileSync(path.join(MODELS, "llama-gqa", "expected.json"), "utf8"));
  assert.ok(Math.abs(r.get("loss")!.data[0]! - json.loss) < 1e-6);
});

test("F64 tensors are read and converted to float32", () => {
  const { dir, done } = tempDir();
  try {
    const file = path.join(dir, "f64.safetensors");
    const vals = new Float64Array([1.5, -2.25, 1e-3]);
    rawFile(file, { x: { dtype: "F64", shape: [3], data_offsets: [0, 24] } }, new Uint8Array(vals.buffer));
    const t = readSafetensors(file).tensors.get("x")!;
    assert.equal(t.dtype, "F64");
    assert.deepEqual(t.data, Float32Array.from(vals));
  } finally { done(); }
});

test("a truncated file is reported with the file and the tensor whose data is cut", () => {
  const { dir, done } = tempDir();
  try {
    const file = path.join(dir, "t.safetensors");
    writeSafetensors(file, [["first", randomTensor([4], 1)], ["second", randomTensor([4, 4], 2)]]);
    const full = fs.readFileSync(file);
    fs.writeFileSync(file, full.subarray(0, full.length - 10));
    assert.throws(() => readSafetensors(file), (e: Error) => e.message.includes(file) && e.message.includes('tensor "second"') && /truncated/.test(e.message));
    fs.writeFileSync(file, full.subarray(0, 5));
    assert.throws(() => readSafetensors(file), /truncated file: 5 bytes/);
    fs.writeFileSync(file, full.subarray(0, 20));
    assert.throws(() => readSafetensors(file), /truncated file: header says/);
  } finally { done(); }
});

test("bad offsets, unknown dtypes, overlaps, bad JSON and absent names are errors naming the tensor", () => {
  const { dir, done } = tempDir();
  try {
    const file = path.join(dir, "bad.safetensors");
    rawFile(file, { w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 12] } }, 16);
    assert.throws(() => readSafetensors(file), /tensor "w": data_offsets \[0, 12\] span 12 bytes but F32\[2,2\] needs 16/);
    rawFile(file, { w: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, 16);
    assert.throws(() => readSafetensors(file), /tensor "w": "data_offsets" must be \[begin, end\]/);
    rawFile(file, { w: { dtype: "F8_E4M3", shape: [2], data_offsets: [0, 2] } }, 2);
    assert.throws(() => readSafetensors(file), (e: Error) => e.message.includes(file) && /tensor "w": unknown or unsupported dtype "F8_E4M3"/.test(e.message));
    rawFile(file, { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, 12);
    assert.throws(() => readSafetensors(file), /tensors "a" and "b" overlap/);
    rawFile(file, { w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4);
    assert.throws(() => readSafetensors(file), /tensor "w": "shape" must be an array of non-negative integers/);
    const h = Buffer.from("{not json");
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    fs.writeFileSync(file, Buffer.concat([len, h]));
    assert.throws(() => readSafetensors(file), /header is not valid JSON/);
    writeSafetensors(file, [["w", randomTensor([2], 3)]]);
    assert.throws(() => readSafetensors(file, ["v"]), /tensor "v" is missing/);
  } finally { done(); }
});

test("writing refuses a tensor whose data does not match its shape", () => {
  const { dir, done } = tempDir();
  try {
    assert.throws(() => writeSafetensors(path.join(dir, "x.safetensors"), [["w", { shape: [2, 3], data: new Float32Array(5) }]]),
      /tensor "w" has shape \[2,3\] \(6 elements\) but 5 values/);
  } finally { done(); }
});
