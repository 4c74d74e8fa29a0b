// PPO's one forward path over rollouts (§3.2.3; TRL's PPO/RLOO `forward(model, query_responses)` with
// `logits /= temperature`, then `selective_log_softmax`): the training forward of prompt + response rows,
// in chunks, giving the response tokens' log-probabilities (policy, reference) or values (critic), and with
// a loss, its backward. Old policy, reference and updated policy all go through here, so the KL is exactly
// 0 while the policy equals the reference. Shapes: a chunk is [B, T] ids, logits [B·T, V], values [B·T, 1].
import type { Llama } from "../model/llama.js";
import { native } from "../native/addon.js";
import { tokenLogprobs, tokenLogprobsBackward } from "../train/losses/token-logprobs.js";
import { tokenValues, tokenValuesBackward } from "../train/losses/value-head.js";
import type { LossSum } from "../train/trainer.js";

/** Rows per training forward. */
export const ROWS_PER_FORWARD = 8;

/** One rollout with everything the update needs, response-aligned ([r] arrays). */
export interface PpoSample {
  seq: Int32Array;   // prompt + response
  p: number;         // prompt length
  r: number;         // response length
  oldLogp: Float32Array; refLogp: Float32Array; oldValues: Float32Array;
  advantages: Float32Array; returns: Float32Array;
}

/** The loss of one sample from its response slice of log-probs / values; writes dLoss/d(slice) into d. */
export type SampleLoss = (s: PpoSample, out: Float32Array, d: Float32Array) => LossSum;

/** Chunks of ROWS_PER_FORWARD samples. */
export function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let c = 0; c < xs.length; c += ROWS_PER_FORWARD) out.push(xs.slice(c, c + ROWS_PER_FORWARD));
  return out;
}

/**
 * One chunk through the training forward: `each` receives every sample's response slice ([r] log-probs
 * of the sampled tokens under softmax(logits / temperature), or values of the states that chose them).
 * With `loss`, also the backward, accumulating into the model's gradients; returns the summed loss.
 */
export function forwardChunk(model: Llama, part: readonly PpoSample[], kind: "logp" | "value", temperature: number,
  each: (s: PpoSample, out: Float32Array) => void, loss?: SampleLoss): LossSum {
  const T = Math.max(...part.map((s) => s.seq.length)) - 1; // positions that predict a next token
  const B = part.length, N = B * T;
  const ids = new Int32Array(N), targets = new Int32Array(N).fill(-100);
  part.forEach((s, b) => {
    ids.set(s.seq.subarray(0, Math.min(T, s.seq.length)), b * T);
    for (let j = 0; j < s.r; j++) targets[b * T + s.p - 1 + j] = s.seq[s.p + j]!;
  });
  const out = model.forward(ids, B, T);
  const W = kind === "logp" ? model.config.vocabSize : model.numLabels;
  const invT = kind === "logp" && temperature !== 1 ? 1 / temperature : 1;
  if (invT !== 1) native.scaleInPlace(out, invT, N * W);
  const perPos = kind === "logp" ? tokenLogprobs(out, targets, N, W) : tokenValues(out, N, W);
  const slice = (a: Float32Array, s: PpoSample, b: number): Float32Array => a.subarray(b * T + s.p - 1, b * T + s.p - 1 + s.r);
  part.forEach((s, b) => each(s, slice(perPos, s, b)));
  if (!loss) return { lossSum: 0, count: 0 };
  const d = new Float32Array(N);
  let lossSum = 0, count = 0;
  part.forEach((s, b) => { const r = loss(s, slice(perPos, s, b), slice(d, s, b)); lossSum += r.lossSum; count += r.count; });
  if (kind === "logp") tokenLogprobsBackward(out, targets, d, N, W);
  else tokenValuesBackward(out, d, N, W);
  if (invT !== 1) native.scaleInPlace(out, invT, N * W); // d/dlogits = (1/T)·d/d(logits/T)
  model.backward(out);
  return { lossSum, count };
}

/** forwardChunk over every chunk of `samples`, without a loss (rollout log-probs, reference, values). */
export function forwardAll(model: Llama, samples: readonly PpoSample[], kind: "logp" | "value", temperature: number,
  each: (s: PpoSample, out: Float32Array) => void): void {
  for (const part of chunks(samples)) forwardChunk(model, part, kind, temperature, each);
}
