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
  const k = opts.topK ?? 0, topK = k > 0 && k < V ? k : 0, topP = opts.topP ?? 1;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i]! > max) max = logits[i]!;
  const weights = new Float64Array(V);
  let all = 0;
  for (let i = 0; i < V; i++) all += weights[i] = Math.exp((logits[i]! - max) / temperature);
  if (topK === 0 && topP >= 1) {  // no truncation: sample the whole distribution, no sorting
    const id = pickByMass(weights, rng.uniform() * all, (j) => j, V);
    return { id, logprob: logSoftmaxAt(logits, id, temperature) };
  }
  // Candidates sorted by logit, descending (ties by id); truncated by top-k, then by top-p mass.
  // Only tokens that can survive the truncation are sorted: the k largest logits, or, for top-p
  // alone, tokens of weight ≥ all·(1−p)/(V−1) — the V−1 or fewer below that hold less than 1−p of
  // the mass, so the nucleus always lies above it (llama2.c's sample_topp).
  let order: number[];
  if (topK > 0) {
    const kth = Float32Array.from(logits).sort()[V - topK]!;
    order = candidates(logits, (i) => logits[i]! >= kth).slice(0, topK);
  } else {
    const cutoff = (all * (1 - topP)) / (V - 1);
    order = candidates(logits, (i) => weights[i]! >= cutoff);
  }
  let total = topK > 0 ? order.reduce((a, i) => a + weights[i]!, 0) : all;
  if (topP < 1) {
    let cum = 0, keep = 0;
    while (keep < order.length) {  // keep the smallest prefix whose mass reaches topP (at least one)
      cum += weights[order[keep]!]! / total;
      keep++;
      if (cum >= topP) break;
    }
    order = order.slice(0, keep);
    total = order.reduce((a, i) => a + weights[i]!, 0);
  }
  const id = pickByMass(weights, rng.uniform() * total, (j) => order[j]!, order.length);
  return { id, logprob: logSoftmaxAt(logits, id, temperature) };
}

/** Indices passing `keep`, sorted by logit descending, ties by index. */
function candidates(logits: Float32Array, keep: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length; i++) if (keep(i)) out.push(i);
  return out.sort((a, b) => logits[b]! - logits[a]! || a - b);
}

/** Walks ids at(0..n-1), subtracting their weights from r; returns the id where r goes negative. */
function pickByMass(weights: Float64Array, r: number, at: (j: number) => number, n: number): number {
  for (let j = 0; j < n; j++) {
    r -= weights[at(j)]!;
    if (r < 0) return at(j);
  }
  return at(n - 1);
}

/** log softmax(logits / temperature)[id], computed in double. */
export function logSoftmaxAt(logits: Float32Array, id: number, temperature: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i]! - max) / temperature);
  return (logits[id]! - max) / temperature - Math.log(sum);
}
