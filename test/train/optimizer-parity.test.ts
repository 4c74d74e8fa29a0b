// Schedule + global-norm clipping + AdamW against PyTorch (scripts/reference/trainer_fixture.py):
// torch.optim.AdamW with decay/no-decay groups, clip_grad_norm_(1.0), LambdaLR(warm-up + cosine),
// fed the same fixed gradients for 10 steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AdamW } from "../../src/train/adamw.js";
import { clipGradNorm } from "../../src/train/grad-norm.js";
import { learningRate } from "../../src/train/schedule.js";
import type { Param } from "../../src/model/params.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
interface Fixture {
  config: { lr: number; warmup: number; max_steps: number; min_lr_ratio: number; beta1: number; beta2: number; eps: number; weight_decay: number; grad_clip: number };
  params: { name: string; shape: number[]; decay: boolean; initial: number[]; final: number[]; exp_avg: number[]; exp_avg_sq: number[] }[];
  grads: Record<string, number[]>[];
  lrs: number[];
  grad_norms: number[];
}
const fx = JSON.parse(fs.readFileSync(path.join(root, "test/fixtures/train/trainer_fixture.json"), "utf8")) as Fixture;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test("10 steps of schedule + clipping + AdamW match torch AdamW + LambdaLR within 1e-5", () => {
  const c = fx.config;
  const params: Param[] = fx.params.map((p) => ({
    name: p.name, shape: p.shape, decay: p.decay,
    data: Float32Array.from(p.initial), grad: new Float32Array(p.initial.length), trainable: true,
  }));
  const opt = new AdamW(params, { beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weight_decay });
  const sched = { lr: c.lr, warmup: c.warmup, maxSteps: c.max_steps, minLrRatio: c.min_lr_ratio };
  let clippedSteps = 0;
  for (let s = 0; s < fx.grads.length; s++) {
    for (const p of params) p.grad!.set(fx.grads[s][p.name]);
    const lr = learningRate(s, sched);
    assert.ok(Math.abs(lr - fx.lrs[s]) <= 1e-9 * c.lr, `step ${s}: lr ${lr} vs torch ${fx.lrs[s]}`);
    const norm = clipGradNorm(params, c.grad_clip);
    assert.ok(Math.abs(norm - fx.grad_norms[s]) <= 1e-5 * fx.grad_norms[s], `step ${s}: grad norm ${norm} vs torch ${fx.grad_norms[s]}`);
    if (norm > c.grad_clip) clippedSteps++;
    opt.update(lr);
  }
  assert.ok(clippedSteps > 0 && clippedSteps < fx.grads.length, "the fixture exercises both clipped and unclipped steps");
  params.forEach((p, i) => {
    const ref = fx.params[i];
    const d = maxDiff(p.data, ref.final);
    assert.ok(d <= 1e-5, `${p.name}: max |Δparam| = ${d}`);
    assert.ok(maxDiff(opt.m[i], ref.exp_avg) <= 1e-6, `${p.name}: exp_avg`);
    assert.ok(maxDiff(opt.v[i], ref.exp_avg_sq) <= 1e-6, `${p.name}: exp_avg_sq`);
    // The update moved the parameter: the comparison above is not trivially satisfied.
    assert.ok(maxDiff(p.data, ref.initial) > 1e-3, `${p.name} changed`);
  });
});

test("weight decay is skipped for params with decay = false", () => {
  const mk = (decay: boolean): Param => ({ name: decay ? "w" : "n", shape: [2], decay, data: Float32Array.from([1, -1]), grad: new Float32Array(2), trainable: true });
  const params = [mk(true), mk(false)];
  const opt = new AdamW(params, { beta1: 0.9, beta2: 0.95, eps: 1e-5, weightDecay: 0.5 });
  opt.update(0.1); // zero gradient: only weight decay moves a parameter
  assert.deepEqual(Array.from(params[0].data), [1 * (1 - 0.05), -1 * (1 - 0.05)].map(Math.fround));
  assert.deepEqual(Array.from(params[1].data), [1, -1]);
});
