// The paper's PPO reward pieces worked by hand (§3.2.3): the safety gate, LOGIT, WHITEN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { combinedReward, logit, ppoRewards, sigmoid, whiten, SAFETY_GATE } from "../../src/rlhf/combined-reward.js";

test("the gate takes the safety RM's probability for safety prompts, and whenever it is below 0.15", () => {
  // raw safety 2 -> σ = 0.8808; raw helpful -1 -> σ = 0.2689
  assert.equal(combinedReward(-1, 2, true), sigmoid(2));     // is_safety: Rs
  assert.equal(combinedReward(-1, 2, false), sigmoid(-1));   // safe enough, not a safety prompt: Rh
  // raw safety -2 -> σ = 0.1192 < 0.15: Rs wins even on a helpfulness prompt
  assert.equal(combinedReward(3, -2, false), sigmoid(-2));
  // just above the gate: σ(x) = 0.15 at x = ln(0.15/0.85) = -1.7346; -1.73 -> 0.1506 >= 0.15 -> Rh
  assert.ok(sigmoid(-1.73) > SAFETY_GATE);
  assert.equal(combinedReward(3, -1.73, false), sigmoid(3));
  assert.ok(sigmoid(-1.74) < SAFETY_GATE);
  assert.equal(combinedReward(3, -1.74, false), sigmoid(-1.74));
});

test("logit undoes the sigmoid and stays finite at 0 and 1", () => {
  for (const x of [-5, -0.5, 0, 1.25, 7]) assert.ok(Math.abs(logit(sigmoid(x)) - x) < 1e-9);
  assert.ok(Number.isFinite(logit(0)) && Number.isFinite(logit(1)));
  assert.ok(Math.abs(logit(0.5)) < 1e-12);
});

test("whitening gives mean 0 and variance 1", () => {
  // [1, 2, 3, 4]: mean 2.5, population variance 1.25 -> (x - 2.5) / 1.1180
  const w = whiten([1, 2, 3, 4]);
  assert.ok(Math.abs(w[0]! + 1.3416407864998738) < 1e-7);
  const mean = w.reduce((a, b) => a + b, 0) / 4, v = w.reduce((a, b) => a + b * b, 0) / 4;
  assert.ok(Math.abs(mean) < 1e-12);
  assert.ok(Math.abs(v - 1) < 1e-7);
  const r = ppoRewards([0.1, 0.5, 0.9, 0.7, 0.2]);
  assert.ok(Math.abs(r.reduce((a, b) => a + b, 0)) < 1e-9);
  assert.ok(Math.abs(r.reduce((a, b) => a + b * b, 0) / r.length - 1) < 1e-6);
  // logit(0.5) = 0 is the centre: 0.5 maps below the mean when the batch leans high
  assert.ok(r[2]! > r[3]! && r[3]! > r[1]!);
});
