// LoRA adapters through the linear seam: gradients of A, B and the input against float64 central
// differences; the adapted model equals the merged one; training adapters leaves every base weight
// bitwise unchanged and allocates no base gradient; PEFT adapter directories round-trip.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Linear } from "../../src/model/linear.js";
import { LoraAdapter } from "../../src/model/lora.js";
import { Llama } from "../../src/model/llama.js";
import { Rng } from "../../src/model/rng.js";
import { AdamW, LLAMA2_ADAMW } from "../../src/train/adamw.js";
import { generate } from "../../src/model/generate.js";
import { maxAbsDiff, numericGrad, randn, rng } from "../native/check.js";
import { fixture, maxRelDiff } from "../helpers/fixtures.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { tmpDir } from "../train/helpers.js";

/** float64 twin: y = x W^T + s (x A^T) B^T. */
function loraRef(x: ArrayLike<number>, W: ArrayLike<number>, A: ArrayLike<number>, B: ArrayLike<number>, N: number, I: number, O: number,
  r: number, s: number): Float64Array {
  const y = new Float64Array(N * O);
  for (let n = 0; n < N; n++) {
    const u = new Float64Array(r);
    for (let k = 0; k < r; k++) for (let i = 0; i < I; i++) u[k] += x[n * I + i]! * A[k * I + i]!;
    for (let o = 0; o < O; o++) {
      let acc = 0;
      for (let i = 0; i < I; i++) acc += x[n * I + i]! * W[o * I + i]!;
      for (let k = 0; k < r; k++) acc += s * u[k]! * B[o * r + k]!;
      y[n * O + o] = acc;
    }
  }
  return y;
}

test("LoRA forward and the gradients of A, B and x match the float64 twin and its central differences", () => {
  const R = rng(3), N = 5, I = 12, O = 7, r = 3, alpha = 6;
  const W = randn(R, O * I), x = randn(R, N * I), dOut = randn(R, N * O);
  const lin = new Linear("model.layers.0.self_attn.q_proj", { name: "w", shape: [O, I], data: W, grad: null, trainable: false, decay: true });
  const a = new LoraAdapter(lin.name, I, O, r, alpha, 0, { training: false, rng: null });
  a.A.data.set(randn(R, r * I));
  a.B.data.set(randn(R, O * r));  // non-zero B so every path is exercised
  lin.lora = a;
  const y = new Float32Array(N * O);
  lin.forward(y, x, N);
  const s = alpha / r;
  assert.ok(maxAbsDiff(y, loraRef(x, W, a.A.data, a.B.data, N, I, O, r, s)) < 1e-5);
  const dx = new Float32Array(N * I);
  lin.backward(dx, dOut, x, N);
  assert.equal(lin.weight.grad, null, "the frozen base weight gets no gradient");
  const gA = numericGrad((A) => loraRef(x, W, A, a.B.data, N, I, O, r, s), a.A.data, dOut);
  const gB = numericGrad((B) => loraRef(x, W, a.A.data, B, N, I, O, r, s), a.B.data, dOut);
  const gx = numericGrad((xx) => loraRef(xx, W, a.A.data, a.B.data, N, I, O, r, s), x, dOut);
  assert.ok(maxAbsDiff(a.A.grad!, gA) < 1e-4, `dA err ${maxAbsDiff(a.A.grad!, gA)}`);
  assert.ok(maxAbsDiff(a.B.grad!, gB) < 1e-4, `dB err ${maxAbsDiff(a.B.grad!, gB)}`);
  assert.ok(maxAbsDiff(dx, gx) < 1e-4, `dx err ${maxAbsDiff(dx, gx)}`);
});

test("LoRA dropout is active only in training mode, and its backward matches the same mask", () => {
  const R = rng(9), N = 4, I = 16, O = 5, r = 2;
  const W = randn(R, O * I), x = randn(R, N * I), dOut = randn(R, N * O);
  const mode = { training: false, rng: new Rng(1) as Rng | null };
  const lin = new Linear("m.v_proj", { name: "w", shape: [O, I], data: W, grad: null, trainable: false, decay: true });
  const a = new LoraAdapter(lin.name, I, O, r, 4, 0.5, mode);
  a.A.data.set(randn(R, r * I)); a.B.data.set(randn(R, O * r));
  lin.lora = a;
  const yEval = new Float32Array(N * O), yTrain = new Float32Array(N * O);
  lin.forward(yEval, x, N);
  assert.ok(maxAbsDiff(yEval, loraRef(x, W, a.A.data, a.B.data, N, I, O, r, 2)) < 1e-5);
  mode.training = true;
  lin.forward(yTrain, x, N);
  assert.ok(maxAbsDiff(yEval, yTrain) > 1e-3, "dropout changed the training output");
  // The same draws, replayed: the dropped input is x * mask / (1 - p); the twin on it gives the gradients.
  const replay = new Rng(1), xd = Float64Array.from(x, (v) => (replay.uniform() >= 0.5 ? v * 2 : 0));
  const zeroW = new Float32Array(O * I), baseOnly = loraRef(x, W, [], [], N, I, O, 0, 0);
  const want = loraRef(xd, zeroW, a.A.data, a.B.data, N, I, O, r, 2).map((v, i) => v + baseOnly[i]!);
  assert.ok(maxAbsDiff(yTrain, want) < 1e-5, "training output = base(x) + adapter(dropped x)");
  lin.backward(null, dOut, x, N);
  const gA = numericGrad((A) => loraRef(xd, zeroW, A, a.B.data, N, I, O, r, 2), a.A.data, dOut);
  assert.ok(maxAbsDiff(a.A.grad!, gA) < 1e-4);
});

test("an adapted model equals its merged model, and the adapter directory round-trips", async () => {
  const base = fixture("models", "llama-gqa");
  const model = await Llama.load(base);
  model.addLora({ r: 4, alpha: 8, dropout: 0, targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] }, { seed: 5 });
  const R = new Rng(2);
  for (const p of model.params) if (p.name.endsWith("lora_B.weight")) for (let i = 0; i < p.data.length; i++) p.data[i] = (R.uniform() - 0.5) * 0.5;
  const ids = Int32Array.from([1, 17, 42, 99, 3, 250, 7, 7]);
  const adapted = model.forward(ids, 1, 8).slice();
  const plain = (await Llama.load(base)).forward(ids, 1, 8).slice();
  assert.ok(maxAbsDiff(adapted, plain) > 1e-2, "the adapters change the logits");
  const dir = tmpDir("lora-");
  await model.save(path.join(dir, "adapter"));
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "adapter", "adapter_config.json"), "utf8"));
  assert.equal(cfg.peft_type, "LORA");
  assert.equal(cfg.task_type, "CAUSAL_LM");
  assert.equal(cfg.base_model_name_or_path, path.resolve(base));
  assert.deepEqual([cfg.r, cfg.lora_alpha], [4, 8]);
  const again = await Llama.load(path.join(dir, "adapter"));
  assert.deepEqual(again.forward(ids, 1, 8).slice(), adapted);
  // Greedy decoding through the KV cache sees the adapters too.
  const g1 = generate(model, [[1, 5, 9]], { maxNewTokens: 5, greedy: true, eosId: null }).ids[0];
  const g2 = generate(again, [[1, 5, 9]], { maxNewTokens: 5, greedy: true, eosId: null }).ids[0];
  assert.deepEqual(g1, g2);
  again.mergeLora();
  assert.equal(again.lora, null);
  const merged = again.forward(ids, 1, 8).slice();
  assert.ok(maxAbsDiff(merged, adapted) < 1e-4, `merged vs adapted ${maxAbsDiff(merged, adapted)}`);
});

test("training adapters only: base weights bitwise unchanged, no base gradient or optimizer state", async () => {
  const model = await Llama.load(fixture("models", "llama-gqa"));
  const before = model.params.map((p) => p.data.slice());
  model.addLora({ r: 4, alpha: 8, dropout: 0.1, targets: ["q_proj", "v_proj"] }, { seed: 1, rng: new Rng(3) });
  model.training = true;
  const opt = new AdamW(model.params, LLAMA2_ADAMW);
  assert.equal(opt.params.length, 2 * 2 * model.config.numHiddenLayers);
  assert.ok(opt.params.every((p) => /lora_[AB]/.test(p.name)));
  const ids = Int32Array.from([1, 17, 42, 99, 3, 250, 7, 7]), targets = Int32Array.from([17, 42, 99, 3, 250, 7, 7, -100]);
  const adapters0 = opt.params.map((p) => p.data.slice());
  for (let s = 0; s < 3; s++) {
    model.zeroGrads();
    model.lmForwardBackward(ids, targets, 1, 8, 1 / 7);
    opt.update(1e-2);
  }
  before.forEach((d, i) => assert.deepEqual(model.params[i]!.data, d, model.params[i]!.name));
  for (const p of model.params.slice(0, before.length)) assert.equal(p.grad, null, p.name);
  assert.ok(opt.params.every((p, i) => maxAbsDiff(p.data, adapters0[i]!) > 0), "every adapter moved");
});

test("adapter directories refuse what they cannot represent, naming the file and field", async () => {
  const dir = tmpDir("lora-bad-");
  const base = path.resolve(fixture("models", "llama-gqa"));
  const write = (cfg: Record<string, unknown>) => {
    fs.writeFileSync(path.join(dir, "adapter_config.json"), JSON.stringify({ peft_type: "LORA", base_model_name_or_path: base, r: 2, lora_alpha: 4, target_modules: ["q_proj"], ...cfg }));
  };
  write({ use_dora: true });
  await assert.rejects(Llama.load(dir), /adapter_config\.json: field "use_dora" is true/);
  write({ target_modules: 42 });
  await assert.rejects(Llama.load(dir), /field "target_modules" must be a list of module names \(q_proj, .*\) or a regex string, got 42/);
  write({ task_type: "SEQ_CLS" });
  fs.writeFileSync(path.join(dir, "adapter_model.safetensors"), "");
  await assert.rejects(Llama.load(dir), /adapter_model\.safetensors|SEQ_CLS/);
});

test("PEFT round trip: a PEFT adapter loads with PEFT's logits, loss and adapter gradients; our writer gives what PEFT loaded", async () => {
  const base = fixture("models", "llama-gqa"), dir = fixture("models", "lora-gqa");
  const exp = readSafetensors(path.join(dir, "expected.safetensors")).tensors;
  // peft/ names its base relative to itself ("../../llama-gqa"); an explicit base overrides it (same model here).
  const model = await Llama.load(path.join(dir, "peft"));
  assert.equal(model.baseDir, path.resolve(base));
  assert.equal(model.lora?.r, 4);
  const [B, T] = exp.get("input_ids")!.shape as [number, number];
  const ids = Int32Array.from(exp.get("input_ids")!.data), labels = exp.get("labels")!.data;
  const logits = model.forward(ids, B, T).slice();
  assert.ok(maxAbsDiff(logits, exp.get("logits")!.data) < 1e-4, `logits err ${maxAbsDiff(logits, exp.get("logits")!.data)}`);
  const targets = new Int32Array(B * T).fill(-100);
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) targets[b * T + t] = labels[b * T + t + 1]!;
  const count = targets.filter((x) => x !== -100).length;
  const { lossSum } = model.lmForwardBackward(ids, targets, B, T, 1 / count);
  assert.ok(Math.abs(lossSum / count - exp.get("loss")!.data[0]!) < 1e-5);
  let checked = 0;
  for (const p of model.params) {
    const g = exp.get(`grad.${p.name}`);
    if (!p.trainable) { assert.equal(g, undefined, `PEFT trains ${p.name} too`); continue; }
    assert.ok(g && p.grad, p.name);
    assert.ok(maxRelDiff(p.grad, g.data) < 1e-3, `${p.name}: grad rel err ${maxRelDiff(p.grad, g.data)}`);
    checked++;
  }
  assert.equal(checked, 2 * 7 * model.config.numHiddenLayers);
  // ours/ is what this writer produced from peft/ when the fixture was made, and PEFT loaded it with
  // identical logits (expected.json); the writer must still produce the same tensors and config.
  const out = tmpDir("lora-rt-");
  await model.save(path.join(out, "a"));
  const mine = readSafetensors(path.join(out, "a", "adapter_model.safetensors")).tensors;
  const theirs = readSafetensors(path.join(dir, "ours", "adapter_model.safetensors")).tensors;
  assert.deepEqual([...mine.keys()].sort(), [...theirs.keys()].sort());
  for (const [n, t] of theirs) assert.deepEqual(mine.get(n)!.data, t.data, n);
  const c1 = JSON.parse(fs.readFileSync(path.join(out, "a", "adapter_config.json"), "utf8"));
  const c2 = JSON.parse(fs.readFileSync(path.join(dir, "ours", "adapter_config.json"), "utf8"));
  delete c1.base_model_name_or_path; delete c2.base_model_name_or_path;
  assert.deepEqual(c1, c2);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "expected.json"), "utf8")).peft_loads_ours_max_abs_diff, 0);
});
