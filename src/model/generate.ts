// Autoregressive generation for a batch of prompts of different lengths over one per-row KV cache
// (transformers' generate; rejection sampling and PPO rollouts use it). Continuous batching: up to
// maxBatch rows decode together, one token per row per step; a row leaves when it emits EOS or
// reaches maxNewTokens, and the next waiting prompt joins in its cache row (prefilled alone). A row's
// tokens do not depend on which rows share its steps: the engine's per-row outputs do not, and each
// prompt samples from its own RNG stream (seed, prompt index).
import { eosIds } from "./config.js";
import { KVCache } from "./kv-cache.js";
import { requireHead } from "./model-kind.js";
import { Rng, streamSeed } from "./rng.js";
import { chooseTokens, type SamplingOptions } from "./sampling.js";
import type { Llama } from "./llama.js";

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed?: number;
  /** Stop a row at this id (default: every eos id of the config). null = never stop early. */
  eosId?: number | null;
  /** Called with (prompt index, token id) as tokens are produced (streaming). */
  onToken?: (row: number, id: number) => void;
  /** Rows decoded at once (default: every prompt); the others wait and join as rows finish. */
  maxBatch?: number;
  /**
   * One RNG seed per prompt (default: streamSeed(seed, i), src/model/rng.ts). A prompt's tokens depend only on
   * its own seed, so prompts split over several calls (rollout jobs on other machines) sample what one call would.
   */
  seeds?: readonly number[];
}

export interface Generation {
  /** New tokens per prompt (including the EOS that ended it, as transformers returns). */
  ids: number[][];
  /**
   * Per new token, log p(token | prefix) under softmax(logits / temperature) over the whole
   * vocabulary — the model's tempered distribution, before top-k / top-p truncation (greedy: T = 1).
   * This is the policy log-probability RL needs; it is not the log of the truncated probability the
   * sampler drew from.
   */
  logprobs: number[][];
}

/** Sampling options out of range are errors naming the key (a top_p of 0 would keep no token at all). */
function checkSampling(o: GenerateOptions): void {
  if (o.temperature !== undefined && !(o.temperature >= 0)) throw new RangeError(`temperature must be >= 0, got ${o.temperature}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new RangeError(`top_p must be in (0, 1], got ${o.topP}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) throw new RangeError(`top_k must be an integer >= 0, got ${o.topK}`);
}

export function generate(model: Llama, prompts: number[][], opts: GenerateOptions): Generation {
  const steps = generateSteps(model, prompts, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * generate() one decode step at a time: the generator pauses after each step (every active row has
 * one more token, reported through onToken), so an async caller can yield to the event loop, check
 * an AbortSignal or stop early with `return()` between steps (src/api/generation.ts).
 */
export function* generateSteps(model: Llama, prompts: number[][], opts: GenerateOptions): Generator<void, Generation, void> {
  requireHead(model, "generate");
  checkSampling(opts);
  if (!(Number.isInteger(opts.maxNewTokens) && opts.maxNewTokens >= 0)) throw new RangeError(`generate: maxNewTokens must be an integer >= 0, got ${opts.maxNewTokens}`);
  const n = prompts.length;
  if (n === 0) return { ids: [], logprobs: [] };
  const lens = prompts.map((p) => p.length);
  if (lens.some((len) => len === 0)) throw new Error("generate: every prompt needs at least one token (e.g. <s>)");
  const capacity = Math.max(...lens) + Math.max(0, opts.maxNewTokens);
  if (capacity > model.config.maxPositionEmbeddings)
    throw new RangeError(`generate: ${capacity} positions exceed max_position_embeddings ${model.config.maxPositionEmbeddings}`);
  const maxBatch = opts.maxBatch ?? n;
  if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) throw new RangeError(`generate: maxBatch must be an integer >= 1, got ${maxBatch}`);
  const ids: number[][] = prompts.map(() => []), logprobs: number[][] = prompts.map(() => []);
  if (opts.maxNewTokens <= 0) return { ids, logprobs };
  const eos: readonly number[] = opts.eosId === undefined ? eosIds(model.config) : opts.eosId === null ? [] : [opts.eosId];
  const V = model.config.vocabSize, rows = Math.min(n, maxBatch);
  const cache = new KVCache(model.config, rows, capacity);
  const engine = model.inference();
  if (opts.seeds !== undefined && opts.seeds.length !== n) throw new RangeError(`generate: ${opts.seeds.length} seeds for ${n} prompts`);
  const rngs = prompts.map((_, i) => new Rng(opts.seeds?.[i] ?? streamSeed(opts.seed ?? 0, i)));
  const owner = new Int32Array(rows).fill(-1);     // prompt index decoding in each cache row, -1 = free
  const logits = new Float32Array(rows * V);       // [rows, V] each row's next-token logits
  const gathered = new Float32Array(rows * V);     // [rows, V] the active rows' logits, packed
  let waiting = 0;
  const join = (r: number): void => {              // the next waiting prompt takes row r, prefilled alone
    const i = waiting++;
    owner[r] = i;
    cache.resetRow(r);
    logits.set(engine.forward(cache, Int32Array.from(prompts[i]!), 1, lens[i]!, false, [r]), r * V);
  };
  for (let r = 0; r < rows; r++) join(r);
  const slots: number[] = [], next: number[] = [];
  while (owner.some((i) => i >= 0)) {
    slots.length = 0; next.length = 0;
    // Every active row's token in one native call, each from its prompt's RNG (rows are a prefix of the
    // cache until prompts run out; otherwise the active rows' logits are gathered first).
    const active: number[] = [];
    for (let r = 0; r < rows; r++) if (owner[r]! >= 0) active.push(r);
    let batch = logits.subarray(0, active.length * V);
    if (active.some((r, j) => r !== j)) {
      batch = gathered.subarray(0, active.length * V);
      active.forEach((r, j) => batch.set(logits.subarray(r * V, (r + 1) * V), j * V));
    }
    const choices = chooseTokens(batch, active.length, V, active.map(() => opts), active.map((r) => rngs[owner[r]!]!));
    for (const [j, r] of active.entries()) {
      const i = owner[r]!, choice = choices[j]!;
      ids[i]!.push(choice.id);
      logprobs[i]!.push(choice.logprob);
      opts.onToken?.(i, choice.id);
      if (eos.includes(choice.id) || ids[i]!.length >= opts.maxNewTokens) {  // leave; the next prompt joins
        owner[r] = -1;
        if (waiting < n) join(r);
        continue;
      }
      slots.push(r);
      next.push(choice.id);
    }
    if (slots.length === 0) continue;
    yield;
    const out = engine.forward(cache, Int32Array.from(next), slots.length, 1, false, slots);
    slots.forEach((r, j) => logits.set(out.subarray(j * V, (j + 1) * V), r * V));
  }
  return { ids, logprobs };
}
