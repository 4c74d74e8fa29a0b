// native/swiglu.cpp: silu(gate) * up against the float64 twin; the backward writes (does not
// accumulate) dgate and dup equal to central differences, and stays finite for large |gate|.
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";
import { swigluRef } from "./reference.js";
import { numericGrad, randn, rng, maxAbsDiff, maxAbs, logMaxErr, atEverySimdLevel } from "./check.js";

test("swigluForward matches the float64 twin, including large |gate|", () => {
  atEverySimdLevel((level) => {
    const r = rng(40);
    for (const n of [1, 13, 100_001]) {
      const gate = randn(r, n, 6), up = randn(r, n, 2);
      gate[0] = -100; if (n > 1) gate[1] = 100;
      const out = new Float32Array(n);
      native.swigluForward(out, gate, up, n);
      const want = swigluRef(gate, up, n);
      let err = 0;
      for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(out[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
      logMaxErr(`[${level}] swigluForward n=${n} rel`, err);
      assert.ok(err < 2e-6, `[${level}] err ${err}`);
    }
  });
});

test("swigluBackward writes dgate and dup equal to central differences of the twin", () => {
  atEverySimdLevel((level) => {
    const r = rng(41);
    const n = 29;
    const gate = randn(r, n, 5), up = randn(r, n, 2), dout = randn(r, n);
    gate[0] = -30; gate[1] = 30;
    const dgate = randn(r, n), dup = randn(r, n); // garbage that must be overwritten
    native.swigluBackward(dgate, dup, dout, gate, up, n);
    const ng = numericGrad((g) => swigluRef(g, up, n), gate, dout);
    const nu = numericGrad((u) => swigluRef(gate, u, n), up, dout);
    const eg = maxAbsDiff(dgate, ng) / Math.max(1, maxAbs(ng)), eu = maxAbsDiff(dup, nu) / Math.max(1, maxAbs(nu));
    logMaxErr(`[${level}] swigluBackward dgate`, eg);
    logMaxErr(`[${level}] swigluBackward dup`, eu);
    assert.ok(eg < 1e-6 && eu < 1e-6, `[${level}] dgate ${eg} dup ${eu}`);
  });
});

test("swiglu kernels check lengths", () => {
  assert.throws(() => native.swigluForward(new Float32Array(4), new Float32Array(3), new Float32Array(4), 4),
    /swigluForward: argument 1 \(gate\) has 3 elements, needs at least 4/);
  assert.throws(() => native.swigluBackward(new Float32Array(4), new Float32Array(4), new Float32Array(4), new Float32Array(4), new Float32Array(2), 4),
    /swigluBackward: argument 4 \(up\) has 2 elements/);
});
