// The GGUF container and the Llama mapping, checked by hand: header layout, alignment, ggml dim order,
// Q8_0 blocks as ggml-quants.c writes them, and the rotate-half -> interleaved RoPE row permutation.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { gguf, GgmlType, readGguf, writeGguf } from "../../src/io/gguf.js";
import { dequantizeQ8_0, quantizeQ8_0 } from "../../src/model/q8_0.js";
import { permuteForRope, unpermuteForRope } from "../../src/model/gguf-export.js";
import { tempDir } from "../helpers/tmp.js";
import { fixture } from "../helpers/fixtures.js";
import { llama2 } from "../helpers/cli.js";

const tmp = (): string => tempDir("gguf-");

test("a GGUF file starts with magic, version 3 and the counts, and its tensors are aligned to 32 bytes", () => {
  const file = path.join(tmp(), "t.gguf");
  const a = new Float32Array([1, 2, 3, 4, 5, 6]);
  writeGguf(file, new Map([["general.architecture", gguf.str("llama")], ["x.n", gguf.u32(7)], ["x.list", gguf.strings(["a", "bé"])]]),
    [{ name: "a", shape: [2, 3], type: GgmlType.F32, data: () => new Uint8Array(a.buffer) },
     { name: "b", shape: [3], type: GgmlType.F32, data: () => new Uint8Array(new Float32Array([7, 8, 9]).buffer) }]);
  const buf = fs.readFileSync(file);
  assert.equal(buf.toString("latin1", 0, 4), "GGUF");
  assert.equal(buf.readUInt32LE(4), 3);
  assert.equal(buf.readBigUInt64LE(8), 2n);   // tensors
  assert.equal(buf.readBigUInt64LE(16), 3n);  // key-value pairs
  const g = readGguf(file);
  assert.equal(g.metadata.get("x.n"), 7);
  assert.deepEqual(g.metadata.get("x.list"), ["a", "bé"]);
  assert.equal(g.dataStart % 32, 0);
  const [ta, tb] = g.tensors;
  assert.deepEqual(ta!.shape, [2, 3]); // read back in PyTorch order: the file holds ggml's [3, 2]
  assert.equal(ta!.offset, g.dataStart);
  assert.equal(tb!.offset, g.dataStart + 32); // 24 bytes of a, padded to 32
  assert.deepEqual(Array.from(new Float32Array(buf.buffer.slice(buf.byteOffset + tb!.offset, buf.byteOffset + tb!.offset + 12))), [7, 8, 9]);
  assert.equal(fs.existsSync(`${file}.tmp`), false);
});

test("the ggml dims of a matrix are its PyTorch shape reversed", () => {
  const file = path.join(tmp(), "t.gguf");
  writeGguf(file, new Map(), [{ name: "w", shape: [2, 3], type: GgmlType.F32, data: () => new Uint8Array(24) }]);
  const buf = fs.readFileSync(file);
  // header 24 bytes, then the tensor info: name (8 + 1), n_dims u32, ne0, ne1
  const p = 24 + 8 + 1;
  assert.equal(buf.readUInt32LE(p), 2);
  assert.equal(buf.readBigUInt64LE(p + 4), 3n); // ne0 = columns (contiguous)
  assert.equal(buf.readBigUInt64LE(p + 12), 2n);
});

test("Q8_0 stores d = amax/127 as f16 and round(x/d) per block of 32", () => {
  const x = new Float32Array(32);
  for (let i = 0; i < 32; i++) x[i] = (i - 16) / 4; // amax = 4 (at i = 0: -16/4)
  const q = quantizeQ8_0(x, 32);
  assert.equal(q.length, 34);
  const view = new DataView(q.buffer);
  // d = 4/127 = 0.031496...; as f16: 0x2808 = 2^-5 * (1 + 8/1024) = 0.0314941...
  assert.equal(view.getUint16(0, true), 0x2808);
  assert.equal(view.getInt8(2 + 0), -127);        // -4 / (4/127)
  assert.equal(view.getInt8(2 + 16), 0);          // 0
  assert.equal(view.getInt8(2 + 17), 8);          // 0.25 * 127/4 = 7.94 -> 8
  assert.equal(view.getInt8(2 + 18), 16);         // 0.5 * 31.75 = 15.875 -> 16
  const back = dequantizeQ8_0(q, 32);
  for (let i = 0; i < 32; i++) assert.ok(Math.abs(back[i]! - x[i]!) <= 4 / 127 / 2 + 1e-3, `element ${i}`);
});

test("an all-zero block quantises to d = 0 and zeros", () => {
  const q = quantizeQ8_0(new Float32Array(64), 32);
  assert.ok(q.every((b) => b === 0));
});

test("RoPE permutation moves HF's rotate-half rows (i, i + D/2) to Meta's interleaved rows (2i, 2i + 1)", () => {
  // one head, D = 4, one column: HF rows [r0, r1, r2, r3] pair (r0, r2) and (r1, r3) -> [r0, r2, r1, r3]
  assert.deepEqual(Array.from(permuteForRope(new Float32Array([0, 1, 2, 3]), 1, 4, 1)), [0, 2, 1, 3]);
  // two heads of D = 4, two columns: each head permuted on its own, columns move with their row
  const w = new Float32Array(16).map((_, i) => i);
  assert.deepEqual(Array.from(permuteForRope(w, 2, 8, 2)), [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
});

test("unpermuteForRope undoes permuteForRope", () => {
  const w = new Float32Array(6 * 8 * 3).map((_, i) => i * 0.5 - 7);
  assert.deepEqual(unpermuteForRope(permuteForRope(w, 6, 48, 3), 6, 48, 3), w);
});

test("llama2 export --format gguf of a model directory without tokenizer files says the GGUF needs them (not to pass --ids)", (t) => {
  const dir = tempDir("gguf-notok-", t);
  for (const f of ["config.json", "model.safetensors"]) fs.copyFileSync(fixture("models", "llama-gqa", f), path.join(dir, f));
  const r = llama2("export", "--model", dir, "--format", "gguf", "--out", path.join(dir, "m.gguf"));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no tokenizer\.json or tokenizer\.model; a GGUF file carries the vocabulary llama\.cpp tokenizes with/);
  assert.doesNotMatch(r.stderr, /--ids/);
  assert.ok(!fs.existsSync(path.join(dir, "m.gguf")));
});
