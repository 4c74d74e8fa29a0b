// The optimizer keys every training recipe's config shares (pretrain, SFT, GAtt, reward, PPO): AdamW's
// betas, epsilon, decoupled weight decay and global-norm clip, and the learning-rate schedule (linear
// warm-up, then cosine to min_lr_ratio·lr or constant). Defaults are llama2-recipe.md §Pretraining's;
// a recipe overrides a key's default or doc by spreading the block and naming the key again.
import type { Schema } from "../train/config.js";

/** AdamW (src/train/adamw.ts) and the gradient clip. */
export const ADAMW_SCHEMA: Schema = {
  beta1: { type: "number", default: 0.9, range: "[0, 1)", doc: "AdamW beta1" },
  beta2: { type: "number", default: 0.95, range: "[0, 1)", doc: "AdamW beta2" },
  eps: { type: "number", default: 1e-5, range: "> 0", doc: "AdamW epsilon" },
  weight_decay: { type: "number", default: 0.1, range: ">= 0", doc: "AdamW decoupled weight decay (matrices only)" },
  grad_clip: { type: "number", default: 1.0, range: ">= 0", doc: "global gradient-norm clip (0 = off)" },
};

/** The learning-rate schedule (src/train/schedule.ts). */
export const SCHEDULE_SCHEMA: Schema = {
  lr: { type: "number", default: 3e-4, range: "> 0", doc: "peak learning rate" },
  min_lr_ratio: { type: "number", default: 0.1, range: "[0, 1]", doc: "cosine floor as a fraction of lr" },
  warmup: { type: "int", default: 2000, range: ">= 0", doc: "linear warm-up steps" },
  schedule: { type: "string", default: "cosine", choices: ["cosine", "constant"], doc: "learning-rate schedule after warm-up" },
};

/** Both blocks, in the order the configs list them. */
export const OPTIM_SCHEMA: Schema = { ...SCHEDULE_SCHEMA, ...ADAMW_SCHEMA };

/** The resolved ADAMW_SCHEMA keys. */
export interface AdamWKeys {
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  grad_clip: number;
}

/** The resolved SCHEDULE_SCHEMA keys. */
export interface ScheduleKeys {
  lr: number;
  min_lr_ratio: number;
  warmup: number;
  schedule: "cosine" | "constant";
}
