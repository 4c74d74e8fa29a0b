// native/sampling.cpp: temperedExp's weights exp((x - max) / T) in double against Math.exp, to a few
// ulp, over the whole range the sampler meets (arguments from 0 down past -708, where weights are 0),
// at every SIMD level, on a vocabulary-sized row and on rows shorter than a vector (the loop's tail).
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";
import { atEverySimdLevel, randn, rng } from "./check.js";

function check(logits: Float32Array, T: number): { rel: number } {
  const V = logits.length, w = new Float64Array(V);
  const [max, sum] = native.temperedExp(w, logits, V, T);
  assert.equal(max, Math.max(...logits));
  let rel = 0, want = 0;
  for (let i = 0; i < V; i++) {
    const x = (logits[i]! - max) * (1 / T), e = Math.exp(x);
    want += e;
    if (x < -708) { assert.ok(w[i]! === 0 || Math.abs(w[i]! - e) < 1e-300, `x ${x}: ${w[i]}`); continue; }
    rel = Math.max(rel, Math.abs(w[i]! - e) / e);
  }
  assert.ok(Math.abs(sum - want) / want < 1e-14, `sum ${sum} vs ${want}`);
  return { rel };
}

test("temperedExp matches Math.exp to a few ulp at every SIMD level, vocabulary-sized and short rows", () => {
  atEverySimdLevel((level) => {
    const r = rng(3);
    for (const [V, scale, T] of [[32000, 4, 1], [32000, 40, 0.7], [7, 3, 1.3], [1, 1, 1], [1000, 400, 1], [513, 2000, 0.5]] as const) {
      const { rel } = check(randn(r, V, scale), T);
      assert.ok(rel < 1e-15, `[${level}] V ${V} scale ${scale} T ${T}: relative error ${rel}`);
    }
  });
});

test("temperedExp refuses a temperature that is not a finite number > 0", () => {
  const w = new Float64Array(3), x = Float32Array.from([1, 2, 3]);
  for (const T of [0, -1, Infinity, NaN]) assert.throws(() => native.temperedExp(w, x, 3, T), /temperedExp: argument 3 \(temperature\) must be a finite number > 0/);
  assert.throws(() => native.temperedExp(w, x, 4, 1), /temperedExp: argument 0 \(weights\) has 3 elements, needs at least 4/);
});
