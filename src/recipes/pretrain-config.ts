// The pretraining recipe's configuration (configs/pretrain-*.yaml): keys, types and defaults.
// Defaults are llama2-recipe.md §Pretraining (AdamW 0.9/0.95, eps 1e-5, wd 0.1, clip 1.0, cosine to
// 10%, peak 3e-4, 2000 warm-up steps); sizes default to something that runs on a laptop.
import type { Schema } from "../train/config.js";
import type { LoraConfig } from "../model/lora.js";
import { OPTIM_SCHEMA, type AdamWKeys, type ScheduleKeys } from "./optimizer-config.js";

/** `lora:` — LoRA adapters instead of full fine-tuning (src/model/lora.ts); r 0 = off. */
export const LORA_SCHEMA: Schema = {
  r: { type: "int", default: 0, range: ">= 0", fixed: "the adapters' shape", doc: "adapter rank; 0 = train every weight (no LoRA)" },
  alpha: { type: "number", default: 16, fixed: "the adapters' scale", doc: "scale alpha / r (PEFT lora_alpha)" },
  dropout: { type: "number", default: 0, doc: "dropout on the adapters' input while training (PEFT lora_dropout)" },
  targets: { type: "string[]", default: ["q_proj", "v_proj"], fixed: "the adapters' shape", doc: "HF module names: q_proj k_proj v_proj o_proj gate_proj up_proj down_proj" },
};

/** Keys every training recipe has (data, out, tokenizer, max_steps, eval_every, save_every, seed, lora, …). */
export const COMMON_SCHEMA: Schema = {
  data: { type: "string", default: "", path: true, doc: "prepared dataset directory (llama2 data prepare --out)" },
  out: { type: "string", default: "", path: true, doc: "run directory: checkpoints, metrics.jsonl, config.yaml" },
  tokenizer: { type: "string?", default: null, path: true, fixed: "the vocabulary the weights were trained with", doc: "tokenizer directory copied into checkpoints (default: the dataset's)" },
  max_steps: { type: "int", default: 1000, range: ">= 0" },
  eval_every: { type: "int", default: 100, range: ">= 0", doc: "0 = no eval" },
  eval_batches: { type: "int", default: 20, range: ">= 0" },
  save_every: { type: "int", default: 500, range: ">= 0", doc: "0 = only at the end and on a stop" },
  keep_checkpoints: { type: "int", default: 0, range: ">= 0", doc: "keep the newest N checkpoints (0 = all)" },
  log_every: { type: "int", default: 1, range: ">= 1" },
  seed: { type: "int", default: 1337 },
  threads: { type: "int?", default: null, range: ">= 1", doc: "native compute threads (default: the addon's)" },
  skip_nonfinite: { type: "bool", default: false },
  save_dtype: { type: "string", default: "float32", choices: ["float32", "bfloat16"] },
  lora: { type: LORA_SCHEMA, default: null, doc: "with r > 0, train LoRA adapters only; checkpoints and final are PEFT adapter directories" },
};

export const MODEL_SCHEMA: Schema = {
  preset: { type: "string", default: "stories260K", doc: "src/model/presets.ts name; vocab_size comes from the tokenizer" },
  init_from: { type: "string?", default: null, path: true, doc: "HF model directory to start from instead of random init" },
  init_std: { type: "number", default: 0.02, range: ">= 0" },
  hidden_size: { type: "int?", default: null },
  intermediate_size: { type: "int?", default: null },
  num_hidden_layers: { type: "int?", default: null },
  num_attention_heads: { type: "int?", default: null },
  num_key_value_heads: { type: "int?", default: null },
  max_position_embeddings: { type: "int?", default: null },
  rope_theta: { type: "number?", default: null },
  rms_norm_eps: { type: "number?", default: null },
  tie_word_embeddings: { type: "bool?", default: null },
};

export const PRETRAIN_SCHEMA: Schema = {
  ...COMMON_SCHEMA,
  model: { type: MODEL_SCHEMA, default: null, fixed: "the model's architecture (a new run can start from a checkpoint's weights with model.init_from=CHECKPOINT)" },
  batch_size: { type: "int", default: 8, range: ">= 1" },
  seq_len: { type: "int", default: 256, range: ">= 1", fixed: "the token windows the saved data position counts" },
  grad_accum: { type: "int?", default: null, doc: "micro-batches per step (default 1, or from tokens_per_step)" },
  tokens_per_step: { type: "int?", default: null, doc: "batch_size × seq_len × grad_accum" },
  ...OPTIM_SCHEMA,
};

/** The `model:` section of a pretraining config: a preset and the fields that override it. */
export interface ModelSection {
  preset: string;
  init_from: string | null;
  init_std: number;
  hidden_size: number | null;
  intermediate_size: number | null;
  num_hidden_layers: number | null;
  num_attention_heads: number | null;
  num_key_value_heads: number | null;
  max_position_embeddings: number | null;
  rope_theta: number | null;
  rms_norm_eps: number | null;
  tie_word_embeddings: boolean | null;
}

/** A resolved pretraining config (configs/pretrain-*.yaml keys, snake_case as in the file). */
export interface PretrainConfig extends ScheduleKeys, AdamWKeys {
  data: string;
  out: string;
  tokenizer: string | null;
  max_steps: number;
  eval_every: number;
  eval_batches: number;
  save_every: number;
  keep_checkpoints: number;
  log_every: number;
  seed: number;
  threads: number | null;
  skip_nonfinite: boolean;
  save_dtype: "float32" | "bfloat16";
  lora: LoraConfig;
  model: ModelSection;
  batch_size: number;
  seq_len: number;
  grad_accum: number | null;
  tokens_per_step: number | null;
}

/** grad_accum from the config: explicit, derived from tokens_per_step, or 1; errors when inconsistent. */
export function resolveGradAccum(c: { batch_size: number; seq_len: number; grad_accum: number | null; tokens_per_step: number | null }): number {
  const micro = c.batch_size * c.seq_len;
  if (c.tokens_per_step !== null) {
    if (c.tokens_per_step % micro !== 0)
      throw new Error(`tokens_per_step (${c.tokens_per_step}) must be a multiple of batch_size × seq_len (${micro})`);
    const accum = c.tokens_per_step / micro;
    if (c.grad_accum !== null && c.grad_accum !== accum)
      throw new Error(`grad_accum (${c.grad_accum}) disagrees with tokens_per_step / (batch_size × seq_len) = ${accum}`);
    return accum;
  }
  const accum = c.grad_accum ?? 1;
  if (!(accum >= 1)) throw new Error(`grad_accum must be >= 1, got ${accum}`);
  return accum;
}

/** `--set model=DIR` is shorthand for `--set model.init_from=DIR` (start from an HF model directory). */
export function expandModelShorthand(sets: readonly string[]): string[] {
  return sets.map((s) => (/^\s*model\s*=/.test(s) ? `model.init_from=${s.slice(s.indexOf("=") + 1)}` : s));
}
