// GAE and the per-token PPO rewards worked by hand, and against a direct (non-recursive) loop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gae, tokenRewards } from "../../src/rlhf/gae.js";

test("GAE by hand: T = 2, gamma 1, lambda 0.5", () => {
  // r = [0, 1], V = [0.5, 0.2]; delta_1 = 1 + 0 - 0.2 = 0.8; A_1 = 0.8
  // delta_0 = 0 + 0.2 - 0.5 = -0.3; A_0 = -0.3 + 1 * 0.5 * 0.8 = 0.1; returns = A + V = [0.6, 1.0]
  const { advantages, returns } = gae([0, 1], [0.5, 0.2], 1, 0.5);
  assert.ok(Math.abs(advantages[1]! - 0.8) < 1e-12 && Math.abs(advantages[0]! - 0.1) < 1e-12);
  assert.ok(Math.abs(returns[0]! - 0.6) < 1e-12 && Math.abs(returns[1]! - 1.0) < 1e-12);
});

test("GAE equals the direct sum A_t = sum_k (gamma*lambda)^k delta_{t+k}", () => {
  const r = [0.1, -0.2, 0.05, 0.3, 1.5], v = [0.4, 0.1, -0.3, 0.2, 0.6], gamma = 0.97, lam = 0.9;
  const delta = r.map((x, t) => x + gamma * (t + 1 < r.length ? v[t + 1]! : 0) - v[t]!);
  const { advantages } = gae(r, v, gamma, lam);
  for (let t = 0; t < r.length; t++) {
    let a = 0;
    for (let k = 0; t + k < r.length; k++) a += (gamma * lam) ** k * delta[t + k]!;
    assert.ok(Math.abs(advantages[t]! - a) < 1e-12, `t=${t}`);
  }
});

test("token rewards: -beta * (logp - ref) everywhere, the sequence reward added at the last token", () => {
  // beta 0.1: logp - ref = [0.5, -1, 0] -> [-0.05, 0.1, 0] and + 2 at the end
  const r = tokenRewards([-1, -2, -0.5], [-1.5, -1, -0.5], 2, 0.1);
  assert.deepEqual(Array.from(r, (x) => Math.round(x * 1e12) / 1e12), [-0.05, 0.1, 2]);
  assert.deepEqual(Array.from(tokenRewards([-1, -2], [-1, -2], 0.7, 0.01)), [0, 0.7]); // policy = reference: no penalty
});
