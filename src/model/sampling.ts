// Choosing the next token from a row of logits: greedy, or temperature + top-k + top-p sampling
// (transformers' TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, applied in that order).
// The choice runs natively (native/sampling.cpp sampleRows: no sort of the vocabulary, every row of a
// batch in one call); each row draws one uniform from its own seeded RNG per sampled token, so a
// sequence's tokens depend on its seed alone, not on the rows it shares a step with.
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

/** chooseToken for one row. */
export function chooseToken(logits: Float32Array, opts: SamplingOptions, rng: Rng): Choice {
  return chooseTokens(logits, 1, logits.length, [opts], [rng])[0]!;
}

let ids = new Int32Array(0), stats = new Float64Array(0), params = new Float64Array(0);

/**
 * A token for each of B rows of logits [B, V], row b sampled with opts[b] from rngs[b] (greedy rows draw
 * nothing). logprob is log softmax(logits / temperature)[id] over the whole vocabulary (greedy: T = 1),
 * before truncation; pass withLogprob false to skip it for greedy rows (NaN then).
 */
export function chooseTokens(logits: Float32Array, B: number, V: number, opts: readonly SamplingOptions[], rngs: readonly Rng[],
  withLogprob = true): Choice[] {
  if (ids.length < B) { ids = new Int32Array(B); stats = new Float64Array(2 * B); params = new Float64Array(5 * B); }
  const temps: number[] = [];
  for (let b = 0; b < B; b++) {
    const o = opts[b]!, p = 5 * b;
    if (o.greedy) { params[p] = 0; params[p + 1] = 0; params[p + 2] = 1; params[p + 3] = 0; params[p + 4] = withLogprob ? 1 : 0; temps.push(1); continue; }
    const temperature = o.temperature ?? 1;
    if (!(temperature > 0)) throw new RangeError(`sampling: temperature must be > 0 (use greedy), got ${temperature}`);
    params[p] = temperature; params[p + 1] = o.topK ?? 0; params[p + 2] = o.topP ?? 1; params[p + 3] = rngs[b]!.uniform(); params[p + 4] = 1;
    temps.push(temperature);
  }
  native.sampleRows(ids, stats, logits, B, V, params);
  const out: Choice[] = [];
  for (let b = 0; b < B; b++) {
    const id = ids[b]!, x = logits[b * V + id]!, max = stats[2 * b]!, sum = stats[2 * b + 1]!;
    const logprob = opts[b]!.greedy ? (withLogprob ? x - max - Math.log(sum) : NaN) : (x - max) / temps[b]! - Math.log(sum);
    out.push({ id, logprob });
  }
  return out;
}
