// Scoring a token sequence: per-token log-probabilities and total NLL under the LM head
// (`llama2 score`), and the scalar of a sequence-classification head at the last token
// (`llama2 reward score`, transformers' LlamaForSequenceClassification pooling).
import { native } from "../native/addon.js";
import { KVCache } from "./kv-cache.js";
import type { Llama } from "./llama.js";
import { requireHead } from "./model-kind.js";

/** Scoring past the context would read positions the model was never trained on: refuse. */
function checkLength(model: Llama, T: number): void {
  const max = model.config.maxPositionEmbeddings;
  if (T > max) throw new RangeError(`the input has ${T} tokens, more than the model's max_position_embeddings ${max}; shorten it (or score it in windows)`);
}

export interface TokenScores {
  /** tokenLogprobs[i] = log p(ids[i+1] | ids[..i]). */
  tokenLogprobs: number[];
  /** -Σ tokenLogprobs. */
  nll: number;
}

export function scoreTokens(model: Llama, ids: number[]): TokenScores {
  requireHead(model, "score");
  const T = ids.length;
  checkLength(model, T);
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
  requireHead(model, "reward score");
  const B = sequences.length, T = Math.max(...sequences.map((s) => s.length));
  checkLength(model, T);
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
