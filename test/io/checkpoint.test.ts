import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { expectedTensorShapes, loadModelDir } from "../../src/io/checkpoint.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { MODELS } from "./helpers.js";

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
