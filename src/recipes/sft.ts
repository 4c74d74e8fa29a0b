// The supervised fine-tuning recipe (paper §3.1, llama2-recipe.md §SFT): an HF model directory trained
// on chat rows with the loss on assistant replies only, packed best-fit into seq_len rows, through the
// shared trainer (exact resume), ending with RUN_DIR/final and, on a world's data, `llama2 eval`.
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../model/llama.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { hasTokenizer } from "../tokenizer/resolve.js";
import { resolveResume } from "../train/checkpoint.js";
import type { RunDir } from "../train/run-dir.js";
import { SFT_SCHEMA, type SftConfig } from "./sft-config.js";
import {
  checkTrainKeys, loadCheckpointConfig, loadRecipeConfig, loadSamples, openRunDirFor, trainSamples, worldOf,
  type SftResult, type SftRunOptions,
} from "./sft-train.js";

/** The config of a fresh run: defaults, then the file, then each --set. */
export function loadSftConfig(file: string | undefined, sets: string[]): SftConfig {
  const cfg = loadRecipeConfig<SftConfig>(SFT_SCHEMA, file, sets);
  checkSftConfig(cfg, file ?? "--set");
  return cfg;
}

/** The config of a checkpoint being resumed, with --set overrides. */
export function loadSftResumeConfig(checkpoint: string, sets: string[]): SftConfig {
  const cfg = loadCheckpointConfig<SftConfig>(SFT_SCHEMA, checkpoint, sets);
  checkSftConfig(cfg, path.join(checkpoint, "trainer_state.json"));
  return cfg;
}

/** Checks the keys a fresh SFT run needs; `src` names where the config came from. */
export function checkSftConfig(c: SftConfig, src: string): void {
  if (!c.model) throw new Error(`${src}: key "model" is required (an HF model directory to fine-tune)`);
  if (c.data.length === 0) throw new Error(`${src}: key "data" is required (SFT JSONL file(s), e.g. a world's sft_train.jsonl)`);
  checkTrainKeys(c, src);
}

/** The held-out files: val_data, or the world's sft_val.jsonl beside a world's training file. */
export function valFiles(c: Pick<SftConfig, "data" | "val_data">): string[] {
  if (c.val_data.length > 0) return c.val_data;
  const w = worldOf(c.data[0]);
  const v = w ? path.join(w, "sft_val.jsonl") : null;
  return v && fs.existsSync(v) && path.resolve(v) !== path.resolve(c.data[0]!) ? [v] : [];
}

/** The tokenizer directory: `tokenizer`, else the model directory (a checkpoint carries a copy). */
export function tokenizerDirFor(c: { tokenizer: string | null; model: string }, checkpoint: string | null): string {
  const dir = c.tokenizer ?? (checkpoint && hasTokenizer(checkpoint) ? checkpoint : c.model);
  if (!hasTokenizer(dir)) throw new Error(`${dir}: no tokenizer.json or tokenizer.model (set tokenizer=DIR)`);
  return dir;
}

/** Runs (or, from a checkpoint directory, resumes) SFT. */
export async function runSft(cfg: SftConfig, resumeFrom: string | null, opts: SftRunOptions = {}): Promise<SftResult> {
  // Own the run directory before loading anything: another run there (or in use) stops at once.
  const run = openRunDirFor(cfg.out, resumeFrom, opts, "llama2 sft");
  try {
    return await sftIn(cfg, resumeFrom, opts, run);
  } finally {
    run.release(); // the trainer released it already unless setup failed
  }
}

async function sftIn(cfg: SftConfig, resumeFrom: string | null, opts: SftRunOptions, run: RunDir): Promise<SftResult> {
  const model = await Llama.load(resumeFrom ?? cfg.model);
  if (model.head !== "lm") throw new Error(`${resumeFrom ?? cfg.model}: SFT needs a causal LM (LlamaForCausalLM), not a ${model.head} head`);
  const tokenizerDir = tokenizerDirFor(cfg, resumeFrom);
  const tokenizer = await Tokenizer.load(tokenizerDir);
  const seqLen = cfg.seq_len ?? model.config.maxPositionEmbeddings;
  const { samples, truncated } = await loadSamples(cfg.data, tokenizer, seqLen);
  const vf = valFiles(cfg);
  const val = vf.length > 0 ? (await loadSamples(vf, tokenizer, seqLen)).samples : [];
  return trainSamples({ model, tokenizer, tokenizerDir, samples, truncated, val, config: cfg, world: worldOf(cfg.data[0]), run }, resumeFrom, opts);
}

export { resolveResume };
