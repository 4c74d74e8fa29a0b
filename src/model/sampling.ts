// Choosing the next token from a row of logits: greedy, or temperature + top-k + top-p sampling
// (transformers' TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, applied in that order).
import { native } from "../native/addon.js";
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
    const [max, sum] = native.temperedExp(scratchWeights(V), logits, V, 1);
    return { id: best, logprob: logits[best]! - max - Math.log(sum) };
  }
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new RangeError(`sampling: temperature must be > 0 (use greedy), got ${temperature}`);
  const k = opts.topK ?? 0, topK = k > 0 && k < V ? k : 0, topP = opts.topP ?? 1;
  // One exp pass, native (native/sampling.cpp; 32k Math.exp per token cost as much as a batched decode
  // step): the weights sample the token and their sum normalises its log-probability. The buffer is
  // reused across calls.
  const weights = scratchWeights(V);
  const [max, all] = native.temperedExp(weights, logits, V, temperature);
  const logprobOf = (id: number): number => (logits[id]! - max) / temperature - Math.log(all);
  if (topK === 0 && topP >= 1) {  // no truncation: sample the whole distribution, no sorting
    let r = rng.uniform() * all, id = V - 1;
    for (let j = 0; j < V; j++) if ((r -= weights[j]!) < 0) { id = j; break; }  // pickByMass over every id
    return { id, logprob: logprobOf(id) };
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
  return { id, logprob: logprobOf(id) };
}

let scratch = new Float64Array(0);
/** chooseToken's weight buffer, grown to the vocabulary (only read inside one synchronous call). */
function scratchWeights(V: number): Float64Array {
  if (scratch.length < V) scratch = new Float64Array(V);
  return scratch.subarray(0, V);
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
