// src/train/losses/clipped-policy.ts: PPO's clipped surrogate worked by hand at ratios inside and
// outside [0.8, 1.2] with positive and negative advantages, its dLoss/dlogp against central
// differences, the clip fraction and approximate KL, and OpenRLHF's log-ratio clamp.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clippedPolicyLoss } from "../../../src/train/losses/clipped-policy.js";

const close = (got: number, want: number, tol = 1e-9, what = ""): void =>
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want}`);

// One token per case: oldLogp = 0, logp = ln ρ, so the ratio is exactly ρ; ε = 0.2.
function one(rho: number, A: number): { loss: number; dlogp: number; clipped: number } {
  const d = new Float32Array(1);
  const r = clippedPolicyLoss([Math.log(rho)], [0], [A], [1], 1, 1, d, { clip: 0.2 });
  return { loss: r.lossSum, dlogp: d[0]!, clipped: r.clippedSum };
}

test("ratio inside [0.8, 1.2]: loss −A·ρ, gradient −A·ρ (both advantage signs)", () => {
  // ρ = 1.1, A = +2: −A·ρ = −2.2, −A·clip(ρ) = −2.2 → max −2.2; dL/dlogp = dL/dρ · ρ = −2 · 1.1 = −2.2.
  let c = one(1.1, 2);
  close(c.loss, -2.2, 1e-12); close(c.dlogp, -2.2, 1e-6); assert.equal(c.clipped, 0);
  // ρ = 0.9, A = −1: 0.9 vs 0.9 → 0.9; dL/dlogp = −(−1)·0.9 = 0.9.
  c = one(0.9, -1);
  close(c.loss, 0.9, 1e-12); close(c.dlogp, 0.9, 1e-6); assert.equal(c.clipped, 0);
});

test("ratio above 1.2: clipped (no gradient) for A > 0, unclipped for A < 0", () => {
  // ρ = 1.5, A = +2: −3 vs −2·1.2 = −2.4 → max −2.4 (the clipped term, constant in ρ) → gradient 0.
  let c = one(1.5, 2);
  close(c.loss, -2.4, 1e-12); close(c.dlogp, 0); assert.equal(c.clipped, 1);
  // ρ = 1.5, A = −2: 3 vs 2.4 → max 3 (unclipped) → dL/dlogp = 2 · 1.5 = 3.
  c = one(1.5, -2);
  close(c.loss, 3, 1e-12); close(c.dlogp, 3, 1e-6); assert.equal(c.clipped, 0);
});

test("ratio below 0.8: unclipped for A > 0, clipped (no gradient) for A < 0", () => {
  // ρ = 0.5, A = +2: −1 vs −2·0.8 = −1.6 → max −1 (unclipped) → dL/dlogp = −2 · 0.5 = −1.
  let c = one(0.5, 2);
  close(c.loss, -1, 1e-12); close(c.dlogp, -1, 1e-6); assert.equal(c.clipped, 0);
  // ρ = 0.5, A = −2: 1 vs 1.6 → max 1.6 (clipped) → gradient 0.
  c = one(0.5, -2);
  close(c.loss, 1.6, 1e-12); close(c.dlogp, 0); assert.equal(c.clipped, 1);
});

test("weights mask and scale tokens; sums give TRL's clipfrac, approxkl and mean ratio", () => {
  // Tokens: (ρ 1.5, A 2) clipped, (ρ 0.5, A 2) unclipped, a masked token, (ρ 1.1, A 2) weight 2.
  const logp = [Math.log(1.5), Math.log(0.5), 3, Math.log(1.1)], old = [0, 0, 0, 0];
  const d = new Float32Array(4).fill(9);
  const r = clippedPolicyLoss(logp, old, [2, 2, 5, 2], [1, 1, 0, 2], 4, 0.25, d);
  // lossSum = −2.4 + −1 + 2·(−2.2) = −7.8; weightSum 4; clipped 1 of 4.
  close(r.lossSum, -7.8, 1e-12);
  assert.equal(r.weightSum, 4);
  assert.equal(r.clippedSum, 1);
  // approxKl = ½Σ w·(ln ρ)² = ½(0.164402 + 0.480453 + 2·0.009084) = 0.331469.
  close(r.approxKlSum, 0.5 * (Math.log(1.5) ** 2 + Math.log(0.5) ** 2 + 2 * Math.log(1.1) ** 2), 1e-12);
  close(r.ratioSum, 1.5 + 0.5 + 2 * 1.1, 1e-12);
  // dlogp = gradScale · w · (…): [0, 0.25·(−1), 0, 0.25·2·(−2.2)] = [0, −0.25, 0, −1.1].
  close(d[0]!, 0); close(d[1]!, -0.25, 1e-6); assert.equal(d[2], 0); close(d[3]!, -1.1, 1e-6);
});

test("dLoss/dlogp matches central differences away from the clip edges", () => {
  const logp = [0.1, -0.4, 0.05, 0.5, -0.02, 0.3], old = [0, 0, 0.1, 0, 0, 0.35];
  const A = [1.5, -0.7, 2, -1, 0.3, -2], w = [1, 0.5, 1, 2, 1, 1];
  const d = new Float32Array(6);
  clippedPolicyLoss(logp, old, A, w, 6, 1 / 3, d);
  const h = 1e-6;
  for (let i = 0; i < 6; i++) {
    const p = [...logp], m = [...logp];
    p[i] += h; m[i] -= h;
    const num = (clippedPolicyLoss(p, old, A, w, 6, 1, null).lossSum - clippedPolicyLoss(m, old, A, w, 6, 1, null).lossSum) / (2 * h) / 3;
    close(d[i]!, num, 1e-6, `token ${i}`);
  }
});

test("logRatioClamp caps the log-ratio and stops its gradient (OpenRLHF's ±20)", () => {
  // logp − old = 30 > 20: ρ = e^20; A = −1 → unclipped loss e^20, gradient 0 through the clamp.
  const d = new Float32Array(1);
  const r = clippedPolicyLoss([30], [0], [-1], [1], 1, 1, d, { logRatioClamp: 20 });
  close(r.lossSum, Math.exp(20), 1e-3);
  assert.equal(d[0], 0);
});
