// The reward-model recipe's configuration (configs/reward-*.yaml): keys, types and defaults.
// Paper defaults (§3.2.2, llama2-recipe.md §Reward models): one epoch, max LR 1e-5, cosine to 10%,
// warm-up 3% of steps and at least 5, 512 pairs a step, the base model's AdamW (0.9, 0.95, eps 1e-5,
// wd 0.1, clip 1.0), margin "small" (Table 27). `preset: small` scales the batch down for small models.
import type { Schema } from "../train/config.js";
import type { LoraConfig } from "../model/lora.js";
import { LORA_SCHEMA } from "./pretrain-config.js";
import { ADAMW_SCHEMA, SCHEDULE_SCHEMA, type AdamWKeys, type ScheduleKeys } from "./optimizer-config.js";
import { checkMixture } from "../data/preference-mixture.js";
import { MARGIN_MODES, type MarginMode } from "../data/preferences.js";

const mixtureField = (doc: string, nullable: boolean) => ({
  type: "json" as const,
  path: true,
  default: nullable ? null : "",
  validate: (v: unknown): string | null => (nullable && v === null ? null : checkMixture(v)),
  doc,
});

/** The keys of configs/reward-*.yaml with their types, defaults and descriptions. */
export const REWARD_SCHEMA: Schema = {
  model: { type: "string", default: "", path: true, fixed: "the starting model (a resumed run continues from the checkpoint's weights)", doc: "starting model: a chat/SFT LlamaForCausalLM directory (its LM head is replaced by a scalar head) or a LlamaForSequenceClassification one" },
  data: mixtureField("preference JSONL: a path, a list of paths, or a list of {path, weight} (weight = fraction of the file's rows per epoch)", false),
  eval_data: mixtureField("held-out preference JSONL (same forms as data) for val_loss / val_accuracy; null = no eval", true),
  out: { type: "string", default: "", path: true, doc: "run directory: checkpoints, metrics.jsonl, config.yaml, final/" },
  tokenizer: { type: "string?", default: null, path: true, fixed: "the vocabulary the weights were trained with", doc: "tokenizer directory (default: the model directory's)" },
  margin: { type: "string", default: "small", choices: MARGIN_MODES, doc: "Table 27 margin m(rating): none, small (1, 2/3, 1/3, 0) or large (3, 2, 1, 0)" },
  preset: { type: "string", default: "paper", choices: ["paper", "small"], doc: "defaults for the null keys below: paper (512 pairs a step, lr 1e-5) or small (32 pairs, lr 2e-4)" },
  epochs: { type: "number", default: 1, range: "> 0", doc: "passes over the mixture (the paper trains one; more overfits)" },
  max_steps: { type: "int?", default: null, doc: "optimizer steps (default: epochs × pairs per epoch / pairs_per_step, rounded up)" },
  pairs_per_step: { type: "int?", default: null, doc: "pairs per optimizer step (paper 512, small 32), reached by accumulation" },
  batch_pairs: { type: "int?", default: null, doc: "pairs per micro-batch (2 × this sequences in one forward; paper 8, small 16)" },
  max_length: { type: "int?", default: null, fixed: "the pairs the saved data position counts (longer ones are dropped)", doc: "longest scored sequence in tokens (paper 4096, small 512); longer pairs are dropped and counted" },
  ...SCHEDULE_SCHEMA,
  lr: { type: "number?", default: null, range: "> 0", doc: "peak learning rate (paper 1e-5, small 2e-4)" },
  warmup: { type: "int?", default: null, range: ">= 0", doc: "warm-up steps (default: 3% of max_steps, at least 5)" },
  ...ADAMW_SCHEMA,
  center_rewards_coefficient: { type: "number", default: 0, range: ">= 0", doc: "TRL's centering term c·mean((r_c + r_r)²) (0 = off; TRL suggests 0.01)" },
  head_init_std: { type: "number", default: 0.02, range: ">= 0", doc: "std of the new scalar head's normal init (HF initializer_range)" },
  eval_every: { type: "int", default: 0, range: ">= 0", doc: "eval every N steps and at the end (0 = only at the end when eval_data is set)" },
  save_every: { type: "int", default: 200, range: ">= 0", doc: "checkpoint every N steps (0 = only at the end and on a stop)" },
  keep_checkpoints: { type: "int", default: 0, range: ">= 0", doc: "keep the newest N checkpoints (0 = all)" },
  log_every: { type: "int", default: 1, range: ">= 1", doc: "write a metrics line every N steps" },
  seed: { type: "int", default: 1337, doc: "data order and head init" },
  threads: { type: "int?", default: null, range: ">= 1", doc: "native compute threads (default: the addon's)" },
  skip_nonfinite: { type: "bool", default: false, doc: "skip a batch with a non-finite loss instead of stopping" },
  save_dtype: { type: "string", default: "float32", choices: ["float32", "bfloat16"], doc: "storage dtype of checkpoints and final/" },
  lora: { type: LORA_SCHEMA, default: null, doc: "with r > 0, train LoRA adapters (and the score head) only; final/ is a PEFT SEQ_CLS adapter directory" },
};

/**
 * A resolved reward-model config (`llama2 reward train --print-config` shows one). Null keys take the
 * preset's values (REWARD_PRESETS); max_steps and warmup follow from the data (resolveSteps).
 */
export interface RewardConfig extends Omit<ScheduleKeys, "lr" | "warmup">, AdamWKeys {
  model: string;
  data: unknown;
  eval_data: unknown;
  out: string;
  tokenizer: string | null;
  margin: MarginMode;
  preset: "paper" | "small";
  epochs: number;
  max_steps: number | null;
  pairs_per_step: number | null;
  batch_pairs: number | null;
  max_length: number | null;
  lr: number | null;
  warmup: number | null;
  center_rewards_coefficient: number;
  head_init_std: number;
  eval_every: number;
  save_every: number;
  keep_checkpoints: number;
  log_every: number;
  seed: number;
  threads: number | null;
  skip_nonfinite: boolean;
  save_dtype: "float32" | "bfloat16";
  lora: LoraConfig;
}

/** What each preset puts in the null keys. */
export const REWARD_PRESETS = {
  paper: { pairs_per_step: 512, batch_pairs: 8, max_length: 4096, lr: 1e-5 },
  small: { pairs_per_step: 32, batch_pairs: 16, max_length: 512, lr: 2e-4 },
} as const;

/** The config with the preset's values in its null keys (max_steps and warmup need the data size: see resolveSteps). */
export function applyPreset(c: RewardConfig): RewardConfig & { pairs_per_step: number; batch_pairs: number; max_length: number; lr: number } {
  const p = REWARD_PRESETS[c.preset];
  return { ...c, pairs_per_step: c.pairs_per_step ?? p.pairs_per_step, batch_pairs: c.batch_pairs ?? p.batch_pairs,
    max_length: c.max_length ?? p.max_length, lr: c.lr ?? p.lr };
}

/** max_steps and warm-up from the epoch size: ceil(epochs · pairs / pairs_per_step); warm-up max(5, ceil(3%)). */
export function resolveSteps(c: { epochs: number; max_steps: number | null; warmup: number | null; pairs_per_step: number }, epochPairs: number):
  { maxSteps: number; warmup: number } {
  const maxSteps = c.max_steps ?? Math.max(1, Math.ceil((c.epochs * epochPairs) / c.pairs_per_step));
  const warmup = c.warmup ?? Math.min(maxSteps, Math.max(5, Math.ceil(0.03 * maxSteps)));
  return { maxSteps, warmup };
}
