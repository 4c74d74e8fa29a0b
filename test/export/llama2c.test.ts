// `llama2 export --format llama2c` against what karpathy/llama2.c's own export.py (v0, v1, v2) and tokenizer.py
// write for the same weights and tokenizer.model (scripts/reference/make_llama2c_fixtures.py, committed fixtures).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { llama2 } from "../helpers/cli.js";
import { quantizeGroups } from "../../src/model/llama2c-export.js";
import { Llama } from "../../src/model/llama.js";
import { LORA_TARGETS } from "../../src/model/lora.js";
import { Rng } from "../../src/model/rng.js";
import { tempDir } from "../helpers/tmp.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const fix = path.join(root, "test", "fixtures", "llama2c");

function modelDirWithTokenizer(): string {
  const dir = tempDir("l2c-model-");
  for (const f of fs.readdirSync(path.join(fix, "hf"))) fs.copyFileSync(path.join(fix, "hf", f), path.join(dir, f));
  fs.copyFileSync(path.join(root, "test", "fixtures", "tokenizer", "sp", "tokenizer.model"), path.join(dir, "tokenizer.model"));
  return dir;
}

/** Index of the first differing byte, or -1. */
function firstDiff(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** ulps between two float32 values (same sign). */
function ulps(a: number, b: number): number {
  const f = new Float32Array([a, b]), i = new Int32Array(f.buffer);
  return Math.abs(i[0]! - i[1]!);
}

for (const v of [0, 1, 2]) {
  test(`model.bin v${v} is byte for byte what llama2.c's export.py writes${v === 0 ? " (freq_cis tables within 1 ulp)" : ""}`, () => {
    const model = modelDirWithTokenizer(), out = tempDir("l2c-out-");
    const r = llama2("export", "--model", model, "--format", "llama2c", "--out", out, "--version", String(v));
    assert.equal(r.status, 0, r.stderr);
    const ours = fs.readFileSync(path.join(out, "model.bin")), theirs = fs.readFileSync(path.join(fix, `v${v}.bin`));
    assert.equal(ours.length, theirs.length);
    if (v !== 0) { assert.equal(firstDiff(ours, theirs), -1); return; }
    // v0 carries freq_cis (cos, sin [max_seq_len, head_dim/2], ignored by run.c). torch computes them with SLEEF's
    // vectorised cosf/sinf (1-ulp accurate); ours are correctly rounded, so a few values differ in the last bit.
    // Everything else must be identical. Layout: 7 int32, embed, norms, wq..w3, final norm, cos, sin, classifier.
    const C = 32, V = 320, L = 2, F = 64, T = 32, D = 16;
    const cosAt = 28 + 4 * (V * C + 2 * L * C + 4 * L * C * C + 3 * L * F * C + C), freqBytes = 2 * 4 * T * (D / 2);
    assert.equal(firstDiff(ours.subarray(0, cosAt), theirs.subarray(0, cosAt)), -1);
    assert.equal(firstDiff(ours.subarray(cosAt + freqBytes), theirs.subarray(cosAt + freqBytes)), -1);
    for (let i = 0; i < freqBytes; i += 4) assert.ok(ulps(ours.readFloatLE(cosAt + i), theirs.readFloatLE(cosAt + i)) <= 1, `freq_cis float ${i / 4}`);
  });
}

test("tokenizer.bin is byte for byte what llama2.c's tokenizer.py writes from the same tokenizer.model", () => {
  const model = modelDirWithTokenizer(), out = tempDir("l2c-out-");
  assert.equal(llama2("export", "--model", model, "--format", "llama2c", "--out", out).status, 0);
  const ours = fs.readFileSync(path.join(out, "tokenizer.bin")), theirs = fs.readFileSync(path.join(fix, "tokenizer.bin"));
  assert.equal(firstDiff(ours, theirs), -1);
});

test("v2 groups round half to even like torch.round", () => {
  // group of 4 with max 127 -> scale 1: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0 (int8 0), 127 -> 127
  const { q, scales } = quantizeGroups(new Float32Array([0.5, 1.5, 2.5, 127, -2.5, -3.5, 0, 1]), 4);
  assert.deepEqual(Array.from(scales), [1, Math.fround(3.5 / 127)]);
  assert.deepEqual(Array.from(q.subarray(0, 4)), [0, 2, 2, 127]);
  assert.deepEqual(Array.from(q.subarray(4)), [-91, -127, 0, 36]); // -2.5/(3.5/127) = -90.71; 1/(3.5/127) = 36.29
});

test("models run.c cannot run are refused by reason", () => {
  // the parity fixture uses rope theta 500000, which run.c hard-codes to 10000
  const r = llama2("export", "--model", path.join(root, "test", "fixtures", "models", "llama-gqa"), "--format", "llama2c", "--out", tempDir("l2c-"));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /rope_theta is 500000/);
});

test("an adapter directory exports as its merged model: model.bin equals the export of `llama2 lora merge`'s output, tokenizer.bin from the base", async () => {
  const base = modelDirWithTokenizer(), tmp = tempDir("l2c-lora-");
  const m = await Llama.load(base);
  m.addLora({ r: 2, alpha: 4, dropout: 0, targets: [...LORA_TARGETS] }, { seed: 3 });
  const rng = new Rng(7);
  for (const p of m.params) if (p.name.includes("lora_B")) for (let i = 0; i < p.data.length; i++) p.data[i] = 0.05 * (2 * rng.uniform() - 1);
  const adapter = path.join(tmp, "adapter"), merged = path.join(tmp, "merged");
  await m.save(adapter);  // no tokenizer files: tokenizer.bin must come from the base
  assert.ok(!fs.existsSync(path.join(adapter, "tokenizer.model")));
  assert.equal(llama2("lora", "merge", "--model", base, "--adapter", adapter, "--out", merged).status, 0);
  for (const v of ["1", "2"]) {
    const a = path.join(tmp, `a${v}`), b = path.join(tmp, `b${v}`);
    const r = llama2("export", "--model", adapter, "--format", "llama2c", "--out", a, "--version", v);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(llama2("export", "--model", merged, "--format", "llama2c", "--out", b, "--version", v).status, 0);
    const ours = fs.readFileSync(path.join(a, "model.bin"));
    assert.equal(firstDiff(ours, fs.readFileSync(path.join(b, "model.bin"))), -1, `v${v}: adapter export vs merged export`);
    // the adapters changed every targeted matrix: not the base's bytes
    assert.notEqual(firstDiff(ours, fs.readFileSync(path.join(fix, `v${v}.bin`))), -1, `v${v}: equals the unmerged base`);
    assert.equal(firstDiff(fs.readFileSync(path.join(a, "tokenizer.bin")), fs.readFileSync(path.join(fix, "tokenizer.bin"))), -1);
  }
});
