// The fused decoding step (native.decodeStep, native/decode.cpp: the whole model for one token in one
// native call and one parallel region) against the op-by-op path (layer.ts through InferenceEngine with
// fusedDecode off): the same logits and the same cache contents, bit for bit, for every weight dtype,
// every SIMD level this CPU has, one row or several rows at different lengths with left padding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Llama } from "../../src/model/llama.js";
import { KVCache } from "../../src/model/kv-cache.js";
import { native } from "../../src/native/addon.js";
import type { LlamaConfig } from "../../src/model/config.js";
import type { WeightDtype } from "../../src/model/weight-storage.js";

// Large enough that one token is over the 1M multiply-add threshold, so the step runs on the threads.
const config: LlamaConfig = {
  vocabSize: 1001, hiddenSize: 256, intermediateSize: 704, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2,
  headDim: 64, maxPositionEmbeddings: 64, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false,
  bosTokenId: 1, eosTokenId: 2, padTokenId: null,
};

function model(dtype: WeightDtype): Llama {
  const f32 = new Llama(config, { trainable: false }).initRandom(7, 0.08);
  if (dtype === "float32") return f32;
  return new Llama(config, { dtype, tensors: new Map(f32.params.map((p) => [p.name, { data: p.data }])) });
}

function levels(): ("portable" | "avx2" | "avx512")[] {
  const out: ("portable" | "avx2" | "avx512")[] = ["portable"];
  for (const l of ["avx2", "avx512"] as const) {
    try { native.setSimdLevel(l); out.push(l); } catch { /* this CPU lacks it */ }
  }
  return out;
}

const prompts = [[1, 17, 300, 41, 999], [1, 5], [1, 640, 2, 88, 13, 7, 100]];

/** Prefill (op-by-op, T > 1), then `steps` decoding steps; returns each step's logits and the final caches. */
function run(m: Llama, fused: boolean, rows: number[], padRow: number | null): { logits: Float32Array[]; cache: KVCache } {
  const engine = m.inference();
  engine.fusedDecode = fused;
  const cache = new KVCache(config, 4, 24);
  rows.forEach((r, i) => {
    if (r === padRow) { cache.keyStart[r] = 3; cache.lengths[r] = 3; }  // three left-pad slots
    engine.forward(cache, Int32Array.from(prompts[i]!), 1, prompts[i]!.length, false, [r]);
  });
  const logits: Float32Array[] = [];
  for (let s = 0; s < 6; s++) {
    const ids = Int32Array.from(rows, (_, i) => (s * 131 + i * 17 + 3) % config.vocabSize);
    logits.push(engine.forward(cache, ids, rows.length, 1, false, rows).slice());
  }
  return { logits, cache };
}

for (const dtype of ["float32", "bfloat16", "q8_0"] as const) {
  test(`a fused decoding step gives the op-by-op path's logits and cache bit for bit (${dtype}, every SIMD level, 1 and 3 rows)`, () => {
    const m = model(dtype);
    const saved = native.simdLevel() as "portable" | "avx2" | "avx512";
    native.setThreadCount(2);
    try {
      for (const level of levels()) {
        native.setSimdLevel(level);
        for (const [rows, pad] of [[[2], null], [[3, 0, 1], 0]] as [number[], number | null][]) {
          const a = run(m, true, rows, pad), b = run(m, false, rows, pad);
          a.logits.forEach((x, s) => assert.deepEqual(x, b.logits[s], `${level}, rows ${rows}, step ${s}`));
          for (let l = 0; l < config.numHiddenLayers; l++) {
            assert.deepEqual(a.cache.k[l], b.cache.k[l], `${level}, rows ${rows}: keys of layer ${l}`);
            assert.deepEqual(a.cache.v[l], b.cache.v[l], `${level}, rows ${rows}: values of layer ${l}`);
          }
          assert.deepEqual(a.cache.lengths, b.cache.lengths);
          // and the step really computed something different per row and step
          assert.notDeepEqual(a.logits[0], a.logits[1]);
        }
      }
    } finally {
      native.setSimdLevel(saved);
      native.setThreadCount(0);
    }
  });
}

test("a fused step on one thread equals the same step on two", () => {
  const m = model("float32");
  try {
    native.setThreadCount(1);
    const one = run(m, true, [3, 0, 1], 0);
    native.setThreadCount(2);
    const two = run(m, true, [3, 0, 1], 0);
    one.logits.forEach((x, s) => assert.deepEqual(x, two.logits[s], `step ${s}`));
  } finally {
    native.setThreadCount(0);
  }
});

test("threads that recompute each other's unfinished items (no patience at all) still give the same bits", () => {
  const m = model("float32");
  const patience = native._decodeStealSpins(0);
  try {
    native.setThreadCount(2);
    const stressed = run(m, true, [3, 0, 1], 0);
    native._decodeStealSpins(patience);
    const plain = run(m, false, [3, 0, 1], 0);
    stressed.logits.forEach((x, s) => assert.deepEqual(x, plain.logits[s], `step ${s}`));
    for (let l = 0; l < config.numHiddenLayers; l++) assert.deepEqual(stressed.cache.k[l], plain.cache.k[l]);
  } finally {
    native._decodeStealSpins(patience);
    native.setThreadCount(0);
  }
});

test("decodeStep refuses a full cache row, a repeated row and a short weight list, naming them", () => {
  const m = model("float32");
  const engine = m.inference();
  const cache = new KVCache(config, 2, 4);
  engine.forward(cache, Int32Array.of(1, 2, 3, 4), 1, 4, false, [0]);
  const c = config;
  const call = (slots: number[], weights: Float32Array[]) => native.decodeStep(new Float32Array(2 * c.vocabSize), Int32Array.of(5, 6),
    Int32Array.from(slots), slots.length, weights, cache.k, cache.v, cache.lengths, cache.keyStart, 2, 4, c.numHiddenLayers,
    c.hiddenSize, c.intermediateSize, c.numAttentionHeads, c.numKeyValueHeads, c.headDim, c.vocabSize, c.vocabSize, c.rmsNormEps, c.ropeTheta);
  const w = m.weights, l0 = w.layers[0]!, l1 = w.layers[1]!;
  const list = [w.embed.data, w.finalNorm.data, w.lmHead!.weight.data];
  for (const l of [l0, l1]) list.push(l.inputNorm.data, l.qProj.weight.data, l.kProj.weight.data, l.vProj.weight.data, l.oProj.weight.data,
    l.postNorm.data, l.gateProj.weight.data, l.upProj.weight.data, l.downProj.weight.data);
  assert.throws(() => call([0], list), /decodeStep: argument 2 \(slots\) element 0: cache row 0 is full \(4 slots\)/);
  assert.throws(() => call([1, 1], list), /decodeStep: argument 2 \(slots\) element 1: cache row 1 appears twice/);
  assert.throws(() => call([1], list.slice(0, -1)), /decodeStep: argument 4 \(weights\) has 20 elements, expected 21/);
  const swapped = list.slice();
  swapped[4] = l0.oProj.weight.data.subarray(1);  // one float short
  assert.throws(() => call([1], swapped), /decodeStep: argument 4 \(weights\) element 4 has 65535 elements, needs at least 65536/);
  call([1], list);  // the valid call runs
});
