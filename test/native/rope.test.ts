// native/rope.cpp: the rotate_half rotation with transformers' float32 angles — forward against the
// float64 twin, backward as the transpose (central differences) and as the exact inverse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";
import { ropeRef } from "./reference.js";
import { numericGrad, randn, rng, maxAbsDiff, maxAbs, logMaxErr, readFixture } from "./check.js";

test("ropeForward matches the float64 twin on several shapes, thetas and positions", () => {
  const r = rng(30);
  for (const [N, nH, D, theta] of [[5, 3, 8, 10000], [33, 4, 64, 10000], [7, 1, 2, 500000], [300, 6, 48, 10000], [300, 2, 64, 500000]] as const) {
    const x = randn(r, N * nH * D);
    // scattered positions (per-token angles) and, for N=300, a training batch of rows 0..T-1
    // starting at 1000 (the per-call cos/sin table over repeated positions)
    const pos = Int32Array.from({ length: N }, (_, n) => (N === 300 ? 1000 + (n % 50) : (n * 37 + 3) % 4096));
    const y = Float32Array.from(x);
    native.ropeForward(y, pos, N, nH, D, theta);
    const err = maxAbsDiff(y, ropeRef(x, pos, N, nH, D, theta));
    logMaxErr(`ropeForward N=${N} D=${D}`, err);
    assert.ok(err < 2e-6, `err ${err}`);
  }
});

test("ropeBackward is the transpose of the forward: it equals central differences of the twin", () => {
  const r = rng(31);
  const [N, nH, D, theta] = [4, 2, 6, 10000];
  const x = randn(r, N * nH * D), dout = randn(r, N * nH * D);
  const pos = Int32Array.from([0, 5, 1, 200]);
  const dx = Float32Array.from(dout);
  native.ropeBackward(dx, pos, N, nH, D, theta);
  const num = numericGrad((xx) => ropeRef(xx, pos, N, nH, D, theta), x, dout);
  const err = maxAbsDiff(dx, num) / Math.max(1, maxAbs(num));
  logMaxErr("ropeBackward", err);
  assert.ok(err < 1e-6, `err ${err}`);
});

test("ropeBackward undoes ropeForward (a rotation's transpose is its inverse)", () => {
  const r = rng(32);
  const [N, nH, D] = [50, 3, 16];
  const x = randn(r, N * nH * D);
  const pos = Int32Array.from({ length: N }, (_, n) => (n % 10) * 13); // repeated: the tabled path
  const y = Float32Array.from(x);
  native.ropeForward(y, pos, N, nH, D, 10000);
  assert.ok(maxAbsDiff(y, x) > 0.1);
  native.ropeBackward(y, pos, N, nH, D, 10000);
  assert.ok(maxAbsDiff(y, x) < 1e-6);
});

test("rope kernels reject an odd head dim and short position arrays", () => {
  assert.throws(() => native.ropeForward(new Float32Array(6), new Int32Array(2), 2, 1, 3, 10000), /ropeForward: D must be even, got 3/);
  assert.throws(() => native.ropeBackward(new Float32Array(8), new Int32Array(1), 2, 1, 4, 10000), /ropeBackward: argument 1 \(pos\) has 1 elements, needs at least 2/);
  assert.throws(() => native.ropeForward(new Float32Array(8), new Int32Array(2), 2, 1, 4, 0), /theta must be positive/);
});

interface RopeFixture { positions: number[]; cases: { D: number; theta: number; cos: number[]; sin: number[] }[] }

test("ropeForward's angles are transformers' LlamaRotaryEmbedding cos/sin tables (fixture)", () => {
  const fx = readFixture<RopeFixture>("rope/rope.json");
  const P = fx.positions.length;
  let worst = 0;
  for (const c of fx.cases) {
    const half = c.D / 2;
    // Rotating the unit vector e_i yields cos at i and sin at i + D/2.
    for (let i = 0; i < half; i++) {
      const x = new Float32Array(P * c.D);
      for (let p = 0; p < P; p++) x[p * c.D + i] = 1;
      native.ropeForward(x, Int32Array.from(fx.positions), P, 1, c.D, c.theta);
      let err = 0;
      for (let p = 0; p < P; p++) {
        err = Math.max(err, Math.abs(x[p * c.D + i]! - c.cos[p * half + i]!), Math.abs(x[p * c.D + i + half]! - c.sin[p * half + i]!));
      }
      worst = Math.max(worst, err);
      assert.ok(err < 5e-7, `D=${c.D} theta=${c.theta} i=${i}: err ${err}`);
    }
  }
  logMaxErr("rope cos/sin vs transformers", worst);
});
