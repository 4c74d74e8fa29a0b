// The per-row KV cache: rows at different lengths share decoding steps, join and leave a running
// batch, and a row's logits are the same whichever rows share its steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Llama } from "../../src/model/llama.js";
import { KVCache } from "../../src/model/kv-cache.js";
import { generate } from "../../src/model/generate.js";
import { fixture } from "../helpers/fixtures.js";

const prompts = [[1, 11, 4, 248, 210, 9, 17], [1, 90], [1, 5, 6, 7], [1, 200, 201, 202, 203, 204, 205, 206, 207, 30], [1, 77, 3]];

test("a row's logits are bitwise the same decoded alone or beside rows of other lengths", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"), { trainable: false });
  const engine = model.inference(), V = model.config.vocabSize;
  const solo = (p: number[], steps: number[]): Float32Array[] => {
    const c = new KVCache(model.config, 1, 32), out: Float32Array[] = [];
    out.push(engine.forward(c, Int32Array.from(p), 1, p.length).slice());
    for (const id of steps) out.push(engine.forward(c, Int32Array.of(id), 1, 1).slice());
    return out;
  };
  const steps = [5, 9, 33, 2];
  const expected = prompts.map((p) => solo(p, steps));
  // All five rows in one cache, prefilled one by one into rows 4,2,0,3,1, then decoded together,
  // with row 2 leaving after two steps and a new sequence (prompt 1 again) joining in its place.
  const cache = new KVCache(model.config, 5, 32);
  const slotOf = [2, 4, 1, 3, 0];
  for (const i of [4, 2, 0, 3, 1]) {
    const got = engine.forward(cache, Int32Array.from(prompts[i]!), 1, prompts[i]!.length, false, [slotOf[i]!]);
    assert.deepEqual(got.slice(), expected[i]![0], `prefill of prompt ${i}`);
  }
  for (let s = 0; s < steps.length; s++) {
    const live = s < 2 ? [0, 1, 2, 3, 4] : [0, 1, 3, 4];
    const out = engine.forward(cache, Int32Array.from(live.map(() => steps[s]!)), live.length, 1, false, live.map((i) => slotOf[i]!));
    live.forEach((i, j) => assert.deepEqual(out.subarray(j * V, (j + 1) * V).slice(), expected[i]![s + 1], `prompt ${i}, step ${s}`));
    if (s === 1) {  // prompt 2 leaves; prompt 1 starts again in its row while the others keep their lengths
      cache.resetRow(slotOf[2]!);
      const again = engine.forward(cache, Int32Array.from(prompts[1]!), 1, prompts[1]!.length, false, [slotOf[2]!]);
      assert.deepEqual(again.slice(), expected[1]![0]);
    }
  }
  // Row r holds prompt slotOf⁻¹(r): lengths are prompt + 4 steps (row 1: prompt 1 again, no steps yet).
  assert.deepEqual(Array.from(cache.lengths), [3 + 4, 2, 7 + 4, 10 + 4, 2 + 4]);
  assert.throws(() => cache.length, /rows differ in length/);
});

test("batched greedy generation with rows joining and leaving equals solo greedy generation", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"), { trainable: false });
  const free = prompts.map((p) => generate(model, [p], { maxNewTokens: 8, greedy: true, eosId: null }).ids[0]!);
  // An EOS that ends some rows early (at different steps) and never appears in others.
  const eos = free[0]![2]!;
  const alone = prompts.map((p) => generate(model, [p], { maxNewTokens: 8, greedy: true, eosId: eos }));
  const lengths = alone.map((g) => g.ids[0]!.length);
  assert.ok(new Set(lengths).size > 1, `rows should finish at different steps: ${lengths}`);
  for (const maxBatch of [1, 2, 3, 5]) {
    const order: number[] = [];
    const batched = generate(model, prompts, { maxNewTokens: 8, greedy: true, eosId: eos, maxBatch, onToken: (i) => order.push(i) });
    prompts.forEach((_, i) => {
      assert.deepEqual(batched.ids[i], alone[i]!.ids[0], `maxBatch ${maxBatch}, prompt ${i}`);
      assert.deepEqual(batched.logprobs[i], alone[i]!.logprobs[0], `maxBatch ${maxBatch}, prompt ${i} logprobs`);
    });
    if (maxBatch === 2) assert.ok(order.indexOf(4) > order.indexOf(0), "the last prompt joined after others started");
  }
});

test("seeded sampling gives each prompt the same tokens whatever the batch it runs in", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"), { trainable: false });
  const opts = { maxNewTokens: 6, temperature: 1.3, topK: 40, eosId: null, seed: 11 };
  const all = generate(model, prompts, opts);
  const two = generate(model, prompts, { ...opts, maxBatch: 2 });
  assert.deepEqual(two.ids, all.ids);
  assert.notDeepEqual(all.ids[0], generate(model, prompts, { ...opts, seed: 12 }).ids[0]);
});

test("the engine refuses rows outside the cache, repeated rows and overflowing a row's capacity", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"), { trainable: false });
  const engine = model.inference(), cache = new KVCache(model.config, 2, 4);
  assert.throws(() => engine.forward(cache, Int32Array.of(1), 1, 1, false, [2]), /cache row 2 is outside \[0, 2\)/);
  assert.throws(() => engine.forward(cache, Int32Array.of(1, 1), 2, 1, false, [1, 1]), /appears twice/);
  engine.forward(cache, Int32Array.of(1, 2, 3), 1, 3, false, [0]);
  assert.throws(() => engine.forward(cache, Int32Array.of(1, 2), 1, 2, false, [0]), /row 0: 5 positions exceed the cache capacity 4/);
  engine.forward(cache, Int32Array.of(1, 2), 1, 2, false, [1]);  // row 1 has its own room
  assert.deepEqual(Array.from(cache.lengths), [3, 2]);
});
