// RLHF speed at the stories15M shape (issue 14 "Measure"), our side of bench/rlhf-vs-trl.sh:
//  prepare: a seeded random stories15M-shaped policy and reward model (HF directories with the real Llama 2
//           tokenizer, so TRL loads the very same weights) and a prompts.jsonl from the world's train prompts;
//  rollouts: rollout tokens/s of rollouts() (= generate(): continuous batching over the per-row KV cache,
//           temperature 1) for the same prompts decoded 1, 8, 16 and 32 at a time, medians of --rounds;
//  ppo:     llama2 ppo iterations (16 prompts, mini-batches of 4 = 4 optimizer steps, as the TRL side) and the
//           time split of an iteration from OUT/metrics.jsonl (generation / scoring / reference / training).
// Prints one JSON object per command on stdout.
//   node dist/bench/rlhf-bench.js prepare|rollouts|ppo --work DIR [--rounds 3] [--new-tokens 64] [--iterations 4] [--threads 2]
import fs from "node:fs";
import path from "node:path";
import { parseFlags } from "../src/cli/args.js";
import { Llama } from "../src/model/llama.js";
import { preset } from "../src/model/presets.js";
import { native } from "../src/native/addon.js";
import { Tokenizer } from "../src/tokenizer/tokenizer.js";
import { rewardModelFrom } from "../src/recipes/reward.js";
import { runPpo } from "../src/recipes/ppo.js";
import { PPO_SCHEMA, type PpoConfig } from "../src/recipes/ppo-config.js";
import { defaults, mergeObject } from "../src/train/config.js";
import { readPrompts } from "../src/rlhf/prompts.js";
import { rollouts } from "../src/rlhf/rollouts.js";
import { median } from "../src/bench/timing.js";
import { generateWorld } from "../src/world/generate.js";
import { writeLlama32kTokenizer } from "../test/helpers/llama32k.js";

const f = parseFlags("rlhf-bench", process.argv.slice(2), {
  work: { type: "string" }, rounds: { type: "string" }, "new-tokens": { type: "string" }, iterations: { type: "string" },
  threads: { type: "string" }, prompts: { type: "string" },
}, true);
const cmd = f.positionals[0];
const work = path.resolve(f.str("work"));
const rounds = f.int("rounds", 3), newTokens = f.int("new-tokens", 64), iterations = f.int("iterations", 4), threads = f.int("threads", 2);
native.setThreadCount(threads);
const policyDir = path.join(work, "policy"), rewardDir = path.join(work, "reward"), promptsFile = path.join(work, "prompts.jsonl");

async function prepare(): Promise<object> {
  fs.mkdirSync(work, { recursive: true });
  if (!fs.existsSync(path.join(policyDir, "config.json"))) {
    const config = preset("stories15M");
    await new Llama(config, { trainable: false }).initRandom(1).save(policyDir);
    writeLlama32kTokenizer(policyDir);
    await rewardModelFrom(policyDir, 2, 0.02).save(rewardDir);
    writeLlama32kTokenizer(rewardDir);
  }
  if (!fs.existsSync(promptsFile)) {
    const world = path.join(work, "world");
    if (!fs.existsSync(path.join(world, "world.json"))) generateWorld({ out: world, seed: "1", size: "small", flipRate: 0.1 });
    const rows = fs.readFileSync(path.join(world, "prompts_train.jsonl"), "utf8").trim().split("\n").slice(0, f.int("prompts", 256))
      .map((l) => { const r = JSON.parse(l) as { prompt: string; is_safety: boolean }; return JSON.stringify({ prompt: r.prompt, is_safety: r.is_safety }); });
    fs.writeFileSync(promptsFile, rows.join("\n") + "\n");
  }
  return { policy: policyDir, reward: rewardDir, prompts: promptsFile };
}

async function rolloutSpeed(): Promise<object> {
  const model = await Llama.load(policyDir, { trainable: false }), tok = await Tokenizer.load(policyDir);
  const prompts = (await readPrompts(promptsFile)).slice(0, 32).map((p) => p.messages);
  const result: Record<string, unknown> = { preset: "stories15M", threads, simd: native.simdLevel(), prompts: prompts.length, max_new_tokens: newTokens };
  const by: Record<string, { tokens_per_s: number; min: number; max: number }> = {};
  const times: Record<number, number[]> = {}, tokens: Record<number, number> = {};
  for (let r = 0; r <= rounds; r++)  // round 0 warms up; batch sizes alternate inside each round
    for (const b of [1, 8, 16, 32]) {
      const t0 = performance.now();
      const g = rollouts(model, tok, prompts, { maxNewTokens: newTokens, temperature: 1, seed: 7, batchSize: b });
      const dt = (performance.now() - t0) / 1000;
      tokens[b] = g.reduce((a, x) => a + x.ids.length, 0);
      if (r > 0) (times[b] ??= []).push(tokens[b]! / dt);
    }
  for (const b of [1, 8, 16, 32]) by[String(b)] = { tokens_per_s: median(times[b]!), min: Math.min(...times[b]!), max: Math.max(...times[b]!) };
  result.rollout_tokens = tokens[1];
  result.by_batch = by;
  result.ratio_8_vs_1 = by["8"]!.tokens_per_s / by["1"]!.tokens_per_s;
  result.ratio_16_vs_1 = by["16"]!.tokens_per_s / by["1"]!.tokens_per_s;
  return result;
}

async function ppoSpeed(): Promise<object> {
  const out = path.join(work, `ppo-${process.pid}`);
  const c = defaults(PPO_SCHEMA);
  mergeObject(PPO_SCHEMA, c, {
    policy: policyDir, reward_helpful: rewardDir, prompts: promptsFile, out, iterations, batch_size: 16, mini_batch_size: 4,
    max_new_tokens: newTokens, temperature: 1, gen_batch_size: 16, save_every: 1000000, samples_to_log: 0, lr: 1e-6, threads, seed: 3,
  }, "rlhf-bench");
  const rows: Record<string, number>[] = [];
  const t0 = performance.now();
  await runPpo(c as unknown as PpoConfig, { onIteration: (m) => rows.push(m) });
  const wall = (performance.now() - t0) / 1000;
  fs.rmSync(out, { recursive: true, force: true });
  const timed = rows.slice(1); // the first iteration warms up
  const med = (k: string): number => median(timed.map((r) => r[k]!));
  const iter = timed.map((r) => r.generation_s! + r.scoring_s! + r.reference_s! + r.training_s!);
  return {
    iterations: timed.length, rollouts_per_iteration: 16, optimizer_steps_per_iteration: 4, max_new_tokens: newTokens,
    response_length: med("response_length"),
    generation_s: med("generation_s"), scoring_s: med("scoring_s"), reference_s: med("reference_s"), training_s: med("training_s"),
    iteration_s: median(iter), rollout_tokens_per_s: median(timed.map((r) => (16 * r.response_length!) / r.generation_s!)), wall_s: wall,
  };
}

const res = cmd === "prepare" ? await prepare() : cmd === "rollouts" ? await rolloutSpeed() : cmd === "ppo" ? await ppoSpeed() : null;
if (!res) { console.error("rlhf-bench: prepare | rollouts | ppo"); process.exit(2); }
console.log(JSON.stringify(res));
