// One rollout job (§3.2.3 generation, split the way OpenRLHF hands it to its engines): a group of chat
// prompts, each with its own RNG seed, sampled with the policy (continuous batching, src/rlhf/rollouts.ts)
// and scored with the reward models. The local backend and the queue worker both run exactly this on
// exactly the same groups, so a row's numbers never depend on where, or next to which rows, it ran.
import type { Llama } from "../model/llama.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import type { ChatMessage } from "../tokenizer/chat-template.js";
import { rolloutSteps, type Rollout } from "./rollouts.js";
import type { RewardModels, Scored } from "./reward-models.js";

/** One prompt of a job: the conversation, whether it is a safety prompt (Rc's gate), and its RNG seed. */
export interface RolloutRow {
  messages: ChatMessage[];
  isSafety: boolean;
  /** The row's own sampling stream (streamSeed(run stream, row index), src/model/rng.ts). */
  seed: number;
}

/** Sampling settings shared by every row of a job. */
export interface RolloutSampling {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  topK: number;
  /** Sequences decoded together inside the job (continuous batching). */
  batchSize: number;
}

/** Rows sampled with the same settings, cut into jobs of `rowsPerJob` consecutive rows. */
export interface RolloutBatch {
  rows: RolloutRow[];
  sampling: RolloutSampling;
  rowsPerJob: number;
}

/** A sampled answer with its log-probabilities (Rollout) and its reward-model scores (Scored). */
export type ScoredRollout = Rollout & Scored;

/** The policy a batch samples from. */
export interface PolicyModel { model: Llama; tokenizer: Tokenizer }

/** The consecutive row ranges [start, end) the jobs of a batch cover. */
export function jobRanges(rows: number, rowsPerJob: number): Array<[number, number]> {
  if (!(Number.isInteger(rowsPerJob) && rowsPerJob >= 1)) throw new RangeError(`rows per job must be an integer >= 1, got ${rowsPerJob}`);
  const out: Array<[number, number]> = [];
  for (let s = 0; s < rows; s += rowsPerJob) out.push([s, Math.min(rows, s + rowsPerJob)]);
  return out;
}

/**
 * Samples and scores one job's rows, one decode step per generator step (the caller may yield to its
 * event loop between steps: a queue worker must keep renewing its job lock). Returns rows in order.
 */
export function* rolloutJobSteps(policy: PolicyModel, rms: RewardModels, rows: readonly RolloutRow[], s: RolloutSampling): Generator<void, ScoredRollout[], void> {
  const r = yield* rolloutSteps(policy.model, policy.tokenizer, rows.map((x) => x.messages), {
    maxNewTokens: s.maxNewTokens, temperature: s.temperature, topP: s.topP, topK: s.topK, seed: 0, seeds: rows.map((x) => x.seed), batchSize: s.batchSize,
  });
  yield;
  const scored = rms.score(r.map((x, i) => ({ messages: rows[i]!.messages, response: x.text, isSafety: rows[i]!.isSafety })));
  return r.map((x, i) => ({ ...x, ...scored[i]! }));
}

/** rolloutJobSteps run to the end without pausing. */
export function runRolloutJob(policy: PolicyModel, rms: RewardModels, rows: readonly RolloutRow[], s: RolloutSampling): ScoredRollout[] {
  const steps = rolloutJobSteps(policy, rms, rows, s);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
