// The pretraining recipe's config (src/recipes/pretrain-config.ts, configs/*.yaml): accumulation, presets, the 7B file.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { resolveGradAccum } from "../../src/recipes/pretrain-config.js";
import { loadPretrainConfig, modelConfig } from "../../src/recipes/pretrain.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

test("grad_accum comes from tokens_per_step when given, and inconsistent settings are errors", () => {
  assert.equal(resolveGradAccum({ batch_size: 1, seq_len: 4096, grad_accum: null, tokens_per_step: 4_194_304 }), 1024);
  assert.equal(resolveGradAccum({ batch_size: 8, seq_len: 128, grad_accum: null, tokens_per_step: null }), 1);
  assert.equal(resolveGradAccum({ batch_size: 8, seq_len: 128, grad_accum: 4, tokens_per_step: 4096 }), 4);
  assert.throws(() => resolveGradAccum({ batch_size: 8, seq_len: 128, grad_accum: 2, tokens_per_step: 4096 }), /disagrees/);
  assert.throws(() => resolveGradAccum({ batch_size: 3, seq_len: 100, grad_accum: null, tokens_per_step: 1000 }), /multiple of batch_size × seq_len \(300\)/);
});

test("the 7B reference config resolves to the paper's settings", () => {
  const c = loadPretrainConfig(path.join(root, "configs/pretrain-llama2-7b.yaml"), []);
  assert.equal(c.lr, 3e-4);
  assert.equal(c.warmup, 2000);
  assert.equal(c.seq_len, 4096);
  assert.equal(c.batch_size * c.seq_len * resolveGradAccum(c), 4_194_304);
  assert.deepEqual([c.beta1, c.beta2, c.eps, c.weight_decay, c.grad_clip, c.min_lr_ratio], [0.9, 0.95, 1e-5, 0.1, 1.0, 0.1]);
  const m = modelConfig(c.model, 32000, 1, 2);
  assert.deepEqual([m.hiddenSize, m.numHiddenLayers, m.numAttentionHeads, m.intermediateSize, m.maxPositionEmbeddings], [4096, 32, 32, 11008, 4096]);
});

test("model overrides apply on top of the preset; the vocabulary is the tokenizer's", () => {
  const c = loadPretrainConfig(path.join(root, "configs/pretrain-tiny.yaml"), ["model.hidden_size=96", "model.num_attention_heads=6", "model.num_key_value_heads=2"]);
  const m = modelConfig(c.model, 1024, 1, 2);
  assert.deepEqual([m.vocabSize, m.hiddenSize, m.numAttentionHeads, m.numKeyValueHeads, m.headDim, m.numHiddenLayers], [1024, 96, 6, 2, 16, 4]);
  assert.throws(() => modelConfig({ ...c.model, hidden_size: 100, num_attention_heads: 8 }, 1024, 1, 2), /not a multiple/);
  assert.throws(() => loadPretrainConfig(path.join(root, "configs/pretrain-tiny.yaml"), ["model.hidden=3"]), /unknown key "model.hidden"/);
});

test("data and out are required", () => {
  assert.throws(() => loadPretrainConfig(undefined, ["out=x"]), /key "data" is required/);
  assert.throws(() => loadPretrainConfig(undefined, ["data=x"]), /key "out" is required/);
});
