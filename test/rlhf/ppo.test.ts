// PPO on the committed tiny world model with untrained reward heads (mechanics, not quality): the metrics row
// the issue names, KL exactly 0 at the first iteration (policy = reference, one forward path), the checkpoint
// layout, and a run stopped after iteration 1 and resumed equals the uninterrupted run (<= 1e-6; timings aside).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tinyWorld, tinyWorldModel, untrainedRewardModels } from "../helpers/tiny-world.js";
import { runPpo } from "../../src/recipes/ppo.js";
import { PPO_SCHEMA, type PpoConfig } from "../../src/recipes/ppo-config.js";
import { defaults, mergeObject } from "../../src/train/config.js";
import { llama2 } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const work = tempDir("ppo-");
let base: Record<string, unknown>;

before(async () => {
  const world = await tinyWorld();
  const model = tinyWorldModel();
  const rm = await untrainedRewardModels(work);
  base = {
    policy: model, reward_helpful: rm.helpful, reward_safety: rm.safety, prompts: path.join(world, "prompts_train.jsonl"),
    iterations: 3, batch_size: 8, mini_batch_size: 4, max_new_tokens: 10, lr: 1e-4, save_every: 1, seed: 3, threads: 1, gen_batch_size: 8,
  };
});

function cfg(out: string, extra: Record<string, unknown> = {}): PpoConfig {
  const c = defaults(PPO_SCHEMA);
  mergeObject(PPO_SCHEMA, c, { ...base, out, ...extra }, "test");
  return c as unknown as PpoConfig;
}

const rows = (dir: string): Record<string, number>[] => fs.readFileSync(path.join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const noTimes = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith("_s")));

test("three iterations: metrics rows, KL 0 while policy = reference, checkpoints, OUT/final", async () => {
  const out = path.join(work, "a");
  const r = await runPpo(cfg(out));
  assert.equal(r.iteration, 3);
  const m = rows(out);
  assert.equal(m.length, 3);
  for (const k of ["iteration", "step", "reward_combined", "reward_helpful", "reward_safety", "kl", "entropy", "clipfrac", "policy_loss", "value_loss", "response_length", "generation_s", "scoring_s", "reference_s", "training_s"])
    assert.ok(k in m[0]!, k);
  assert.equal(m[0]!.kl, 0);             // first rollouts: policy == reference, same forward: exactly 0
  assert.ok(m[1]!.kl !== 0);             // after an update the policy moved
  assert.equal(m[2]!.step, 3);
  for (const f of ["checkpoint-3/config.json", "checkpoint-3/model.safetensors", "checkpoint-3/value/model.safetensors", "checkpoint-3/optimizer.safetensors", "checkpoint-3/value/optimizer.safetensors", "checkpoint-3/trainer_state.json", "checkpoint-3/tokenizer.json", "final/model.safetensors", "samples.jsonl"])
    assert.ok(fs.existsSync(path.join(out, f)), f);
});

test("stopped after iteration 1 and resumed (in place and into another directory): the same numbers as the uninterrupted run", async () => {
  const a = path.join(work, "a");
  if (!fs.existsSync(path.join(a, "final"))) await runPpo(cfg(a));
  const b = path.join(work, "b");
  let n = 0;
  const s = await runPpo(cfg(b), { shouldStop: () => n++ >= 1 });
  assert.equal(s.stopped, true);
  assert.equal(s.iteration, 1);
  const c = path.join(work, "c");
  const cli = llama2("ppo", "--resume", b, "--set", `out=${c}`, "--quiet");
  assert.equal(cli.status, 0, cli.stderr);
  await runPpo(cfg(b), { resume: true });
  const want = rows(a).map(noTimes);
  for (const dir of [b, c]) {
    const got = rows(dir).map(noTimes);
    assert.equal(got.length, want.length);
    got.forEach((row, i) => { for (const [k, v] of Object.entries(want[i]!)) assert.ok(Math.abs(row[k]! - v) <= 1e-6 * Math.max(1, Math.abs(v)), `${dir} iteration ${i + 1} ${k}: ${row[k]} vs ${v}`); });
    assert.ok(fs.readFileSync(path.join(dir, "final", "model.safetensors")).equals(fs.readFileSync(path.join(a, "final", "model.safetensors"))));
  }
});
