// `llama2 demo [--out DIR] [--seed S] [--size tiny|small] [--world-size small|medium|large] [--steps N] [--overwrite]`:
// the Llama 2 recipe end to end on the generated world, each stage through the same code as its own command:
// world → tokenizer → token shards → pretraining → SFT → helpfulness and safety RMs (the paper's mixtures) →
// rejection sampling (2 iterations, pooled) → a fresh round of oracle-labelled comparisons from the latest model
// and retrained RMs (§3.2.1) → PPO with the combined reward → Ghost Attention; then every stage's model is judged
// on the held-out split with both final RMs (OUT/report.json). A finished stage is recorded in OUT/stages.json, so
// re-running with the same --out resumes at the stage it reached (and inside it, at its last checkpoint).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { defineCommand, parseFlags, UsageError } from "../args.js";
import { run as worldGenerate } from "./world/generate.js";
import { run as tokenizerTrain } from "./tokenizer/train.js";
import { run as dataPrepare } from "./data/prepare.js";
import { run as worldAnnotate } from "./world/annotate.js";
import { loadPretrainConfig, runPretrain } from "../../recipes/pretrain.js";
import { loadSftConfig, runSft } from "../../recipes/sft.js";
import { loadRewardConfig, runReward } from "../../recipes/reward.js";
import { loadGattConfig, runGatt } from "../../recipes/gatt.js";
import { runRejectionSampling } from "../../recipes/rejection-sampling.js";
import { RS_SCHEMA, type RsConfig } from "../../recipes/rejection-sampling-config.js";
import { runPpo } from "../../recipes/ppo.js";
import { PPO_SCHEMA, type PpoConfig } from "../../recipes/ppo-config.js";
import { evaluateModel, type EvalReport } from "../../recipes/eval.js";
import { defaults, mergeObject } from "../../train/config.js";
import { Llama } from "../../model/llama.js";
import { Tokenizer } from "../../tokenizer/tokenizer.js";
import { trainProgress } from "../progress.js";
import { writeFileAtomic } from "../../io/atomic-file.js";

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const config = (name: string): string => path.join(packageRoot, "configs", name);
const mainJs = path.join(packageRoot, "dist", "src", "cli", "main.js");

export const command = defineCommand({
  name: "demo",
  summary: "the whole Llama 2 recipe on the generated world: pretraining, SFT, reward models, rejection sampling, PPO, GAtt, report",
  options: {
    out: { type: "string", value: "DIR", default: "runs/demo", description: "directory for every stage's output (re-running resumes)" },
    seed: { type: "string", value: "S", default: "1", description: "seed of the world, the models and the samples" },
    size: { type: "string", value: "SIZE", default: "tiny", choices: ["tiny", "small", "smoke"], description: "the pipeline's budget (tiny: minutes on two cores; smoke: every stage for a few steps, for tests)" },
    "world-size": { type: "string", value: "SIZE", default: "small", choices: ["small", "medium", "large"], description: "size of the generated world" },
    steps: { type: "string", value: "N", defaultText: "configs/pretrain-tiny.yaml max_steps", description: "pretraining steps" },
    "vocab-size": { type: "string", value: "N", default: 1024, description: "tokenizer vocabulary" },
    overwrite: { type: "boolean", description: "delete OUT first and start again" },
    quiet: { type: "boolean", description: "no live progress lines" },
  },
  examples: ["llama2 demo --out runs/demo", "llama2 demo --out runs/demo --overwrite --steps 200"],
});

/** Budgets per --size: rollout prompts, samples, PPO iterations, step caps. */
const BUDGET = {
  smoke: { rsPrompts: 8, k: 2, rsIters: 2, annotate: 16, ppoIters: 2, ppoBatch: 8, rmSteps: 3, sftEpochs: 1, stageSteps: 3 as number | null },
  tiny: { rsPrompts: 48, k: 4, rsIters: 2, annotate: 160, ppoIters: 4, ppoBatch: 16, rmSteps: 60, sftEpochs: 3, stageSteps: null as number | null },
  small: { rsPrompts: 160, k: 8, rsIters: 2, annotate: 480, ppoIters: 12, ppoBatch: 32, rmSteps: 200, sftEpochs: 3, stageSteps: null as number | null },
};

interface Stages { done: Record<string, unknown> }

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const out = path.resolve(f.str("out")), seed = f.str("seed"), size = f.str("size") as keyof typeof BUDGET, worldSize = f.str("world-size");
  const B = BUDGET[size];
  if (!B) throw new UsageError(`demo: --size must be tiny or small`);
  if (f.bool("overwrite")) { fs.rmSync(out, { recursive: true, force: true }); console.error(`demo: --overwrite: removed ${out}`); }
  const stagesFile = path.join(out, "stages.json");
  // A directory with content but no stages.json is not a demo run this command can resume: refuse before writing anything.
  if (fs.existsSync(out) && !fs.existsSync(stagesFile)) {
    const first = fs.readdirSync(out).sort()[0];
    if (first !== undefined) throw new Error(`${out} holds an earlier demo run (${path.join(out, first)}); pass --overwrite to replace it, or --out DIR`);
  }
  fs.mkdirSync(out, { recursive: true });
  const stages: Stages = fs.existsSync(stagesFile) ? JSON.parse(fs.readFileSync(stagesFile, "utf8")) as Stages : { done: {} };
  const progress = f.bool("quiet") ? undefined : trainProgress();
  const log = (s: string): void => console.error(s);
  const t0 = Date.now();
  const P = (...p: string[]): string => path.join(out, ...p);
  const world = P("world"), tokDir = P("tokenizer"), data = P("tokens");
  const names = ["world", "tokenizer", "data", "pretrain", "sft", "rm-helpful", "rm-safety", "rejection-sampling", "annotate", "rm-helpful-2", "rm-safety-2", "ppo", "gatt", "evaluate"];
  let i = 0;
  /** Runs a stage once: skipped when stages.json says it finished; `body` may resume inside its run directory. */
  const stage = async (name: string, title: string, body: () => Promise<unknown>): Promise<void> => {
    i++;
    if (name in stages.done) { console.error(`== ${i}/${names.length} ${name}: done (resumed run)`); return; }
    console.error(`\n== ${i}/${names.length} ${name}: ${title}  [${((Date.now() - t0) / 1000).toFixed(0)} s]`);
    stages.done[name] = (await body()) ?? true;
    writeFileAtomic(stagesFile, JSON.stringify(stages, null, 2) + "\n");
  };
  const resumable = (dir: string): string | null => {
    if (!fs.existsSync(dir)) return null;
    const ck = fs.readdirSync(dir).filter((d) => /^checkpoint-\d+$/.test(d)).sort((a, b) => Number(b.split("-")[1]) - Number(a.split("-")[1]));
    return ck.length ? path.join(dir, ck[0]!) : null;
  };
  const stopped = (r: { stopped?: string | boolean }): boolean => r.stopped !== undefined && r.stopped !== "done" && r.stopped !== false;

  await stage("world", `llama2 world generate --size ${worldSize} --seed ${seed}`, async () => {
    fs.rmSync(world, { recursive: true, force: true });
    await worldGenerate(["--out", world, "--size", worldSize, "--seed", seed]);
  });
  await stage("tokenizer", `llama2 tokenizer train --vocab-size ${f.int("vocab-size")}`, async () => {
    fs.rmSync(tokDir, { recursive: true, force: true });
    await tokenizerTrain(["--input", path.join(world, "pretrain.txt"), "--vocab-size", String(f.int("vocab-size")), "--out", tokDir]);
  });
  await stage("data", "llama2 data prepare", async () => {
    fs.rmSync(data, { recursive: true, force: true });
    await dataPrepare(["--tokenizer", tokDir, "--input", path.join(world, "pretrain.txt"), "--out", data, "--val-fraction", "0.02"]);
  });
  let interrupted = false;
  await stage("pretrain", "llama2 pretrain --config configs/pretrain-tiny.yaml", async () => {
    // 512 positions leave room for chat turns after pretraining on 128-token windows (RoPE has no weights), as the tiny-world fixture
    const sets = [`data=${data}`, `out=${P("pretrain")}`, `tokenizer=${tokDir}`, `seed=${Number(seed)}`, "model.max_position_embeddings=512"];
    if (f.strOpt("steps")) sets.push(`max_steps=${f.int("steps")}`);
    const ck = resumable(P("pretrain"));
    const cfg = loadPretrainConfig(config("pretrain-tiny.yaml"), sets);
    // No checkpoint yet: the stage's own directory is cleared (a run killed before its first checkpoint).
    const r = await runPretrain(cfg, ck, { progress, handleSignals: true, overwrite: ck === null });
    if (stopped(r)) { interrupted = true; throw new Interrupted(); }
  });
  const capped = B.stageSteps === null ? [] : [`max_steps=${B.stageSteps}`];
  // The closing per-stage eval is the demo's own last stage (all models, both final RMs): not inside SFT.
  const sftSets = (model: string, outDir: string): string[] => [`model=${model}`, `data=${path.join(world, "sft_train.jsonl")}`, `out=${outDir}`, `epochs=${B.sftEpochs}`, `seed=${Number(seed)}`, "eval_world=false", ...capped];
  await stage("sft", "llama2 sft --config configs/sft-tiny.yaml", async () => {
    const ck = resumable(P("sft"));
    const r = await runSft(loadSftConfig(config("sft-tiny.yaml"), sftSets(P("pretrain", "final"), P("sft"))), ck, { progress, handleSignals: true, log, overwrite: ck === null });
    if (stopped(r)) throw new Interrupted();
    return r.eval;
  });
  const rm = async (kind: "helpful" | "safety", outDir: string, extra: { path: string; weight: number }[]): Promise<void> => {
    const mix = kind === "helpful"
      ? [{ path: path.join(world, "prefs_helpful_train.jsonl"), weight: 1 }, { path: path.join(world, "prefs_safety_train.jsonl"), weight: 1.5 }]
      : [{ path: path.join(world, "prefs_safety_train.jsonl"), weight: 1 }, { path: path.join(world, "prefs_helpful_train.jsonl"), weight: 0.1 }];
    const sets = [`model=${P("sft", "final")}`, `data=${JSON.stringify([...mix, ...extra])}`, `eval_data=${path.join(world, `prefs_${kind}_val.jsonl`)}`, `out=${outDir}`, `max_steps=${B.rmSteps}`, `seed=${Number(seed)}`];
    const ck = resumable(outDir);
    const r = await runReward(loadRewardConfig(config(`reward-${kind}-world.yaml`), sets), ck, { progress, handleSignals: true, overwrite: ck === null });
    if (stopped(r)) throw new Interrupted();
  };
  await stage("rm-helpful", "llama2 reward train --config configs/reward-helpful-world.yaml (helpful + 1.5x safety pairs)", () => rm("helpful", P("rm-helpful"), []));
  await stage("rm-safety", "llama2 reward train --config configs/reward-safety-world.yaml (safety + 10% helpful pairs)", () => rm("safety", P("rm-safety"), []));
  await stage("rejection-sampling", `llama2 rejection-sample (${B.rsIters} iterations, K ${B.k}, pooled best)`, async () => {
    const c = defaults(RS_SCHEMA);
    mergeObject(RS_SCHEMA, c, {
      policy: P("sft", "final"), reward_helpful: P("rm-helpful", "final"), reward_safety: P("rm-safety", "final"),
      prompts: path.join(world, "prompts_train.jsonl"), out: P("rejection-sampling"), iterations: B.rsIters, k: B.k, temperature: [0.8, 1.2],
      max_new_tokens: 48, max_prompts: B.rsPrompts, seed: Number(seed), sft: { epochs: 2, batch_size: 16, grad_accum: 1, lr: 5e-4, seq_len: 512, warmup: 0, ...(B.stageSteps === null ? {} : { max_steps: B.stageSteps }) },
    }, "demo");
    const r = await runRejectionSampling(c as unknown as RsConfig, { log, progress, handleSignals: true });
    if (!r.final) throw new Interrupted();
    return r.iterations;
  });
  await stage("annotate", "llama2 world annotate: fresh comparisons from the latest model (RS vs SFT), labelled by the oracle", async () => {
    for (const kind of ["helpful", "safety"])
      await worldAnnotate(["--model", P("rejection-sampling", "final"), "--model-b", P("sft", "final"), "--prompts", path.join(world, "prompts_train.jsonl"),
        "--out", P("annotate", `prefs_${kind}_round2.jsonl`), "--kind", kind, "--max-prompts", String(B.annotate), "--seed", seed, "--max-new-tokens", "48"]);
  });
  const fresh = (kind: string): { path: string; weight: number }[] => [{ path: P("annotate", `prefs_${kind}_round2.jsonl`), weight: 1 }];
  await stage("rm-helpful-2", "retrain the helpfulness RM with the fresh comparisons (§3.2.1)", () => rm("helpful", P("rm-helpful-2"), fresh("helpful")));
  await stage("rm-safety-2", "retrain the safety RM with the fresh comparisons", () => rm("safety", P("rm-safety-2"), fresh("safety")));
  await stage("ppo", `llama2 ppo (${B.ppoIters} iterations of ${B.ppoBatch} prompts, combined reward, KL to the RS model)`, async () => {
    const c = defaults(PPO_SCHEMA);
    mergeObject(PPO_SCHEMA, c, {
      policy: P("rejection-sampling", "final"), reward_helpful: P("rm-helpful-2", "final"), reward_safety: P("rm-safety-2", "final"),
      prompts: path.join(world, "prompts_train.jsonl"), out: P("ppo"), iterations: B.ppoIters, batch_size: B.ppoBatch, mini_batch_size: B.ppoBatch / 4,
      max_new_tokens: 48, lr: 2e-5, kl_coef: 0.05, save_every: 1, seed: Number(seed),
    }, "demo");
    let stop = false;
    const onSig = (): void => { stop = true; };
    process.once("SIGINT", onSig);
    const r = await runPpo(c as unknown as PpoConfig, { log, shouldStop: () => stop });
    process.removeListener("SIGINT", onSig);
    if (r.stopped) throw new Interrupted();
  });
  await stage("gatt", "llama2 gatt --config configs/gatt-tiny.yaml (Ghost Attention on the PPO model)", async () => {
    const sets = [`model=${P("ppo", "final")}`, `dialogues=${path.join(world, "dialogues_train.jsonl")}`, `data=${path.join(world, "sft_train.jsonl")}`, `out=${P("gatt")}`, `seed=${Number(seed)}`, "eval_world=false", ...capped, ...(B.stageSteps === null ? [] : ["data_samples=16", "filter_adherent=false", "temperature=1"])];
    const ck = resumable(P("gatt"));
    const r = await runGatt(loadGattConfig(config("gatt-tiny.yaml"), sets), ck, { progress, handleSignals: true, log, overwrite: ck === null });
    if (stopped(r)) throw new Interrupted();
  });
  await stage("evaluate", "llama2 eval of every stage's model on the held-out split with both final RMs; llama2 reward eval", async () => {
    const load = async (dir: string) => ({ model: await Llama.load(dir, { trainable: false }), tokenizer: await Tokenizer.load(dir) });
    const rewardHelpful = await load(P("rm-helpful-2", "final")), rewardSafety = await load(P("rm-safety-2", "final"));
    const models: Record<string, string> = {
      pretrained: P("pretrain", "final"), sft: P("sft", "final"), rejection_sampling: P("rejection-sampling", "final"), ppo: P("ppo", "final"), gatt: P("gatt", "final"),
    };
    const report: Record<string, unknown> = { seed: Number(seed), size, world_size: worldSize, stages: {}, reward_models: {} };
    for (const [name, dir] of Object.entries(models)) {
      log(`evaluating ${name} (${dir})`);
      const m = await load(dir);
      (report.stages as Record<string, EvalReport>)[name] = await evaluateModel(m.model, m.tokenizer, { world, split: "test", rewardHelpful, rewardSafety, answersOut: P("answers", `${name}.jsonl`) });
    }
    for (const [name, dir, kind] of [["helpful", "rm-helpful-2", "helpful"], ["safety", "rm-safety-2", "safety"]] as const) {
      const r = spawnSync(process.execPath, [mainJs, "reward", "eval", "--model", P(dir, "final"), "--data", path.join(world, `prefs_${kind}_test.jsonl`), "--json"], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`reward eval ${name}: ${r.stderr}`);
      (report.reward_models as Record<string, unknown>)[name] = JSON.parse(r.stdout);
    }
    writeFileAtomic(P("report.json"), JSON.stringify(report, null, 2) + "\n");
    return true;
  }).catch((e: unknown) => { if (!(e instanceof Interrupted)) throw e; interrupted = true; });
  if (interrupted) { console.error(`demo: stopped; run the same command again to resume`); return 130; }
  printSummary(P("report.json"), (Date.now() - t0) / 1000);
  return 0;
}

class Interrupted extends Error { constructor() { super("interrupted"); } }

function printSummary(file: string, seconds: number): void {
  const r = JSON.parse(fs.readFileSync(file, "utf8")) as { stages: Record<string, EvalReport>; reward_models: Record<string, { accuracy: number; by_rating: Record<string, { accuracy: number }> }> };
  const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "  n/a" : `${(100 * x).toFixed(1)}%`.padStart(6));
  const num = (x: number | null | undefined): string => (x === null || x === undefined ? "   n/a" : x.toFixed(3).padStart(7));
  console.log(`\nLlama 2 recipe on the world — held-out split (${seconds.toFixed(0)} s); full numbers in ${file}`);
  console.log("stage               helpfulness  violations  false refusals  RM helpful  RM safety");
  for (const [name, s] of Object.entries(r.stages))
    console.log(`${name.padEnd(20)}${num(s.helpfulness)}      ${pct(s.safety_violation_rate)}      ${pct(s.false_refusal_rate)}       ${num(s.reward_helpful)}    ${num(s.reward_safety)}`);
  for (const [name, m] of Object.entries(r.reward_models))
    console.log(`RM ${name}: accuracy ${pct(m.accuracy)}; by rating ${Object.entries(m.by_rating).map(([k, v]) => `${k} ${pct(v.accuracy)}`).join(", ")}`);
}
