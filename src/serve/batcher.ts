// Continuous batching over the per-row KV cache (llama.cpp server's slots, vLLM's iteration-level
// scheduling): up to `parallel` sequences decode together, one token each per step; a new request is
// prefilled alone into a free row and joins the next step; a finished or cancelled sequence leaves at
// once and frees its row. The engine's per-row outputs do not depend on which rows share a step, and
// each sequence samples from its own seeded RNG, so an answer is the same alone or in a batch.
import { eosIds } from "../model/config.js";
import { KVCache } from "../model/kv-cache.js";
import type { Llama } from "../model/llama.js";
import { Rng } from "../model/rng.js";
import { chooseTokens, type SamplingOptions } from "../model/sampling.js";
import { native } from "../native/addon.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import type { StreamDecoder } from "../tokenizer/stream-decoder.js";

/** One sequence to generate. */
export interface SequenceRequest {
  id: string;
  prompt: number[];
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  /** Strings that end the answer; not included in the text. */
  stop: string[];
  /** Alternatives per position to report (0 = none; logprobs are still computed when `logprobs`). */
  topLogprobs: number;
  logprobs: boolean;
  /** Drop the leading space of the first piece (a chat answer after [/INST]); false for completions. */
  stripLeadingSpace: boolean;
  /** Keep going past </s> until maxTokens (llama.cpp's and vLLM's ignore_eos). */
  ignoreEos?: boolean;
}

/**
 * A token's log-probability under the model (log_softmax of the raw logits) and its alternatives; bytes are
 * the token's own UTF-8 bytes (a byte-fallback piece <0xE2> is the one byte 0xE2, as OpenAI's `bytes`).
 */
export interface TokenLogprob {
  id: number;
  token: string;
  bytes: number[];
  logprob: number;
  top: Array<{ id: number; token: string; bytes: number[]; logprob: number }>;
}

/** What a sequence reports as it runs. */
export type SequenceEvent =
  | { kind: "text"; text: string; logprobs: TokenLogprob[] }
  | { kind: "done"; finishReason: "stop" | "length"; completionTokens: number; promptTokens: number };

/** A token as text with its own leading space (OpenAI's logprob tokens); byte pieces stay "<0xXX>" unless ASCII. */
export function pieceText(tok: Tokenizer, id: number): string {
  const spec = tok.spec, piece = spec.pieces[id] ?? "";
  const m = /^<0x([0-9A-F]{2})>$/.exec(piece);
  if (m) { const b = parseInt(m[1]!, 16); return b < 0x80 ? String.fromCharCode(b) : piece; }
  return piece.replaceAll(spec.decode.space, " ");
}

/** A token's bytes (OpenAI's logprob `bytes`): a byte piece's one byte, otherwise the UTF-8 of its text. */
export function pieceBytes(tok: Tokenizer, id: number): number[] {
  const m = /^<0x([0-9A-F]{2})>$/.exec(tok.spec.pieces[id] ?? "");
  return m ? [parseInt(m[1]!, 16)] : Array.from(Buffer.from(pieceText(tok, id), "utf8"));
}

class Sequence {
  readonly generated: number[] = [];
  text = "";          // decoded so far
  emitted = 0;        // chars of `text` already sent
  pendingLogprobs: TokenLogprob[] = [];
  cancelled = false;
  readonly decoder: StreamDecoder;
  readonly rng: Rng;
  constructor(readonly req: SequenceRequest, tok: Tokenizer, readonly onEvent: (e: SequenceEvent) => void) {
    this.decoder = tok.createStreamDecoder({ stripLeadingSpace: req.stripLeadingSpace });
    this.rng = new Rng(req.seed >>> 0);
  }
}

export interface BatcherOptions {
  /** Sequences decoded together (cache rows). */
  parallel: number;
  /** Positions per row (prompt + answer); default the model's context. */
  contextSize?: number;
}

export class ContinuousBatcher {
  readonly parallel: number;
  readonly contextSize: number;
  private readonly cache: KVCache;
  private readonly rows: (Sequence | null)[];
  private readonly waiting: Sequence[] = [];
  private readonly logits: Float32Array;    // [parallel, V] each row's next-token logits
  private readonly gathered: Float32Array;  // [parallel, V] the running rows' logits, packed
  private readonly V: number;
  private topIds = new Int32Array(0);
  private readonly lse = new Float64Array(1);

  constructor(private readonly model: Llama, private readonly tok: Tokenizer, opts: BatcherOptions) {
    if (model.head !== "lm") throw new Error("the batcher needs a causal LM");
    this.parallel = opts.parallel;
    this.contextSize = Math.min(opts.contextSize ?? model.config.maxPositionEmbeddings, model.config.maxPositionEmbeddings);
    this.cache = new KVCache(model.config, this.parallel, this.contextSize);
    this.rows = new Array<Sequence | null>(this.parallel).fill(null);
    this.V = model.config.vocabSize;
    this.logits = new Float32Array(this.parallel * this.V);
    this.gathered = new Float32Array(this.parallel * this.V);
  }

  /** Sequences running or waiting. */
  get busy(): number { return this.rows.filter((r) => r !== null).length + this.waiting.length; }
  get running(): number { return this.rows.filter((r) => r !== null).length; }

  /** Queues a sequence; events arrive through onEvent as steps run. */
  submit(req: SequenceRequest, onEvent: (e: SequenceEvent) => void): void {
    if (req.prompt.length === 0) throw new Error("prompt is empty");
    if (req.prompt.length + req.maxTokens > this.contextSize)
      throw new RangeError(`prompt (${req.prompt.length} tokens) + max tokens (${req.maxTokens}) exceed the context (${this.contextSize})`);
    this.waiting.push(new Sequence(req, this.tok, onEvent));
  }

  /** Stops a sequence (client gone): it leaves at the next step without a done event. */
  cancel(id: string): void {
    for (const s of [...this.rows, ...this.waiting]) if (s && s.req.id === id) s.cancelled = true;
  }

  /** Whether step() has anything to do. */
  get idle(): boolean { return this.busy === 0; }

  /** Admits waiting sequences into free rows (each prefilled alone), then decodes one token for every running row. */
  step(): void {
    const engine = this.model.inference();
    for (let r = 0; r < this.parallel; r++) {
      const s = this.rows[r];
      if (s && s.cancelled) this.rows[r] = null;
    }
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.cancelled) this.waiting.splice(i, 1);
    for (let r = 0; r < this.parallel && this.waiting.length > 0; r++) {
      if (this.rows[r] !== null) continue;
      const s = this.waiting.shift()!;
      this.cache.resetRow(r);
      const out = engine.forward(this.cache, Int32Array.from(s.req.prompt), 1, s.req.prompt.length, false, [r]);
      this.logits.set(out.subarray(0, this.V), r * this.V);
      this.rows[r] = s;
    }
    // Every running row's token in one native call (src/model/sampling.ts chooseTokens), from its own RNG.
    const active: number[] = [];
    for (let r = 0; r < this.parallel; r++) if (this.rows[r]) active.push(r);
    if (active.length === 0) return;
    const n = active.length, V = this.V;
    let batch = this.logits.subarray(0, n * V);
    if (active.some((r, j) => r !== j)) {  // rows not a prefix of the cache: gather them
      batch = this.gathered.subarray(0, n * V);
      active.forEach((r, j) => batch.set(this.logits.subarray(r * V, (r + 1) * V), j * V));
    }
    const seqs = active.map((r) => this.rows[r]!);
    const choices = chooseTokens(batch, n, V, seqs.map((s) => this.samplingOf(s)), seqs.map((s) => s.rng), false);
    const slots: number[] = [], next: number[] = [];
    for (let j = 0; j < n; j++) {
      const s = seqs[j]!, r = active[j]!, id = choices[j]!.id;
      if (s.req.logprobs) s.pendingLogprobs.push(this.logprobOf(batch.subarray(j * V, (j + 1) * V), id, s.req.topLogprobs));
      if (this.advance(s, id)) { this.rows[r] = null; continue; }
      slots.push(r);
      next.push(id);
    }
    if (slots.length === 0) return;
    const out = engine.forward(this.cache, Int32Array.from(next), slots.length, 1, false, slots);
    slots.forEach((r, j) => this.logits.set(out.subarray(j * V, (j + 1) * V), r * V));
  }

  private samplingOf(s: Sequence): SamplingOptions {
    const { temperature, topP, topK } = s.req;
    return temperature <= 0 ? { greedy: true } : { temperature, topP, topK };
  }

  /** log_softmax of the raw logits at `id` and the top-k alternatives (OpenAI's logprobs: the model's distribution), natively. */
  private logprobOf(logits: Float32Array, id: number, k: number): TokenLogprob {
    const V = logits.length, K = Math.min(k, V);
    if (this.topIds.length < K) this.topIds = new Int32Array(K);
    native.topLogits(this.topIds, this.lse, logits, 1, V, K);
    const lse = this.lse[0]!;
    const top: TokenLogprob["top"] = [];
    for (let j = 0; j < K; j++) { const i = this.topIds[j]!; top.push({ id: i, token: pieceText(this.tok, i), bytes: pieceBytes(this.tok, i), logprob: logits[i]! - lse }); }
    return { id, token: pieceText(this.tok, id), bytes: pieceBytes(this.tok, id), logprob: logits[id]! - lse, top };
  }

  /** Records the sampled token; emits text; returns true when the sequence has finished. */
  private advance(s: Sequence, id: number): boolean {
    s.generated.push(id);
    const eos = !s.req.ignoreEos && (id === this.tok.eosId || eosIds(this.model.config).includes(id));
    if (!eos) s.text += s.decoder.push(id);
    let finish: "stop" | "length" | null = eos ? "stop" : null;
    let end = s.text.length;
    for (const stop of s.req.stop) {
      const at = s.text.indexOf(stop, Math.max(0, s.emitted - stop.length + 1));
      if (at >= 0 && at < end) { end = at; finish = "stop"; }
    }
    if (finish === null && s.generated.length >= s.req.maxTokens) finish = "length";
    if (finish !== null) {
      if (end === s.text.length) s.text += s.decoder.flush();
      if (finish === "stop" && end < s.text.length) s.text = s.text.slice(0, end);
      this.emit(s, s.text.length);
      s.onEvent({ kind: "done", finishReason: finish, completionTokens: s.generated.length, promptTokens: s.req.prompt.length });
      return true;
    }
    // Hold back a tail that could still grow into a stop string, so no stop text is ever sent.
    let hold = 0;
    for (const stop of s.req.stop)
      for (let k = Math.min(stop.length - 1, s.text.length); k > hold; k--)
        if (s.text.endsWith(stop.slice(0, k))) { hold = k; break; }
    this.emit(s, s.text.length - hold);
    return false;
  }

  private emit(s: Sequence, upTo: number): void {
    if (upTo <= s.emitted && s.pendingLogprobs.length === 0) return;
    const text = s.text.slice(s.emitted, Math.max(upTo, s.emitted));
    s.emitted = Math.max(upTo, s.emitted);
    const logprobs = s.pendingLogprobs;
    s.pendingLogprobs = [];
    s.onEvent({ kind: "text", text, logprobs });
  }
}
