import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig } from "../../src/model/config.js";
import { PRESET_NAMES, preset } from "../../src/model/presets.js";
import { expectedTensorShapes } from "../../src/model/model-dir.js";

function paramCount(name: string): number {
  let n = 0;
  for (const s of expectedTensorShapes(preset(name), "causal-lm").values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}

test("stories260K is llama2.c's 260K model: dim 64, 5 layers, 8 heads, 4 KV heads, vocab 512, FFN 172, context 512", () => {
  const c = preset("stories260K");
  assert.deepEqual(
    [c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.numKeyValueHeads, c.vocabSize, c.intermediateSize, c.maxPositionEmbeddings, c.headDim],
    [64, 5, 8, 4, 512, 172, 512, 8]);
  assert.equal(c.tieWordEmbeddings, true);
  assert.equal(paramCount("stories260K"), 260_032);
});

test("FFN widths follow model.py's rounding: 768, 1376, 2048 for the stories models and 11008, 13824, 28672 for Llama 2", () => {
  const ffn = (n: string): number => preset(n).intermediateSize;
  assert.deepEqual(["stories15M", "stories42M", "stories110M"].map(ffn), [768, 1376, 2048]);
  assert.deepEqual(["llama2-7b", "llama2-13b", "llama2-70b"].map(ffn), [11008, 13824, 28672]);
  assert.deepEqual(["stories15M", "stories42M", "stories110M"].map((n) => preset(n).maxPositionEmbeddings), [256, 1024, 1024]);
});

test("Llama 2 presets have the published parameter counts (7B 6,738,415,616; 13B 13,015,864,320; 70B 68,976,648,192)", () => {
  assert.equal(paramCount("llama2-7b"), 6_738_415_616);
  assert.equal(paramCount("llama2-13b"), 13_015_864_320);
  assert.equal(paramCount("llama2-70b"), 68_976_648_192);
  const c = preset("llama2-70b");
  assert.deepEqual([c.numAttentionHeads, c.numKeyValueHeads, c.headDim, c.rmsNormEps, c.ropeTheta, c.maxPositionEmbeddings], [64, 8, 128, 1e-5, 10000, 4096]);
});

test("every preset validates and preset() returns a fresh copy", () => {
  for (const n of PRESET_NAMES) validateConfig(preset(n), n);
  const a = preset("stories15M");
  a.vocabSize = 7;
  assert.equal(preset("stories15M").vocabSize, 32000);
  assert.equal(paramCount("stories15M"), 15_191_712);
});

test("an unknown preset name is an error listing the known names", () => {
  assert.throws(() => preset("stories1B"), /unknown model preset "stories1B"; known presets: stories260K, stories15M, .*llama2-70b/);
  assert.throws(() => preset("toString"), /unknown model preset/);
});
