// The reward-model recipe (paper §3.2.2): a chat/SFT model with its LM head replaced by a scalar
// head (or an HF LlamaForSequenceClassification), trained on preference pairs with the margin loss
// −log σ(r_c − r_r − m(rating)) through the shared trainer; OUT/final is an HF sequence-classification
// directory (score.weight, num_labels 1, pad_token_id 0, tokenizer files + chat template) whose
// config.json records llama2_reward_stats {mean, std, n} of the raw scores on the training data (at most
// 2,048 pairs of it, evenly sampled).
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../model/llama.js";
import { Rng } from "../model/rng.js";
import { native } from "../native/addon.js";
import { loadModelDir } from "../model/model-dir.js";
import { isAdapterDir } from "../model/peft.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { loadConfig, resumeConfig } from "../train/config.js";
import { readTrainerState, resolveResume } from "../train/checkpoint.js";
import { Trainer, type TrainProgress, type TrainResult } from "../train/trainer.js";
import type { RunDir } from "../train/run-dir.js";
import { checkTokenizerKey, openRunDirFor } from "./sft-train.js";
import type { MetricsLine } from "../train/metrics-log.js";
import { loadTokenizer } from "../tokenizer/resolve.js";
import { MixtureSampler, parseMixture, type MixtureSource } from "../data/preference-mixture.js";
import { readPreferences, tokenizePairs, type MarginMode, type PairTokens } from "../data/preferences.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { REWARD_SCHEMA, applyPreset, resolveSteps, type RewardConfig } from "./reward-config.js";
import { PAD_ID, RewardTask, scoreSequences } from "./reward-task.js";

/** Tokenizer files copied into checkpoints and final/. */
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json"];

export interface RewardOptions {
  /** Progress callbacks (the CLI passes src/cli/progress.ts trainProgress()); none or false = silent. */
  progress?: TrainProgress | false;
  /** Install SIGINT/SIGTERM handlers that checkpoint and stop (the CLI asks; default false). */
  handleSignals?: boolean;
  onStep?: (m: MetricsLine) => void;
  onTrainer?: (t: Trainer<unknown>) => void;
  /** Start over in an `out` that holds another run, clearing it first (`--overwrite`; default: refused). */
  overwrite?: boolean;
  /** Receives notices (directory cleared, stale lock taken over); default: the progress log. */
  onNotice?: (message: string) => void;
}

export interface RewardResult extends TrainResult {
  /** llama2_reward_stats of OUT/final when the run finished, else null. */
  stats: RewardStats | null;
}

/** Raw-score statistics on the training data, saved as config.json llama2_reward_stats. */
export interface RewardStats {
  mean: number;
  std: number;
  n: number;
}

/** The config for a fresh run: schema defaults, then the file, then each --set. */
export function loadRewardConfig(file: string | undefined, sets: string[]): RewardConfig {
  const cfg = loadConfig<RewardConfig>(REWARD_SCHEMA, file, sets);
  checkConfig(cfg, file ?? "--set");
  return cfg;
}

/** The config saved in a checkpoint, with --set overrides on top. */
export function loadRewardResumeConfig(checkpoint: string, sets: string[]): RewardConfig {
  const state = readTrainerState(checkpoint);
  const out = resumeConfig(REWARD_SCHEMA, state.config, sets, checkpoint) as unknown as RewardConfig;
  checkConfig(out, path.join(checkpoint, "trainer_state.json"));
  return out;
}

function checkConfig(c: RewardConfig, src: string): void {
  if (!c.model) throw new Error(`${src}: key "model" is required (a chat/SFT model directory, or an HF LlamaForSequenceClassification one)`);
  if (parseMixture(c.data).length === 0) throw new Error(`${src}: key "data" is required (preference JSONL: a path, a list, or a list of {path, weight})`);
  if (!c.out) throw new Error(`${src}: key "out" is required (the run directory)`);
  checkTokenizerKey(c.tokenizer, src);
  const p = applyPreset(c);
  for (const k of ["pairs_per_step", "batch_pairs", "max_length"] as const)
    if (!(p[k] >= 1)) throw new Error(`${src}: key "${k}" must be >= 1, got ${p[k]}`);
  if (p.pairs_per_step % p.batch_pairs !== 0)
    throw new Error(`${src}: pairs_per_step (${p.pairs_per_step}) must be a multiple of batch_pairs (${p.batch_pairs})`);
  if (!(p.lr > 0)) throw new Error(`${src}: key "lr" must be > 0, got ${p.lr}`);
  if (!(c.epochs > 0)) throw new Error(`${src}: key "epochs" must be > 0, got ${c.epochs}`);
  for (const k of ["eval_every", "save_every", "keep_checkpoints"] as const)
    if (!(c[k] >= 0)) throw new Error(`${src}: key "${k}" must be >= 0, got ${c[k]}`);
}

/**
 * The starting model with a scalar head: a LlamaForSequenceClassification directory as it is, or a
 * causal LM's body with a new score [1, C] head ~ N(0, std) (HF's _init_weights) — its lm_head is dropped.
 */
export function rewardModelFrom(dir: string, seed: number, std: number): Llama {
  if (isAdapterDir(dir)) return rewardModelFromAdapter(dir, seed, std);
  const loaded = loadModelDir(dir);
  if (loaded.kind === "sequence-classification") {
    if (loaded.numLabels !== 1) throw new Error(`${dir}/config.json: num_labels is ${loaded.numLabels}; a reward model has 1`);
    return withBase(new Llama(loaded.config, { head: "score", numLabels: 1, tensors: loaded.tensors }), dir);
  }
  const tensors = new Map<string, { data: Float32Array }>();
  for (const [n, t] of loaded.tensors) if (n !== "lm_head.weight") tensors.set(n, t);
  const score = new Float32Array(loaded.config.hiddenSize);
  const rng = new Rng(seed);
  for (let i = 0; i < score.length; i++) score[i] = rng.normal() * std;
  tensors.set("score.weight", { data: score });
  return withBase(new Llama({ ...loaded.config }, { head: "score", numLabels: 1, tensors }), dir);
}

/**
 * A PEFT adapter directory as the starting model: merged into its base first (its weights then belong
 * to no directory, so a LoRA reward run needs the merged model saved: llama2 lora merge).
 */
function rewardModelFromAdapter(dir: string, seed: number, std: number): Llama {
  const m = Llama.loadSync(dir);
  m.mergeLora();
  if (m.head === "score") {
    if (m.numLabels !== 1) throw new Error(`${dir}: the adapter's model has num_labels ${m.numLabels}; a reward model has 1`);
    return m;
  }
  const score = new Float32Array(m.config.hiddenSize);
  const rng = new Rng(seed);
  for (let i = 0; i < score.length; i++) score[i] = rng.normal() * std;
  return m.withScoreHead({ shape: [1, m.config.hiddenSize], data: score });
}

/** Records the directory the body came from: a LoRA run's adapters name it as their base (SEQ_CLS on an LM works as in PEFT). */
function withBase(model: Llama, dir: string): Llama {
  model.baseDir = path.resolve(dir);
  return model;
}

/** Reads and tokenises every file of a mixture. */
async function loadSources(tok: Tokenizer, sources: MixtureSource[], mode: MarginMode, maxLength: number,
  log: (m: string) => void): Promise<PairTokens[][]> {
  const out: PairTokens[][] = [];
  for (const s of sources) {
    if (!fs.existsSync(s.path)) throw new Error(`${s.path}: preference file not found`);
    const { pairs, dropped } = tokenizePairs(tok, await readPreferences(s.path, mode), mode, maxLength);
    if (dropped > 0) log(`${s.path}: ${dropped} pair(s) longer than max_length ${maxLength} tokens dropped`);
    if (pairs.length === 0) throw new Error(`${s.path}: no pair fits max_length ${maxLength}`);
    out.push(pairs);
  }
  return out;
}

/** Pairs whose sequences {@link rewardStats} scores at most: an estimate of mean and std needs no more. */
export const REWARD_STATS_MAX_PAIRS = 2048;

/**
 * Mean and standard deviation (population) of the raw scores of the training sequences: every one, or past
 * `maxPairs` pairs an even sample of them (every k-th pair of the mixture's files in order). Scoring all of a
 * world RM's 5,000 pairs took 2-3 times as long as its 60 training steps.
 */
export function rewardStats(model: Llama, sources: readonly (readonly PairTokens[])[], maxPairs = REWARD_STATS_MAX_PAIRS): RewardStats {
  const all = sources.flat();
  const stride = Math.max(1, all.length / maxPairs);
  const seqs: Int32Array[] = [];
  for (let i = 0; Math.floor(i) < all.length; i += stride) { const p = all[Math.floor(i)]!; seqs.push(p.chosen, p.rejected); }
  const x = scoreSequences(model, seqs);
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let v2 = 0;
  for (const v of x) v2 += (v - mean) ** 2;
  return { mean, std: Math.sqrt(v2 / x.length), n: x.length };
}

/**
 * Completes the trainer's OUT/final (an HF LlamaForSequenceClassification directory with the tokenizer
 * files and chat template, written by the shared trainer path) with what a reward model adds to its
 * config.json: num_labels and llama2_reward_stats (transformers keeps unknown keys). Atomic replace.
 */
export function addRewardStats(finalDir: string, numLabels: number, stats: RewardStats): void {
  const file = statsFile(finalDir);
  const cfg = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  if (path.basename(file) === "config.json") cfg["num_labels"] = numLabels;
  cfg["llama2_reward_stats"] = stats;
  writeFileAtomic(file, JSON.stringify(cfg, null, 2) + "\n");
}

/** config.json, or for a LoRA run's final (a PEFT adapter directory) adapter_config.json (PEFT ignores the extra key). */
function statsFile(finalDir: string): string {
  const adapter = path.join(finalDir, "adapter_config.json");
  return fs.existsSync(adapter) ? adapter : path.join(finalDir, "config.json");
}

/** The stats already recorded in a final/ (a resumed finished run keeps them), or null. */
function recordedStats(finalDir: string): RewardStats | null {
  try {
    const s = (JSON.parse(fs.readFileSync(statsFile(finalDir), "utf8")) as { llama2_reward_stats?: RewardStats }).llama2_reward_stats;
    return s && typeof s.mean === "number" ? s : null;
  } catch { return null; }
}

/** Runs (or resumes, from a checkpoint directory) reward-model training. */
export async function runReward(cfg0: RewardConfig, resumeFrom: string | null, opts: RewardOptions = {}): Promise<RewardResult> {
  // Own the run directory before loading anything: another run there (or in use) stops at once.
  const run = openRunDirFor(cfg0.out, resumeFrom, opts, "llama2 reward train");
  try {
    return await rewardIn(cfg0, resumeFrom, opts, run);
  } finally {
    run.release(); // the trainer released it already unless setup failed
  }
}

async function rewardIn(cfg0: RewardConfig, resumeFrom: string | null, opts: RewardOptions, run: RunDir): Promise<RewardResult> {
  const log = (m: string): void => { (opts.progress || undefined)?.log?.(m); };
  const cfg = applyPreset(cfg0);
  if (cfg.threads !== null) native.setThreadCount(cfg.threads);
  const tokDir = cfg.tokenizer ?? cfg.model;
  const tok = await loadTokenizer(tokDir);
  if (tok.eosId === PAD_ID) throw new Error(`${tokDir}: </s> is id ${PAD_ID}, the pad id transformers would skip when scoring`);
  const mode = cfg.margin;
  const mixture = parseMixture(cfg.data);
  const sources = await loadSources(tok, mixture, mode, cfg.max_length, log);
  const evalMix = cfg.eval_data === null ? [] : parseMixture(cfg.eval_data, "eval_data");
  const evalPairs = evalMix.length ? (await loadSources(tok, evalMix, mode, cfg.max_length, log)).flat() : null;

  const model = resumeFrom ? await Llama.load(resumeFrom) : rewardModelFrom(cfg.model, cfg.seed, cfg.head_init_std);
  if (model.head !== "score" || model.numLabels !== 1) throw new Error(`${resumeFrom ?? cfg.model}: not a one-label scalar-head model`);
  model.config.padTokenId = PAD_ID; // transformers scores the last token that is not pad: never </s>
  const longest = Math.max(...sources.flat().map((p) => Math.max(p.chosen.length, p.rejected.length)));
  if (longest > model.config.maxPositionEmbeddings)
    throw new Error(`a pair has ${longest} tokens, more than the model's max_position_embeddings ${model.config.maxPositionEmbeddings} (lower max_length)`);

  const sampler = new MixtureSampler(sources.map((s) => s.length), mixture.map((m) => m.weight), cfg.seed);
  const { maxSteps, warmup } = resolveSteps(cfg, sampler.epochLength);
  log(`${sampler.epochLength} pairs per epoch from ${mixture.length} file(s); ${maxSteps} steps of ${cfg.pairs_per_step} pairs ` +
    `(${cfg.pairs_per_step / cfg.batch_pairs} × ${cfg.batch_pairs}), warm-up ${warmup}, lr ${cfg.lr}, margin ${mode}`);
  const task = new RewardTask(model, sources, sampler, cfg.batch_pairs, cfg.center_rewards_coefficient, evalPairs);

  const extraFiles = TOKENIZER_FILES.map((f) => path.join(tokDir, f)).filter((f) => fs.existsSync(f));
  const trainer = new Trainer(task, {
    runDir: cfg.out,
    run,
    onNotice: opts.onNotice ?? log,
    maxSteps,
    gradAccum: cfg.pairs_per_step / cfg.batch_pairs,
    schedule: { lr: cfg.lr, warmup, maxSteps, minLrRatio: cfg.min_lr_ratio, kind: cfg.schedule },
    optimizer: { beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weight_decay },
    gradClip: cfg.grad_clip,
    evalEvery: evalPairs ? (cfg.eval_every > 0 ? cfg.eval_every : maxSteps) : 0,
    saveEvery: cfg.save_every,
    keepCheckpoints: cfg.keep_checkpoints,
    logEvery: cfg.log_every,
    skipNonFinite: cfg.skip_nonfinite,
    saveDtype: cfg.save_dtype,
    config: cfg0 as unknown as Record<string, unknown>,
    extraFiles,
    progress: opts.progress,
    handleSignals: opts.handleSignals,
    rng: new Rng(cfg.seed),
    onStep: opts.onStep,
  });
  if (resumeFrom) trainer.restore(resumeFrom);
  opts.onTrainer?.(trainer as Trainer<unknown>);
  const result = await trainer.run();
  if (result.stopped !== "done" || result.final === null) return { ...result, stats: null };
  let stats = recordedStats(result.final);
  if (!stats) {
    stats = rewardStats(model, sources);
    addRewardStats(result.final, model.numLabels, stats);
  }
  log(`reward stats: raw score mean ${stats.mean.toFixed(4)}, std ${stats.std.toFixed(4)} over ${stats.n} sequences`);
  return { ...result, stats };
}

export { resolveResume };
