import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { configFromHf, configToHf, generationConfigToHf, readHfConfig } from "../../src/model/hf-config.js";
import { MODELS, tempDir } from "../io/helpers.js";

const fixtureJson = (name: string, file = "config.json"): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(MODELS, name, file), "utf8"));

test("a transformers-5 config.json (rope_parameters) maps onto every LlamaConfig field", () => {
  const hf = readHfConfig(path.join(MODELS, "llama-gqa", "config.json"));
  assert.equal(hf.kind, "causal-lm");
  assert.equal(hf.dtype, "float32");
  assert.deepEqual(hf.config, {
    vocabSize: 260, hiddenSize: 64, intermediateSize: 96, numHiddenLayers: 2, numAttentionHeads: 4,
    numKeyValueHeads: 2, headDim: 16, maxPositionEmbeddings: 64, rmsNormEps: 1e-5, ropeTheta: 500000,
    tieWordEmbeddings: false, bosTokenId: 1, eosTokenId: 2, padTokenId: null,
  });
});

test("a transformers-4 config.json (top-level rope_theta, no head_dim or kv heads) gets transformers' defaults", () => {
  const v4 = {
    architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: 4096, intermediate_size: 11008,
    num_attention_heads: 32, num_hidden_layers: 32, vocab_size: 32000, max_position_embeddings: 4096,
    rms_norm_eps: 1e-5, rope_theta: 250000.0, rope_scaling: null, torch_dtype: "float16", bos_token_id: 1, eos_token_id: 2,
  };
  const hf = configFromHf(v4);
  assert.equal(hf.config.ropeTheta, 250000);
  assert.equal(hf.config.numKeyValueHeads, 32);
  assert.equal(hf.config.headDim, 128);
  assert.equal(hf.config.tieWordEmbeddings, false);
  assert.equal(hf.config.padTokenId, null);
  assert.equal(hf.dtype, "float16");
  const { rope_theta: _, ...noTheta } = v4;
  assert.equal(configFromHf(noTheta).config.ropeTheta, 10000, "transformers' default_theta");
  assert.equal(configFromHf({ ...v4, rope_parameters: { rope_type: "default", rope_theta: 5 } }).config.ropeTheta, 5,
    "rope_parameters.rope_theta takes precedence over the top-level key, as in transformers");
});

test("scaled RoPE variants are rejected naming the file and the field", () => {
  const base = fixtureJson("llama-gqa");
  const llama3 = { ...base, rope_parameters: { rope_type: "llama3", rope_theta: 500000, factor: 8 } };
  assert.throws(() => configFromHf(llama3, "dir/config.json"), /dir\/config.json: field "rope_parameters.rope_type" is "llama3"; only "default"/);
  const linear = { ...base, rope_scaling: { type: "linear", factor: 2 } };
  assert.throws(() => configFromHf(linear, "c.json"), /c.json: field "rope_scaling.rope_type" is "linear"/);
});

test("missing, mistyped and unsupported fields are errors naming the file and field", () => {
  const base = fixtureJson("llama-gqa");
  const { hidden_size: _, ...noHidden } = base;
  assert.throws(() => configFromHf(noHidden, "m/config.json"), /m\/config.json: field "hidden_size" is missing/);
  assert.throws(() => configFromHf({ ...base, num_hidden_layers: "2" }, "f"), /f: field "num_hidden_layers" must be an integer, got "2"/);
  assert.throws(() => configFromHf({ ...base, model_type: "mistral" }, "f"), /field "model_type" is "mistral"/);
  assert.throws(() => configFromHf({ ...base, attention_bias: true }, "f"), /field "attention_bias" is true; biases are not supported/);
  assert.throws(() => configFromHf({ ...base, hidden_act: "gelu" }, "f"), /field "hidden_act" is "gelu"/);
  assert.throws(() => configFromHf({ ...base, architectures: ["LlamaModel"] }, "f"), /field "architectures" is \["LlamaModel"\]/);
  assert.throws(() => configFromHf({ ...base, num_key_value_heads: 3 }, "f"), /f: num_attention_heads \(4\) must be a multiple of num_key_value_heads \(3\)/);
  const { dir, done } = tempDir();
  try {
    fs.writeFileSync(path.join(dir, "config.json"), "{ nope");
    assert.throws(() => readHfConfig(path.join(dir, "config.json")), (e: Error) => e.message.startsWith(path.join(dir, "config.json")) && /invalid JSON/.test(e.message));
  } finally { done(); }
});

test("sequence classification reads num_labels from id2label (or num_labels) and keeps pad_token_id", () => {
  const hf = readHfConfig(path.join(MODELS, "llama-seqcls", "config.json"));
  assert.equal(hf.kind, "sequence-classification");
  assert.equal(hf.numLabels, 1);
  assert.equal(hf.config.padTokenId, 0);
  const { id2label: _, label2id: __, ...bare } = fixtureJson("llama-seqcls");
  assert.equal(configFromHf({ ...bare, num_labels: 3 }).numLabels, 3);
  assert.equal(configFromHf(bare).numLabels, 2, "transformers' default num_labels");
});

test("configToHf round-trips and writes the keys transformers 5.17 writes (plus top-level rope_theta)", () => {
  for (const name of ["llama-gqa", "llama-seqcls", "llama-tied"]) {
    const fixture = fixtureJson(name);
    const hf = configFromHf(fixture);
    const ours = configToHf(hf.config, hf.kind, { numLabels: hf.numLabels || undefined });
    assert.deepEqual(configFromHf(ours), { ...hf, dtype: "float32" });
    assert.deepEqual(Object.keys(ours).sort(), [...Object.keys(fixture), "rope_theta"].sort(), name);
    for (const k of Object.keys(fixture)) assert.deepEqual(ours[k], fixture[k], `${name}: value of "${k}"`);
  }
});

test("generation_config.json has the same keys and token ids as transformers writes", () => {
  const fixture = fixtureJson("llama-gqa", "generation_config.json");
  const ours = generationConfigToHf(readHfConfig(path.join(MODELS, "llama-gqa", "config.json")).config);
  assert.deepEqual(ours, fixture);
});
