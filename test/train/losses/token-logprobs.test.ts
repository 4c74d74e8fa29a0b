// src/train/losses/token-logprobs.ts: log p(token) from one forward (hand-worked uniform row, the
// float64 twin), the forward leaving logits untouched, and the backward's dLoss/dLogits for an
// upstream dLoss/dlogp against central differences.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tokenLogprobs, tokenLogprobsBackward } from "../../../src/train/losses/token-logprobs.js";
import { logSoftmaxRef } from "../../native/reference.js";
import { numericGrad, randn, rng, maxAbsDiff } from "../../native/check.js";

test("a uniform row over V = 8 gives log(1/8) for any token; logits [0, log 3] give log(3/4)", () => {
  // logits [0, ln 3]: softmax = [1/4, 3/4], so log p(1) = ln 0.75 = −0.287682, log p(0) = ln 0.25.
  const u = tokenLogprobs(new Float32Array(8), Int32Array.from([5]), 1, 8);
  assert.ok(Math.abs(u[0]! - Math.log(1 / 8)) < 1e-6);
  const two = Float32Array.from([0, Math.log(3), 0, Math.log(3)]);
  const lp = tokenLogprobs(two, Int32Array.from([1, 0]), 2, 2);
  assert.ok(Math.abs(lp[0]! - Math.log(0.75)) < 1e-6 && Math.abs(lp[1]! - Math.log(0.25)) < 1e-6, `${Array.from(lp)}`);
  assert.deepEqual(Array.from(two), [0, Math.fround(Math.log(3)), 0, Math.fround(Math.log(3))], "the forward leaves logits alone");
});

test("logprobs equal the float64 log_softmax gathered at the targets; -100 rows are 0", () => {
  const r = rng(5);
  const N = 5, V = 17;
  const logits = randn(r, N * V, 4);
  const targets = Int32Array.from([16, 0, -100, 3, 9]);
  const lp = tokenLogprobs(logits, targets, N, V);
  const ref = logSoftmaxRef(logits, N, V);
  for (let i = 0; i < N; i++) {
    const want = targets[i] === -100 ? 0 : ref[i * V + targets[i]!]!;
    assert.ok(Math.abs(lp[i]! - want) < 1e-5, `row ${i}: ${lp[i]} vs ${want}`);
  }
});

test("the backward carries dLoss/dlogp into dLoss/dLogits (central differences of Σ c_i·logp_i)", () => {
  const r = rng(9);
  const N = 4, V = 11;
  const logits = randn(r, N * V, 2);
  const targets = Int32Array.from([2, 10, -100, 5]);
  const c = Float32Array.from([0.7, -1.3, 4, 0.25]);
  const copy = Float32Array.from(logits);
  tokenLogprobsBackward(logits, targets, c, N, V);
  const f = (x: Float64Array): Float64Array => {
    const ls = logSoftmaxRef(x, N, V), out = new Float64Array(N);
    for (let i = 0; i < N; i++) out[i] = targets[i] === -100 ? 0 : ls[i * V + targets[i]!]!;
    return out;
  };
  const num = numericGrad(f, copy, c);
  const err = maxAbsDiff(logits, num);
  assert.ok(err < 1e-6, `grad err ${err}`);
  for (let j = 0; j < V; j++) assert.ok(logits[2 * V + j] === 0, "the -100 row has no gradient");
});
