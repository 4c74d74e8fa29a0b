// native/rmsnorm.cpp against the float64 twin of HF LlamaRMSNorm: forward values, saved rstd, and
// the backward's dx and dw against central differences; both gradients accumulate (+=).
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";
import { rmsnormRef } from "./reference.js";
import { numericGrad, randn, rng, maxAbsDiff, maxAbs, logMaxErr } from "./check.js";

const EPS = 1e-5;

test("rmsnormForward matches the float64 twin and saves rstd = 1/sqrt(mean(x^2)+eps)", () => {
  const r = rng(20);
  for (const [N, C] of [[3, 7], [64, 288], [1, 1]] as const) {
    const x = randn(r, N * C, 2), w = randn(r, C, 1.5);
    const out = new Float32Array(N * C), rstd = new Float32Array(N);
    native.rmsnormForward(out, rstd, x, w, N, C, EPS);
    const err = maxAbsDiff(out, rmsnormRef(x, w, N, C, EPS));
    logMaxErr(`rmsnormForward ${N}x${C}`, err);
    assert.ok(err < 1e-5, `err ${err}`);
    for (let n = 0; n < N; n++) {
      let ss = 0;
      for (let c = 0; c < C; c++) ss += x[n * C + c]! ** 2;
      assert.ok(Math.abs(rstd[n]! - 1 / Math.sqrt(ss / C + EPS)) < 1e-5 * rstd[n]!);
    }
  }
});

test("rmsnormBackward accumulates dx and dw equal to central differences of the twin", () => {
  const r = rng(21);
  for (const [N, C] of [[3, 5], [4, 17]] as const) {
    const x = randn(r, N * C, 2), w = randn(r, C, 1.5), dout = randn(r, N * C);
    const out = new Float32Array(N * C), rstd = new Float32Array(N);
    native.rmsnormForward(out, rstd, x, w, N, C, EPS);
    const dx0 = randn(r, N * C), dw0 = randn(r, C);
    const dx = Float32Array.from(dx0), dw = Float32Array.from(dw0);
    native.rmsnormBackward(dx, dw, dout, x, w, rstd, N, C);
    const ndx = numericGrad((xx) => rmsnormRef(xx, w, N, C, EPS), x, dout);
    const ndw = numericGrad((ww) => rmsnormRef(x, ww, N, C, EPS), w, dout);
    const ex = maxAbsDiff(Float64Array.from(dx, (v, i) => v - dx0[i]!), ndx) / Math.max(1, maxAbs(ndx));
    const ew = maxAbsDiff(Float64Array.from(dw, (v, i) => v - dw0[i]!), ndw) / Math.max(1, maxAbs(ndw));
    logMaxErr(`rmsnormBackward ${N}x${C} dx`, ex);
    logMaxErr(`rmsnormBackward ${N}x${C} dw`, ew);
    assert.ok(ex < 1e-5 && ew < 1e-5, `dx ${ex} dw ${ew}`);
  }
});

test("rmsnormBackward on a threaded size equals the sum of its single-row calls", () => {
  const r = rng(22);
  const N = 256, C = 300;
  const x = randn(r, N * C), w = randn(r, C), dout = randn(r, N * C);
  const out = new Float32Array(N * C), rstd = new Float32Array(N);
  native.rmsnormForward(out, rstd, x, w, N, C, EPS);
  const dx = new Float32Array(N * C), dw = new Float32Array(C);
  native.rmsnormBackward(dx, dw, dout, x, w, rstd, N, C);
  const dx1 = new Float32Array(N * C), dw1 = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const dwn = new Float32Array(C), dxn = new Float32Array(C);
    native.rmsnormBackward(dxn, dwn, dout.subarray(n * C, (n + 1) * C), x.subarray(n * C, (n + 1) * C), w, rstd.subarray(n, n + 1), 1, C);
    dx1.set(dxn, n * C);
    for (let c = 0; c < C; c++) dw1[c] += dwn[c]!;
  }
  assert.equal(maxAbsDiff(dx, dx1), 0);
  assert.ok(maxAbsDiff(dw, dw1) < 1e-4, `dw ${maxAbsDiff(dw, dw1)}`);
});

test("rmsnorm kernels check argument count and lengths", () => {
  assert.throws(() => native.rmsnormForward(new Float32Array(6), new Float32Array(1), new Float32Array(6), new Float32Array(3), 2, 3, EPS),
    /rmsnormForward: argument 1 \(rstd\) has 1 elements, needs at least 2/);
  assert.throws(() => native.rmsnormBackward(new Float32Array(6), new Float32Array(2), new Float32Array(6), new Float32Array(6), new Float32Array(3), new Float32Array(2), 2, 3),
    /rmsnormBackward: argument 1 \(dw\) has 2 elements, needs at least 3/);
  assert.throws(() => (native.rmsnormForward as (...a: unknown[]) => void)(new Float32Array(6)), /expected 7 arguments, got 1/);
});
