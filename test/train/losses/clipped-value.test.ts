// src/train/losses/clipped-value.ts and value-head.ts: the clipped value loss worked by hand inside
// and outside v_old ± ε, its gradient against central differences, and the value head read at every
// position and written back as the head buffer's gradient.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clippedValueLoss } from "../../../src/train/losses/clipped-value.js";
import { tokenValues, tokenValuesBackward } from "../../../src/train/losses/value-head.js";

const close = (got: number, want: number, tol = 1e-9, what = ""): void =>
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want}`);

test("hand-worked tokens: clipped term larger, both equal inside, unclipped larger", () => {
  // ε = 0.2, v_old = 0.5 → clip range [0.3, 0.7].
  // (a) v 1.0, R 2: clip(v) 0.7; (v−R)² = 1, (0.7−2)² = 1.69 → ½·1.69 = 0.845, clipped, gradient 0 (v outside).
  // (b) v 0.6, R 2: clip(v) = v; both 1.96 → 0.98; gradient ½·2·(0.6 − 2) = −1.4.
  // (c) v 1.0, R 0: clip(v) 0.7; 1 vs 0.49 → ½·1 = 0.5, unclipped; gradient ½·2·1 = 1.
  const d = new Float32Array(3);
  const r = clippedValueLoss([1, 0.6, 1], [0.5, 0.5, 0.5], [2, 2, 0], [1, 1, 1], 3, 1, d, 0.2);
  close(r.lossSum, 0.845 + 0.98 + 0.5, 1e-12);
  assert.equal(r.weightSum, 3);
  assert.equal(r.clippedSum, 1);
  close(d[0]!, 0); close(d[1]!, -1.4, 1e-6); close(d[2]!, 1, 1e-6);
});

test("the value gradient matches central differences; masked tokens get none", () => {
  const v = [0.2, -1.1, 0.9, 0.45, 3], old = [0.1, -0.5, 1.0, 0.4, 2.9], R = [1, -2, -0.3, 0.2, 0], w = [1, 2, 0.5, 1, 0];
  const d = new Float32Array(5).fill(7);
  clippedValueLoss(v, old, R, w, 5, 0.5, d, 0.2);
  const h = 1e-6;
  for (let i = 0; i < 4; i++) {
    const p = [...v], m = [...v];
    p[i] += h; m[i] -= h;
    const num = 0.5 * (clippedValueLoss(p, old, R, w, 5, 1, null, 0.2).lossSum - clippedValueLoss(m, old, R, w, 5, 1, null, 0.2).lossSum) / (2 * h);
    close(d[i]!, num, 1e-6, `token ${i}`);
  }
  assert.equal(d[4], 0);
});

test("clip = Infinity is the plain ½(v − R)²", () => {
  const d = new Float32Array(1);
  const r = clippedValueLoss([3], [0], [1], [1], 1, 1, d, Infinity);
  close(r.lossSum, 2); close(d[0]!, 2);
});

test("the value head reads column `label` of [N, W] at every position and writes the gradient back", () => {
  const out = Float32Array.from([1, 10, 2, 20, 3, 30]); // N 3, W 2
  assert.deepEqual(Array.from(tokenValues(out, 3, 2)), [1, 2, 3]);
  assert.deepEqual(Array.from(tokenValues(out, 3, 2, 1)), [10, 20, 30]);
  tokenValuesBackward(out, Float32Array.from([0.5, -1, 2]), 3, 2);
  assert.deepEqual(Array.from(out), [0.5, 0, -1, 0, 2, 0]);
  assert.throws(() => tokenValues(out, 3, 2, 2), /label 2 outside/);
});
