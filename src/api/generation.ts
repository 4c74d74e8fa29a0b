// Generation as the library offers it: one async loop over src/model/generate.ts generateSteps that
// decodes text as tokens arrive (stream-safe UTF-8), holds back text that could be the start of a
// stop string, yields to the event loop after every decode step and checks the AbortSignal there.
// `generate` drains it; `stream` hands out its pieces — so both produce the same text.
import { eosIds } from "../model/config.js";
import { generateSteps } from "../model/generate.js";
import type { Llama } from "../model/llama.js";
import type { ChatMessage } from "../tokenizer/chat-template.js";
import { throwIfAborted, yieldToEventLoop } from "./abort.js";
import type { LmTokenizer } from "./tokenizer.js";

/** What to continue: text (encoded with the model's tokenizer), token ids, or a chat to answer. */
export type GenerationInput = string | readonly number[] | readonly ChatMessage[];

/** Options of `lm.generate` / `lm.stream`; unset ones come from the model's generation_config.json. */
export interface GenerateOptions {
  /** Most new tokens (default: generation_config max_new_tokens, else 64). */
  maxNewTokens?: number;
  /** Always take the most likely token (default: true unless generation_config sets do_sample). */
  greedy?: boolean;
  /** Softmax temperature when sampling (default: generation_config temperature, else 1). */
  temperature?: number;
  /** Nucleus sampling threshold, 1 = off (default: generation_config top_p, else 1). */
  topP?: number;
  /** Sample among the K most likely tokens, 0 = off (default: generation_config top_k, else 50 as transformers). */
  topK?: number;
  /** Sampling seed: the same seed gives the same continuation (default: a random seed per call). */
  seed?: number;
  /** Stop when the text contains one of these strings; the text ends before it (finishReason "stop"). */
  stop?: string | readonly string[];
  /** Aborting rejects the call (or ends the stream) with an AbortError between decode steps. */
  signal?: AbortSignal;
}

/** The result of `lm.generate`. */
export interface GenerateResult {
  /** The continuation (special tokens and a matched stop string left out). */
  text: string;
  /** Every new token id, including the `</s>` or the token that completed a stop string. */
  ids: number[];
  /** "stop": `</s>` or a stop string; "length": maxNewTokens reached. */
  finishReason: "stop" | "length";
  usage: { promptTokens: number; completionTokens: number };
}

/** Sampling settings after defaults are applied (what generateSteps receives). */
export interface ResolvedGenerateOptions {
  maxNewTokens: number;
  greedy: boolean;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  stop: string[];
  signal?: AbortSignal;
}

/** Prompt token ids of an input; `chat` is true for a message list (rendered as a prompt to answer). */
export function inputToIds(input: GenerationInput, tokenizer: () => LmTokenizer): { ids: number[]; chat: boolean } {
  if (typeof input === "string") return { ids: tokenizer().encode(input), chat: false };
  if (!Array.isArray(input)) throw new TypeError("input must be a string, an array of token ids or an array of chat messages");
  if (input.length > 0 && input.every((x) => typeof x === "number")) {
    (input as number[]).forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0) throw new TypeError(`input[${i}] must be a token id (a non-negative integer), got ${id}`);
    });
    return { ids: [...(input as number[])], chat: false };
  }
  if (input.length > 0 && input.every((x) => typeof x === "object" && x !== null))
    return { ids: tokenizer().applyChatTemplate(input as ChatMessage[], { addGenerationPrompt: true }), chat: true };
  throw new TypeError("input must be a non-empty string, token id array or chat message array");
}

/** Length of the longest suffix of `text` that is a proper prefix of some stop string (text to hold back). */
function heldBack(text: string, stops: readonly string[]): number {
  let keep = 0;
  for (const s of stops)
    for (let k = Math.min(s.length - 1, text.length); k > keep; k--)
      if (text.endsWith(s.slice(0, k))) { keep = k; break; }
  return keep;
}

/**
 * The generation loop: yields text pieces (never "") and returns the result. Between decode steps it
 * awaits the event loop and checks `opts.signal`.
 */
export async function* generationLoop(
  model: Llama, tokenizer: LmTokenizer | null, promptIds: number[], chat: boolean, opts: ResolvedGenerateOptions,
): AsyncGenerator<string, GenerateResult, undefined> {
  throwIfAborted(opts.signal, "generate");
  const eos = eosIds(model.config);
  // The continuation's first space is dropped where SentencePiece would drop it: when it starts the text
  // (no prompt text before it), and for a chat reply, which the template separates from [/INST] by a space.
  const strip = chat || (tokenizer !== null && tokenizer.decode(promptIds, { skipSpecial: true }) === "");
  const decoder = tokenizer?.createStreamDecoder({ skipSpecial: true, stripLeadingSpace: strip }) ?? null;
  const ids: number[] = [], arrived: number[] = [];
  const steps = generateSteps(model, [promptIds], {
    maxNewTokens: opts.maxNewTokens, greedy: opts.greedy, temperature: opts.temperature, topP: opts.topP, topK: opts.topK,
    seed: opts.seed, onToken: (_row, id) => arrived.push(id),
  });
  let text = "", emitted = 0, finishReason: GenerateResult["finishReason"] = "length";
  try {
    for (;;) {
      const r = steps.next();
      for (const id of arrived) {
        ids.push(id);
        if (eos.includes(id)) finishReason = "stop";
        else if (decoder) text += decoder.push(id);
      }
      arrived.length = 0;
      if (r.done && decoder) text += decoder.flush();
      let cut = -1;
      for (const s of opts.stop) {
        const at = text.indexOf(s, Math.max(0, emitted - s.length + 1));
        if (at >= 0 && (cut < 0 || at < cut)) cut = at;
      }
      if (cut >= 0) {
        text = text.slice(0, cut);
        finishReason = "stop";
      }
      const done = r.done || cut >= 0;
      const ready = done ? text.length : text.length - heldBack(text, opts.stop);
      if (ready > emitted) {
        yield text.slice(emitted, ready);
        emitted = ready;
      }
      if (done) break;
      await yieldToEventLoop();
      throwIfAborted(opts.signal, "generate");
    }
  } finally {
    steps.return(undefined as never);
  }
  return { text, ids, finishReason, usage: { promptTokens: promptIds.length, completionTokens: ids.length } };
}
