// Batched rollouts for RLHF (§3.2.3): many chat prompts at once against the per-row KV cache
// (src/model/generate.ts: continuous batching, ragged lengths, stop at </s>, per-prompt seeded RNG
// streams), returning each sampled token's log-probability with the text.
import { generateSteps } from "../model/generate.js";
import type { Llama } from "../model/llama.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { encodeChat, type ChatMessage } from "../tokenizer/chat-template.js";

export interface RolloutOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topP?: number;
  topK?: number;
  seed: number;
  /** Sequences decoded together. */
  batchSize?: number;
  /** One seed per prompt (default: stream (seed, i) for prompt i); rollout jobs carry these. */
  seeds?: readonly number[];
}

export interface Rollout {
  /** The prompt as the model saw it (chat template; cut at the left when it did not fit). */
  promptIds: number[];
  /** Sampled ids, the </s> that ended the answer included. */
  ids: number[];
  /** log p(token | prefix) under softmax(logits / temperature) per sampled id (src/model/generate.ts). */
  logprobs: number[];
  /** The answer text (without </s>). */
  text: string;
  /** Ended with </s> (false: cut at maxNewTokens). */
  finished: boolean;
}

/** Prompt ids of a chat, keeping its end when prompt + answer would not fit the context. */
export function chatPromptIds(tok: Tokenizer, messages: ChatMessage[], maxNewTokens: number, context: number): number[] {
  const ids = encodeChat(tok, messages, { addGenerationPrompt: true }).ids;
  const room = context - maxNewTokens;
  if (room < 2) throw new Error(`max_new_tokens ${maxNewTokens} leaves no room for a prompt in the ${context}-token context`);
  return ids.length > room ? [ids[0]!, ...ids.slice(ids.length - room + 1)] : ids;
}

/** One answer per prompt, in prompt order; sample i uses RNG stream (seed, i), so results do not depend on batching. */
export function rollouts(model: Llama, tok: Tokenizer, prompts: ChatMessage[][], o: RolloutOptions): Rollout[] {
  const steps = rolloutSteps(model, tok, prompts, o);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** rollouts() one decode step at a time (generateSteps), so a worker can yield to its event loop between steps. */
export function* rolloutSteps(model: Llama, tok: Tokenizer, prompts: ChatMessage[][], o: RolloutOptions): Generator<void, Rollout[], void> {
  const ctx = model.config.maxPositionEmbeddings;
  const promptIds = prompts.map((m) => chatPromptIds(tok, m, o.maxNewTokens, ctx));
  const g = yield* generateSteps(model, promptIds, {
    maxNewTokens: o.maxNewTokens, greedy: o.temperature <= 0, temperature: o.temperature > 0 ? o.temperature : 1,
    topP: o.topP ?? 1, topK: o.topK ?? 0, seed: o.seed, seeds: o.seeds, maxBatch: o.batchSize ?? 32,
  });
  const eos = tok.eosId;
  return g.ids.map((ids, i) => {
    const finished = ids.at(-1) === eos;
    return { promptIds: promptIds[i]!, ids, logprobs: g.logprobs[i]!, text: tok.decode(finished ? ids.slice(0, -1) : ids, { skipSpecial: true }), finished };
  });
}
