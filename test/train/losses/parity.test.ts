// Every loss in src/train/losses/ against PyTorch / TRL / OpenRLHF on the same inputs
// (test/fixtures/losses/losses.json, made by scripts/reference/make_loss_fixtures.py): loss values,
// metrics and the gradient each function writes back, with TRL's masked means as gradScale = 1 / Σmask.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { fixture, maxAbsDiff } from "../../helpers/fixtures.js";
import {
  clippedPolicyLoss, clippedValueLoss, pairwiseMarginLoss, tokenLogprobs, tokenLogprobsBackward, weightedCrossEntropy,
} from "../../../src/train/losses/index.js";

interface Fixture {
  weighted_ce: { N: number; V: number; scale: number; logits: number[]; targets: number[]; weights: number[]; loss: number; grad: number[] };
  pairwise: { chosen: number[]; rejected: number[]; margins: number[];
    cases: { coef: number; loss: number; accuracy: number; grad_chosen: number[]; grad_rejected: number[] }[] };
  logprobs: { N: number; V: number; logits: number[]; tokens: number[]; upstream: number[]; logp: number[]; grad: number[] };
  policy: { T: number; clip: number; logp: number[]; old_logp: number[]; advantages: number[]; mask: number[]; loss: number;
    clipfrac: number; approxkl: number; grad: number[]; ratio_mean: number; openrlhf_loss: number; openrlhf_grad: number[] };
  value: { T: number; clip: number; values: number[]; old_values: number[]; returns: number[]; mask: number[]; loss: number;
    clipfrac: number; grad: number[]; openrlhf_loss: number; openrlhf_grad: number[] };
}
const fx = JSON.parse(fs.readFileSync(fixture("losses", "losses.json"), "utf8")) as Fixture;
const near = (got: number, want: number, tol: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);
const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);

test("weighted masked cross-entropy equals torch's (CE · w).sum() · scale and its gradient", () => {
  const f = fx.weighted_ce;
  const logits = Float32Array.from(f.logits);
  const r = weightedCrossEntropy(logits, Int32Array.from(f.targets), Float32Array.from(f.weights), f.N, f.V, f.scale, true);
  near(r.lossSum * f.scale, f.loss, 1e-6, "loss");
  const err = maxAbsDiff(logits, f.grad);
  assert.ok(err < 1e-6, `grad max abs err ${err}`);
});

test("the pairwise margin loss equals TRL RewardTrainer's, with and without center_rewards_coefficient", () => {
  const f = fx.pairwise, P = f.chosen.length;
  // Lay the scores out as a head buffer [2P, 1]: chosen rows first, then rejected (TRL's torch.chunk order).
  for (const c of f.cases) {
    const out = Float32Array.from([...f.chosen, ...f.rejected]);
    const idx = { chosenAt: [...Array(P).keys()], rejectedAt: [...Array(P).keys()].map((i) => P + i), margins: f.margins };
    const r = pairwiseMarginLoss(out, 2 * P, 1, idx, 1 / P, true, c.coef);
    near(r.lossSum / P, c.loss, 1e-6, `coef ${c.coef} loss`);
    assert.equal(r.correct / P, c.accuracy);
    const err = Math.max(maxAbsDiff(out.subarray(0, P), c.grad_chosen), maxAbsDiff(out.subarray(P), c.grad_rejected));
    assert.ok(err < 1e-7, `coef ${c.coef} grad max abs err ${err}`);
  }
});

test("token log-probs equal TRL's selective_log_softmax, and the backward its autograd gradient", () => {
  const f = fx.logprobs;
  const logits = Float32Array.from(f.logits), tokens = Int32Array.from(f.tokens);
  const lp = tokenLogprobs(logits, tokens, f.N, f.V);
  const e1 = maxAbsDiff(lp, f.logp);
  assert.ok(e1 < 1e-5, `logp max abs err ${e1}`);
  tokenLogprobsBackward(logits, tokens, Float32Array.from(f.upstream), f.N, f.V);
  const e2 = maxAbsDiff(logits, f.grad);
  assert.ok(e2 < 1e-6, `grad max abs err ${e2}`);
});

test("the clipped policy loss equals TRL PPO's and OpenRLHF's, with clipfrac, approxkl and the ratio", () => {
  const f = fx.policy, m = sum(f.mask);
  const d = new Float32Array(f.T);
  const r = clippedPolicyLoss(f.logp, f.old_logp, f.advantages, f.mask, f.T, 1 / m, d, { clip: f.clip });
  near(r.lossSum / m, f.loss, 1e-6, "loss");
  near(r.lossSum / m, f.openrlhf_loss, 1e-6, "OpenRLHF loss");
  near(r.clippedSum / m, f.clipfrac, 1e-7, "clipfrac (torch float32)");
  assert.ok(r.clippedSum > 0 && r.clippedSum < m, "the fixture has clipped and unclipped tokens");
  near(r.approxKlSum / m, f.approxkl, 1e-6, "approxkl");
  near(r.ratioSum / m, f.ratio_mean, 1e-6, "mean ratio");
  const err = Math.max(maxAbsDiff(d, f.grad), maxAbsDiff(d, f.openrlhf_grad));
  assert.ok(err < 1e-6, `grad max abs err ${err}`);
});

test("the clipped value loss equals TRL PPO's and OpenRLHF's", () => {
  const f = fx.value, m = sum(f.mask);
  const d = new Float32Array(f.T);
  const r = clippedValueLoss(f.values, f.old_values, f.returns, f.mask, f.T, 1 / m, d, f.clip);
  near(r.lossSum / m, f.loss, 1e-6, "loss");
  near(r.lossSum / m, f.openrlhf_loss, 1e-6, "OpenRLHF loss");
  near(r.clippedSum / m, f.clipfrac, 1e-7, "clipfrac (torch float32)");
  assert.ok(r.clippedSum > 0, "the fixture has clipped tokens");
  const err = Math.max(maxAbsDiff(d, f.grad), maxAbsDiff(d, f.openrlhf_grad));
  assert.ok(err < 1e-6, `grad max abs err ${err}`);
});
