// Scoring a token sequence: per-token log-probabilities and total NLL under the LM head
// (`llama2 score`), and the scalar of a sequence-classification head at the last token
// (`llama2 reward score`, transformers' LlamaForSequenceClassification pooling).
import { native } from "../native/addon.js";
import { KVCache } from "./kv-cache.js";
import type { Llama } from "./llama.js";

export interface TokenScores {
  /** tokenLogprobs[i] = log p(ids[i+1] | ids[..i]). */
  tokenLogprobs: number[];
  /** -Σ tokenLogprobs. */
  nll: number;
}

export function scoreTokens(model: Llama, ids: number[]): TokenScores {
  if (model.head !== "lm") throw new Error("score: the model has no language-model head");
  const T = ids.length;
  if (T < 2) return { tokenLogprobs: [], nll: 0 };
  const input = Int32Array.from(ids), targets = new Int32Array(T).fill(-100);
  targets.set(input.subarray(1), 0);
  const logits = model.forward(input, 1, T);
  const losses = new Float32Array(T);
  native.crossEntropy(logits, targets, losses, null, T, model.config.vocabSize, 1);
  const tokenLogprobs = Array.from(losses.subarray(0, T - 1), (l) => -l);
  return { tokenLogprobs, nll: tokenLogprobs.reduce((a, b) => a - b, 0) };
}

/**
 * The scalar head's output at each sequence's last token, [rows][numLabels]. Sequences may differ
 * in length; they are left-padded into one batch so every row's last token is the last position.
 */
export function scoreLastToken(model: Llama, sequences: number[][]): number[][] {
  if (model.head !== "score") throw new Error("reward score: the model has no scalar (score) head");
  const B = sequences.length, T = Math.max(...sequences.map((s) => s.length));
  if (B === 0 || T === 0) throw new Error("reward score: empty input");
  const cache = new KVCache(model.config, B, T);
  const batch = new Int32Array(B * T);
  sequences.forEach((s, b) => {
    cache.keyStart[b] = T - s.length;
    batch.set(s, b * T + cache.keyStart[b]!);
  });
  const out = model.inference().forward(cache, batch, B, T);
  const L = model.numLabels;
  return sequences.map((_, b) => Array.from(out.subarray(b * L, (b + 1) * L)));
}
