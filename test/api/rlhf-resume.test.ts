// The library's rejectionSample() and ppo() resume as `--resume DIR` does: from a run directory (or a PPO
// checkpoint-N) given as `resume`, with the saved config and `config` on top, continuing in place or in a new `out`;
// a change to a fixed key (a reward model) is refused naming both values, and nothing is written then.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ppo, rejectionSample } from "../../src/index.js";
import { tempDir } from "../helpers/tmp.js";
import { tinyWorld, tinyWorldModel, untrainedRewardModels } from "../helpers/tiny-world.js";

test("rejectionSample({...}, {resume: RUN_DIR}) continues the saved run (here into a new out) and refuses another reward model", async (t) => {
  const work = tempDir("api-rs-resume-", t);
  const rm = await untrainedRewardModels(work);
  const a = path.join(work, "a"), b = path.join(work, "b");
  await rejectionSample({
    policy: tinyWorldModel(), reward_helpful: rm.helpful, prompts: path.join(tinyWorld(), "prompts_train.jsonl"), out: a,
    iterations: 1, k: 2, max_prompts: 2, max_new_tokens: 8, batch_size: 4, threads: 1,
    sft: { max_steps: 1, batch_size: 2, grad_accum: 1, seq_len: 128, eval_world: false },
  });
  const before = fs.readdirSync(a).sort();
  await assert.rejects(rejectionSample({ reward_helpful: rm.safety, iterations: 2 }, { resume: a }),
    new RegExp(`rejectionSample\\(config\\): --resume cannot change reward_helpful, .* has reward_helpful: "${rm.helpful}", this gives "${rm.safety}"`));
  assert.deepEqual(fs.readdirSync(a).sort(), before, "the refused resume wrote nothing");
  await assert.rejects(rejectionSample({ iterations: 2, sft: { seq_len: 64 } }, { resume: a }), /cannot change sft\.seq_len/);

  const r = await rejectionSample({ iterations: 2, out: b }, { resume: a });
  assert.equal(r.out, b);
  assert.ok(fs.existsSync(path.join(b, "iteration-1", "best.jsonl")) && fs.existsSync(path.join(b, "iteration-2", "model", "config.json")));
  assert.deepEqual(fs.readFileSync(path.join(b, "iteration-1", "samples.jsonl"), "utf8"), fs.readFileSync(path.join(a, "iteration-1", "samples.jsonl"), "utf8"),
    "iteration 1 is the saved run's, not sampled again");
  assert.deepEqual(fs.readdirSync(a).sort(), before, "the source run is left as it was");
});

test("ppo({...}, {resume: RUN_DIR}) continues from the newest checkpoint with the saved config; a changed reward model is refused", async (t) => {
  const work = tempDir("api-ppo-resume-", t);
  const rm = await untrainedRewardModels(work);
  const out = path.join(work, "ppo");
  await ppo({
    policy: tinyWorldModel(), reward_helpful: rm.helpful, prompts: path.join(tinyWorld(), "prompts_train.jsonl"), out,
    iterations: 1, batch_size: 2, mini_batch_size: 2, max_new_tokens: 6, gen_batch_size: 2, save_every: 1, threads: 1,
  });
  assert.ok(fs.existsSync(path.join(out, "checkpoint-1")));
  await assert.rejects(ppo({ reward_helpful: rm.safety, iterations: 2 }, { resume: out }),
    new RegExp(`ppo\\(config\\): --resume cannot change reward_helpful, .* has reward_helpful: "${rm.helpful}", this gives "${rm.safety}"`));
  assert.ok(!fs.existsSync(path.join(out, "checkpoint-2")));
  // Only the changed key is given: the rest (batch sizes, prompts, the reward model) comes from the checkpoint.
  const r = await ppo({ iterations: 2 }, { resume: path.join(out, "checkpoint-1") });
  assert.equal(r.iteration, 2);
  assert.ok(fs.existsSync(path.join(out, "checkpoint-2")) && r.final !== null);
});
