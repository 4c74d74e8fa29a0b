// Trainable vs frozen parameters: gradients exist only for trainable params and only after a backward,
// AdamW holds moments for trainable params only, and loading adopts the loaded buffers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Llama } from "../../src/model/llama.js";
import { generate } from "../../src/model/generate.js";
import { setTrainable } from "../../src/model/params.js";
import { AdamW, LLAMA2_ADAMW } from "../../src/train/adamw.js";
import { clipGradNorm } from "../../src/train/grad-norm.js";
import { loadModelDir } from "../../src/model/model-dir.js";
import { fixture, maxRelDiff } from "../helpers/fixtures.js";

const ids = Int32Array.from([1, 17, 42, 99, 3, 250, 7, 7, 1, 64, 128, 5]);
const targets = Int32Array.from([17, 42, 99, 3, 250, 7, 7, -100, 64, 128, 5, -100]);

test("a model that only runs forward and generate allocates no gradient buffer", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"), { trainable: false });
  model.forward(ids, 2, 6);
  generate(model, [[1, 5, 9]], { maxNewTokens: 4, greedy: true, eosId: null });
  for (const p of model.params) assert.equal(p.grad, null, p.name);
  const opt = new AdamW(model.params, LLAMA2_ADAMW);
  assert.equal(opt.params.length, 0);
  assert.equal(opt.stateTensors().size, 0);
});

test("a frozen model's backward allocates no parameter gradient; the weights stay bitwise unchanged", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"), { trainable: false });
  const before = model.params.map((p) => p.data.slice());
  model.lmForwardBackward(ids, targets, 2, 6, 1 / 10);
  for (const p of model.params) assert.equal(p.grad, null, p.name);
  const opt = new AdamW(model.params, LLAMA2_ADAMW);
  opt.update(1e-3);
  model.params.forEach((p, i) => assert.deepEqual(p.data, before[i], p.name));
});

test("with a trainable subset, only it gets gradients and they equal the full model's", async () => {
  const full = await Llama.load(fixture("models", "llama-gqa"));
  full.lmForwardBackward(ids, targets, 2, 6, 1 / 10);
  const sub = await Llama.load(fixture("models", "llama-gqa"));
  const picked = (n: string) => n.includes("layers.0.self_attn.q_proj") || n === "model.norm.weight" || n.includes("layers.1.input_layernorm");
  setTrainable(sub.params, false, (n) => !picked(n));
  sub.lmForwardBackward(ids, targets, 2, 6, 1 / 10);
  let n = 0;
  sub.params.forEach((p, i) => {
    if (!picked(p.name)) return assert.equal(p.grad, null, p.name);
    n++;
    assert.ok(p.grad && maxRelDiff(p.grad, full.params[i]!.grad!) < 1e-6, p.name);
  });
  assert.equal(n, 3);
  // The optimizer, the norm and clipping see exactly the trainable subset.
  const opt = new AdamW(sub.params, LLAMA2_ADAMW);
  assert.deepEqual(opt.params.map((p) => p.name).sort(), sub.params.filter((p) => picked(p.name)).map((p) => p.name).sort());
  assert.equal(opt.stateTensors().size, 6);
  const norm = clipGradNorm(sub.params, 0);
  const expect = Math.sqrt(sub.params.filter((p) => p.grad).reduce((s, p) => s + p.grad!.reduce((a, g) => a + g * g, 0), 0));
  assert.ok(Math.abs(norm - expect) < 1e-6 * expect);
});

test("Llama adopts the buffers it is given instead of copying them", async () => {
  const loaded = loadModelDir(fixture("models", "llama-gqa"));
  const model = new Llama(loaded.config, { tensors: loaded.tensors });
  for (const p of model.params) assert.equal(p.data, loaded.tensors.get(p.name)!.data, p.name);
});
