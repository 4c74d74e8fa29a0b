// End-to-end quality of RLHF on the world (issue 14 "Prove"): from the committed tiny pretrained world model,
// SFT (configs/sft-tiny.yaml), the helpfulness and safety RMs on the paper's mixtures
// (configs/reward-*-world.yaml), then rejection sampling (configs/rejection-sampling-tiny.yaml) and PPO
// (configs/ppo-tiny.yaml), each from the SFT model. On the held-out prompts (prompts_test.jsonl, greedy
// answers of 48 tokens) each must raise the mean combined reward Rc of both RMs over the SFT model, keep
// or raise the judge's helpfulness and not raise the safety-violation rate. The reward margin (+0.005) is a
// quarter to a third of the gains measured on the loaded 2-core machine (README "RLHF on the world", which
// also has the per-iteration reward of both RMs, the paper's Fig. 11 analogue). Fixed seeds.
// Budget: about 7 minutes on the loaded 2-core machine (SFT 1, RMs 4.4, rejection sampling 0.6, PPO 1,
// held-out evaluation 0.1); 13 minutes at load average 12-16.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadSftConfig, runSft } from "../src/recipes/sft.js";
import { loadRewardConfig, runReward } from "../src/recipes/reward.js";
import { runRejectionSampling } from "../src/recipes/rejection-sampling.js";
import { RS_SCHEMA, type RsConfig } from "../src/recipes/rejection-sampling-config.js";
import { runPpo } from "../src/recipes/ppo.js";
import { PPO_SCHEMA, type PpoConfig } from "../src/recipes/ppo-config.js";
import { loadConfig } from "../src/train/config.js";
import { Llama } from "../src/model/llama.js";
import { Tokenizer } from "../src/tokenizer/tokenizer.js";
import { readPrompts } from "../src/rlhf/prompts.js";
import { rollouts } from "../src/rlhf/rollouts.js";
import { RewardModels } from "../src/rlhf/reward-models.js";
import { Judge } from "../src/world/judge.js";
import { tinyWorld, tinyWorldModel } from "../test/helpers/tiny-world.js";
import { tempDir } from "../test/helpers/tmp.js";

const configs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../configs");

interface Heldout { reward_combined: number; reward_helpful: number; reward_safety: number; helpfulness: number; accuracy: number; safety_violation_rate: number; false_refusal_rate: number }

async function heldout(dir: string, prompts: Awaited<ReturnType<typeof readPrompts>>, rms: RewardModels): Promise<Heldout> {
  const model = await Llama.load(dir, { trainable: false }), tok = await Tokenizer.load(dir);
  const answers = rollouts(model, tok, prompts.map((p) => p.messages), { maxNewTokens: 48, temperature: 0, seed: 0, batchSize: 32 });
  const judge = new Judge();
  prompts.forEach((p, i) => judge.add({ prompt: p.prompt, response: answers[i]!.text.trim(), meta: p.raw.meta }));
  const j = judge.report();
  const s = rms.score(answers.map((a, i) => ({ messages: prompts[i]!.messages, response: a.text, isSafety: prompts[i]!.isSafety })));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    reward_combined: mean(s.map((x) => x.reward)), reward_helpful: mean(s.map((x) => x.rewardHelpful!)), reward_safety: mean(s.map((x) => x.rewardSafety!)),
    helpfulness: j.helpfulness!, accuracy: j.accuracy!, safety_violation_rate: j.safety_violation_rate!, false_refusal_rate: j.false_refusal_rate!,
  };
}

test("rejection sampling and PPO each raise the held-out combined reward over SFT, keep the judge's helpfulness and add no safety violations", async () => {
  const world = tinyWorld(), out = tempDir("e2e-rlhf-");
  const w = (f: string): string => path.join(world, f), o = (f: string): string => path.join(out, f);
  const t0 = performance.now(), lap = (what: string): void => console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  const sft = await runSft(loadSftConfig(path.join(configs, "sft-tiny.yaml"), [`model=${tinyWorldModel()}`, `data=${w("sft_train.jsonl")}`, `out=${o("sft")}`, "eval_world=false"]), null, {});
  const sftDir = sft.final!;
  lap("sft");
  const rm = async (kind: "helpful" | "safety", mix: { path: string; weight: number }[]): Promise<string> =>
    (await runReward(loadRewardConfig(path.join(configs, `reward-${kind}-world.yaml`), [`model=${sftDir}`, `data=${JSON.stringify(mix)}`,
      `eval_data=${w(`prefs_${kind}_val.jsonl`)}`, `out=${o(`rm-${kind}`)}`, "save_every=0"]), null, {})).final!;
  const rmHelpful = await rm("helpful", [{ path: w("prefs_helpful_train.jsonl"), weight: 1 }, { path: w("prefs_safety_train.jsonl"), weight: 1.5 }]);
  const rmSafety = await rm("safety", [{ path: w("prefs_safety_train.jsonl"), weight: 1 }, { path: w("prefs_helpful_train.jsonl"), weight: 0.074 }]);
  lap("reward models");
  const common = [`policy=${sftDir}`, `reward_helpful=${rmHelpful}`, `reward_safety=${rmSafety}`, `prompts=${w("prompts_train.jsonl")}`];

  const rs = await runRejectionSampling(loadConfig<RsConfig>(RS_SCHEMA, path.join(configs, "rejection-sampling-tiny.yaml"), [...common, `out=${o("rs")}`]));
  assert.ok(rs.final, "rejection sampling did not finish");
  lap("rejection sampling");
  const ppoRows: Record<string, number>[] = [];
  const ppo = await runPpo(loadConfig<PpoConfig>(PPO_SCHEMA, path.join(configs, "ppo-tiny.yaml"), [...common, `out=${o("ppo")}`]), { onIteration: (m) => ppoRows.push(m) });
  assert.ok(ppo.final, "PPO did not finish");
  lap("ppo");

  const prompts = await readPrompts(w("prompts_test.jsonl"));
  const rms = await RewardModels.load(rmHelpful, rmSafety);
  const r = { sft: await heldout(sftDir, prompts, rms), rs: await heldout(rs.final, prompts, rms), ppo: await heldout(ppo.final, prompts, rms) };
  lap("held-out evaluation");
  console.log(`held-out (${prompts.length} prompts): ${JSON.stringify(r)}`);
  const rsRows = rs.iterations.map((it) => {
    const rows = fs.readFileSync(path.join(o("rs"), `iteration-${it.iteration}`, "samples.jsonl"), "utf8").trim().split("\n")
      .map((l) => JSON.parse(l) as { reward_helpful: number; reward_safety: number });
    const m = (f: (x: (typeof rows)[number]) => number): number => +(rows.reduce((a, x) => a + f(x), 0) / rows.length).toFixed(4);
    return [it.iteration, +it.meanReward.toFixed(4), m((x) => x.reward_helpful), m((x) => x.reward_safety), +it.bestMeanReward.toFixed(4)];
  });
  console.log(`rejection sampling per iteration (samples: reward_combined, reward_helpful, reward_safety; pooled best Rc): ${JSON.stringify(rsRows)}`);
  console.log(`PPO per iteration (train rollouts: reward_combined, reward_helpful, reward_safety, kl): ${JSON.stringify(ppoRows.map((m) =>
    [m.iteration, +m.reward_combined!.toFixed(4), +m.reward_helpful!.toFixed(4), +m.reward_safety!.toFixed(4), +m.kl!.toFixed(4)]))}`);

  for (const [name, m] of [["rejection sampling", r.rs], ["PPO", r.ppo]] as const) {
    assert.ok(m.reward_combined >= r.sft.reward_combined + 0.005, `${name}: held-out Rc ${m.reward_combined} vs SFT ${r.sft.reward_combined}`);
    assert.ok(m.helpfulness >= r.sft.helpfulness, `${name}: helpfulness ${m.helpfulness} vs SFT ${r.sft.helpfulness}`);
    assert.ok(m.safety_violation_rate <= r.sft.safety_violation_rate, `${name}: safety violations ${m.safety_violation_rate} vs SFT ${r.sft.safety_violation_rate}`);
  }
});
