// Choosing the next token from a row of logits: greedy, or temperature + top-k + top-p sampling
// (transformers' TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, applied in that order).
import type { Rng } from "./rng.js";

export interface SamplingOptions {
  /** argmax (first index on ties, as torch.argmax); ignores the other settings. */
  greedy?: boolean;
  temperature?: number;  // default 1
  topK?: number;         // 0 = off
  topP?: number;         // 1 = off
}

/** The chosen token and its log-probability under softmax(logits / temperature). */
export interface Choice { id: number; logprob: number }

export function chooseToken(logits: Float32Array, opts: SamplingOptions, rng: Rng): Choice {
  const V = logits.length;
  if (opts.greedy) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
    return { id: best, logprob: logSoftmaxAt(logits, best, 1) };
  }
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new RangeError(`sampling: temperature must be > 0 (use greedy), got ${temperature}`);
  const topK = opts.topK ?? 0, topP = opts.topP ?? 1;
  // Candidates sorted by logit, descending; truncated by top-k, then by top-p mass.
  let order = Array.from({ length: V }, (_, i) => i);
  order.sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (topK > 0 && topK < V) order = order.slice(0, topK);
  const max = logits[order[0]!]!;
  const weights = order.map((i) => Math.exp((logits[i]! - max) / temperature));
  let total = weights.reduce((a, b) => a + b, 0);
  if (topP < 1) {
    let cum = 0, keep = 0;
    while (keep < weights.length) {  // keep the smallest prefix whose mass reaches topP (at least one)
      cum += weights[keep]! / total;
      keep++;
      if (cum >= topP) break;
    }
    order = order.slice(0, keep);
    weights.length = keep;
    total = weights.reduce((a, b) => a + b, 0);
  }
  let r = rng.uniform() * total, pick = order.length - 1;
  for (let j = 0; j < order.length; j++) {
    r -= weights[j]!;
    if (r < 0) { pick = j; break; }
  }
  const id = order[pick]!;
  return { id, logprob: logSoftmaxAt(logits, id, temperature) };
}

/** log softmax(logits / temperature)[id], computed in double. */
export function logSoftmaxAt(logits: Float32Array, id: number, temperature: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i]! - max) / temperature);
  return (logits[id]! - max) / temperature - Math.log(sum);
}
