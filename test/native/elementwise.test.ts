// native/elementwise.cpp: addInPlace, scaleInPlace, sumSquares against plain loops, on sizes that
// stay single-threaded and sizes large enough to take the OpenMP path.
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";
import { randn, rng, logMaxErr } from "./check.js";

const SIZES = [0, 1, 7, 1000, 1_000_003];

test("addInPlace adds b into the first n elements of a and leaves the rest alone", () => {
  const r = rng(1);
  for (const n of SIZES) {
    const a = randn(r, n + 3), b = randn(r, n + 3);
    const want = Float32Array.from(a, (x, i) => (i < n ? Math.fround(x + b[i]!) : x));
    native.addInPlace(a, b, n);
    assert.deepEqual(a, want);
  }
});

test("scaleInPlace multiplies the first n elements by s in float32", () => {
  const r = rng(2);
  for (const n of SIZES) {
    const x = randn(r, n + 2);
    const want = Float32Array.from(x, (v, i) => (i < n ? Math.fround(v * Math.fround(0.37)) : v));
    native.scaleInPlace(x, 0.37, n);
    assert.deepEqual(x, want);
  }
});

test("sumSquares equals the float64 sum of squares", () => {
  const r = rng(3);
  for (const n of SIZES) {
    const x = randn(r, n, 3);
    let want = 0;
    for (let i = 0; i < n; i++) want += x[i]! * x[i]!;
    const got = native.sumSquares(x, n);
    const rel = Math.abs(got - want) / Math.max(1, want);
    logMaxErr(`sumSquares n=${n} rel`, rel);
    assert.ok(rel < 1e-12, `n=${n}: ${got} vs ${want}`);
  }
});

test("elementwise kernels reject short buffers and wrong types with the argument's name", () => {
  assert.throws(() => native.addInPlace(new Float32Array(3), new Float32Array(2), 3), /addInPlace: argument 1 \(b\) has 2 elements, needs at least 3/);
  assert.throws(() => native.scaleInPlace(new Float64Array(3) as unknown as Float32Array, 2, 3), /scaleInPlace: argument 0 \(x\) must be a Float32Array/);
  assert.throws(() => native.sumSquares(new Float32Array(3), -1), /sumSquares: argument 1 \(n\) must be a non-negative integer/);
  assert.throws(() => (native.sumSquares as (...a: unknown[]) => number)(new Float32Array(3)), /sumSquares: expected 2 arguments, got 1/);
});
