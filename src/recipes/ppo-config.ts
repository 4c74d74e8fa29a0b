// PPO's configuration (paper §3.2.3; llama2-recipe.md §Iterative fine-tuning; TRL/OpenRLHF conventions in
// ../shared/paper/peers.md): 512 prompts an iteration in mini-batches of 64, one gradient step per
// mini-batch, clip 0.2, β = 0.01, γ 1, λ 0.95, constant LR 1e-6, AdamW 0.9/0.95, eps 1e-5, wd 0.1, clip 1.0.
import type { Schema } from "../train/config.js";
import { rolloutSchema, type RolloutConfig } from "../rlhf/rollout-config.js";
import { ADAMW_SCHEMA, type AdamWKeys } from "./optimizer-config.js";

export const PPO_SCHEMA: Schema = {
  policy: { type: "string", default: "", path: true, fixed: "the policy (a resumed run continues from the checkpoint's, and it is the default reference π0)", doc: "the chat model to optimise (e.g. OUT/final of llama2 rejection-sample)" },
  reference: { type: "string?", default: null, path: true, fixed: "π0 of the KL penalty", doc: "π0 of the KL penalty (default: the policy at start)" },
  value: { type: "string?", default: null, path: true, fixed: "the value model (a resumed run continues from the checkpoint's)", doc: "value model (LlamaForSequenceClassification); default: initialised from reward_helpful" },
  reward_helpful: { type: "string?", default: null, path: true, fixed: "a reward model of the run (the saved policy, value model and metrics were trained on its rewards)", doc: "helpfulness reward model" },
  reward_safety: { type: "string?", default: null, path: true, fixed: "a reward model of the run (the saved policy, value model and metrics were trained on its rewards)", doc: "safety reward model (with both: the combined reward Rc)" },
  prompts: { type: "string", default: "", path: true, fixed: "the prompts the saved position (epoch, cursor) indexes", doc: "prompt JSONL ({prompt | messages, is_safety})" },
  out: { type: "string", default: "", path: true, doc: "run directory" },
  iterations: { type: "int", default: 200, doc: "PPO iterations (paper: 200-400 with early stopping)" },
  batch_size: { type: "int", default: 512, doc: "prompts per iteration" },
  mini_batch_size: { type: "int", default: 64, doc: "rollouts per gradient step" },
  ppo_epochs: { type: "int", default: 1, doc: "passes over an iteration's rollouts (1: one step per mini-batch)" },
  kl_coef: { type: "number", default: 0.01, range: ">= 0", doc: "β of the per-token KL penalty β·(log πθ − log π0)" },
  gamma: { type: "number", default: 1.0, range: "[0, 1]", doc: "GAE discount" },
  lam: { type: "number", default: 0.95, range: "[0, 1]", doc: "GAE λ" },
  clip: { type: "number", default: 0.2, range: "> 0", doc: "policy ratio clip ε" },
  value_clip: { type: "number", default: 0.2, range: "> 0", doc: "value clip around the rollout's values" },
  vf_coef: { type: "number", default: 0.1, range: ">= 0", doc: "weight of the value loss (the critic has its own optimizer; this scales its gradient)" },
  whiten_advantages: { type: "bool", default: true, doc: "whiten advantages over the iteration's response tokens (TRL)" },
  lr: { type: "number", default: 1e-6, range: "> 0", doc: "constant learning rate of the policy and value model" },
  ...ADAMW_SCHEMA,
  grad_clip: { ...ADAMW_SCHEMA.grad_clip, doc: "global gradient-norm clip per model (0 = off)" },
  max_new_tokens: { type: "int", default: 128, doc: "longest rollout" },
  temperature: { type: "number", default: 1.0, range: "> 0", doc: "rollout sampling temperature" },
  gen_batch_size: { type: "int", default: 32, doc: "sequences generated together" },
  save_every: { type: "int", default: 10, range: ">= 1", doc: "checkpoint every N iterations (and at the end)" },
  eval_every: { type: "int", default: 0, range: ">= 0", doc: "held-out mean Rc every N iterations (0 = off)" },
  eval_prompts: { type: "string?", default: null, path: true, doc: "held-out prompt JSONL for eval_every" },
  eval_max_prompts: { type: "int", default: 64, range: ">= 1", doc: "held-out prompts scored per eval" },
  early_stop_patience: { type: "int", default: 0, range: ">= 0", doc: "stop after N evals without a better held-out reward (0 = never)" },
  samples_to_log: { type: "int", default: 2, range: ">= 0", doc: "rollouts per iteration written to OUT/samples.jsonl" },
  seed: { type: "int", default: 1234 },
  threads: { type: "int?", default: null, range: ">= 1" },
  rollout: { type: rolloutSchema(32), default: null, doc: "where rollouts are generated and scored: this process, or llama2 worker processes on a Redis queue (rollout.queue)" },
};

/** The resolved PPO config (keys of PPO_SCHEMA, snake_case as in the YAML). */
export interface PpoConfig extends AdamWKeys {
  policy: string; reference: string | null; value: string | null;
  reward_helpful: string | null; reward_safety: string | null;
  prompts: string; out: string;
  iterations: number; batch_size: number; mini_batch_size: number; ppo_epochs: number;
  kl_coef: number; gamma: number; lam: number; clip: number; value_clip: number; vf_coef: number; whiten_advantages: boolean;
  lr: number;
  max_new_tokens: number; temperature: number; gen_batch_size: number;
  save_every: number; eval_every: number; eval_prompts: string | null; eval_max_prompts: number; early_stop_patience: number;
  samples_to_log: number; seed: number; threads: number | null;
  rollout: RolloutConfig;
}

export function checkPpoConfig(c: PpoConfig, src: string): void {
  if (!c.policy) throw new Error(`${src}: key "policy" is required`);
  if (!c.prompts) throw new Error(`${src}: key "prompts" is required`);
  if (!c.out) throw new Error(`${src}: key "out" is required`);
  if (!c.reward_helpful && !c.reward_safety) throw new Error(`${src}: set reward_helpful and/or reward_safety`);
  if (!c.value && !c.reward_helpful && !c.reward_safety) throw new Error(`${src}: key "value" is required without a reward model to initialise it`);
  for (const k of ["iterations", "batch_size", "mini_batch_size", "ppo_epochs", "max_new_tokens", "gen_batch_size"] as const)
    if (!(c[k] >= 1)) throw new Error(`${src}: key "${k}" must be >= 1, got ${c[k]}`);
  if (c.batch_size % c.mini_batch_size !== 0) throw new Error(`${src}: batch_size (${c.batch_size}) must be a multiple of mini_batch_size (${c.mini_batch_size})`);
  if (!(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1)) throw new Error(`${src}: beta1 and beta2 must be in [0, 1)`);
  if (!(c.eps > 0)) throw new Error(`${src}: key "eps" must be > 0`);
  if (!(c.temperature > 0)) throw new Error(`${src}: key "temperature" must be > 0`);
  if (c.eval_every > 0 && !c.eval_prompts) throw new Error(`${src}: eval_every needs eval_prompts`);
}
