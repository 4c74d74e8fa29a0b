// Autoregressive generation for a batch of prompts of different lengths: left-padded into one KV
// cache, prefilled in one forward, then decoded one token per row per step until each row emits
// EOS or reaches maxNewTokens (transformers' generate; rejection sampling and PPO rollouts use it).
import { KVCache } from "./kv-cache.js";
import { Rng } from "./rng.js";
import { chooseToken, type SamplingOptions } from "./sampling.js";
import type { Llama } from "./llama.js";

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed?: number;
  /** Stop a row at this id (default: the config's eos). null = never stop early. */
  eosId?: number | null;
  /** Called with (row, token id) as tokens are produced (streaming). */
  onToken?: (row: number, id: number) => void;
}

export interface Generation {
  /** New tokens per row (including the EOS that ended it, as transformers returns). */
  ids: number[][];
  /** log p(token) under the sampling distribution, per new token. */
  logprobs: number[][];
}

export function generate(model: Llama, prompts: number[][], opts: GenerateOptions): Generation {
  const B = prompts.length;
  if (B === 0) return { ids: [], logprobs: [] };
  const lens = prompts.map((p) => p.length);
  if (lens.some((n) => n === 0)) throw new Error("generate: every prompt needs at least one token (e.g. <s>)");
  const P = Math.max(...lens), capacity = P + opts.maxNewTokens;
  if (capacity > model.config.maxPositionEmbeddings)
    throw new RangeError(`generate: ${capacity} positions exceed max_position_embeddings ${model.config.maxPositionEmbeddings}`);
  const eos = opts.eosId === undefined ? model.config.eosTokenId : opts.eosId;
  const cache = new KVCache(model.config, B, capacity);
  const engine = model.inference();
  const rng = new Rng(opts.seed ?? 0);
  const ids: number[][] = prompts.map(() => []), logprobs: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(opts.maxNewTokens <= 0);
  // Prefill: row b is left-padded by P - len[b] slots that its keyStart masks out.
  const batch = new Int32Array(B * P);
  for (let b = 0; b < B; b++) {
    cache.keyStart[b] = P - lens[b]!;
    batch.set(prompts[b]!, b * P + cache.keyStart[b]!);
  }
  const V = model.config.vocabSize;
  let logits = engine.forward(cache, batch, B, P);
  const next = new Int32Array(B);
  for (let step = 0; step < opts.maxNewTokens && !done.every(Boolean); step++) {
    for (let b = 0; b < B; b++) {
      if (done[b]) { next[b] = eos ?? 0; continue; }
      const choice = chooseToken(logits.subarray(b * V, (b + 1) * V), opts, rng);
      ids[b]!.push(choice.id);
      logprobs[b]!.push(choice.logprob);
      opts.onToken?.(b, choice.id);
      next[b] = choice.id;
      if (choice.id === eos || ids[b]!.length >= opts.maxNewTokens) done[b] = true;
    }
    if (done.every(Boolean)) break;
    logits = engine.forward(cache, next, B, 1);
  }
  return { ids, logprobs };
}
