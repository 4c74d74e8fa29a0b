// Decoding puts the weights it streams on 2 MiB pages (src/model/huge-pages.ts, native/hugepages.cpp):
// a frozen model's small weights move into one shared buffer with their values; large ones and a trained
// model's stay where they are; the logits do not change by a bit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Llama } from "../../src/model/llama.js";
import { KVCache } from "../../src/model/kv-cache.js";
import { native } from "../../src/native/addon.js";
import type { LlamaConfig } from "../../src/model/config.js";
import type { WeightDtype } from "../../src/model/weight-storage.js";

// The tied embedding / LM head [2048, 1024] is 8 MiB in float32: large, advised in place. Layer weights are small.
const config: LlamaConfig = {
  vocabSize: 2048, hiddenSize: 1024, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2,
  headDim: 256, maxPositionEmbeddings: 32, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: true,
  bosTokenId: 1, eosTokenId: 2, padTokenId: null,
};

function make(dtype: WeightDtype, trainable = false): Llama {
  const f32 = new Llama(config, { trainable }).initRandom(3, 0.05);
  if (dtype === "float32") return f32;
  return new Llama(config, { dtype, tensors: new Map(f32.params.map((p) => [p.name, { data: p.data }])) });
}

type Stored = Float32Array | Uint16Array | Uint8Array;
function storedArrays(m: Llama): Map<string, Stored> {
  const out = new Map<string, Stored>();
  for (const l of m.weights.linears) {
    const s = l.storage;
    out.set(l.name, s.kind === "f32" ? l.weight.data : s.kind === "bf16" ? s.bits : s.blocks);
  }
  return out;
}

/** Logits of a prefill and four fused decoding steps. */
function decode(m: Llama): Float32Array[] {
  const engine = m.inference(), cache = new KVCache(config, 1, 16), out: Float32Array[] = [];
  let logits = engine.forward(cache, Int32Array.from([1, 7, 300]), 1, 3);
  for (let s = 0; s < 4; s++) {
    out.push(logits.slice());
    logits = engine.forward(cache, Int32Array.from([(s * 97 + 5) % config.vocabSize]), 1, 1);
  }
  out.push(logits.slice());
  return out;
}

for (const dtype of ["float32", "bfloat16", "q8_0"] as const) {
  test(`decoding a frozen ${dtype} model moves its small weights into one buffer, values and logits unchanged`, () => {
    const reference = decode(make(dtype)), m = make(dtype);
    const before = storedArrays(m), copies = new Map([...before].map(([k, a]) => [k, a.slice()]));
    const logits = decode(m);
    assert.deepEqual(logits, reference);
    const after = storedArrays(m);
    const buffers = new Set<ArrayBufferLike>();
    for (const [name, a] of after) {
      assert.deepEqual(a, copies.get(name), `${name}: values changed`);
      const big = before.get(name)!.byteLength >= 4 << 20;
      if (big) assert.equal(a, before.get(name), `${name}: a large weight stays where it is`);
      else { assert.notEqual(a, before.get(name), `${name}: a small weight moves`); buffers.add(a.buffer); }
    }
    assert.equal(buffers.size, 1, "the small weights share one buffer");
    assert.deepEqual(decode(m), reference, "decoding again (weights already moved) gives the same logits");
  });
}

test("a trained model's weights stay in their own arrays (the optimizer holds them)", () => {
  const m = make("float32", true), before = storedArrays(m);
  decode(m);
  for (const [name, a] of storedArrays(m)) assert.equal(a, before.get(name), name);
});

test("allocHugePages gives a zeroed buffer of the size asked; adviseHugePages keeps contents", () => {
  const buf = native.allocHugePages(3 << 20);
  assert.equal(buf.byteLength, 3 << 20);
  const view = new Uint8Array(buf);
  assert.ok(view.every((x) => x === 0));
  view.fill(7);
  assert.equal(native.allocHugePages(0).byteLength, 0);
  const a = Float32Array.from({ length: 3 << 20 }, (_, i) => i * 0.5), copy = a.slice();
  const advised = native.adviseHugePages([a, view]);
  assert.ok(advised >= 0 && advised <= a.byteLength + view.byteLength);
  assert.deepEqual(a, copy);
  assert.ok(view.every((x) => x === 7));
});
