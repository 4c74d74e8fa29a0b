import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { expectedTensorShapes, loadModelDir, type ModelDir, saveModelDir } from "../../src/model/model-dir.js";
import { bf16ToF32, f32ToBf16 } from "../../src/io/dtype.js";
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from "../../src/io/safetensors.js";
import { MODELS, tempDir } from "../io/helpers.js";
import { tempDir as scratchDir } from "../helpers/tmp.js";

test("the GQA causal-LM fixture loads with its config, every HF tensor name and an untied lm_head", () => {
  const m = loadModelDir(path.join(MODELS, "llama-gqa"));
  assert.equal(m.kind, "causal-lm");
  assert.equal(m.config.hiddenSize, 64);
  assert.equal(m.config.numKeyValueHeads, 2);
  assert.equal(m.config.ropeTheta, 500000);
  assert.equal(m.config.rmsNormEps, 1e-5);
  assert.deepEqual([...m.tensors.keys()], [...expectedTensorShapes(m.config, "causal-lm").keys()]);
  assert.deepEqual(m.tensors.get("model.layers.1.self_attn.k_proj.weight")!.shape, [32, 64]);
  assert.ok(m.tensors.has("lm_head.weight"));
  // The loaded weights are exactly the file's float32 values.
  const raw = readSafetensors(path.join(MODELS, "llama-gqa", "model.safetensors"), ["model.norm.weight"]).tensors.get("model.norm.weight")!;
  assert.deepEqual(m.tensors.get("model.norm.weight")!.data, raw.data);
});

test("the tied fixture has no lm_head and the sequence-classification fixture has a one-row score", () => {
  const tied = loadModelDir(path.join(MODELS, "llama-tied"));
  assert.equal(tied.config.tieWordEmbeddings, true);
  assert.ok(!tied.tensors.has("lm_head.weight"));
  const cls = loadModelDir(path.join(MODELS, "llama-seqcls"));
  assert.equal(cls.kind, "sequence-classification");
  assert.equal(cls.numLabels, 1);
  assert.equal(cls.config.padTokenId, 0);
  assert.deepEqual(cls.tensors.get("score.weight")!.shape, [1, 32]);
});

function assertSameModel(a: ModelDir, b: ModelDir): void {
  assert.deepEqual(a.config, b.config);
  assert.equal(a.kind, b.kind);
  assert.equal(a.numLabels, b.numLabels);
  assert.deepEqual([...a.tensors.keys()], [...b.tensors.keys()]);
  for (const [k, t] of a.tensors) {
    assert.deepEqual(b.tensors.get(k)!.shape, t.shape, k);
    assert.deepEqual(b.tensors.get(k)!.data, t.data, k);
  }
}

test("the bfloat16 fixture loads to exactly the float32 fixture's weights rounded to bfloat16", () => {
  const f32 = loadModelDir(path.join(MODELS, "llama-gqa"));
  const bf = loadModelDir(path.join(MODELS, "llama-gqa-bf16"));
  assert.equal(bf.dtype, "bfloat16");
  assert.deepEqual(bf.config, f32.config);
  for (const [k, t] of f32.tensors) {
    const want = Float32Array.from(t.data, (x) => bf16ToF32(f32ToBf16(x)));
    assert.deepEqual(bf.tensors.get(k)!.data, want, k);
  }
});

test("save then load is lossless for every fixture, and the saved dir matches transformers' file layout", () => {
  const { dir, done } = tempDir();
  try {
    for (const name of ["llama-gqa", "llama-seqcls", "llama-tied"]) {
      const src = path.join(MODELS, name);
      const m = loadModelDir(src);
      const out = path.join(dir, name);
      saveModelDir(out, m.config, m.kind, m.tensors);
      assertSameModel(m, loadModelDir(out));
      const hfFiles = fs.readdirSync(src).filter((f) => !f.startsWith("expected")).sort();
      assert.deepEqual(fs.readdirSync(out).sort(), hfFiles, `${name}: same files as save_pretrained`);
      const theirs = readSafetensorsHeader(path.join(src, "model.safetensors"));
      const ours = readSafetensorsHeader(path.join(out, "model.safetensors"));
      assert.deepEqual(ours.metadata, theirs.metadata);
      assert.deepEqual([...ours.entries.keys()].sort(), [...theirs.entries.keys()].sort(), `${name}: tensor names`);
      for (const [k, e] of theirs.entries) {
        assert.equal(ours.entries.get(k)!.dtype, e.dtype, k);
        assert.deepEqual(ours.entries.get(k)!.shape, e.shape, k);
      }
      const cfg = (d: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(d, "config.json"), "utf8"));
      assert.deepEqual(Object.keys(cfg(out)).filter((k) => k !== "rope_theta").sort(), Object.keys(cfg(src)).sort());
    }
  } finally { done(); }
});

test("a bfloat16 save stores the same bits torch's .to(torch.bfloat16) saved", () => {
  const { dir, done } = tempDir();
  try {
    const m = loadModelDir(path.join(MODELS, "llama-gqa"));
    saveModelDir(dir, m.config, m.kind, m.tensors, { dtype: "bfloat16" });
    const ours = loadModelDir(dir);
    assert.equal(ours.dtype, "bfloat16");
    assertSameModel(loadModelDir(path.join(MODELS, "llama-gqa-bf16")), ours);
    assert.equal(readSafetensorsHeader(path.join(dir, "model.safetensors")).entries.get("lm_head.weight")!.dtype, "BF16");
  } finally { done(); }
});

test("a sharded save writes an index with every tensor and loads equal to the single-file save", () => {
  const { dir, done } = tempDir();
  try {
    const m = loadModelDir(path.join(MODELS, "llama-gqa"));
    const out = path.join(dir, "sharded");
    saveModelDir(out, m.config, m.kind, m.tensors, { maxShardBytes: 100_000 });
    const index = JSON.parse(fs.readFileSync(path.join(out, "model.safetensors.index.json"), "utf8"));
    const shards = fs.readdirSync(out).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).sort();
    assert.ok(shards.length >= 3, `got ${shards.length} shards`);
    assert.equal(shards[shards.length - 1], `model-${String(shards.length).padStart(5, "0")}-of-${String(shards.length).padStart(5, "0")}.safetensors`);
    assert.ok(!fs.existsSync(path.join(out, "model.safetensors")));
    assert.deepEqual(Object.keys(index.weight_map).sort(), [...m.tensors.keys()].sort());
    assert.deepEqual([...new Set(Object.values(index.weight_map))].sort(), shards);
    let total = 0;
    for (const t of m.tensors.values()) total += t.data.length * 4;
    assert.equal(index.metadata.total_size, total);
    for (const s of shards) {
      const h = readSafetensorsHeader(path.join(out, s));
      const bytes = [...h.entries.values()].reduce((a, e) => a + e.end - e.begin, 0);
      assert.ok(bytes <= 100_000 || h.entries.size === 1, `${s}: ${bytes} bytes in ${h.entries.size} tensors`);
    }
    assertSameModel(m, loadModelDir(out));
  } finally { done(); }
});

test("a missing, mis-shaped or unexpected tensor is an error naming the directory, the tensor and the shapes", () => {
  const { dir, done } = tempDir();
  try {
    const m = loadModelDir(path.join(MODELS, "llama-gqa"));
    saveModelDir(dir, m.config, m.kind, m.tensors);
    const file = path.join(dir, "model.safetensors");
    const without = [...m.tensors].filter(([k]) => k !== "model.layers.1.mlp.up_proj.weight");
    writeSafetensors(file, without);
    assert.throws(() => loadModelDir(dir), (e: Error) => e.message.startsWith(dir) && /missing tensor "model.layers.1.mlp.up_proj.weight" \(expected shape \[96,64\]/.test(e.message));
    const reshaped = [...m.tensors].map(([k, t]) => [k, k === "model.norm.weight" ? { shape: [8, 8], data: t.data } : t] as [string, typeof t]);
    writeSafetensors(file, reshaped);
    assert.throws(() => loadModelDir(dir), /tensor "model.norm.weight" has shape \[8,8\], expected \[64\]/);
    writeSafetensors(file, [...m.tensors, ["model.layers.2.mlp.up_proj.weight", m.tensors.get("model.layers.1.mlp.up_proj.weight")!]]);
    assert.throws(() => loadModelDir(dir), /unexpected tensor "model.layers.2.mlp.up_proj.weight"/);
    fs.rmSync(file);
    assert.throws(() => loadModelDir(dir), /no model.safetensors or model.safetensors.index.json/);
    const bad = new Map(m.tensors);
    bad.delete("lm_head.weight");
    assert.throws(() => saveModelDir(path.join(dir, "x"), m.config, m.kind, bad), /missing tensor "lm_head.weight"/);
    assert.ok(!fs.existsSync(path.join(dir, "x")));
  } finally { done(); }
});

test("a config.json with an unsupported rope type stops the load naming the file", () => {
  const { dir, done } = tempDir();
  try {
    const m = loadModelDir(path.join(MODELS, "llama-tied"));
    saveModelDir(dir, m.config, m.kind, m.tensors);
    const cfgPath = path.join(dir, "config.json");
    const cfg = JSON.parse(fs.readFileSync(cfgPath, "utf8"));
    cfg.rope_parameters = { rope_type: "llama3", rope_theta: 500000, factor: 8 };
    fs.writeFileSync(cfgPath, JSON.stringify(cfg));
    assert.throws(() => loadModelDir(dir), (e: Error) => e.message.startsWith(cfgPath) && /rope_type" is "llama3"/.test(e.message));
  } finally { done(); }
});

test("saving over an existing directory replaces it whole and leaves no temp directories; a failed save keeps the old one", () => {
  const { dir, done } = tempDir();
  try {
    const m = loadModelDir(path.join(MODELS, "llama-tied"));
    const out = path.join(dir, "model");
    saveModelDir(out, m.config, m.kind, m.tensors, { files: { "stale.txt": "old" } });
    assert.equal(fs.readFileSync(path.join(out, "stale.txt"), "utf8"), "old");
    const changed = new Map(m.tensors);
    changed.set("model.norm.weight", { shape: [32], data: new Float32Array(32).fill(3) });
    saveModelDir(out, m.config, m.kind, changed, { files: { "tokenizer.json": "{}" } });
    assert.ok(!fs.existsSync(path.join(out, "stale.txt")));
    assert.equal(fs.readFileSync(path.join(out, "tokenizer.json"), "utf8"), "{}");
    assert.equal(loadModelDir(out).tensors.get("model.norm.weight")!.data[5], 3);
    assert.deepEqual(fs.readdirSync(dir), ["model"], "no .tmp-/.old- leftovers");
    assert.throws(() => saveModelDir(out, m.config, m.kind, m.tensors, { files: { "../evil": "x" } }), /must be a plain file name/);
    assert.deepEqual(fs.readdirSync(dir), ["model"]);
    assert.equal(loadModelDir(out).tensors.get("model.norm.weight")!.data[5], 3, "the previous save is intact");
  } finally { done(); }
});

test("the expected files hold a gradient for every parameter and inputs with ignored labels", () => {
  for (const name of ["llama-gqa", "llama-tied", "llama-seqcls"]) {
    const m = loadModelDir(path.join(MODELS, name));
    const exp = readSafetensorsHeader(path.join(MODELS, name, "expected.safetensors")).entries;
    for (const [k, t] of m.tensors) assert.deepEqual(exp.get("grad." + k)?.shape, t.shape, `${name}: grad.${k}`);
    assert.equal([...exp.keys()].filter((k) => k.startsWith("grad.")).length, m.tensors.size, name);
    assert.deepEqual(exp.get("input_ids")!.shape, [2, 12]);
  }
});

test("what is not an HF model directory is named for what it looks like (GGUF, llama2.c, Meta's checkpoint), not as a missing config.json", (t) => {
  const root = scratchDir("not-a-model-", t);
  const put = (rel: string): string => { const p = path.join(root, rel); fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, "x"); return p; };
  assert.throws(() => loadModelDir(put("m.gguf")), /m\.gguf is a GGUF file, not a model directory: llama2-ts loads Hugging Face model directories .*`llama2 export` writes, they are not read back/);
  put("l2c/model.bin"); put("l2c/tokenizer.bin");
  assert.throws(() => loadModelDir(path.join(root, "l2c")), /l2c: no config\.json; it looks like a llama2\.c checkpoint \(model\.bin \/ tokenizer\.bin\), which llama2-ts exports but does not read/);
  put("meta/params.json"); put("meta/consolidated.00.pth");
  assert.throws(() => loadModelDir(path.join(root, "meta")), /meta: no config\.json; it looks like Meta's original checkpoint .*convert_llama_weights_to_hf/);
  assert.throws(() => loadModelDir(path.join(root, "nothing")), /nothing: no such model directory/);
});
