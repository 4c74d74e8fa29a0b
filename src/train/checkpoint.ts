// Training checkpoints: RUN_DIR/checkpoint-N/ is a Hugging Face model directory (model.save)
// plus optimizer.safetensors (AdamW moments, torch's exp_avg / exp_avg_sq names) and
// trainer_state.json (step, RNG state, data position, resolved config). The whole directory is
// built under a hidden temp name and renamed into place with trainer_state.json written last, so
// a run killed mid-save leaves the previous checkpoint as the latest complete one. A finished run also
// gets RUN_DIR/final/: the trained model alone (an HF directory, or a PEFT adapter directory with LoRA)
// with the tokenizer files and chat template, written the same atomic way.
import fs from "node:fs";
import path from "node:path";
import { fsyncDir, writeFileAtomic } from "../io/atomic-file.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors.js";
import type { AdamW } from "./adamw.js";
import { LLAMA2_CHAT_TEMPLATE } from "../tokenizer/chat-template.js";
import { defaults, mergeYaml, resumeConfig, type Schema } from "./config.js";

export const TRAINER_STATE = "trainer_state.json";
export const OPTIMIZER_FILE = "optimizer.safetensors";
/** The finished run's model directory, RUN_DIR/final. */
export const FINAL_DIR = "final";
const CHECKPOINT_RE = /^checkpoint-(\d+)$/;
const TEMP_PREFIX = ".checkpoint-";

/** What trainer_state.json holds. */
export interface TrainerState {
  format: "llama2-ts-trainer-state";
  version: 1;
  /** Optimizer updates completed. */
  step: number;
  /** Optimizer updates inside AdamW (bias correction); equals step unless batches were skipped. */
  optimizer_step: number;
  /** Target tokens trained on so far. */
  tokens: number;
  rng: number[];
  /** The task's data position (e.g. the loader's {epoch, cursor}). */
  data: unknown;
  /** The resolved recipe config. */
  config: Record<string, unknown>;
  /** Last logged metrics (loss, lr, …). */
  metrics: Record<string, number>;
  saved_at: string;
}

/** The model side of a checkpoint. */
export interface SavableModel {
  save(dir: string, opts?: { dtype?: "float32" | "bfloat16" }): Promise<void>;
}

export function checkpointDir(runDir: string, step: number): string {
  return path.join(runDir, `checkpoint-${step}`);
}

/** Test hook: LLAMA2_CRASH_IN_SAVE=N kills this process with SIGKILL halfway through saving checkpoint N. */
function crashHook(step: number): void {
  if (process.env.LLAMA2_CRASH_IN_SAVE === String(step)) process.kill(process.pid, "SIGKILL");
}

/** A further model trained in the same run (PPO's value model), saved in a subdirectory with its optimizer. */
export interface CheckpointPart {
  /** Subdirectory of the checkpoint (e.g. "value"). */
  dir: string;
  model: SavableModel;
  optimizer: AdamW;
}

/**
 * Writes RUN_DIR/checkpoint-<state.step>/ atomically (replacing one of the same step) and
 * returns its path. `extraFiles` are copied in (e.g. the tokenizer's files); each of `parts` goes
 * to its subdirectory as a model directory with its own optimizer.safetensors.
 */
export async function saveCheckpoint(runDir: string, model: SavableModel, optimizer: AdamW, state: TrainerState,
  opts: { dtype?: "float32" | "bfloat16"; extraFiles?: string[]; parts?: CheckpointPart[] } = {}): Promise<string> {
  const final = checkpointDir(runDir, state.step);
  const tmp = path.join(runDir, `${TEMP_PREFIX}${state.step}.partial-${process.pid}`);
  await buildTemp(tmp, async () => {
    await model.save(tmp, { dtype: opts.dtype ?? "float32" });
    writeSafetensors(path.join(tmp, OPTIMIZER_FILE), optimizer.stateTensors(), {
      metadata: { format: "pt", step: String(optimizer.step) },
    });
    for (const part of opts.parts ?? []) {
      const dir = path.join(tmp, part.dir);
      await part.model.save(dir, { dtype: opts.dtype ?? "float32" });
      writeSafetensors(path.join(dir, OPTIMIZER_FILE), part.optimizer.stateTensors(), { metadata: { format: "pt", step: String(part.optimizer.step) } });
    }
    crashHook(state.step);
    for (const f of opts.extraFiles ?? []) fs.copyFileSync(f, path.join(tmp, path.basename(f)));
    writeFileAtomic(path.join(tmp, TRAINER_STATE), JSON.stringify(state, null, 2) + "\n");
    fsyncDir(tmp);
  });
  if (fs.existsSync(final)) {
    const old = path.join(runDir, `${TEMP_PREFIX}${state.step}.old-${process.pid}`);
    fs.renameSync(final, old);
    fs.renameSync(tmp, final);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, final);
  }
  fsyncDir(runDir);
  return final;
}

/**
 * Writes RUN_DIR/final/ atomically: the model (model.save) plus `extraFiles` (the tokenizer's); its
 * tokenizer_config.json gets the Llama 2 chat template (replacing any other: the recipes train that format),
 * so the directory works with apply_chat_template. Replaces an older final/. Returns its path.
 */
export async function saveFinal(runDir: string, model: SavableModel, opts: { dtype?: "float32" | "bfloat16"; extraFiles?: string[] } = {}): Promise<string> {
  const final = path.join(runDir, FINAL_DIR);
  const tmp = path.join(runDir, `${TEMP_PREFIX}final.partial-${process.pid}`);
  await buildTemp(tmp, async () => {
    await model.save(tmp, { dtype: opts.dtype ?? "float32" });
    for (const f of opts.extraFiles ?? []) {
      const dst = path.join(tmp, path.basename(f));
      if (path.basename(f) === "tokenizer_config.json") fs.writeFileSync(dst, withChatTemplate(f));
      else fs.copyFileSync(f, dst);
    }
    fsyncDir(tmp);
  });
  if (fs.existsSync(final)) {
    const old = path.join(runDir, `${TEMP_PREFIX}final.old-${process.pid}`);
    fs.renameSync(final, old);
    fs.renameSync(tmp, final);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, final);
  }
  fsyncDir(runDir);
  return final;
}

/**
 * Fills the temp directory `tmp` with `fill`; when that throws (disk full, read-only, …) the half-written temp is
 * removed before the error goes on, so a failed save leaves nothing behind (a killed one is cleaned by the next start).
 */
async function buildTemp(tmp: string, fill: () => Promise<void>): Promise<void> {
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    await fill();
  } catch (e) {
    try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* the original error matters more */ }
    throw e;
  }
}

/** tokenizer_config.json's text, with the Llama 2 chat_template added when it has none. */
function withChatTemplate(file: string): string {
  const text = fs.readFileSync(file, "utf8");
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  // Every recipe trains the Llama 2 format, so another template (a chat model's ChatML, say) would now be wrong.
  if (cfg.chat_template === LLAMA2_CHAT_TEMPLATE) return text;
  return JSON.stringify({ ...cfg, chat_template: LLAMA2_CHAT_TEMPLATE }, null, 2) + "\n";
}

/** Removes temp directories left by a save that was killed. */
export function removeStaleTemps(runDir: string): void {
  if (!fs.existsSync(runDir)) return;
  for (const f of fs.readdirSync(runDir))
    if (f.startsWith(TEMP_PREFIX)) fs.rmSync(path.join(runDir, f), { recursive: true, force: true });
}

/** Complete checkpoints of a run (those with trainer_state.json), ascending by step. */
export function listCheckpoints(runDir: string): { step: number; dir: string }[] {
  if (!fs.existsSync(runDir)) return [];
  return fs.readdirSync(runDir)
    .map((f) => ({ m: CHECKPOINT_RE.exec(f), f }))
    .filter(({ m, f }) => m && fs.existsSync(path.join(runDir, f, TRAINER_STATE)))
    .map(({ m, f }) => ({ step: Number(m![1]), dir: path.join(runDir, f) }))
    .sort((a, b) => a.step - b.step);
}

/** Deletes all but the newest `keep` checkpoints (keep <= 0 keeps all). */
export function pruneCheckpoints(runDir: string, keep: number): void {
  if (keep <= 0) return;
  const all = listCheckpoints(runDir);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(c.dir, { recursive: true, force: true });
}

/**
 * Resolves `--resume PATH`: a checkpoint directory itself, or a run directory whose newest
 * complete checkpoint is taken. Returns the checkpoint dir and the run dir it belongs to.
 */
export function resolveResume(p: string): { checkpoint: string; runDir: string } {
  if (!fs.existsSync(p)) throw new Error(`--resume ${p}: no such directory`);
  if (fs.existsSync(path.join(p, TRAINER_STATE))) return { checkpoint: p, runDir: path.dirname(path.resolve(p)) };
  const all = listCheckpoints(p);
  if (all.length === 0) {
    // A run stopped (or killed) before its first save: nothing to continue, and a new run there is refused.
    const started = fs.existsSync(path.join(p, "metrics.jsonl")) || fs.existsSync(path.join(p, "config.yaml"));
    throw new Error(`--resume ${p}: no complete checkpoint-N/ (with ${TRAINER_STATE}) in this directory` +
      (started ? "; the run there stopped before its first checkpoint: start it over with --overwrite (same config: --config " +
        `${path.join(p, "config.yaml")})` : ""));
  }
  return { checkpoint: all[all.length - 1].dir, runDir: p };
}

/** Reads trainer_state.json; errors name the file and the field. */
export function readTrainerState(checkpoint: string): TrainerState {
  const file = path.join(checkpoint, TRAINER_STATE);
  let s: TrainerState;
  try {
    s = JSON.parse(fs.readFileSync(file, "utf8")) as TrainerState;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (s.format !== "llama2-ts-trainer-state") throw new Error(`${file}: field "format" must be "llama2-ts-trainer-state"`);
  for (const k of ["step", "optimizer_step", "tokens"] as const)
    if (!Number.isInteger(s[k]) || s[k] < 0) throw new Error(`${file}: field "${k}" must be a non-negative integer`);
  if (!Array.isArray(s.rng)) throw new Error(`${file}: field "rng" must be an array`);
  if (typeof s.config !== "object" || s.config === null) throw new Error(`${file}: field "config" must be an object`);
  return s;
}

/** Restores AdamW's moments and step from a checkpoint. */
export function loadOptimizerState(checkpoint: string, optimizer: AdamW, step: number): void {
  const file = path.join(checkpoint, OPTIMIZER_FILE);
  if (!fs.existsSync(file)) throw new Error(`${checkpoint}: no ${OPTIMIZER_FILE}`);
  const { tensors } = readSafetensors(file);
  const flat = new Map<string, Float32Array>();
  for (const [k, t] of tensors) flat.set(k, t.data);
  optimizer.loadState(step, flat, file);
}

/**
 * The config a run saved, over the schema's defaults, with --set overrides on top (`--resume DIR`): a checkpoint's
 * trainer_state.json `config` (keys the schema no longer has are ignored), or — for a run directory without
 * checkpoints of its own, like rejection sampling's — the RUN_DIR/config.yaml every run writes. Through
 * src/train/config.ts resumeConfig: a --set changing a `fixed` key (the starting model, the tokenizer, the LoRA
 * shape, …) is refused naming the key, the saved and the new value; paths come back absolute.
 */
export function loadCheckpointConfig<T>(schema: Schema, dir: string, sets: string[]): T {
  const yaml = path.join(dir, "config.yaml");
  let saved: Record<string, unknown>;
  if (fs.existsSync(path.join(dir, TRAINER_STATE))) saved = readTrainerState(dir).config;
  else if (fs.existsSync(yaml)) {
    saved = defaults(schema);
    mergeYaml(schema, saved, fs.readFileSync(yaml, "utf8"), yaml);
  } else throw new Error(`--resume ${dir}: neither a checkpoint (${TRAINER_STATE}) nor a run directory (config.yaml)`);
  return resumeConfig(schema, saved, sets, dir) as T;
}
