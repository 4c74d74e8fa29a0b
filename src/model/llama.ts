// The Llama 2 model (llama2-recipe.md §Architecture): decoder body + a language-model head
// (LlamaForCausalLM) or a scalar head (LlamaForSequenceClassification: reward models, PPO values).
// Heads expose forward → buffer and backward ← gradient in that buffer; losses (src/model/losses.ts)
// turn head outputs into a loss and write its gradient back, so no training stage forks the backward.
import { native } from "../native/addon.js";
import { validateConfig, type LlamaConfig } from "./config.js";
import { Activations } from "./activations.js";
import { decoderBackward, decoderForward, type TokenLayout } from "./decoder.js";
import { allocateWeights, type HeadKind, type LlamaWeights } from "./weights.js";
import { zeroGrads, type Param } from "./params.js";
import type { Linear } from "./linear.js";
import { Rng } from "./rng.js";
import { InferenceEngine } from "./infer.js";
import { loadModelDir, saveModelDir } from "./model-dir.js";

export interface LlamaOptions {
  head?: HeadKind;
  /** Outputs of the scalar head (1 for reward and value models). */
  numLabels?: number;
  /**
   * Whether the parameters start trainable (default true). Gradients are allocated only by a backward
   * and only for trainable parameters, so a model that is never trained holds its weights and nothing
   * else either way; `trainable: false` makes backward refuse to touch the weights (PPO's reference).
   */
  trainable?: boolean;
  /** Weight buffers to adopt instead of allocating (HF names; not copied). */
  tensors?: Map<string, { data: Float32Array }>;
}

export class Llama {
  readonly config: LlamaConfig;
  readonly head: HeadKind;
  readonly numLabels: number;
  readonly weights: LlamaWeights;
  private acts: Activations | null = null;
  private engine: InferenceEngine | null = null;
  // The batch of the last forward, needed by the backward.
  private last: { ids: Int32Array; B: number; T: number; layout: TokenLayout } | null = null;

  constructor(config: LlamaConfig, opts: LlamaOptions = {}) {
    validateConfig(config);
    this.config = config;
    this.head = opts.head ?? "lm";
    this.numLabels = opts.numLabels ?? 1;
    this.weights = allocateWeights(config, this.head, this.numLabels, { trainable: opts.trainable, tensors: opts.tensors });
  }

  /** Every parameter (HF names), trainable or frozen, with its gradient buffer once a backward made one. */
  get params(): Param[] {
    return this.weights.all;
  }

  /** Width of the head's output per position: V for the LM head, numLabels for the scalar head. */
  get headWidth(): number {
    return this.head === "lm" ? this.config.vocabSize : this.numLabels;
  }

  /** Loads an HF model directory (LlamaForCausalLM or LlamaForSequenceClassification). */
  static async load(dir: string, opts: { trainable?: boolean } = {}): Promise<Llama> {
    const loaded = await loadModelDir(dir);
    // loadModelDir has checked every name and shape against the same layout allocateWeights uses;
    // the model adopts its buffers (one float32 copy of the weights, never two).
    return new Llama(loaded.config, {
      head: loaded.kind === "causal-lm" ? "lm" : "score", numLabels: loaded.numLabels,
      trainable: opts.trainable, tensors: loaded.tensors,
    });
  }

  /** Writes an HF model directory atomically (config.json, safetensors, generation_config.json). */
  async save(dir: string, opts: { dtype?: "float32" | "bfloat16" | "float16" } = {}): Promise<void> {
    const tensors = new Map(this.params.map((p) => [p.name, { shape: p.shape, data: p.data }]));
    await saveModelDir(dir, this.config, this.head === "lm" ? "causal-lm" : "sequence-classification", tensors, {
      dtype: opts.dtype ?? "float32",
    });
  }

  /** The no-grad engine for cached decoding (shares this model's weights). */
  inference(): InferenceEngine {
    this.engine ??= new InferenceEngine(this.config, this.weights, this.headLinear());
    return this.engine;
  }

  /** Normal(0, std) weights, ones for norms — deterministic in the seed (HF's _init_weights). */
  initRandom(seed: number, std = 0.02): this {
    const rng = new Rng(seed);
    for (const p of this.params) {
      if (p.shape.length === 1) p.data.fill(1);
      else for (let i = 0; i < p.data.length; i++) p.data[i] = rng.normal() * std;
    }
    return this;
  }

  zeroGrads(): void {
    zeroGrads(this.params);
  }

  /** Grows the activation buffers to hold B×T (capacity is kept across calls). */
  reserve(B: number, T: number): Activations {
    if (!this.acts || !this.acts.fits(B, T)) {
      const maxB = Math.max(B, this.acts?.maxB ?? 0), maxT = Math.max(T, this.acts?.maxT ?? 0);
      this.acts = null;  // let the old buffers go before allocating the new ones
      this.acts = new Activations(this.config, maxB, maxT, this.headWidth);
    }
    return this.acts;
  }

  /**
   * Forward of ids[B,T] through the decoder and the head, saving activations for backward.
   * Returns a view of the head output: logits [B*T, V] or scores [B*T, numLabels]. The view is
   * reused by the next call (and overwritten in place by losses writing their gradient).
   */
  forward(ids: Int32Array, B: number, T: number, layout: TokenLayout = {}): Float32Array {
    const N = B * T, W = this.headWidth;
    if (ids.length < N) throw new RangeError(`forward: ids has ${ids.length} tokens, B*T = ${N}`);
    const acts = this.reserve(B, T);
    decoderForward(this.config, this.weights, acts, ids, B, T, layout);
    const out = acts.logits.subarray(0, N * W);
    this.headLinear().forward(out, acts.lnF, N);
    this.last = { ids, B, T, layout };
    return out;
  }

  /**
   * Backward of the last forward, from the gradient of the loss w.r.t. the head output
   * (dOut [B*T, W], typically the forward's own buffer rewritten by a loss). Accumulates into grads.
   */
  backward(dOut: Float32Array): void {
    if (!this.last || !this.acts) throw new Error("backward: no forward to differentiate");
    const { ids, B, T, layout } = this.last;
    const acts = this.acts, dLnF = acts.gradScratch().dLn;
    this.headLinear().backward(dLnF, dOut, acts.lnF, B * T);
    decoderBackward(this.config, this.weights, acts, dLnF, ids, B, T, layout);
  }

  /**
   * Next-token cross-entropy on ids[B,T] with targets[B,T] (already shifted; -100 = not trained):
   * forward, loss, and backward with dloss/dlogit scaled by gradScale (e.g. 1 / tokens in the step).
   * Returns the summed loss and the number of trained tokens.
   */
  lmForwardBackward(ids: Int32Array, targets: Int32Array, B: number, T: number, gradScale: number,
    layout: TokenLayout = {}): { lossSum: number; count: number } {
    const logits = this.forward(ids, B, T, layout);
    const N = B * T, losses = this.acts!.losses;
    const count = native.crossEntropy(logits, targets, losses, logits, N, this.config.vocabSize, gradScale);
    this.backward(logits);
    return { lossSum: sumTo(losses, N), count };
  }

  /** The same loss without gradients (evaluation). */
  lmLoss(ids: Int32Array, targets: Int32Array, B: number, T: number, layout: TokenLayout = {}): { lossSum: number; count: number } {
    const logits = this.forward(ids, B, T, layout);
    const N = B * T, losses = this.acts!.losses;
    const count = native.crossEntropy(logits, targets, losses, null, N, this.config.vocabSize, 1);
    return { lossSum: sumTo(losses, N), count };
  }

  /** The head's linear layer: lm_head [V, C] or score [numLabels, C]. */
  headLinear(): Linear {
    const w = this.head === "lm" ? this.weights.lmHead : this.weights.score;
    if (!w) throw new Error(`model has no ${this.head} head`);
    return w;
  }
}

function sumTo(x: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  return s;
}
