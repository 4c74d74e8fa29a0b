// Supervised fine-tuning, Ghost Attention and the judged evaluation from code: `sft(config)`,
// `gatt(config)` and `evaluate(options)` run the same recipes as `llama2 sft`, `llama2 gatt` and
// `llama2 eval` (src/recipes/sft.ts, gatt.ts, eval.ts), with configs merged over the schema defaults
// like src/api/train.ts `pretrain`: progress through a callback, a clean stop on an AbortSignal
// (checkpoint written, resumable), nothing written to the terminal.
import { absolutePaths, defaults, mergeObject, mergeResumeObject, type ConfigValues, type Schema } from "../train/config.js";
import type { StepProgress, StopReason, Trainer } from "../train/trainer.js";
import { Llama } from "../model/llama.js";
import { loadTokenizer } from "../tokenizer/resolve.js";
import { SFT_SCHEMA, type SftConfig } from "../recipes/sft-config.js";
import { checkSftConfig, loadSftResumeConfig, resolveResume, runSft } from "../recipes/sft.js";
import { GATT_SCHEMA, type GattConfig } from "../recipes/gatt-config.js";
import { checkGattConfig, loadGattResumeConfig, runGatt } from "../recipes/gatt.js";
import type { SftResult, SftRunOptions } from "../recipes/sft-train.js";
import { evaluateModel, type EvalReport } from "../recipes/eval.js";
import { AbortError } from "./abort.js";
import { lastMetrics, type DeepPartial, type TrainOptions, type TrainRunResult } from "./train.js";

/** The config `sft()` takes: any subset of configs/sft-*.yaml's keys (model, data and out are required). */
export type SftConfigInput = DeepPartial<SftConfig>;
/** The config `gatt()` takes: any subset of configs/gatt-*.yaml's keys (model, dialogues and out are required). */
export type GattConfigInput = DeepPartial<GattConfig>;

/** How an SFT or GAtt run ended: the training result plus the closing eval on a world's data. */
export interface SftRunResult extends TrainRunResult {
  /** `llama2 eval` of the final model when the data is a world's (also in RUN_DIR/eval.json), else null. */
  eval: EvalReport | null;
  /** Training samples, and how many were longer than seq_len and truncated. */
  samples: number;
  truncated: number;
}

/** Runs a recipe with the API's options (progress callback, AbortSignal, onLog). */
async function runStage<C extends { out: string; max_steps: number | null }>(name: string, schema: Schema, config: object, options: TrainOptions,
  fresh: (cfg: C) => void, resumed: (checkpoint: string, runDir: string) => C,
  run: (cfg: C, resumeFrom: string | null, o: SftRunOptions) => Promise<SftResult>): Promise<SftRunResult> {
  const { signal } = options;
  if (signal?.aborted) throw new AbortError(`${name} was aborted before it started`, { cause: signal.reason });
  let cfg: C;
  let resumeFrom: string | null = null;
  if (options.resume !== undefined) {
    const { checkpoint, runDir } = resolveResume(options.resume);
    cfg = resumed(checkpoint, runDir);
    mergeResumeObject(schema, cfg as unknown as ConfigValues, config, `${name}(config)`, checkpoint);
    resumeFrom = checkpoint;
  } else {
    cfg = defaults(schema) as unknown as C;
    mergeObject(schema, cfg as unknown as ConfigValues, config, `${name}(config)`);
    absolutePaths(schema, cfg as unknown as ConfigValues);
    fresh(cfg);
  }
  let trainer: Trainer<unknown> | null = null;
  const onAbort = (): void => trainer?.requestStop("requested");
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let last: StepProgress | null = null;
    const result = await run(cfg, resumeFrom, {
      progress: { step: (p) => { last = p; }, log: options.onLog },
      handleSignals: false,
      overwrite: options.overwrite,
      log: options.onLog,
      onTrainer: (t) => { trainer = t; if (signal?.aborted) t.requestStop("requested"); },
      onStep: (m) => {
        const p: StepProgress = last ?? { step: Number(m.step), maxSteps: cfg.max_steps ?? 0, loss: Number(m.loss), lr: Number(m.lr), tokensPerSecond: 0, etaSeconds: 0 };
        options.onProgress?.({ ...p, metrics: m });
      },
    });
    const stopped: Record<StopReason, TrainRunResult["stopped"]> = { done: "done", requested: "aborted", SIGINT: "SIGINT", SIGTERM: "SIGTERM" };
    return {
      runDir: cfg.out, checkpoint: result.lastCheckpoint, final: result.final, step: result.step, stopped: stopped[result.stopped],
      metrics: lastMetrics(cfg.out), eval: result.eval, samples: result.samples, truncated: result.truncated,
    };
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Supervised fine-tuning on chat rows (paper §3.1), the same run as `llama2 sft`: answer-only loss,
 * best-fit packing, exact resume, RUN_DIR/final, and `llama2 eval` when the data is a world's.
 *
 * @example
 * const r = await sft({ model: "runs/pretrain/final", data: ["world/sft_train.jsonl"], out: "runs/sft", lr: 2e-3 });
 * console.log(r.final, r.eval?.helpfulness);
 */
export function sft(config: SftConfigInput = {}, options: TrainOptions = {}): Promise<SftRunResult> {
  return runStage<SftConfig>("sft", SFT_SCHEMA, config, options, (c) => checkSftConfig(c, "sft(config)"),
    (checkpoint, runDir) => loadSftResumeConfig(checkpoint, [`out=${runDir}`]), runSft);
}

/**
 * Ghost Attention (paper §3.3), the same run as `llama2 gatt`: replies sampled with the instruction on
 * every user turn, trained with it only in the first.
 *
 * @example
 * const r = await gatt({ model: "runs/sft/final", dialogues: ["world/dialogues_train.jsonl"], out: "runs/gatt" });
 */
export function gatt(config: GattConfigInput = {}, options: TrainOptions = {}): Promise<SftRunResult> {
  return runStage<GattConfig>("gatt", GATT_SCHEMA, config, options, (c) => checkGattConfig(c, "gatt(config)"),
    (checkpoint, runDir) => loadGattResumeConfig(checkpoint, [`out=${runDir}`]), runGatt);
}

/** Options of `evaluate()` (the flags of `llama2 eval`). */
export interface EvaluateOptions {
  /** A causal-LM model directory with its tokenizer (an adapter directory works too). */
  model: string;
  /** A directory written by `llama2 world generate` (or generateWorld). */
  world: string;
  /** Default "test". */
  split?: "train" | "val" | "test";
  /** Default 64. */
  maxNewTokens?: number;
  /** Rows generated together (default 32). */
  batchSize?: number;
  /** Reward-model directories (sequence classification): their mean raw score on the single-turn answers. */
  rewardHelpful?: string;
  rewardSafety?: string;
  /** Keep every judged answer in this JSONL file. */
  answersOut?: string;
  /** Messages worth showing (progress of the evaluation); the library prints nothing itself. */
  onLog?: (message: string) => void;
}

async function rewardModel(dir: string | undefined) {
  if (!dir) return undefined;
  const model = await Llama.load(dir);
  if (model.head !== "score") throw new Error(`${dir}: not a reward model (LlamaForSequenceClassification)`);
  return { model, tokenizer: await loadTokenizer(dir) };
}

/**
 * Answers a world's held-out prompts and every dialogue turn greedily and judges them, as `llama2 eval`.
 *
 * @example
 * const report = await evaluate({ model: "runs/sft/final", world: "world" });
 * console.log(report.helpfulness, report.adherence_by_turn);
 */
export async function evaluate(options: EvaluateOptions): Promise<EvalReport> {
  const model = await Llama.load(options.model);
  return evaluateModel(model, await loadTokenizer(options.model), {
    world: options.world, split: options.split, maxNewTokens: options.maxNewTokens, batchSize: options.batchSize,
    rewardHelpful: await rewardModel(options.rewardHelpful), rewardSafety: await rewardModel(options.rewardSafety),
    answersOut: options.answersOut, progress: options.onLog,
  });
}

export type { EvalReport };
