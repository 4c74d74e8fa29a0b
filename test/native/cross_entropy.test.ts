// native/cross_entropy.cpp: per-row losses and the fused gradient against the float64 twin
// (central differences), the -100 ignore mask, in-place aliasing of dlogits onto logits,
// gradScale, and log_softmax; large-V rows take the threaded path.
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";
import { crossEntropyRef, logSoftmaxRef } from "./reference.js";
import { numericGrad, randn, rng, maxAbsDiff, maxAbs, logMaxErr, atEverySimdLevel } from "./check.js";

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  return maxAbsDiff(got, want) / Math.max(1, maxAbs(want));
}

test("crossEntropy's losses and gradient match the twin and central differences, ignoring -100 rows", () => {
  atEverySimdLevel((level) => {
    const r = rng(60);
    const [N, V, scale] = [5, 11, 0.25];
    const logits = randn(r, N * V, 4);
    const targets = Int32Array.from([3, -100, 0, 10, -100]);
    const losses = new Float32Array(N).fill(7), dlogits = randn(r, N * V);
    const trained = native.crossEntropy(logits, targets, losses, dlogits, N, V, scale);
    assert.equal(trained, 3);
    const want = crossEntropyRef(logits, targets, N, V);
    const el = relErr(losses, want);
    assert.equal(losses[1], 0);
    assert.equal(losses[4], 0);
    const num = numericGrad((x) => crossEntropyRef(x, targets, N, V), logits, new Float64Array(N).fill(scale));
    const eg = relErr(dlogits, num);
    logMaxErr(`[${level}] crossEntropy loss`, el);
    logMaxErr(`[${level}] crossEntropy grad`, eg);
    assert.ok(el < 1e-6 && eg < 1e-6, `[${level}] loss ${el} grad ${eg}`);
    for (const n of [1, 4]) for (let i = 0; i < V; i++) assert.equal(dlogits[n * V + i], 0);
  });
});

test("crossEntropy in place (dlogits = logits) equals the out-of-place result; null dlogits leaves logits alone", () => {
  const r = rng(61);
  const [N, V] = [6, 300];
  const logits = randn(r, N * V, 10);
  const targets = Int32Array.from({ length: N }, (_, n) => (n === 2 ? -100 : (n * 97) % V));
  const l1 = new Float32Array(N), d1 = new Float32Array(N * V);
  native.crossEntropy(logits, targets, l1, d1, N, V, 1);
  const l0 = new Float32Array(N), copy = Float32Array.from(logits);
  native.crossEntropy(copy, targets, l0, null, N, V, 1);
  assert.deepEqual(copy, logits);
  assert.deepEqual(l0, l1);
  const inPlace = Float32Array.from(logits), l2 = new Float32Array(N);
  native.crossEntropy(inPlace, targets, l2, inPlace, N, V, 1);
  assert.deepEqual(l2, l1);
  assert.deepEqual(inPlace, d1);
});

test("gradScale scales the gradient linearly and leaves the losses unchanged", () => {
  const r = rng(62);
  const [N, V] = [3, 50];
  const logits = randn(r, N * V, 3), targets = Int32Array.from([1, 2, 3]);
  const la = new Float32Array(N), da = new Float32Array(N * V), lb = new Float32Array(N), db = new Float32Array(N * V);
  native.crossEntropy(logits, targets, la, da, N, V, 1);
  native.crossEntropy(logits, targets, lb, db, N, V, 1 / 8);
  assert.deepEqual(la, lb);
  assert.ok(maxAbsDiff(Float32Array.from(da, (x) => x / 8), db) < 1e-9);
  // each trained row's gradient sums to 0 (softmax sums to 1, minus the one-hot)
  for (let n = 0; n < N; n++) assert.ok(Math.abs(da.subarray(n * V, (n + 1) * V).reduce((a, b) => a + b, 0)) < 1e-6);
});

test("crossEntropy and logSoftmax on a vocabulary-sized row (V=32000) match the twin, even with extreme logits", () => {
  atEverySimdLevel((level) => {
    const r = rng(63);
    const [N, V] = [8, 32000];
    const logits = randn(r, N * V, 8);
    logits[5] = 1e4; logits[V + 7] = -1e4; // a dominant logit and a vanishing one
    const targets = Int32Array.from({ length: N }, (_, n) => (n * 4001) % V);
    targets[0] = 5;
    const losses = new Float32Array(N), d = new Float32Array(N * V);
    native.crossEntropy(logits, targets, losses, d, N, V, 1);
    const el = relErr(losses, crossEntropyRef(logits, targets, N, V));
    const ls = new Float32Array(N * V);
    native.logSoftmax(ls, logits, N, V);
    const want = logSoftmaxRef(logits, N, V);
    let es = 0;
    for (let i = 0; i < N * V; i++) es = Math.max(es, Math.abs(ls[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
    logMaxErr(`[${level}] crossEntropy V=32000 loss`, el);
    logMaxErr(`[${level}] logSoftmax V=32000 rel`, es);
    assert.ok(el < 1e-6 && es < 1e-6, `[${level}] loss ${el} logsoftmax ${es}`);
    assert.ok(d.every(Number.isFinite));
  });
});

test("logSoftmax may run in place", () => {
  const r = rng(64);
  const x = randn(r, 4 * 9, 5);
  const out = new Float32Array(36);
  native.logSoftmax(out, x, 4, 9);
  native.logSoftmax(x, x, 4, 9);
  assert.deepEqual(x, out);
});

test("a target outside [0, V) that is not -100 is a RangeError naming it and its index", () => {
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => native.crossEntropy(f(6), Int32Array.from([0, 3]), f(2), null, 2, 3, 1),
    (e: unknown) => e instanceof RangeError && /crossEntropy: argument 1 \(targets\): target 3 at index 1 is outside \[0, 3\)/.test(e.message));
  assert.throws(() => native.crossEntropy(f(6), Int32Array.from([-1, 0]), f(2), null, 2, 3, 1), RangeError);
  assert.throws(() => native.crossEntropy(f(6), Int32Array.from([0, 0]), f(1), null, 2, 3, 1), /argument 2 \(losses\) has 1 elements/);
  assert.throws(() => native.logSoftmax(f(5), f(6), 2, 3), /logSoftmax: argument 0 \(out\) has 5 elements, needs at least 6/);
});
