// `loadPretrained(dir)`: a Hugging Face model directory (ours or one saved by transformers) as a
// ready language model — weights, tokenizer and generation defaults (generation_config.json) — with
// generate / stream / score over src/api/generation.ts and src/model/score.ts.
import fs from "node:fs";
import path from "node:path";
import { randomInt } from "node:crypto";
import { Llama } from "../model/llama.js";
import type { LlamaConfig } from "../model/config.js";
import { scoreTokens } from "../model/score.js";
import { native } from "../native/addon.js";
import { hasTokenizer } from "../tokenizer/resolve.js";
import { LmTokenizer } from "./tokenizer.js";
import type { ChatMessage } from "../tokenizer/chat-template.js";
import { throwIfAborted } from "./abort.js";
import {
  generationLoop, inputToIds, type GenerateOptions, type GenerateResult, type GenerationInput, type ResolvedGenerateOptions,
} from "./generation.js";

/** In-memory weight types, as the CLI's `--dtype` spells them. */
export type WeightDtype = "float32" | "bfloat16" | "q8_0" | "f32" | "bf16";

/** Weight types the linear layers can be held in (src/model/weight-storage.ts; float32 accumulation in every kernel). */
export const SUPPORTED_DTYPES: readonly WeightDtype[] = ["float32", "bfloat16", "q8_0", "f32", "bf16"];

/** Options of {@link loadPretrained}. */
export interface LoadOptions {
  /**
   * Weight type of the linear layers in memory (default float32); files of any dtype (F32/F16/BF16) load
   * into it. bfloat16 adopts a bf16 checkpoint's bits without a float32 copy; q8_0 is ggml's 8-bit blocks.
   */
  dtype?: WeightDtype;
  /** Native compute threads. Process-wide: the addon has one thread pool (default: its own choice). */
  threads?: number;
}

/** Generation defaults read from generation_config.json, with transformers' defaults for absent keys. */
export interface GenerationDefaults {
  maxNewTokens: number;
  greedy: boolean;
  temperature: number;
  topP: number;
  topK: number;
}

/** Per-token log-probabilities of a sequence: `tokenLogprobs[i] = log p(ids[i+1] | ids[..i])`, `nll = -Σ`. */
export interface ScoreResult {
  tokenLogprobs: number[];
  nll: number;
}

/** Options of `lm.score`. */
export interface ScoreOptions {
  signal?: AbortSignal;
}

function canonicalDtype(d: WeightDtype | undefined): "float32" | "bfloat16" | "q8_0" {
  const name = d ?? "float32";
  const canon = name === "f32" ? "float32" : name === "bf16" ? "bfloat16" : name;
  if (canon !== "float32" && canon !== "bfloat16" && canon !== "q8_0")
    throw new TypeError(`loadPretrained: dtype must be float32, bfloat16 or q8_0 (or f32, bf16), got "${String(d)}"`);
  return canon;
}

function readGenerationDefaults(dir: string): GenerationDefaults {
  const file = path.join(dir, "generation_config.json");
  let g: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    try { g = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>; } catch (e) {
      throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
    }
  }
  const num = (k: string, dflt: number): number => {
    const v = g[k];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${file}: "${k}" must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    maxNewTokens: num("max_new_tokens", 64),
    greedy: g.do_sample !== true,
    temperature: num("temperature", 1),
    topP: num("top_p", 1),
    topK: num("top_k", 50),
  };
}

/** A causal language model with its tokenizer: what {@link loadPretrained} returns. */
export class PretrainedModel {
  private readonly tok: LmTokenizer | null;

  /** Usually made by {@link loadPretrained}; wraps an already loaded model. */
  constructor(
    /** The model (weights, forward/backward); shared, not copied. */
    readonly model: Llama,
    tokenizer: LmTokenizer | null,
    /** Defaults for unset generate/stream options. */
    readonly generationDefaults: GenerationDefaults,
    /** The directory it was loaded from. */
    readonly dir: string,
  ) {
    this.tok = tokenizer;
  }

  /** The architecture (hidden size, layers, heads, vocabulary, ...). */
  get config(): LlamaConfig { return this.model.config; }

  /** Whether the directory had tokenizer files (without them only token-id input works). */
  get hasTokenizer(): boolean { return this.tok !== null; }

  /** The model's tokenizer; throws if the directory has none. */
  get tokenizer(): LmTokenizer {
    if (!this.tok) throw new Error(`${this.dir}: no tokenizer.json or tokenizer.model in the model directory; pass token ids instead of text`);
    return this.tok;
  }

  private resolve(opts: GenerateOptions): ResolvedGenerateOptions {
    const d = this.generationDefaults;
    const stop = opts.stop === undefined ? [] : typeof opts.stop === "string" ? [opts.stop] : [...opts.stop];
    if (stop.some((s) => typeof s !== "string" || s === "")) throw new TypeError("generate: stop strings must be non-empty strings");
    const r: ResolvedGenerateOptions = {
      maxNewTokens: opts.maxNewTokens ?? d.maxNewTokens,
      greedy: opts.greedy ?? d.greedy,
      temperature: opts.temperature ?? d.temperature,
      topP: opts.topP ?? d.topP,
      topK: opts.topK ?? d.topK,
      seed: opts.seed ?? randomInt(2 ** 31),
      stop,
      signal: opts.signal,
    };
    if (!(Number.isInteger(r.maxNewTokens) && r.maxNewTokens >= 0)) throw new RangeError(`generate: maxNewTokens must be an integer >= 0, got ${r.maxNewTokens}`);
    if (!(r.temperature > 0)) throw new RangeError(`generate: temperature must be > 0, got ${r.temperature}`);
    if (!(r.topP > 0 && r.topP <= 1)) throw new RangeError(`generate: topP must be in (0, 1], got ${r.topP}`);
    if (!(Number.isInteger(r.topK) && r.topK >= 0)) throw new RangeError(`generate: topK must be an integer >= 0, got ${r.topK}`);
    if (!Number.isInteger(r.seed)) throw new RangeError(`generate: seed must be an integer, got ${r.seed}`);
    return r;
  }

  private loop(input: GenerationInput, opts: GenerateOptions): AsyncGenerator<string, GenerateResult, undefined> {
    const resolved = this.resolve(opts);
    const { ids, chat } = inputToIds(input, () => this.tokenizer);
    if (this.model.head !== "lm") throw new Error(`${this.dir}: not a causal language model (it has a score head)`);
    return generationLoop(this.model, this.tok, ids, chat, resolved);
  }

  /**
   * Continues `input` (text, token ids, or chat messages answered as the assistant).
   * Yields to the event loop between decode steps; `signal` rejects it with an AbortError.
   */
  async generate(input: GenerationInput, opts: GenerateOptions = {}): Promise<GenerateResult> {
    const it = this.loop(input, opts);
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  }

  /**
   * The same generation as text pieces as they are decoded (never splitting a UTF-8 character, never
   * showing the start of a stop string that then matches); the pieces join to `generate`'s text.
   */
  stream(input: GenerationInput, opts: GenerateOptions = {}): AsyncIterable<string> {
    return { [Symbol.asyncIterator]: () => this.loop(input, opts) };
  }

  /** Log-probability of every token after the first under the model, and their total NLL. */
  async score(input: GenerationInput, opts: ScoreOptions = {}): Promise<ScoreResult> {
    throwIfAborted(opts.signal, "score");
    // A chat is scored whole (its assistant turns included), not as a prompt to answer.
    const isChat = Array.isArray(input) && input.length > 0 && typeof input[0] === "object";
    const ids = isChat ? this.tokenizer.applyChatTemplate(input as readonly ChatMessage[]) : inputToIds(input, () => this.tokenizer).ids;
    if (this.model.head !== "lm") throw new Error(`${this.dir}: not a causal language model (it has a score head)`);
    const { tokenLogprobs, nll } = scoreTokens(this.model, ids);
    return { tokenLogprobs, nll };
  }
}

/**
 * Loads a Hugging Face Llama model directory (config.json, model.safetensors or sharded
 * safetensors, tokenizer files, generation_config.json) for generation and scoring.
 *
 * @example
 * const lm = await loadPretrained("runs/demo/pretrain/final");
 * const { text } = await lm.generate("The river", { maxNewTokens: 20, greedy: true });
 */
export async function loadPretrained(dir: string, options: LoadOptions = {}): Promise<PretrainedModel> {
  const dtype = canonicalDtype(options.dtype);
  if (options.threads !== undefined) {
    if (!(Number.isInteger(options.threads) && options.threads >= 1)) throw new RangeError(`loadPretrained: threads must be an integer >= 1, got ${options.threads}`);
    native.setThreadCount(options.threads);
  }
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: no such model directory`);
  const model = await Llama.load(dir, { trainable: false, dtype });
  const tokenizer = hasTokenizer(dir) ? await LmTokenizer.load(dir) : null;
  return new PretrainedModel(model, tokenizer, readGenerationDefaults(dir), dir);
}
