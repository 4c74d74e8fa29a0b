// Training from code: `pretrain(config)` runs the same recipe as `llama2 pretrain` (src/recipes/
// pretrain.ts) from a typed partial config merged over the schema defaults (the YAML's schema, one
// source for both), reports progress through a callback and stops cleanly on an AbortSignal
// (checkpoint written, resumable). Later stages (sft, trainReward, rejectionSample, ppo) follow this shape.
import fs from "node:fs";
import path from "node:path";
import { absolutePaths, defaults, mergeObject, mergeResumeObject, type ConfigValues } from "../train/config.js";
import { METRICS_FILE, readMetrics, type MetricsLine } from "../train/metrics-log.js";
import type { StepProgress, StopReason, Trainer } from "../train/trainer.js";
import { PRETRAIN_SCHEMA, type PretrainConfig } from "../recipes/pretrain-config.js";
import { loadResumeConfig, resolveResume, runPretrain } from "../recipes/pretrain.js";
import { AbortError } from "./abort.js";

/** Every key optional, sections included: what a caller passes instead of a YAML file. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object | null ? DeepPartial<NonNullable<T[K]>> | Extract<T[K], null> : T[K] };

/** The config `pretrain()` takes: any subset of configs/pretrain-*.yaml's keys (data and out are required). */
export type PretrainConfigInput = DeepPartial<PretrainConfig>;

/** One optimizer step: where the run is, and the metrics line written to RUN_DIR/metrics.jsonl. */
export interface TrainProgress extends StepProgress {
  /** The metrics line: loss, lr, grad_norm, tokens_per_s, tokens, step_s. */
  metrics: MetricsLine;
}

/** Options of a training call. */
export interface TrainOptions {
  /** Called after every optimizer step. */
  onProgress?: (p: TrainProgress) => void;
  /** Abort: the run stops after the current step, writes a checkpoint and resolves with `stopped: "aborted"`. */
  signal?: AbortSignal;
  /** Continue this run directory (its newest checkpoint) or checkpoint directory; `config` then overrides its saved config. */
  resume?: string;
  /** Start over in a run directory that holds another run, clearing it first (default: refused with a RunDirError). */
  overwrite?: boolean;
  /** Messages worth showing (eval results, saved checkpoints, warnings); the library prints nothing itself. */
  onLog?: (message: string) => void;
}

/** How a training call ended. */
export interface TrainRunResult {
  /** The run directory (config.yaml, metrics.jsonl, checkpoints). */
  runDir: string;
  /** The newest checkpoint, an HF model directory (null if no step ran). */
  checkpoint: string | null;
  /** RUN_DIR/final, the finished model (HF directory with tokenizer files), or null if the run stopped early. */
  final: string | null;
  /** Optimizer steps done in total. */
  step: number;
  /** "done" (max_steps reached), "aborted" (signal), or the signal name if the process got SIGINT/SIGTERM. */
  stopped: "done" | "aborted" | "SIGINT" | "SIGTERM";
  /** The last value of every metric in metrics.jsonl (loss, lr, grad_norm, val_loss, ...). */
  metrics: Record<string, number>;
}

/** The resolved pretraining config for a partial one: schema defaults, then `config` (validated like YAML). */
export function resolvePretrainConfig(config: PretrainConfigInput = {}): PretrainConfig {
  const cfg = defaults(PRETRAIN_SCHEMA);
  mergeObject(PRETRAIN_SCHEMA, cfg, config, "pretrain(config)");
  return absolutePaths(PRETRAIN_SCHEMA, cfg) as unknown as PretrainConfig;
}

/** Last value of each numeric metric over a run directory's metrics.jsonl (what every training call returns). */
export function lastMetrics(runDir: string): Record<string, number> {
  const file = path.join(runDir, METRICS_FILE);
  const out: Record<string, number> = {};
  if (!fs.existsSync(file)) return out;
  for (const line of readMetrics(file)) for (const [k, v] of Object.entries(line)) if (typeof v === "number" && k !== "step") out[k] = v;
  return out;
}

/**
 * Pretrains a Llama decoder on a prepared token dataset (`llama2 data prepare`), the same run as
 * `llama2 pretrain --config ...`: checkpoints, metrics.jsonl and config.yaml in `config.out`.
 *
 * @example
 * const r = await pretrain({ data: "world/tokens", out: "runs/tiny", max_steps: 200, model: { preset: "stories260K" } },
 *   { onProgress: (p) => console.log(p.step, p.metrics.loss) });
 */
export async function pretrain(config: PretrainConfigInput = {}, options: TrainOptions = {}): Promise<TrainRunResult> {
  const { signal } = options;
  if (signal?.aborted) throw new AbortError("pretrain was aborted before it started", { cause: signal.reason });
  let cfg: PretrainConfig;
  let resumeFrom: string | null = null;
  if (options.resume !== undefined) {
    const { checkpoint, runDir } = resolveResume(options.resume);
    cfg = loadResumeConfig(checkpoint, [`out=${runDir}`]);
    mergeResumeObject(PRETRAIN_SCHEMA, cfg as unknown as ConfigValues, config, "pretrain(config)", checkpoint);
    resumeFrom = checkpoint;
  } else {
    cfg = resolvePretrainConfig(config);
    if (!cfg.data) throw new Error('pretrain(config): key "data" is required (a directory made by `llama2 data prepare`)');
    if (!cfg.out) throw new Error('pretrain(config): key "out" is required (the run directory)');
  }
  let trainer: Trainer<unknown> | null = null;
  const onAbort = (): void => trainer?.requestStop("requested");
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    // The trainer reports a step's position (step) before its metrics line (onStep); pair them.
    let last: StepProgress | null = null;
    const result = await runPretrain(cfg, resumeFrom, {
      progress: { step: (p) => { last = p; }, log: options.onLog },
      handleSignals: false,
      overwrite: options.overwrite,
      onNotice: options.onLog,
      onTrainer: (t) => { trainer = t; if (signal?.aborted) t.requestStop("requested"); },
      onStep: (m) => {
        const p: StepProgress = last ?? { step: Number(m.step), maxSteps: cfg.max_steps, loss: Number(m.loss), lr: Number(m.lr), tokensPerSecond: 0, etaSeconds: 0 };
        options.onProgress?.({ ...p, metrics: m });
      },
    });
    const stopped: Record<StopReason, TrainRunResult["stopped"]> = { done: "done", requested: "aborted", SIGINT: "SIGINT", SIGTERM: "SIGTERM" };
    return { runDir: cfg.out, checkpoint: result.lastCheckpoint, final: result.final, step: result.step, stopped: stopped[result.stopped], metrics: lastMetrics(cfg.out) };
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
