// Wrong model for the job (issue 10 item 2): a causal LM (LlamaForCausalLM, logits over the
// vocabulary) and a sequence-classification model (LlamaForSequenceClassification: reward and value
// models, a scalar per position) share a body but not a head. Every job that needs one of them
// checks it here and says what the directory holds and which command fits, instead of computing
// nonsense from the wrong head (generate on a scalar head used to print ids 0 0 0).
import type { HeadKind } from "./weights.js";

/** What a job needs: next-token logits, or the scalar head. */
export type Job = "generate" | "score" | "chat" | "serve" | "reward score" | "reward eval" | "eval" | "sft" | "ppo policy" | "ppo reward" | "annotate";

const NEEDS: Record<Job, HeadKind> = {
  generate: "lm", score: "lm", chat: "lm", serve: "lm", eval: "lm", sft: "lm", "ppo policy": "lm", annotate: "lm",
  "reward score": "score", "reward eval": "score", "ppo reward": "score",
};

/** The error a wrong head gets; `holds` / `needs` are the HF architecture names. */
export class WrongModelError extends Error {
  /** `holds`: the head the directory has; `needs`: the head the job wants. */
  constructor(message: string, readonly holds: HeadKind, readonly needs: HeadKind) {
    super(message);
    this.name = "WrongModelError";
  }
}

/** "a causal language model (LlamaForCausalLM)" / "a sequence-classification (reward) model (LlamaForSequenceClassification, num_labels=1)". */
export function describeHead(head: HeadKind, numLabels = 1): string {
  return head === "lm"
    ? "a causal language model (LlamaForCausalLM)"
    : `a sequence-classification (reward/value) model (LlamaForSequenceClassification, num_labels=${numLabels})`;
}

/**
 * Throws WrongModelError unless `model` has the head `job` needs. `where` names the model (its
 * directory) in the message.
 */
export function requireHead(model: { head: HeadKind; numLabels: number }, job: Job, where = "the model"): void {
  const needs = NEEDS[job];
  if (model.head === needs) return;
  const fits = model.head === "score"
    ? "use `llama2 reward score` (or `reward eval`) with it"
    : "use `llama2 score`/`llama2 generate` with it, or train a reward model from it with `llama2 reward train`";
  throw new WrongModelError(`${where} holds ${describeHead(model.head, model.numLabels)}, but ${job} needs ` +
    `${needs === "lm" ? "a causal language model (LlamaForCausalLM)" : "a sequence-classification (reward) model (LlamaForSequenceClassification)"}; ${fits}`,
  model.head, needs);
}
