// src/train/losses/weighted-cross-entropy.ts: a hand-worked weighted row, the weighted sum and its
// gradient against central differences of the float64 twin, -100 and zero-weight rows, and that
// weights = null is the plain native.crossEntropy (bitwise).
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../../src/native/addon.js";
import { weightedCrossEntropy } from "../../../src/train/losses/weighted-cross-entropy.js";
import { crossEntropyRef } from "../../native/reference.js";
import { numericGrad, randn, rng, maxAbsDiff } from "../../native/check.js";

test("two uniform rows over V = 4 with weights 2 and 0.5: loss = 2.5·log 4", () => {
  // Every logit 0 → softmax 1/4 each, CE = log 4 = 1.386294 per row.
  // Σ w·CE = (2 + 0.5)·log 4 = 3.465736; gradient row i = w_i·gradScale·(1/4 − onehot):
  // row 0 (target 1, w 2, scale 0.1): [0.05, −0.15, 0.05, 0.05]; row 1 (target 3, w 0.5): [0.0125, 0.0125, 0.0125, −0.0375].
  const logits = new Float32Array(8);
  const r = weightedCrossEntropy(logits, Int32Array.from([1, 3]), Float32Array.from([2, 0.5]), 2, 4, 0.1, true);
  assert.ok(Math.abs(r.lossSum - 2.5 * Math.log(4)) < 1e-6, `loss ${r.lossSum}`);
  assert.equal(r.weightSum, 2.5);
  assert.equal(r.count, 2);
  const want = [0.05, -0.15, 0.05, 0.05, 0.0125, 0.0125, 0.0125, -0.0375];
  assert.ok(maxAbsDiff(logits, want) < 1e-7, `grad ${Array.from(logits)}`);
});

test("weighted loss and gradient match central differences of the float64 twin; -100 and w = 0 rows are zero", () => {
  const r = rng(12);
  const N = 6, V = 13, scale = 0.2;
  const logits = randn(r, N * V, 3);
  const targets = Int32Array.from([4, -100, 0, 12, 7, 2]);
  const weights = Float32Array.from([1, 5, 0.25, 0, 2, 1.5]);
  const copy = Float32Array.from(logits);
  const out = weightedCrossEntropy(logits, targets, weights, N, V, scale, true);
  const ref = crossEntropyRef(copy, targets, N, V);
  let want = 0, wsum = 0;
  for (let i = 0; i < N; i++) if (targets[i] !== -100) { want += weights[i]! * ref[i]!; wsum += weights[i]!; }
  assert.ok(Math.abs(out.lossSum - want) < 1e-5 * Math.abs(want), `loss ${out.lossSum} vs ${want}`);
  assert.equal(out.weightSum, wsum);
  assert.equal(out.count, 4, "rows 1 (-100) and 3 (w = 0) are not trained");
  const dout = Float64Array.from(weights, (w) => w * scale);
  const num = numericGrad((x) => crossEntropyRef(x, targets, N, V), copy, dout);
  const err = maxAbsDiff(logits, num);
  assert.ok(err < 1e-6, `grad err ${err}`);
  for (const row of [1, 3]) for (let j = 0; j < V; j++) assert.ok(logits[row * V + j] === 0, `row ${row} col ${j}`);
});

test("weights = null is native.crossEntropy itself", () => {
  const r = rng(3);
  const N = 4, V = 9;
  const a = randn(r, N * V, 2), b = Float32Array.from(a);
  const targets = Int32Array.from([1, 8, -100, 0]);
  const la = new Float32Array(N), lb = new Float32Array(N);
  const res = weightedCrossEntropy(a, targets, null, N, V, 0.5, true, la);
  native.crossEntropy(b, targets, lb, b, N, V, 0.5);
  assert.deepEqual(a, b);
  assert.deepEqual(la, lb);
  assert.equal(res.weightSum, 3);
  assert.throws(() => weightedCrossEntropy(a, targets, new Float32Array(2), N, V, 1, true), /weights has 2 entries, N = 4/);
});
