// Llama-family configs the main parity fixtures do not cover, as transformers saves them
// (test/fixtures/models/variants, scripts/reference/make_config_variants.py): GQA 8/1, head_dim != hidden/heads,
// a width of 36 (no multiple of 8), float16 storage, sharded safetensors. Logits within 1e-4 of transformers at
// every SIMD level, greedy decoding through the KV cache gives transformers' generate() ids.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../../src/model/llama.js";
import { generate } from "../../src/model/generate.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { fixture, maxAbsDiff } from "../helpers/fixtures.js";
import { atEverySimdLevel } from "../native/check.js";

const root = fixture("models", "variants");
const shapes: Record<string, Partial<Record<"numKeyValueHeads" | "numAttentionHeads" | "headDim" | "hiddenSize", number>>> = {
  "gqa-8-1": { numAttentionHeads: 8, numKeyValueHeads: 1, headDim: 8 },
  "head-dim-32": { hiddenSize: 32, numAttentionHeads: 4, headDim: 32 },
  "dim-36": { hiddenSize: 36, numAttentionHeads: 3, headDim: 12 },
  "fp16": { numKeyValueHeads: 1 },
  "sharded": { hiddenSize: 32 },
};

for (const [name, shape] of Object.entries(shapes)) {
  test(`${name}: transformers' checkpoint loads with its config, logits within 1e-4 at every SIMD level, greedy ids equal generate()'s`, async () => {
    const dir = path.join(root, name);
    if (name === "sharded") assert.ok(fs.existsSync(path.join(dir, "model.safetensors.index.json")) && !fs.existsSync(path.join(dir, "model.safetensors")));
    const model = await Llama.load(dir);
    for (const [k, v] of Object.entries(shape)) assert.equal(model.config[k as keyof typeof shape], v, k);
    const exp = readSafetensors(path.join(dir, "expected.safetensors")).tensors;
    const [B, T] = exp.get("input_ids")!.shape as [number, number];
    const ids = Int32Array.from(exp.get("input_ids")!.data);
    atEverySimdLevel((level) => {
      const err = maxAbsDiff(model.forward(ids, B, T), exp.get("logits")!.data);
      assert.ok(err <= 1e-4, `${level}: logits max abs err ${err}`);
    });
    const want = Array.from(exp.get("generate.output")!.data);
    const got = generate(model, [want.slice(0, T)], { maxNewTokens: want.length - T, greedy: true, eosId: null }).ids[0]!;
    assert.deepEqual(got, want.slice(T));
  });
}
