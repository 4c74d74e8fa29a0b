// Cached decoding, batched generation and the scalar head, against full forwards and transformers.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { Llama } from "../../src/model/llama.js";
import { KVCache } from "../../src/model/kv-cache.js";
import { generate } from "../../src/model/generate.js";
import { scoreLastToken, scoreTokens } from "../../src/model/score.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { fixture, maxAbsDiff } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/tmp.js";

const json = (name: string) => JSON.parse(fs.readFileSync(fixture("models", name, "expected.json"), "utf8"));

test("decoding one token at a time against the KV cache equals the full forward", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"));
  const ids = [1, 17, 42, 99, 3, 250, 7, 7, 128, 64];
  const V = model.config.vocabSize, T = ids.length;
  const full = model.forward(Int32Array.from(ids), 1, T).slice();
  const cache = new KVCache(model.config, 1, 16);
  const engine = model.inference();
  for (let t = 0; t < T; t++) {
    const step = engine.forward(cache, Int32Array.of(ids[t]!), 1, 1);
    const err = maxAbsDiff(step, full.subarray(t * V, (t + 1) * V));
    assert.ok(err < 1e-5, `position ${t}: max abs err ${err}`);
  }
  // A prefill of several tokens followed by single steps gives the same logits too.
  cache.reset();
  const prefill = engine.forward(cache, Int32Array.from(ids.slice(0, 6)), 1, 6, true).slice();
  assert.ok(maxAbsDiff(prefill, full.subarray(0, 6 * V)) < 1e-5);
  const next = engine.forward(cache, Int32Array.of(ids[6]!), 1, 1);
  assert.ok(maxAbsDiff(next, full.subarray(6 * V, 7 * V)) < 1e-5);
});

test("greedy generation equals transformers' generate(do_sample=False) token for token", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"));
  const g = json("llama-gqa").generate;
  const out = generate(model, [g.prompt], { maxNewTokens: g.max_new_tokens, greedy: true, eosId: null });
  assert.deepEqual(out.ids[0], g.output.slice(g.prompt.length));
});

test("batched generation of left-padded prompts equals generating each prompt alone", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"));
  const prompts = [[1, 11, 4, 248, 210], [1, 90], [1, 5, 6, 7]];
  const batched = generate(model, prompts, { maxNewTokens: 6, greedy: true, eosId: null });
  prompts.forEach((p, b) => {
    const alone = generate(model, [p], { maxNewTokens: 6, greedy: true, eosId: null });
    assert.deepEqual(batched.ids[b], alone.ids[0], `row ${b}`);
    assert.ok(maxAbsDiff(batched.logprobs[b]!, alone.logprobs[0]!) < 1e-4, `row ${b} logprobs`);
  });
});

test("seeded sampling is reproducible and changes with the seed", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"));
  const opts = { maxNewTokens: 12, temperature: 1.2, topP: 0.95, topK: 50, eosId: null };
  const a = generate(model, [[1, 2, 3]], { ...opts, seed: 7 }).ids[0];
  const b = generate(model, [[1, 2, 3]], { ...opts, seed: 7 }).ids[0];
  const c = generate(model, [[1, 2, 3]], { ...opts, seed: 8 }).ids[0];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test("token log-probabilities sum to minus the NLL and equal the shifted log-softmax", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"));
  const ids = [1, 11, 4, 248, 210, 54];
  const { tokenLogprobs, nll } = scoreTokens(model, ids);
  assert.equal(tokenLogprobs.length, ids.length - 1);
  const logits = model.forward(Int32Array.from(ids), 1, ids.length);
  const V = model.config.vocabSize;
  for (let t = 0; t + 1 < ids.length; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    assert.ok(Math.abs(tokenLogprobs[t]! - (row[ids[t + 1]!]! - lse)) < 1e-4);
  }
  assert.ok(Math.abs(nll + tokenLogprobs.reduce((a, b) => a + b, 0)) < 1e-9);
});

test("the scalar head equals LlamaForSequenceClassification at the last non-pad token", async () => {
  const model = await Llama.load(fixture("models", "llama-seqcls"));
  assert.equal(model.head, "score");
  const exp = json("llama-seqcls");
  const t = readSafetensors(fixture("models", "llama-seqcls", "expected.safetensors")).tensors;
  const [B, T] = t.get("input_ids")!.shape as [number, number];
  const ids = t.get("input_ids")!.data;
  const rows = exp.last_non_pad.map((last: number, b: number) => Array.from(ids.subarray(b * T, b * T + last + 1)));
  const scores = scoreLastToken(model, rows);
  exp.scores.forEach((s: number, b: number) => assert.ok(Math.abs(scores[b]![0]! - s) < 1e-4, `row ${b}: ${scores[b]![0]} vs ${s}`));
  // The training forward gives the per-token scores of transformers' score head on the real (non-pad,
  // right-padded) tokens; pad positions differ because transformers masks them.
  const perToken = model.forward(Int32Array.from(ids), B, T), hf = t.get("scores_per_token")!.data;
  exp.last_non_pad.forEach((last: number, b: number) =>
    assert.ok(maxAbsDiff(perToken.subarray(b * T, b * T + last + 1), hf.subarray(b * T, b * T + last + 1)) < 1e-4, `row ${b}`));
});

test("save then load is lossless and keeps the logits", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"));
  const dir = tempDir("llama2-save-");
  try {
    await model.save(`${dir}/m`);
    const again = await Llama.load(`${dir}/m`);
    model.params.forEach((p, i) => assert.deepEqual(again.params[i]!.data, p.data, p.name));
    const ids = Int32Array.of(1, 5, 9, 200);
    assert.deepEqual(again.forward(ids, 1, 4).slice(), model.forward(ids, 1, 4).slice());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
