// The demo's budget overrides (`llama2 demo --budget K=V,...`, what the e2e test uses to run the tiny size for
// less): single keys replace the size's, and a key or value the demo cannot use is refused naming it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEMO_BUDGETS, demoBudget } from "../../src/recipes/demo.js";

test("a budget override replaces only the keys it names", () => {
  assert.deepEqual(demoBudget("tiny"), DEMO_BUDGETS.tiny);
  assert.deepEqual(demoBudget("tiny", { rmSteps: "40", sftEpochs: 2 }), { ...DEMO_BUDGETS.tiny, rmSteps: 40, sftEpochs: 2 });
  assert.equal(demoBudget("smoke", { stageSteps: "null" }).stageSteps, null);
  assert.equal(DEMO_BUDGETS.tiny.rmSteps, 60, "the size's own budget is not changed");
});

test("an unknown key, a value that is not a positive integer and a PPO batch not divisible into 4 mini-batches are refused", () => {
  assert.throws(() => demoBudget("tiny", { rmStep: "40" }), /unknown budget key "rmStep" \(known: rsPrompts, k, .*rmSteps/);
  assert.throws(() => demoBudget("tiny", { k: "0" }), /budget k=0: expected a positive integer/);
  assert.throws(() => demoBudget("tiny", { annotate: "2.5" }), /budget annotate=2.5: expected a positive integer/);
  assert.throws(() => demoBudget("tiny", { ppoBatch: "10" }), /ppoBatch=10: expected a multiple of 4/);
});
