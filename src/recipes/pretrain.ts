// The pretraining recipe (llama2-recipe.md §Pretraining, paper §2.2): a Llama decoder trained on
// packed token windows with next-token cross-entropy, through the shared trainer. It wires the
// config to the pieces — dataset → TokenLoader, preset + overrides → Llama, LmTask → Trainer —
// and handles --resume (weights, optimizer, RNG and data position from a checkpoint).
import fs from "node:fs";
import path from "node:path";
import { TokenLoader, type LoaderPosition } from "../data/token-loader.js";
import { readTokenIndex } from "../data/token-index.js";
import { Llama } from "../model/llama.js";
import { preset } from "../model/presets.js";
import { validateConfig, type LlamaConfig } from "../model/config.js";
import { native } from "../native/addon.js";
import { loadConfig, resumeConfig } from "../train/config.js";
import { readTrainerState, resolveResume } from "../train/checkpoint.js";
import { LmTask, type BatchSource, type LmBatch } from "../train/lm-task.js";
import { Rng } from "../model/rng.js";
import { Trainer, type TrainProgress, type TrainResult } from "../train/trainer.js";
import { openRunDir, type RunDir } from "../train/run-dir.js";
import type { MetricsLine } from "../train/metrics-log.js";
import { PRETRAIN_SCHEMA, expandModelShorthand, resolveGradAccum, type ModelSection, type PretrainConfig } from "./pretrain-config.js";

/** Tokenizer files copied into every checkpoint so it is a complete HF model directory. */
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json"];

export interface PretrainOptions {
  /** Progress callbacks (the CLI passes src/cli/progress.ts trainProgress()); none or false = silent. */
  progress?: TrainProgress | false;
  /** Checkpoint and stop on SIGINT/SIGTERM (the CLI asks; default false). */
  handleSignals?: boolean;
  onStep?: (m: MetricsLine) => void;
  /** Receives the trainer before it runs (tests use it to request a stop). */
  onTrainer?: (t: Trainer<unknown>) => void;
  /** Start over in an `out` that holds another run, clearing it first (`--overwrite`). */
  overwrite?: boolean;
  /** Receives notices (directory cleared, stale lock taken over); default: the trainer's progress log. */
  onNotice?: (message: string) => void;
}

/** Loads the config for a fresh run: file + --set. */
export function loadPretrainConfig(file: string | undefined, sets: string[]): PretrainConfig {
  const cfg = loadConfig<PretrainConfig>(PRETRAIN_SCHEMA, file, expandModelShorthand(sets));
  checkConfig(cfg, file ?? "--set");
  return cfg;
}

/** The config of a checkpoint being resumed, with --set overrides (e.g. out=DIR, max_steps=N); model.* and the tokenizer cannot change. */
export function loadResumeConfig(checkpoint: string, sets: string[]): PretrainConfig {
  const state = readTrainerState(checkpoint);
  const cfg = resumeConfig(PRETRAIN_SCHEMA, state.config, expandModelShorthand(sets), checkpoint) as unknown as PretrainConfig;
  checkConfig(cfg, path.join(checkpoint, "trainer_state.json"));
  return cfg;
}

function checkConfig(c: PretrainConfig, src: string): void {
  if (!c.data) throw new Error(`${src}: key "data" is required (a directory made by \`llama2 data prepare\`)`);
  if (!c.out) throw new Error(`${src}: key "out" is required (the run directory)`);
  for (const k of ["batch_size", "seq_len"] as const)
    if (!(c[k] >= 1)) throw new Error(`${src}: key "${k}" must be >= 1, got ${c[k]}`);
  for (const k of ["max_steps", "eval_every", "save_every", "warmup", "eval_batches"] as const)
    if (!(c[k] >= 0)) throw new Error(`${src}: key "${k}" must be >= 0, got ${c[k]}`);
  if (!(c.lr > 0)) throw new Error(`${src}: key "lr" must be > 0`);
  if (c.tokenizer !== null && !fs.existsSync(c.tokenizer))
    throw new Error(`${src}: key "tokenizer": ${c.tokenizer} does not exist (a tokenizer directory with tokenizer.json or tokenizer.model)`);
  if (c.model.init_from !== null && !fs.existsSync(c.model.init_from))
    throw new Error(`${src}: key "model.init_from": ${c.model.init_from} does not exist`);
  resolveGradAccum(c);
}

/** The model shape: the preset, its overrides, and the tokenizer's vocabulary. */
export function modelConfig(m: ModelSection, vocabSize: number, bosId: number, eosId: number): LlamaConfig {
  const c = preset(m.preset);
  c.vocabSize = vocabSize;
  c.bosTokenId = bosId;
  c.eosTokenId = eosId;
  if (m.hidden_size !== null) c.hiddenSize = m.hidden_size;
  if (m.intermediate_size !== null) c.intermediateSize = m.intermediate_size;
  if (m.num_hidden_layers !== null) c.numHiddenLayers = m.num_hidden_layers;
  if (m.num_attention_heads !== null) c.numAttentionHeads = m.num_attention_heads;
  if (m.num_key_value_heads !== null) c.numKeyValueHeads = m.num_key_value_heads;
  else if (m.num_attention_heads !== null && c.numAttentionHeads % c.numKeyValueHeads !== 0) c.numKeyValueHeads = c.numAttentionHeads;
  if (m.max_position_embeddings !== null) c.maxPositionEmbeddings = m.max_position_embeddings;
  if (m.rope_theta !== null) c.ropeTheta = m.rope_theta;
  if (m.rms_norm_eps !== null) c.rmsNormEps = m.rms_norm_eps;
  if (m.tie_word_embeddings !== null) c.tieWordEmbeddings = m.tie_word_embeddings;
  c.headDim = c.hiddenSize / c.numAttentionHeads;
  if (!Number.isInteger(c.headDim)) throw new Error(`model: hidden_size ${c.hiddenSize} is not a multiple of num_attention_heads ${c.numAttentionHeads}`);
  validateConfig(c, "model");
  return c;
}

/** Eval batches: the first `n` batches of the val split, in order, the same every time. */
function evalSource(dir: string, B: number, T: number, n: number): { batches: () => Iterable<LmBatch>; close: () => void } | null {
  const idx = readTokenIndex(dir);
  if (n === 0 || idx.splits.val.tokens < B * T + 1) return null;
  const loader = new TokenLoader(dir, "val", { B, T, seed: 0, shuffle: false });
  const count = Math.min(n, Math.floor(loader.numWindows / B));
  return {
    batches: function* () {
      loader.seek({ epoch: 0, cursor: 0 });
      for (let i = 0; i < count; i++) yield loader.next();
    },
    close: () => loader.close(),
  };
}

/** Runs (or resumes) pretraining. `resumeFrom` is the checkpoint directory. */
export async function runPretrain(cfg: PretrainConfig, resumeFrom: string | null, opts: PretrainOptions = {}): Promise<TrainResult> {
  if (resumeFrom && opts.overwrite) throw new Error("pretrain: resume and overwrite exclude each other");
  // Own the run directory before anything else: a second run stops here, at once.
  const run = openRunDir(cfg.out, { mode: resumeFrom ? "resume" : opts.overwrite ? "overwrite" : "new", command: "llama2 pretrain", resumeFrom });
  try {
    return await pretrainIn(run, cfg, resumeFrom, opts);
  } finally {
    run.release();
  }
}

async function pretrainIn(run: RunDir, cfg: PretrainConfig, resumeFrom: string | null, opts: PretrainOptions): Promise<TrainResult> {
  if (cfg.threads !== null) native.setThreadCount(cfg.threads);
  const index = readTokenIndex(cfg.data);
  const tokDir = cfg.tokenizer ?? (fs.existsSync(index.tokenizer) ? index.tokenizer : null);
  const extraFiles = tokDir ? TOKENIZER_FILES.map((f) => path.join(tokDir, f)).filter((f) => fs.existsSync(f)) : [];

  let model: Llama;
  if (resumeFrom) model = await Llama.load(resumeFrom);
  else if (cfg.model.init_from) model = await Llama.load(cfg.model.init_from);
  else model = new Llama(modelConfig(cfg.model, index.vocab_size, index.bos_id, index.eos_id)).initRandom(cfg.seed, cfg.model.init_std);
  if (model.config.vocabSize < index.vocab_size)
    throw new Error(`${cfg.data}: dataset vocabulary (${index.vocab_size}) is larger than the model's (${model.config.vocabSize})`);
  if (cfg.seq_len > model.config.maxPositionEmbeddings)
    throw new Error(`seq_len ${cfg.seq_len} exceeds the model's max_position_embeddings ${model.config.maxPositionEmbeddings}`);

  const train = new TokenLoader(cfg.data, "train", { B: cfg.batch_size, T: cfg.seq_len, seed: cfg.seed });
  const evalData = evalSource(cfg.data, cfg.batch_size, cfg.seq_len, cfg.eval_batches);
  if (!evalData && cfg.eval_every > 0) (opts.progress || undefined)?.log?.(`warning: ${cfg.data} has no val split of at least one batch; eval is off`);
  const task = new LmTask(model, train as BatchSource<LoaderPosition> as BatchSource, evalData?.batches ?? null);

  const trainer = new Trainer(task, {
    runDir: cfg.out,
    run,
    onNotice: opts.onNotice,
    maxSteps: cfg.max_steps,
    gradAccum: resolveGradAccum(cfg),
    schedule: { lr: cfg.lr, warmup: cfg.warmup, maxSteps: cfg.max_steps, minLrRatio: cfg.min_lr_ratio, kind: cfg.schedule },
    optimizer: { beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weight_decay },
    gradClip: cfg.grad_clip,
    evalEvery: evalData ? cfg.eval_every : 0,
    saveEvery: cfg.save_every,
    keepCheckpoints: cfg.keep_checkpoints,
    logEvery: cfg.log_every,
    skipNonFinite: cfg.skip_nonfinite,
    saveDtype: cfg.save_dtype,
    config: cfg as unknown as Record<string, unknown>,
    extraFiles,
    progress: opts.progress,
    handleSignals: opts.handleSignals,
    rng: new Rng(cfg.seed),
    onStep: opts.onStep,
  });
  if (resumeFrom) trainer.restore(resumeFrom);
  opts.onTrainer?.(trainer as Trainer<unknown>);
  try {
    return await trainer.run();
  } finally {
    train.close();
    evalData?.close();
  }
}

export { resolveResume };
