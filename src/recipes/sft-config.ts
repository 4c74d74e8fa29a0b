// The SFT recipe's configuration (configs/sft-*.yaml; every key has a default, so
// `llama2 sft --set model=DIR --set data=FILE --set out=DIR` runs). Defaults are the paper's §3.1:
// lr 2e-5 with cosine decay to 10%, weight decay 0.1, 64 samples per step (batch_size 8 × grad_accum 8),
// 2 epochs, packing on; warm-up 0 (the paper names none for SFT); AdamW betas and clip as pretraining.
import type { Schema } from "../train/config.js";
import { COMMON_SCHEMA } from "./pretrain-config.js";
import { OPTIM_SCHEMA, SCHEDULE_SCHEMA } from "./optimizer-config.js";
import type { SftTrainKeys } from "./sft-train.js";

export const SFT_SCHEMA: Schema = {
  ...COMMON_SCHEMA,
  model: { type: "string", default: "", path: true, fixed: "the starting model (a resumed run continues from the checkpoint's weights)", doc: "HF model directory to start from (trained here or by transformers)" },
  data: { type: "string[]", default: [], path: true, doc: "SFT JSONL file(s): {messages} or {prompt, response} rows (a world's sft_train.jsonl)" },
  val_data: { type: "string[]", default: [], path: true, doc: "held-out JSONL file(s) for val_loss (default: the world's sft_val.jsonl beside data, if any)" },
  tokenizer: { type: "string?", default: null, path: true, fixed: "the vocabulary the weights were trained with", doc: "tokenizer directory (default: the model's)" },
  epochs: { type: "number", default: 2, doc: "passes over the data (max_steps, when set, wins)" },
  max_steps: { type: "int?", default: null, doc: "optimizer steps (default: from epochs)" },
  batch_size: { type: "int", default: 8, doc: "samples per micro-batch (packed into rows when packing is on)" },
  grad_accum: { type: "int", default: 8, doc: "micro-batches per step; samples per step = batch_size × grad_accum" },
  seq_len: { type: "int?", default: null, fixed: "the rows the saved data position was cut and packed into", doc: "row length (default: the model's max_position_embeddings); longer samples are truncated" },
  packing: { type: "bool", default: true, doc: "pack samples best-fit into rows (segment ids, positions from 0) instead of one padded row each" },
  eval_every: { type: "int", default: 0, doc: "val_loss every N steps and at the end (0 = only at the end)" },
  save_every: { type: "int", default: 0, doc: "checkpoint every N steps (0 = only at the end and on a stop)" },
  eval_split: { type: "string", default: "test", choices: ["train", "val", "test"], doc: "world split judged by the closing `llama2 eval` (world data only)" },
  eval_max_new_tokens: { type: "int", default: 64, doc: "answer length of the closing eval" },
  eval_world: { type: "bool", default: true, doc: "end with `llama2 eval` and OUT/eval.json when the data is a world's" },
  ...OPTIM_SCHEMA,
  lr: { ...SCHEDULE_SCHEMA.lr, default: 2e-5 },
  warmup: { ...SCHEDULE_SCHEMA.warmup, default: 0 },
};

/** A resolved SFT config (configs/sft-*.yaml keys, snake_case as in the file). */
export interface SftConfig extends SftTrainKeys {
  model: string;
  data: string[];
  val_data: string[];
  tokenizer: string | null;
}
