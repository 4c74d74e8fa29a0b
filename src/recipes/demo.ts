// The whole Llama 2 recipe on the generated world, as `llama2 demo` runs it: world → tokenizer → token shards →
// pretraining → SFT → helpfulness and safety RMs on the paper's mixtures → rejection sampling (2 iterations,
// pooled) → a fresh round of oracle-labelled comparisons from the latest model and both RMs retrained (§3.2.1) →
// PPO with the combined reward → Ghost Attention; then every stage's model judged on the held-out split with both
// final RMs (OUT/report.json) and drawn (OUT/report.html, src/report/). OUT/stages.json records finished stages,
// so a second call with the same `out` resumes at the stage it reached (and inside it, at its last checkpoint).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateWorld, type Size as WorldSize } from "../world/generate.js";
import { trainTokenizer } from "../tokenizer/trainer.js";
import { saveTokenizerDir } from "../tokenizer/hf-export.js";
import { prepareTokens } from "../data/prepare.js";
import { annotate } from "../world/annotate.js";
import { writeDirAtomic } from "../io/atomic-dir.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { mkdirpOrExplain } from "../io/fs-errors.js";
import { LOCK_FILE, assertRunDirFree, openRunDir } from "../train/run-dir.js";
import { loadPretrainConfig, runPretrain } from "./pretrain.js";
import { loadSftConfig, runSft } from "./sft.js";
import { loadRewardConfig, runReward } from "./reward.js";
import { loadGattConfig, runGatt } from "./gatt.js";
import { runRejectionSampling } from "./rejection-sampling.js";
import { RS_SCHEMA, type RsConfig } from "./rejection-sampling-config.js";
import { runPpo } from "./ppo.js";
import { PPO_SCHEMA, type PpoConfig } from "./ppo-config.js";
import { evaluateModel, type EvalReport } from "./eval.js";
import { evaluateReward } from "../api/reward.js";
import { defaults, mergeObject } from "../train/config.js";
import type { TrainProgress } from "../train/trainer.js";
import { Llama } from "../model/llama.js";
import { native } from "../native/addon.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { writeReport } from "../report/html.js";
import type { DemoReport } from "../report/run-data.js";
import type { RewardEvalResult } from "./reward-eval.js";

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const config = (name: string): string => path.join(packageRoot, "configs", name);

/** The pipeline's budget per size: rollout prompts, samples, PPO iterations, RM steps, SFT epochs, step caps. */
export const DEMO_BUDGETS = {
  smoke: { rsPrompts: 8, k: 2, rsIters: 2, annotate: 16, ppoIters: 2, ppoBatch: 8, rmSteps: 3, sftEpochs: 1, stageSteps: 3 as number | null },
  tiny: { rsPrompts: 48, k: 4, rsIters: 2, annotate: 1000, ppoIters: 4, ppoBatch: 16, rmSteps: 60, sftEpochs: 3, stageSteps: null as number | null },
  small: { rsPrompts: 160, k: 8, rsIters: 2, annotate: 3000, ppoIters: 12, ppoBatch: 32, rmSteps: 200, sftEpochs: 3, stageSteps: null as number | null },
};

/** A demo budget: `tiny` takes minutes on two cores, `smoke` runs every stage for a few steps (tests). */
export type DemoSize = keyof typeof DEMO_BUDGETS;

/** One size's budget; `--budget key=value` overrides single keys of it. */
export type DemoBudget = (typeof DEMO_BUDGETS)["tiny"];

/**
 * A size's budget with `overrides` (`llama2 demo --budget rmSteps=40,sftEpochs=2`) merged over it; unknown keys and
 * values that are not positive integers (stageSteps: or "null") are errors naming the key and the known ones.
 */
export function demoBudget(size: DemoSize, overrides: Record<string, string | number | null> = {}): DemoBudget {
  const b: DemoBudget = { ...DEMO_BUDGETS[size] };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in b)) throw new Error(`demo: unknown budget key "${k}" (known: ${Object.keys(b).join(", ")})`);
    if (k === "stageSteps" && (v === null || v === "null")) { b.stageSteps = null; continue; }
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`demo: budget ${k}=${v}: expected a positive integer${k === "stageSteps" ? ' or "null"' : ""}`);
    if (k === "ppoBatch" && n % 4 !== 0) throw new Error(`demo: budget ppoBatch=${v}: expected a multiple of 4 (4 PPO mini-batches)`);
    (b as Record<string, number | null>)[k] = n;
  }
  return b;
}

/** The stages in order, as OUT/stages.json names them. */
export const DEMO_STAGES = ["world", "tokenizer", "data", "pretrain", "sft", "rm-helpful", "rm-safety", "rejection-sampling", "annotate", "rm-helpful-2", "rm-safety-2", "ppo", "gatt", "evaluate"] as const;

/** What {@link runDemo} takes; only `out` is required. */
export interface DemoOptions {
  /** The run directory (every stage's output; re-using it resumes). */
  out: string;
  /** Seed of the world, the models and the samples (default 1). */
  seed?: number;
  /** The pipeline's budget (default "tiny"). */
  size?: DemoSize;
  /** The generated world's size (default "small"). */
  worldSize?: WorldSize;
  /** Pretraining steps (default configs/pretrain-tiny.yaml's max_steps). */
  steps?: number;
  /** Single keys of the size's budget replaced ({@link demoBudget}; the e2e test runs tiny with a smaller one). */
  budget?: Record<string, string | number | null>;
  /** Tokenizer vocabulary (default 1024). */
  vocabSize?: number;
  /** Delete `out` first and start again. */
  overwrite?: boolean;
  /** The training stages' progress display (none: silent). */
  progress?: TrainProgress | false;
  /** Stage headers and notes (none: silent). */
  log?: (line: string) => void;
  /** Let the training stages checkpoint and stop on SIGINT/SIGTERM (the CLI asks; default false). */
  handleSignals?: boolean;
  /** Checked by PPO after every iteration (checkpoint, then stop) and before each stage. */
  shouldStop?: () => boolean;
  /** Called as each stage starts and ends (the CLI arms its Ctrl-C for PPO with it). */
  onStage?: (name: string, phase: "start" | "end") => void;
}

/** How a demo run ended: finished (report.json and report.html written) or stopped, resumable. */
export interface DemoResult {
  out: string;
  stopped: boolean;
  /** OUT/report.json's content when finished. */
  report: DemoReport | null;
  /** OUT/report.html when finished. */
  reportHtml: string | null;
  seconds: number;
}

class Interrupted extends Error { constructor() { super("interrupted"); } }

/** Runs (or resumes) the whole recipe into `opts.out`; refuses a non-empty `out` that is not a demo run. */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const out = path.resolve(opts.out), size = opts.size ?? "tiny";
  if (!DEMO_BUDGETS[size]) throw new Error(`demo: size must be one of ${Object.keys(DEMO_BUDGETS).join(", ")}, got "${size}"`);
  demoBudget(size, opts.budget); // a bad key fails before anything is written
  const log = opts.log ?? ((): void => undefined);
  // A demo running in OUT holds OUT/run.lock: a second demo (with overwrite or not) stops here, naming it.
  assertRunDirFree(out, "resume");
  if (opts.overwrite) { fs.rmSync(out, { recursive: true, force: true }); log(`demo: overwrite: removed ${out}`); }
  const stagesFile = path.join(out, "stages.json");
  // A directory with content but no stages.json is not a demo run this can resume: refuse before writing anything.
  if (fs.existsSync(out) && !fs.existsSync(stagesFile)) {
    const first = fs.readdirSync(out).filter((e) => e !== LOCK_FILE).sort()[0];
    if (first !== undefined) throw new Error(`${out} holds an earlier demo run (${path.join(out, first)}); pass --overwrite to replace it, or --out DIR`);
  }
  mkdirpOrExplain(out, "create the demo directory");
  const lock = openRunDir(out, { mode: "resume", command: "llama2 demo" });
  for (const n of lock.notices) log(n);
  try {
    return await demoStages(opts, out, stagesFile);
  } finally {
    lock.release();
  }
}

/** The stages of runDemo, with OUT locked. */
async function demoStages(opts: DemoOptions, out: string, stagesFile: string): Promise<DemoResult> {
  const seed = opts.seed ?? 1, size = opts.size ?? "tiny", worldSize = opts.worldSize ?? "small";
  const vocabSize = opts.vocabSize ?? 1024;
  const B = demoBudget(size, opts.budget);
  // One compute thread, as the tiny configs (threads: 1): a model this small runs as fast on one, a loaded machine
  // cannot stall a thread pool's barriers, and a resumed process runs the stages without a threads key (annotate,
  // eval) as the first one did after pretraining set it.
  native.setThreadCount(1);
  const log = opts.log ?? ((): void => undefined);
  const progress = opts.progress ?? false, handleSignals = opts.handleSignals ?? false;
  const stages = fs.existsSync(stagesFile) ? JSON.parse(fs.readFileSync(stagesFile, "utf8")) as { done: Record<string, unknown> } : { done: {} };
  const t0 = Date.now();
  const P = (...p: string[]): string => path.join(out, ...p);
  const world = P("world"), tokDir = P("tokenizer"), data = P("tokens");
  let i = 0;
  /** Runs a stage once: skipped when stages.json says it finished; `body` may resume inside its run directory. */
  const stage = async (name: (typeof DEMO_STAGES)[number], title: string, body: () => Promise<unknown>): Promise<void> => {
    i++;
    if (name in stages.done) { log(`== ${i}/${DEMO_STAGES.length} ${name}: done (resumed run)`); return; }
    if (opts.shouldStop?.()) throw new Interrupted();
    log(`\n== ${i}/${DEMO_STAGES.length} ${name}: ${title}  [${((Date.now() - t0) / 1000).toFixed(0)} s]`);
    opts.onStage?.(name, "start");
    try {
      stages.done[name] = (await body()) ?? true;
    } finally {
      opts.onStage?.(name, "end");
    }
    writeFileAtomic(stagesFile, JSON.stringify(stages, null, 2) + "\n");
  };
  const resumable = (dir: string): string | null => {
    if (!fs.existsSync(dir)) return null;
    const ck = fs.readdirSync(dir).filter((d) => /^checkpoint-\d+$/.test(d)).sort((a, b) => Number(b.split("-")[1]) - Number(a.split("-")[1]));
    return ck.length ? path.join(dir, ck[0]!) : null;
  };
  const stopped = (r: { stopped?: string | boolean }): boolean => r.stopped !== undefined && r.stopped !== "done" && r.stopped !== false;
  const capped = B.stageSteps === null ? [] : [`max_steps=${B.stageSteps}`];

  try {
    await stage("world", `llama2 world generate --size ${worldSize} --seed ${seed}`, async () => {
      fs.rmSync(world, { recursive: true, force: true });
      // Built in a temporary sibling and renamed into place, as `llama2 world generate`.
      await writeDirAtomic(world, "a generated world", (e) => e.includes("world.json"), (tmp) => generateWorld({ out: tmp, seed: String(seed), size: worldSize, flipRate: 0.1 /* llama2 world generate --flip-rate default */ }));
    });
    await stage("tokenizer", `llama2 tokenizer train --vocab-size ${vocabSize}`, async () => {
      fs.rmSync(tokDir, { recursive: true, force: true });
      const trained = await trainTokenizer([path.join(world, "pretrain.txt")], { vocabSize, progress: false });
      await writeDirAtomic(tokDir, "a tokenizer", (e) => e.includes("tokenizer.json"), (tmp) => saveTokenizerDir(tmp, trained));
    });
    await stage("data", "llama2 data prepare", async () => {
      fs.rmSync(data, { recursive: true, force: true });
      const tokenizer = await Tokenizer.load(tokDir);
      await writeDirAtomic(data, "prepared token shards", (e) => e.includes("index.json"), (tmp) => prepareTokens({
        inputs: [path.join(world, "pretrain.txt")], out: tmp, encoder: tokenizer, tokenizerPath: path.resolve(tokDir), tokenizerDir: tokDir, valFraction: 0.02, workers: Math.min(4, os.availableParallelism()),
      }));
    });
    await stage("pretrain", "llama2 pretrain --config configs/pretrain-tiny.yaml", async () => {
      // 512 positions leave room for chat turns after pretraining on 128-token windows (RoPE has no weights), as the tiny-world fixture
      const sets = [`data=${data}`, `out=${P("pretrain")}`, `tokenizer=${tokDir}`, `seed=${seed}`, "model.max_position_embeddings=512"];
      if (opts.steps !== undefined) sets.push(`max_steps=${opts.steps}`);
      const ck = resumable(P("pretrain"));
      // No checkpoint yet: the stage's own directory is cleared (a run killed before its first checkpoint).
      const r = await runPretrain(loadPretrainConfig(config("pretrain-tiny.yaml"), sets), ck, { progress, handleSignals, overwrite: ck === null });
      if (stopped(r)) throw new Interrupted();
    });
    // The closing per-stage eval is the demo's own last stage (all models, both final RMs): not inside SFT.
    const sftSets = (model: string, outDir: string): string[] => [`model=${model}`, `data=${path.join(world, "sft_train.jsonl")}`, `out=${outDir}`, `epochs=${B.sftEpochs}`, `seed=${seed}`, "eval_world=false", ...capped];
    await stage("sft", "llama2 sft --config configs/sft-tiny.yaml", async () => {
      const ck = resumable(P("sft"));
      const r = await runSft(loadSftConfig(config("sft-tiny.yaml"), sftSets(P("pretrain", "final"), P("sft"))), ck, { progress, handleSignals, log, overwrite: ck === null });
      if (stopped(r)) throw new Interrupted();
      return r.eval;
    });
    const rm = async (kind: "helpful" | "safety", outDir: string, extra: { path: string; weight: number }[]): Promise<void> => {
      const mix = kind === "helpful"
        ? [{ path: path.join(world, "prefs_helpful_train.jsonl"), weight: 1 }, { path: path.join(world, "prefs_safety_train.jsonl"), weight: 1.5 }]
        : [{ path: path.join(world, "prefs_safety_train.jsonl"), weight: 1 }, { path: path.join(world, "prefs_helpful_train.jsonl"), weight: 0.1 }];
      const sets = [`model=${P("sft", "final")}`, `data=${JSON.stringify([...mix, ...extra])}`, `eval_data=${path.join(world, `prefs_${kind}_val.jsonl`)}`, `out=${outDir}`, `max_steps=${B.rmSteps}`, `seed=${seed}`, "threads=1"];
      const ck = resumable(outDir);
      const r = await runReward(loadRewardConfig(config(`reward-${kind}-world.yaml`), sets), ck, { progress, handleSignals, overwrite: ck === null });
      if (stopped(r)) throw new Interrupted();
    };
    await stage("rm-helpful", "llama2 reward train --config configs/reward-helpful-world.yaml (helpful + 1.5x safety pairs)", () => rm("helpful", P("rm-helpful"), []));
    await stage("rm-safety", "llama2 reward train --config configs/reward-safety-world.yaml (safety + 10% helpful pairs)", () => rm("safety", P("rm-safety"), []));
    await stage("rejection-sampling", `llama2 rejection-sample (${B.rsIters} iterations, K ${B.k}, pooled best)`, async () => {
      const c = defaults(RS_SCHEMA);
      mergeObject(RS_SCHEMA, c, {
        policy: P("sft", "final"), reward_helpful: P("rm-helpful", "final"), reward_safety: P("rm-safety", "final"),
        prompts: path.join(world, "prompts_train.jsonl"), out: P("rejection-sampling"), iterations: B.rsIters, k: B.k, temperature: [0.8, 1.2],
        max_new_tokens: 48, max_prompts: B.rsPrompts, seed, threads: 1, sft: { epochs: 2, batch_size: 16, grad_accum: 1, lr: 5e-4, seq_len: 512, warmup: 0, ...(B.stageSteps === null ? {} : { max_steps: B.stageSteps }) },
      }, "demo");
      // resume: a demo stopped inside this stage continues its RS run directory (refused as another run otherwise)
      const r = await runRejectionSampling(c as unknown as RsConfig, { log, progress, handleSignals, resume: true });
      if (!r.final) throw new Interrupted();
      return r.iterations;
    });
    await stage("annotate", "llama2 world annotate --drop-ties: fresh comparisons from the latest model (RS at T 0.7 vs SFT at T 1.2), labelled by the oracle", async () => {
      // Two model variants at two temperatures, as the paper samples a comparison's two responses (§3.2.1). Most
      // pairs of a tiny model are exact ties (both answers wrong: the oracle scores them alike and an annotator's
      // pick is a coin flip), so ties are dropped and more prompts sampled; summary.json keeps the distribution.
      const summary: Record<string, FreshRound> = {};
      for (const kind of ["helpful", "safety"] as const) {
        const file = P("annotate", `prefs_${kind}_round2.jsonl`);
        const r = await annotate({ model: P("rejection-sampling", "final"), modelB: P("sft", "final"), prompts: path.join(world, "prompts_train.jsonl"), out: file, kind, maxPrompts: B.annotate, seed, maxNewTokens: 48, temperatures: [0.7, 1.2], dropTies: true });
        summary[kind] = { prompts: r.rows + r.droppedTies + r.skippedEmpty, rows: r.rows, by_rating: r.byRating, dropped_ties: r.droppedTies, skipped_empty: r.skippedEmpty, flipped: r.flipped };
        log(`wrote ${r.rows} comparisons to ${file} (${Object.entries(r.byRating).map(([k, v]) => `${k} ${v}`).join(", ")}; ${r.droppedTies} exact ties dropped, ${r.skippedEmpty} empty answers; ${r.flipped} flipped)`);
      }
      writeFileAtomic(P("annotate", "summary.json"), JSON.stringify(summary, null, 2) + "\n");
      return summary;
    });
    // A round that kept no pair (every pair a tie: possible at the smoke budget) retrains on the first round's mixture alone.
    const fresh = (kind: string): { path: string; weight: number }[] => {
      const file = P("annotate", `prefs_${kind}_round2.jsonl`);
      return fs.readFileSync(file, "utf8").trim() === "" ? [] : [{ path: file, weight: 1 }];
    };
    await stage("rm-helpful-2", "retrain the helpfulness RM with the fresh comparisons (§3.2.1)", () => rm("helpful", P("rm-helpful-2"), fresh("helpful")));
    await stage("rm-safety-2", "retrain the safety RM with the fresh comparisons", () => rm("safety", P("rm-safety-2"), fresh("safety")));
    await stage("ppo", `llama2 ppo (${B.ppoIters} iterations of ${B.ppoBatch} prompts, combined reward, KL to the RS model)`, async () => {
      const c = defaults(PPO_SCHEMA);
      mergeObject(PPO_SCHEMA, c, {
        policy: P("rejection-sampling", "final"), reward_helpful: P("rm-helpful-2", "final"), reward_safety: P("rm-safety-2", "final"),
        prompts: path.join(world, "prompts_train.jsonl"), out: P("ppo"), iterations: B.ppoIters, batch_size: B.ppoBatch, mini_batch_size: B.ppoBatch / 4,
        max_new_tokens: 48, lr: 2e-5, kl_coef: 0.05, save_every: 1, seed, threads: 1,
      }, "demo");
      const r = await runPpo(c as unknown as PpoConfig, { log, shouldStop: opts.shouldStop, resume: true });
      if (r.stopped) throw new Interrupted();
    });
    await stage("gatt", "llama2 gatt --config configs/gatt-tiny.yaml (Ghost Attention on the PPO model)", async () => {
      const sets = [`model=${P("ppo", "final")}`, `dialogues=${path.join(world, "dialogues_train.jsonl")}`, `data=${path.join(world, "sft_train.jsonl")}`, `out=${P("gatt")}`, `seed=${seed}`, "eval_world=false", ...capped, ...(B.stageSteps === null ? [] : ["data_samples=16", "filter_adherent=false", "temperature=1"])];
      const ck = resumable(P("gatt"));
      const r = await runGatt(loadGattConfig(config("gatt-tiny.yaml"), sets), ck, { progress, handleSignals, log, overwrite: ck === null });
      if (stopped(r)) throw new Interrupted();
    });
    await stage("evaluate", "llama2 eval of every stage's model on the held-out split with both final RMs; llama2 reward eval", async () => {
      const load = async (dir: string) => ({ model: await Llama.load(dir, { trainable: false }), tokenizer: await Tokenizer.load(dir) });
      const rewardHelpful = await load(P("rm-helpful-2", "final")), rewardSafety = await load(P("rm-safety-2", "final"));
      const models: Record<string, string> = {
        pretrained: P("pretrain", "final"), sft: P("sft", "final"), rejection_sampling: P("rejection-sampling", "final"), ppo: P("ppo", "final"), gatt: P("gatt", "final"),
      };
      const report: Record<string, unknown> = { seed, size, world_size: worldSize, budget: { ...B, pretrain_steps: opts.steps ?? null }, stages: {}, reward_models: {} };
      for (const [name, dir] of Object.entries(models)) {
        log(`evaluating ${name} (${dir})`);
        const m = await load(dir);
        (report.stages as Record<string, EvalReport>)[name] = await evaluateModel(m.model, m.tokenizer, { world, split: "test", rewardHelpful, rewardSafety, answersOut: P("answers", `${name}.jsonl`) });
      }
      // As `llama2 reward eval --json` prints it (Table 8 layout), on the held-out pairs.
      for (const [name, dir] of [["helpful", "rm-helpful-2"], ["safety", "rm-safety-2"]] as const)
        (report.reward_models as Record<string, unknown>)[name] = await evaluateReward(P(dir, "final"), path.join(world, `prefs_${name}_test.jsonl`));
      report.fresh_comparisons = JSON.parse(fs.readFileSync(P("annotate", "summary.json"), "utf8")) as Record<string, FreshRound>;
      report.on_policy = await onPolicyCheck(P, world, seed, B.annotate, log);
      writeFileAtomic(P("report.json"), JSON.stringify(report, null, 2) + "\n");
      return true;
    });
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    return { out, stopped: true, report: null, reportHtml: null, seconds: (Date.now() - t0) / 1000 };
  }
  // The page is rebuilt on every finished run (cheap; `llama2 report OUT` does the same).
  const reportHtml = await writeReport(out);
  return { out, stopped: false, report: JSON.parse(fs.readFileSync(P("report.json"), "utf8")) as DemoReport, reportHtml, seconds: (Date.now() - t0) / 1000 };
}

/** The fresh round's comparisons of one kind (OUT/annotate/summary.json; report.json "fresh_comparisons"). */
export interface FreshRound { prompts: number; rows: number; by_rating: Record<string, number>; dropped_ties: number; skipped_empty: number; flipped: number }

/** Both rounds' RMs judged on held-out comparisons of the latest models' own answers (report.json "on_policy"). */
export interface OnPolicyCheck extends FreshRound { round_1: RewardEvalResult | null; round_2: RewardEvalResult | null }

/**
 * Reward hacking check (the paper's reason for fresh rounds, §3.2.1): the PPO model (T 0.7) and the RS model
 * (T 1.2) answer the validation prompts (never trained on), the oracle labels the pairs (ties dropped), and the
 * first-round RMs and the retrained ones (which PPO optimised) are scored on them: an RM the policy learnt to
 * please ranks the policy's answers against the oracle.
 */
async function onPolicyCheck(P: (...p: string[]) => string, world: string, seed: number, maxPrompts: number, log: (line: string) => void): Promise<Record<string, OnPolicyCheck>> {
  const out: Record<string, OnPolicyCheck> = {};
  for (const kind of ["helpful", "safety"] as const) {
    const file = P("annotate", `prefs_${kind}_onpolicy_val.jsonl`);
    const r = await annotate({ model: P("ppo", "final"), modelB: P("rejection-sampling", "final"), prompts: path.join(world, "prompts_val.jsonl"), out: file, kind, maxPrompts, seed: seed + 1000, maxNewTokens: 48, temperatures: [0.7, 1.2], dropTies: true });
    const judged = async (dir: string): Promise<RewardEvalResult | null> => (r.rows === 0 ? null : evaluateReward(P(dir, "final"), file));
    out[kind] = { prompts: r.rows + r.droppedTies + r.skippedEmpty, rows: r.rows, by_rating: r.byRating, dropped_ties: r.droppedTies, skipped_empty: r.skippedEmpty, flipped: r.flipped, round_1: await judged(`rm-${kind}`), round_2: await judged(`rm-${kind}-2`) };
    const acc = (x: RewardEvalResult | null): string => (x === null ? "n/a" : `${(100 * x.accuracy).toFixed(1)}%`);
    log(`on-policy ${kind} comparisons (PPO vs RS, validation prompts): ${r.rows} pairs (${r.droppedTies} ties dropped); RM accuracy round 1 ${acc(out[kind]!.round_1)}, round 2 ${acc(out[kind]!.round_2)}`);
  }
  return out;
}
