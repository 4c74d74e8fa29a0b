// The one training loop every recipe shares (DESIGN.md §1.4). A recipe supplies a TrainTask —
// how to get a micro-batch and turn it into loss + gradients — and this loop does the rest:
// gradient accumulation with the loss normalised over the whole step's targets, global-norm
// clipping, AdamW with the warm-up + cosine schedule, periodic eval, checkpoints, exact resume,
// logs, a named error on a non-finite loss, and — when the caller asks (the CLI does) — a clean stop on
// SIGINT/SIGTERM. It owns its run directory for its lifetime (src/train/run-dir.ts: a lock, and
// another run's directory refused). It writes nothing to the terminal itself: progress goes to the caller's callbacks.
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../io/atomic-file.js";
import { zeroGrads, type Param } from "../model/params.js";
import { AdamW, type AdamWConfig } from "./adamw.js";
import {
  listCheckpoints, loadOptimizerState, pruneCheckpoints, readTrainerState, saveCheckpoint, saveFinal,
  FINAL_DIR, type SavableModel, type TrainerState,
} from "./checkpoint.js";
import { clipGradNorm } from "./grad-norm.js";
import { configToYaml } from "./config.js";
import { MetricsLog, type MetricsLine } from "./metrics-log.js";
import { openRunDir, type RunDir, type RunDirMode } from "./run-dir.js";
import { Rng } from "../model/rng.js";
import type { LoraConfig } from "../model/lora.js";
import { learningRate, type ScheduleConfig } from "./schedule.js";

/** The model as the trainer sees it. */
export interface TrainModel extends SavableModel {
  readonly params: Param[];
  /** Training mode (LoRA dropout on); the trainer sets it around its steps when the model has it. */
  training?: boolean;
  /** Attaches (or, resumed, re-arms) LoRA adapters for a config's `lora` with r > 0 (src/model/llama.ts). */
  useLora?(cfg: LoraConfig, rng: Rng): void;
}

/** Summed loss over `count` loss terms (target tokens, pairs, …). */
export interface LossSum {
  lossSum: number;
  count: number;
}

/** A training stage: batches, and batch → forward + loss + backward. Everything else is the loop's. */
export interface TrainTask<Batch> {
  readonly model: TrainModel;
  /** The next training micro-batch. */
  nextBatch(): Batch;
  /** The batch's share of the step's loss normaliser (its target-token count for LM losses). */
  batchWeight(batch: Batch): number;
  /** Tokens the batch feeds through the model (for tokens/s). */
  batchTokens(batch: Batch): number;
  /** Forward, loss and backward ACCUMULATING into param.grad with dloss scaled by gradScale. */
  forwardBackward(batch: Batch, gradScale: number): LossSum;
  /** Held-out metrics such as {val_loss, val_ppl}. */
  evaluate?(): Record<string, number>;
  /** The data position, saved in trainer_state.json. */
  dataState(): unknown;
  restoreDataState(state: unknown): void;
  /** Names a batch in error messages (e.g. its data position). */
  describeBatch?(batch: Batch): string;
}

export interface TrainerOptions {
  runDir: string;
  /**
   * "new" (default) refuses a run directory holding another run; "resume" continues one (call
   * restore()); "overwrite" clears it first. Ignored when `run` is given.
   */
  runMode?: RunDirMode;
  /** The run directory already opened with openRunDir (to fail before expensive setup); the trainer releases it. */
  run?: RunDir;
  /** Receives notices (a stale lock taken over, a directory cleared); default: the progress log. */
  onNotice?: (message: string) => void;
  maxSteps: number;
  gradAccum: number;
  schedule: ScheduleConfig;
  optimizer: AdamWConfig;
  /** Global-norm clip (0 = off). */
  gradClip: number;
  /** Eval every N steps and at the end (0 = never). */
  evalEvery: number;
  /** Checkpoint every N steps (0 = only at the end and on a stop). */
  saveEvery: number;
  /** Keep only the newest N checkpoints (0 = all). */
  keepCheckpoints?: number;
  /** Write a metrics line every N steps (default 1). */
  logEvery?: number;
  /** Skip a batch with a non-finite loss or gradient instead of stopping. */
  skipNonFinite?: boolean;
  saveDtype?: "float32" | "bfloat16";
  /** The resolved recipe config, saved as RUN_DIR/config.yaml and with every checkpoint. */
  config: Record<string, unknown>;
  /** Files copied into every checkpoint (the tokenizer's). */
  extraFiles?: string[];
  /** Progress callbacks (the CLI passes its progress line); none or false = silent. */
  progress?: TrainProgress | false;
  /**
   * Install SIGINT/SIGTERM handlers for the run that checkpoint and stop after the current step
   * (default false: a library user's process keeps its own handlers; call requestStop() instead).
   */
  handleSignals?: boolean;
  /** Shared with the task when it needs randomness; saved and restored. */
  rng: Rng;
  /** Called after each step with its metrics line (tests, callers). */
  onStep?: (m: MetricsLine) => void;
}

export type StopReason = "done" | "SIGINT" | "SIGTERM" | "requested";

/** Where one optimizer step left the run (for a progress display). */
export interface StepProgress {
  step: number;
  maxSteps: number;
  loss: number;
  lr: number;
  /** Smoothed (EMA) tokens per second. */
  tokensPerSecond: number;
  /** Smoothed estimate of the time left. */
  etaSeconds: number;
}

/** How the trainer reports progress; every callback is optional. */
export interface TrainProgress {
  /** After each optimizer step. */
  step?(p: StepProgress): void;
  /** A line worth showing: eval results, saved checkpoints, stop requests, skipped batches. */
  log?(message: string): void;
  /** The run ended (done or stopped). */
  done?(): void;
}

export interface TrainResult {
  step: number;
  stopped: StopReason;
  lastCheckpoint: string | null;
  /** RUN_DIR/final when the run finished (written now or by an earlier run), else null. */
  final: string | null;
}

/** A non-finite loss or gradient norm; says where it happened and what to resume from. */
export class NonFiniteError extends Error {}

export class Trainer<Batch> {
  readonly optimizer: AdamW;
  step = 0;
  tokens = 0;
  private stop: StopReason | null = null;
  private lastCheckpoint: string | null = null;
  private finalDir: string | null = null;
  private readonly log: MetricsLog;
  private readonly progress: TrainProgress;
  private lastMetrics: Record<string, number> = {};
  /** The run directory, locked until run() ends or close(). */
  readonly runDir: RunDir;

  constructor(readonly task: TrainTask<Batch>, readonly opts: TrainerOptions) {
    if (!(Number.isInteger(opts.gradAccum) && opts.gradAccum >= 1)) throw new Error(`grad_accum must be an integer >= 1, got ${opts.gradAccum}`);
    if (!(Number.isInteger(opts.maxSteps) && opts.maxSteps >= 0)) throw new Error(`max_steps must be an integer >= 0, got ${opts.maxSteps}`);
    this.runDir = opts.run ?? openRunDir(opts.runDir, { mode: opts.runMode ?? "new" });
    try {
      // `lora: {r > 0, ...}` in any recipe's config: adapters only, the base frozen (before the optimizer sees the params).
      const lora = opts.config.lora as LoraConfig | undefined;
      if (lora && lora.r > 0) {
        if (!task.model.useLora) throw new Error("lora: this model type does not support LoRA adapters");
        task.model.useLora(lora, opts.rng);
      }
      this.optimizer = new AdamW(task.model.params, opts.optimizer);
      this.log = new MetricsLog(opts.runDir);
      this.progress = opts.progress || {};
      for (const n of this.runDir.notices) (opts.onNotice ?? ((m: string) => this.progress.log?.(m)))(n);
      writeFileAtomic(path.join(opts.runDir, "config.yaml"), configToYaml(opts.config));
      const existing = listCheckpoints(opts.runDir);
      this.lastCheckpoint = existing.length > 0 ? existing[existing.length - 1].dir : null;
      const final = path.join(opts.runDir, FINAL_DIR);
      if (fs.existsSync(final)) this.finalDir = final;
    } catch (e) {
      this.runDir.release();
      throw e;
    }
  }

  /** Releases the run directory's lock (run() does this when it ends). */
  close(): void {
    this.runDir.release();
  }

  /** Continues from a checkpoint (the model's weights are loaded by the recipe from the same dir). */
  restore(checkpoint: string): void {
    const s = readTrainerState(checkpoint);
    loadOptimizerState(checkpoint, this.optimizer, s.optimizer_step);
    this.opts.rng.setState(s.rng);
    this.task.restoreDataState(s.data);
    this.step = s.step;
    this.tokens = s.tokens;
    this.lastMetrics = s.metrics ?? {};
    this.lastCheckpoint = checkpoint;
    this.log.truncateAfter(s.step);
  }

  /** Asks the loop to checkpoint and stop after the current step. */
  requestStop(reason: StopReason = "requested"): void {
    this.stop ??= reason;
  }

  /** Runs until max_steps (or a stop), checkpointing at the end. */
  async run(): Promise<TrainResult> {
    const { opts } = this;
    const onSignal = (sig: NodeJS.Signals): void => {
      this.progress.log?.(`${sig}: stopping after this step, writing a checkpoint first (again to abort)`);
      this.requestStop(sig as StopReason);
    };
    if (opts.handleSignals) {
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
    }
    try {
      const startStep = this.step;
      let savedAt = -1;
      let skipsInARow = 0;
      let emaStep = 0; // smoothed seconds per step, for the ETA
      let emaTps = 0;
      while (this.step < opts.maxSteps && this.stop === null) {
        const t0 = performance.now();
        const r = this.trainStep();
        if (r === "skipped") {
          if (++skipsInARow >= 10) throw new NonFiniteError(`step ${this.step + 1}: 10 batches in a row had a non-finite loss; stopping (last good checkpoint: ${this.lastCheckpoint ?? "none"})`);
          await yieldToEventLoop();
          continue;
        }
        skipsInARow = 0;
        const dt = (performance.now() - t0) / 1000;
        const tps = r.tokens / dt;
        emaStep = emaStep === 0 ? dt : 0.9 * emaStep + 0.1 * dt;
        emaTps = emaTps === 0 ? tps : 0.9 * emaTps + 0.1 * tps;
        const line: MetricsLine = {
          step: this.step, loss: r.loss, lr: r.lr, grad_norm: r.gradNorm, tokens_per_s: round(tps, 1),
          tokens: this.tokens, step_s: round(dt, 4),
        };
        this.lastMetrics = { loss: r.loss, lr: r.lr, grad_norm: r.gradNorm };
        if (this.step % (opts.logEvery ?? 1) === 0 || this.step === opts.maxSteps) this.log.append(line);
        this.progress.step?.({
          step: this.step, maxSteps: opts.maxSteps, loss: r.loss, lr: r.lr, tokensPerSecond: emaTps,
          etaSeconds: (opts.maxSteps - this.step) * emaStep,
        });
        opts.onStep?.(line);
        const last = this.step === opts.maxSteps;
        if (opts.evalEvery > 0 && (this.step % opts.evalEvery === 0 || last) && this.task.evaluate) this.evaluate();
        if (opts.saveEvery > 0 && this.step % opts.saveEvery === 0) {
          await this.save();
          savedAt = this.step;
        }
        await yieldToEventLoop(); // lets SIGINT/SIGTERM handlers run between steps
      }
      // The final checkpoint, unless this call trained nothing (e.g. resuming a finished run) or just saved.
      if (savedAt !== this.step && (this.step > startStep || this.stop !== null)) await this.save();
      // A finished run ends with RUN_DIR/final (also when resuming one that finished without it).
      if (this.stop === null && this.step >= opts.maxSteps && (this.step > startStep || !fs.existsSync(path.join(opts.runDir, FINAL_DIR))))
        this.finalDir = await this.saveFinal();
      this.progress.done?.();
      return { step: this.step, stopped: this.stop ?? "done", lastCheckpoint: this.lastCheckpoint, final: this.finalDir };
    } finally {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      this.close();
    }
  }

  /** One optimizer step over gradAccum micro-batches, or "skipped" (non-finite, when allowed). */
  private trainStep(): { loss: number; lr: number; gradNorm: number; tokens: number } | "skipped" {
    const { opts, task } = this;
    const batches: Batch[] = [];
    for (let i = 0; i < opts.gradAccum; i++) batches.push(task.nextBatch());
    // Normalise by every target of the step, so B×accum is the same loss and gradient however split.
    const weight = batches.reduce((a, b) => a + task.batchWeight(b), 0);
    const lr = learningRate(this.step, opts.schedule);
    if (task.model.training !== undefined) task.model.training = true;
    let tokens = 0;
    const r = optimizerStep(task.model.params, this.optimizer, lr, opts.gradClip, batches.length, (i) => {
      tokens += task.batchTokens(batches[i]);
      return weight > 0 ? task.forwardBackward(batches[i], 1 / weight) : { lossSum: 0, count: 0 };
    });
    if (task.model.training !== undefined) task.model.training = false;
    if (!r.ok) return this.nonFinite(r.what, r.micro >= 0 ? batches[r.micro] : null, r.micro);
    this.step++;
    this.tokens += r.count;
    return { loss: r.count > 0 ? r.lossSum / r.count : 0, lr, gradNorm: r.gradNorm, tokens };
  }

  private nonFinite(what: string, batch: Batch | null, micro: number): "skipped" {
    const where = batch !== null
      ? `micro-batch ${micro + 1}/${this.opts.gradAccum}${this.task.describeBatch ? ` (${this.task.describeBatch(batch)})` : ""}`
      : `the accumulated gradients of ${this.opts.gradAccum} micro-batch(es)`;
    const msg = `step ${this.step + 1}: non-finite ${what} in ${where}`;
    zeroGrads(this.task.model.params);
    if (this.opts.skipNonFinite) {
      this.progress.log?.(`${msg}; batch skipped (skip_nonfinite)`);
      this.log.append({ step: this.step, skipped: true, reason: msg });
      return "skipped";
    }
    throw new NonFiniteError(`${msg}; the run stops (set skip_nonfinite=true to skip such batches). ` +
      `Last good checkpoint: ${this.lastCheckpoint ?? "none"}`);
  }

  /** Runs the task's eval and logs it. */
  evaluate(): Record<string, number> {
    if (this.task.model.training !== undefined) this.task.model.training = false;
    const t0 = performance.now();
    const m = this.task.evaluate?.() ?? {};
    this.log.append({ step: this.step, ...m, eval_s: round((performance.now() - t0) / 1000, 3) });
    this.progress.log?.(`step ${this.step}: ${Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}`);
    Object.assign(this.lastMetrics, m);
    return m;
  }

  /** Writes RUN_DIR/final/: the trained model with the tokenizer files and chat template. */
  async saveFinal(): Promise<string> {
    const dir = await saveFinal(this.opts.runDir, this.task.model, { dtype: this.opts.saveDtype, extraFiles: this.opts.extraFiles });
    this.progress.log?.(`step ${this.step}: final model in ${path.relative(process.cwd(), dir) || dir}`);
    return dir;
  }

  /** Writes RUN_DIR/checkpoint-<step>/. */
  async save(): Promise<string> {
    const state: TrainerState = {
      format: "llama2-ts-trainer-state",
      version: 1,
      step: this.step,
      optimizer_step: this.optimizer.step,
      tokens: this.tokens,
      rng: this.opts.rng.state(),
      data: this.task.dataState(),
      config: this.opts.config,
      metrics: this.lastMetrics,
      saved_at: new Date().toISOString(),
    };
    const dir = await saveCheckpoint(this.opts.runDir, this.task.model, this.optimizer, state,
      { dtype: this.opts.saveDtype, extraFiles: this.opts.extraFiles });
    this.lastCheckpoint = dir;
    pruneCheckpoints(this.opts.runDir, this.opts.keepCheckpoints ?? 0);
    this.progress.log?.(`step ${this.step}: saved ${path.relative(process.cwd(), dir) || dir}`);
    return dir;
  }
}

/** What optimizerStep did: the summed loss and its count and the gradient norm, or where a non-finite value appeared. */
export type StepOutcome =
  | { ok: true; lossSum: number; count: number; gradNorm: number }
  | { ok: false; what: string; micro: number };

/**
 * The trainer's optimizer step, shared by every recipe that updates a model (the Trainer's loop, and
 * PPO's policy and value steps): zero the gradients, run `microBatches` forward+backward passes that
 * ACCUMULATE into param.grad (`run(i)` returns micro-batch i's summed loss), clip the global norm
 * (gradClip 0 = off), and take one AdamW update at `lr`. A non-finite loss or gradient norm updates
 * nothing: the gradients are zeroed and the outcome says which micro-batch (-1: the norm) it was.
 */
export function optimizerStep(params: Param[], optimizer: AdamW, lr: number, gradClip: number, microBatches: number,
  run: (i: number) => LossSum): StepOutcome {
  zeroGrads(params);
  let lossSum = 0, count = 0;
  for (let i = 0; i < microBatches; i++) {
    const r = run(i);
    if (!Number.isFinite(r.lossSum)) { zeroGrads(params); return { ok: false, what: `loss ${r.lossSum}`, micro: i }; }
    lossSum += r.lossSum;
    count += r.count;
  }
  const gradNorm = clipGradNorm(params, gradClip);
  if (!Number.isFinite(gradNorm)) { zeroGrads(params); return { ok: false, what: `gradient norm ${gradNorm}`, micro: -1 }; }
  optimizer.update(lr);
  return { ok: true, lossSum, count, gradNorm };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
