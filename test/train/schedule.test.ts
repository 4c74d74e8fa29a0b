// The Llama 2 learning-rate schedule (src/train/schedule.ts): linear warm-up, cosine to 10% of the peak.
import { test } from "node:test";
import assert from "node:assert/strict";
import { learningRate, lrMultiplier } from "../../src/train/schedule.js";

const c = { lr: 3e-4, warmup: 2000, maxSteps: 10_000, minLrRatio: 0.1 };

test("warm-up rises linearly and reaches the peak on its last step", () => {
  assert.equal(learningRate(0, c), 3e-4 / 2000);
  assert.ok(Math.abs(learningRate(999, c) - 3e-4 * 1000 / 2000) < 1e-15);
  assert.equal(learningRate(1999, c), 3e-4);
});

test("cosine decays from the peak to 10% of it at max_steps and stays there", () => {
  assert.equal(learningRate(2000, c), 3e-4);
  const mid = learningRate(6000, c); // halfway through the cosine: (peak + floor) / 2
  assert.ok(Math.abs(mid - 3e-4 * 0.55) < 1e-12, `${mid}`);
  assert.ok(Math.abs(learningRate(10_000, c) - 3e-5) < 1e-15);
  assert.ok(Math.abs(learningRate(50_000, c) - 3e-5) < 1e-15);
  for (let s = 2001; s < 10_000; s += 97) assert.ok(learningRate(s, c) < learningRate(s - 1, c));
});

test("no warm-up starts at the peak; constant kind stays at the peak", () => {
  assert.equal(lrMultiplier(0, { ...c, warmup: 0 }), 1);
  assert.equal(lrMultiplier(9000, { ...c, kind: "constant" }), 1);
});
