// The part of SFT and Ghost Attention that trains (paper §3.1, §3.3): encoded chat samples →
// SftBatchSource (packed or padded micro-batches counted in samples) → LmTask → the shared Trainer,
// with exact resume, OUT/final when the run completes, and the closing `llama2 eval` on a world.
// Both recipes differ only in how they build their samples. RUN_DIR/final is the shared trainer's.
import fs from "node:fs";
import path from "node:path";
import { loadChatDataset, type ChatSample } from "../data/chat-data.js";
import { passBatches, SftBatchSource, type SftBatch } from "../data/sft-batches.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import type { Llama } from "../model/llama.js";
import type { LoraConfig } from "../model/lora.js";
import { Rng } from "../model/rng.js";
import { native } from "../native/addon.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { loadConfig, type Schema } from "../train/config.js";
import { loadCheckpointConfig } from "../train/checkpoint.js";
import { LmTask, type LmBatch } from "../train/lm-task.js";
import type { MetricsLine } from "../train/metrics-log.js";
import { Trainer, type TrainProgress, type TrainResult } from "../train/trainer.js";
import { openRunDir, type RunDir } from "../train/run-dir.js";
import type { AdamWKeys, ScheduleKeys } from "./optimizer-config.js";
import { evaluateModel, type EvalReport } from "./eval.js";

/** Tokenizer files copied into every checkpoint and OUT/final. */
export const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json"];

/** The keys both SFT and GAtt train with (src/recipes/sft-config.ts). */
export interface SftTrainKeys extends ScheduleKeys, AdamWKeys {
  out: string;
  /** LoRA adapters instead of full fine-tuning (r 0 = off); the shared trainer applies it. */
  lora: LoraConfig;
  epochs: number;
  max_steps: number | null;
  eval_every: number;
  eval_batches: number;
  save_every: number;
  keep_checkpoints: number;
  log_every: number;
  seed: number;
  threads: number | null;
  skip_nonfinite: boolean;
  save_dtype: "float32" | "bfloat16";
  batch_size: number;
  grad_accum: number;
  seq_len: number | null;
  packing: boolean;
  eval_split: "train" | "val" | "test";
  eval_max_new_tokens: number;
  eval_world: boolean;
}

export interface SftRunOptions {
  /** Progress callbacks (the CLI passes its progress line); none = silent. */
  progress?: TrainProgress | false;
  /** Checkpoint and stop on SIGINT/SIGTERM (the CLI asks; a library caller uses onTrainer + requestStop). */
  handleSignals?: boolean;
  onStep?: (m: MetricsLine) => void;
  /** Receives the trainer before it runs (tests use it to request a stop). */
  onTrainer?: (t: Trainer<unknown>) => void;
  /** Start over in an `out` that holds another run, clearing it first (`--overwrite`; default: refused). */
  overwrite?: boolean;
  /** Warnings and notes (truncated samples, eval summary); default: none. */
  log?: (line: string) => void;
}

export interface SftResult extends TrainResult {
  /** The closing eval (world data only), also written to OUT/eval.json. */
  eval: EvalReport | null;
  /** Training samples and how many were cut to seq_len. */
  samples: number;
  truncated: number;
}

/** Loads a config for a fresh run (schema defaults, then the file, then --set). */
export function loadRecipeConfig<T>(schema: Schema, file: string | undefined, sets: string[]): T {
  return loadConfig<T>(schema, file, sets);
}

/** The config saved in a checkpoint (or a run directory), over the schema's defaults, with --set overrides on top. */
export { loadCheckpointConfig };

/** Optimizer steps of a run: max_steps, or ceil(epochs × samples / (batch_size × grad_accum)). */
export function stepsFor(c: Pick<SftTrainKeys, "max_steps" | "epochs" | "batch_size" | "grad_accum">, samples: number): number {
  if (c.max_steps !== null) return c.max_steps;
  return Math.max(1, Math.ceil((c.epochs * samples) / (c.batch_size * c.grad_accum)));
}

/** The world directory a data file belongs to (it holds world.json), or null. */
export function worldOf(file: string | undefined): string | null {
  if (!file) return null;
  const dir = path.dirname(path.resolve(file));
  return fs.existsSync(path.join(dir, "world.json")) ? dir : null;
}

/** Checks the shared keys; `src` names where the config came from. */
export function checkTrainKeys(c: SftTrainKeys, src: string): void {
  if (!c.out) throw new Error(`${src}: key "out" is required (the run directory)`);
  for (const k of ["batch_size", "grad_accum"] as const) if (!(c[k] >= 1)) throw new Error(`${src}: key "${k}" must be >= 1, got ${c[k]}`);
  if (c.seq_len !== null && !(c.seq_len >= 2)) throw new Error(`${src}: key "seq_len" must be >= 2, got ${c.seq_len}`);
  if (!(c.epochs > 0)) throw new Error(`${src}: key "epochs" must be > 0, got ${c.epochs}`);
  if (c.max_steps !== null && !(c.max_steps >= 0)) throw new Error(`${src}: key "max_steps" must be >= 0, got ${c.max_steps}`);
  for (const k of ["eval_every", "save_every", "warmup", "eval_batches", "eval_max_new_tokens"] as const)
    if (!(c[k] >= 0)) throw new Error(`${src}: key "${k}" must be >= 0, got ${c[k]}`);
  if (!(c.lr > 0)) throw new Error(`${src}: key "lr" must be > 0`);
  checkTokenizerKey((c as { tokenizer?: string | null }).tokenizer ?? null, src);
}

/** A `tokenizer=` that does not exist is a config error naming the key (issue 10), not a later load failure. */
export function checkTokenizerKey(tokenizer: string | null, src: string): void {
  if (tokenizer !== null && !fs.existsSync(tokenizer))
    throw new Error(`${src}: key "tokenizer": ${tokenizer} does not exist (a tokenizer directory with tokenizer.json or tokenizer.model)`);
}

/** SFT's LmTask: tokens/s counts sample tokens, not padding. */
class SftTask extends LmTask {
  override batchTokens(b: LmBatch): number {
    return (b as SftBatch).realTokens ?? b.B * b.T;
  }
}

export interface TrainInputs {
  model: Llama;
  tokenizer: Tokenizer;
  /** Directory whose tokenizer files go into checkpoints and OUT/final. */
  tokenizerDir: string;
  samples: ChatSample[];
  truncated: number;
  val: ChatSample[];
  /** The resolved config, saved with every checkpoint. */
  config: SftTrainKeys;
  /** A world to judge the final model on (null: no closing eval). */
  world: string | null;
  /** The run directory, already opened (openRunDirFor) before the recipe's expensive setup; the trainer releases it. */
  run?: RunDir;
}

/** Opens a recipe's run directory (src/train/run-dir.ts) before its setup: a resumed run keeps it, --overwrite clears it, else another run there is refused. */
export function openRunDirFor(out: string, resumeFrom: string | null, opts: { overwrite?: boolean; log?: (line: string) => void }, command: string): RunDir {
  if (resumeFrom && opts.overwrite) throw new Error(`${command}: resume and overwrite exclude each other`);
  return openRunDir(out, { mode: resumeFrom ? "resume" : opts.overwrite ? "overwrite" : "new", command, resumeFrom });
}

/** Trains on prepared samples through the shared trainer; writes OUT/final and OUT/eval.json. */
export async function trainSamples(inp: TrainInputs, resumeFrom: string | null, opts: SftRunOptions = {}): Promise<SftResult> {
  const c = inp.config, log = opts.log ?? (() => {});
  if (c.threads !== null) native.setThreadCount(c.threads);
  const seqLen = c.seq_len ?? inp.model.config.maxPositionEmbeddings;
  if (seqLen > inp.model.config.maxPositionEmbeddings)
    throw new Error(`seq_len ${seqLen} exceeds the model's max_position_embeddings ${inp.model.config.maxPositionEmbeddings}`);
  if (inp.truncated > 0) log(`warning: ${inp.truncated} of ${inp.samples.length} samples are longer than seq_len ${seqLen} and were truncated at the end`);
  const maxSteps = stepsFor(c, inp.samples.length);
  const train = new SftBatchSource(inp.samples, { batchSize: c.batch_size, seqLen, packing: c.packing, seed: c.seed });
  const nEval = Math.min(inp.val.length, c.eval_batches * c.batch_size);
  const evalBatches = nEval > 0 ? () => passBatches(inp.val.slice(0, nEval), c.batch_size, c.packing, seqLen) : null;
  const task = new SftTask(inp.model, train, evalBatches);
  const extraFiles = TOKENIZER_FILES.map((f) => path.join(inp.tokenizerDir, f)).filter((f) => fs.existsSync(f));

  const trainer = new Trainer(task, {
    runDir: c.out,
    run: inp.run,
    runMode: resumeFrom ? "resume" : opts.overwrite ? "overwrite" : "new",
    onNotice: log,
    maxSteps,
    gradAccum: c.grad_accum,
    schedule: { lr: c.lr, warmup: c.warmup, maxSteps, minLrRatio: c.min_lr_ratio, kind: c.schedule },
    optimizer: { beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weight_decay },
    gradClip: c.grad_clip,
    evalEvery: evalBatches ? (c.eval_every > 0 ? c.eval_every : maxSteps) : 0,
    saveEvery: c.save_every,
    keepCheckpoints: c.keep_checkpoints,
    logEvery: c.log_every,
    skipNonFinite: c.skip_nonfinite,
    saveDtype: c.save_dtype,
    config: c as unknown as Record<string, unknown>,
    extraFiles,
    progress: opts.progress,
    handleSignals: opts.handleSignals,
    rng: new Rng(c.seed),
    onStep: opts.onStep,
  });
  if (resumeFrom) trainer.restore(resumeFrom);
  opts.onTrainer?.(trainer as Trainer<unknown>);
  const result = await trainer.run();
  const out: SftResult = { ...result, eval: null, samples: inp.samples.length, truncated: inp.truncated };
  if (result.final === null || result.step < maxSteps) return out;
  if (inp.world && c.eval_world) {
    out.eval = await evaluateModel(inp.model, inp.tokenizer, { world: inp.world, split: c.eval_split, maxNewTokens: c.eval_max_new_tokens, progress: log });
    writeFileAtomic(path.join(c.out, "eval.json"), JSON.stringify(out.eval, null, 2) + "\n");
    log(`eval (${c.eval_split}): helpfulness ${out.eval.helpfulness}, adherence by turn ${JSON.stringify(out.eval.adherence_by_turn)} -> ${path.join(c.out, "eval.json")}`);
  }
  return out;
}

/** Loads JSONL chat files into samples of at most seqLen positions. */
export async function loadSamples(files: readonly string[], tokenizer: Tokenizer, seqLen: number): Promise<{ samples: ChatSample[]; truncated: number }> {
  const d = await loadChatDataset(files, tokenizer, { seqLen });
  return { samples: d.samples, truncated: d.truncated };
}
