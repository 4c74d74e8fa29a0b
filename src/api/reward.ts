// Reward models from code: `trainReward(config)` runs the same recipe as `llama2 reward train`
// (src/recipes/reward.ts) from a typed partial config merged over the schema defaults, reports progress
// through a callback and stops cleanly on an AbortSignal; `evaluateReward(model, data)` is `llama2 reward eval`.
import { absolutePaths, defaults, mergeObject, mergeResumeObject, type ConfigValues } from "../train/config.js";
import type { StepProgress, StopReason, Trainer } from "../train/trainer.js";
import { REWARD_SCHEMA, type RewardConfig } from "../recipes/reward-config.js";
import { loadRewardResumeConfig, resolveResume, runReward, type RewardStats } from "../recipes/reward.js";
import { Llama } from "../model/llama.js";
import { loadTokenizer } from "../tokenizer/resolve.js";
import { readPreferences, tokenizePairs, type MarginMode } from "../data/preferences.js";
import { scorePairs } from "../recipes/reward-task.js";
import { pairMetrics, type RewardEvalResult } from "../recipes/reward-eval.js";
import { AbortError } from "./abort.js";
import { lastMetrics, type DeepPartial, type TrainOptions, type TrainRunResult } from "./train.js";

/** The config `trainReward()` takes: any subset of configs/reward-*.yaml's keys (model, data and out are required). */
export type RewardConfigInput = DeepPartial<RewardConfig>;

/** How trainReward ended: the training result and the final model's llama2_reward_stats. */
export interface RewardRunResult extends TrainRunResult {
  /** Raw-score mean/std/n on the training data (also in final/config.json), or null if the run stopped early. */
  stats: RewardStats | null;
}

/**
 * Trains a helpfulness or safety reward model (paper §3.2.2), the same run as `llama2 reward train`:
 * checkpoints, metrics.jsonl, config.yaml and final/ (an HF LlamaForSequenceClassification) in `config.out`.
 *
 * @example
 * const r = await trainReward({ model: "runs/sft/final", data: [{ path: "world/prefs_helpful_train.jsonl", weight: 1 },
 *   { path: "world/prefs_safety_train.jsonl", weight: 1.5 }], out: "runs/rm-helpful", preset: "small" });
 */
export async function trainReward(config: RewardConfigInput = {}, options: TrainOptions = {}): Promise<RewardRunResult> {
  const { signal } = options;
  if (signal?.aborted) throw new AbortError("trainReward was aborted before it started", { cause: signal.reason });
  let cfg: RewardConfig;
  let resumeFrom: string | null = null;
  if (options.resume !== undefined) {
    const { checkpoint, runDir } = resolveResume(options.resume);
    cfg = loadRewardResumeConfig(checkpoint, [`out=${runDir}`]);
    mergeResumeObject(REWARD_SCHEMA, cfg as unknown as ConfigValues, config, "trainReward(config)", checkpoint);
    resumeFrom = checkpoint;
  } else {
    const c = defaults(REWARD_SCHEMA);
    mergeObject(REWARD_SCHEMA, c, config, "trainReward(config)");
    cfg = absolutePaths(REWARD_SCHEMA, c) as unknown as RewardConfig;
  }
  let trainer: Trainer<unknown> | null = null;
  const onAbort = (): void => trainer?.requestStop("requested");
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let last: StepProgress | null = null;
    const result = await runReward(cfg, resumeFrom, {
      progress: { step: (p) => { last = p; }, log: options.onLog },
      handleSignals: false,
      overwrite: options.overwrite,
      onNotice: options.onLog,
      onTrainer: (t) => { trainer = t; if (signal?.aborted) t.requestStop("requested"); },
      onStep: (m) => {
        const p: StepProgress = last ?? { step: Number(m.step), maxSteps: 0, loss: Number(m.loss), lr: Number(m.lr), tokensPerSecond: 0, etaSeconds: 0 };
        options.onProgress?.({ ...p, metrics: m });
      },
    });
    const stopped: Record<StopReason, TrainRunResult["stopped"]> = { done: "done", requested: "aborted", SIGINT: "SIGINT", SIGTERM: "SIGTERM" };
    return { runDir: cfg.out, checkpoint: result.lastCheckpoint, final: result.final, step: result.step, stopped: stopped[result.stopped],
      metrics: lastMetrics(cfg.out), stats: result.stats };
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Options of evaluateReward. */
export interface EvaluateRewardOptions {
  /** Table 27 column of the reported loss (default "small"). */
  margin?: MarginMode;
  /** Pairs per forward (default 8). */
  batchPairs?: number;
  /** Pairs with a longer sequence are skipped (default 4096). */
  maxLength?: number;
}

/** `llama2 reward eval` from code: accuracy, margin loss and mean r_c − r_r by rating and safety label. */
export async function evaluateReward(modelDir: string, dataFile: string, opts: EvaluateRewardOptions = {}): Promise<RewardEvalResult> {
  const mode = opts.margin ?? "small";
  const model = await Llama.load(modelDir, { trainable: false });
  if (model.head !== "score") throw new Error(`${modelDir}: not a sequence-classification (reward) model`);
  const tok = await loadTokenizer(modelDir);
  const { pairs } = tokenizePairs(tok, await readPreferences(dataFile, mode), mode, opts.maxLength ?? 4096);
  return pairMetrics(pairs, scorePairs(model, pairs, opts.batchPairs ?? 8));
}
