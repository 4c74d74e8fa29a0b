// native/adamw.cpp against torch.optim.AdamW: ten steps on recorded gradients for three lr /
// weight-decay settings (fixture from scripts/reference/adamw_fixture.py, betas 0.9/0.95, eps 1e-5),
// with tiny, zero and large gradients; parameters after every step and the final moments agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";
import { readFixture, maxAbsDiff, logMaxErr, atEverySimdLevel } from "./check.js";

interface AdamwCase {
  lr: number; weight_decay: number; param0: number[]; grads: number[][]; params: number[][];
  exp_avg: number[]; exp_avg_sq: number[];
}
interface AdamwFixture { betas: [number, number]; eps: number; steps: number; cases: AdamwCase[] }

const fx = readFixture<AdamwFixture>("adamw/adamw.json");

test("adamwStep reproduces torch.optim.AdamW over 10 steps for every lr / weight decay in the fixture", () => {
  atEverySimdLevel((level) => {
    for (const c of fx.cases) {
      const n = c.param0.length;
      const p = Float32Array.from(c.param0), m = new Float32Array(n), v = new Float32Array(n);
      let worst = 0;
      for (let step = 1; step <= fx.steps; step++) {
        native.adamwStep(p, Float32Array.from(c.grads[step - 1]!), m, v, n, c.lr, fx.betas[0], fx.betas[1], fx.eps, c.weight_decay, step);
        worst = Math.max(worst, maxAbsDiff(p, c.params[step - 1]!));
      }
      // moments span 1e-15 .. 4e3 (tiny and large gradients): v relatively, m relative to max(1, |m|)
      // (m crosses zero, where a relative error means nothing)
      let em = 0, ev = 0;
      for (let i = 0; i < n; i++) {
        em = Math.max(em, Math.abs(m[i]! - c.exp_avg[i]!) / Math.max(1, Math.abs(c.exp_avg[i]!)));
        ev = Math.max(ev, Math.abs(v[i]! - c.exp_avg_sq[i]!) / Math.max(1e-30, c.exp_avg_sq[i]!));
      }
      logMaxErr(`[${level}] adamw lr=${c.lr} wd=${c.weight_decay} param`, worst);
      logMaxErr(`[${level}] adamw lr=${c.lr} wd=${c.weight_decay} exp_avg rel`, em);
      logMaxErr(`[${level}] adamw lr=${c.lr} wd=${c.weight_decay} exp_avg_sq rel`, ev);
      assert.ok(worst <= 1e-6, `[${level}] lr=${c.lr} wd=${c.weight_decay}: param err ${worst}`);
      assert.ok(em <= 1e-6 && ev <= 1e-6, `[${level}] moments: m rel ${em} v rel ${ev}`);
    }
  });
});

test("adamwStep with a large buffer (threaded path) equals the same update done in small chunks", () => {
  const n = 300_001;
  const mk = (f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  const p = mk((i) => Math.sin(i)), g = mk((i) => Math.cos(i * 0.7)), m = mk((i) => 0.01 * Math.sin(i * 3)), v = mk((i) => 0.001 * (1 + Math.cos(i)));
  const p2 = Float32Array.from(p), m2 = Float32Array.from(m), v2 = Float32Array.from(v);
  native.adamwStep(p, g, m, v, n, 1e-3, 0.9, 0.95, 1e-5, 0.1, 3);
  for (let i = 0; i < n; i += 1000) {
    const e = Math.min(n, i + 1000);
    native.adamwStep(p2.subarray(i, e), g.subarray(i, e), m2.subarray(i, e), v2.subarray(i, e), e - i, 1e-3, 0.9, 0.95, 1e-5, 0.1, 3);
  }
  assert.deepEqual(p, p2);
  assert.deepEqual(m, m2);
  assert.deepEqual(v, v2);
});

test("adamwStep rejects step 0 and short moment buffers", () => {
  const f = (k: number) => new Float32Array(k);
  assert.throws(() => native.adamwStep(f(4), f(4), f(4), f(4), 4, 1e-3, 0.9, 0.95, 1e-5, 0, 0), /adamwStep: argument 10 \(step\) must be >= 1/);
  assert.throws(() => native.adamwStep(f(4), f(4), f(4), f(3), 4, 1e-3, 0.9, 0.95, 1e-5, 0, 1), /adamwStep: argument 3 \(v\) has 3 elements, needs at least 4/);
  assert.throws(() => (native.adamwStep as (...a: unknown[]) => void)(f(4), f(4), f(4), f(4), 4, 1e-3, "0.9", 0.95, 1e-5, 0, 1), /argument 6 \(beta1\) must be a number/);
});
