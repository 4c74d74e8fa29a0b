// Rejection-sampling fine-tuning's configuration (paper §3.2.3; llama2-recipe.md §Iterative fine-tuning):
// K samples per prompt from the latest model, ranked by the reward (Rc of the two RMs, or one RM's raw
// score), the best answer per prompt over ALL iterations so far pooled, and the policy fine-tuned on the
// pool with SFT (any `sft.*` key). Every key has a default except policy, prompts, a reward model and out.
import type { Schema } from "../train/config.js";
import { SFT_SCHEMA } from "./sft-config.js";
import { rolloutSchema, type RolloutConfig } from "../rlhf/rollout-config.js";

const temperatures = (v: unknown): string | null =>
  (typeof v === "number" && v > 0) || (Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === "number" && t > 0))
    ? null : "expected a temperature > 0 or a non-empty list of them";

const sftKeys = (v: unknown): string | null => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return "expected a mapping of SFT keys";
  for (const k of Object.keys(v)) if (!(k in SFT_SCHEMA) || ["model", "data", "out"].includes(k))
    return `unknown SFT key "${k}" (model, data and out are set by rejection sampling)`;
  return null;
};

/** Why a resumed run keeps its reward models: the saved samples' rewards, which rank the pooled best answers, came from them. */
const REWARD_FIXED = "the reward model the saved samples were scored with (their rewards rank the pooled best answers)";

export const RS_SCHEMA: Schema = {
  policy: { type: "string", default: "", path: true, fixed: "the model every iteration fine-tunes (and iteration 1 samples with)", doc: "the chat model fine-tuned each iteration (an HF directory, e.g. OUT/final of llama2 sft)" },
  sample_from: { type: "string?", default: null, path: true, doc: "a different (larger) model that samples every iteration; the policy is fine-tuned on its best answers (distillation)" },
  reward_helpful: { type: "string?", default: null, path: true, fixed: REWARD_FIXED, doc: "helpfulness reward model (llama2 reward train OUT/final)" },
  reward_safety: { type: "string?", default: null, path: true, fixed: REWARD_FIXED, doc: "safety reward model; with both, samples are ranked by the combined reward Rc" },
  prompts: { type: "string", default: "", path: true, fixed: "the prompts the saved samples and best.jsonl index (prompt_index)", doc: "prompt JSONL ({prompt | messages, is_safety}); a world's prompts_train.jsonl" },
  out: { type: "string", default: "", path: true, doc: "run directory" },
  iterations: { type: "int", default: 2, doc: "rounds of sample -> rank -> fine-tune" },
  k: { type: "int", default: 4, doc: "samples per prompt (and temperature) each iteration" },
  temperature: { type: "json", default: 1.0, validate: temperatures, doc: "sampling temperature, or a list (a sweep: k samples at each)" },
  top_p: { type: "number", default: 1.0, range: "(0, 1]", doc: "nucleus sampling mass (1 = off)" },
  max_new_tokens: { type: "int", default: 64, doc: "longest sampled answer" },
  batch_size: { type: "int", default: 32, doc: "sequences generated together" },
  max_prompts: { type: "int?", default: null, fixed: "the prompts the saved samples and best.jsonl index (prompt_index)", doc: "use only the first N prompts" },
  sft_from: { type: "string", default: "policy", choices: ["policy", "previous"], doc: "fine-tune the original policy each iteration, or continue from the previous iteration's model" },
  sft: { type: "json", default: {}, validate: sftKeys, fixedKeys: SFT_SCHEMA, doc: "SFT keys for each iteration's fine-tune (e.g. {epochs: 1, lr: 1e-5})" },
  seed: { type: "int", default: 1234, doc: "sampling and fine-tuning seed" },
  threads: { type: "int?", default: null, range: ">= 1", doc: "compute threads (default: the machine's)" },
  rollout: { type: rolloutSchema(8), default: null, doc: "where sampling runs: this process, or llama2 worker processes on a Redis queue (rollout.queue)" },
};

/** The resolved rejection-sampling config (keys of RS_SCHEMA, snake_case as in the YAML). */
export interface RsConfig {
  policy: string;
  sample_from: string | null;
  reward_helpful: string | null;
  reward_safety: string | null;
  prompts: string;
  out: string;
  iterations: number;
  k: number;
  temperature: number | number[];
  top_p: number;
  max_new_tokens: number;
  batch_size: number;
  max_prompts: number | null;
  sft_from: "policy" | "previous";
  sft: Record<string, unknown>;
  seed: number;
  threads: number | null;
  rollout: RolloutConfig;
}

/** Checks what the schema cannot; `src` names where the config came from. */
export function checkRsConfig(c: RsConfig, src: string): void {
  if (!c.policy) throw new Error(`${src}: key "policy" is required (the chat model to improve)`);
  if (!c.prompts) throw new Error(`${src}: key "prompts" is required (a prompt JSONL file)`);
  if (!c.out) throw new Error(`${src}: key "out" is required (the run directory)`);
  if (!c.reward_helpful && !c.reward_safety) throw new Error(`${src}: set reward_helpful and/or reward_safety`);
  for (const k of ["iterations", "k", "max_new_tokens", "batch_size"] as const)
    if (!(c[k] >= 1)) throw new Error(`${src}: key "${k}" must be >= 1, got ${c[k]}`);
  if (!(c.top_p > 0 && c.top_p <= 1)) throw new Error(`${src}: key "top_p" must be in (0, 1], got ${c.top_p}`);
}

export const temperaturesOf = (c: RsConfig): number[] => (Array.isArray(c.temperature) ? c.temperature : [c.temperature]);
