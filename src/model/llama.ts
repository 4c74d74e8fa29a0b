// The Llama 2 model (llama2-recipe.md §Architecture): decoder body + a language-model head
// (LlamaForCausalLM) or a scalar head (LlamaForSequenceClassification: reward models, PPO values).
// Heads expose forward → buffer and backward ← gradient in that buffer; losses (src/train/losses/)
// turn head outputs into a loss and write its gradient back, so no training stage forks the backward.
import { native } from "../native/addon.js";
import { validateConfig, type LlamaConfig } from "./config.js";
import { Activations } from "./activations.js";
import { decoderBackward, decoderForward, type TokenLayout } from "./decoder.js";
import { allocateWeights, type HeadKind, type LlamaWeights } from "./weights.js";
import path from "node:path";
import { setTrainable, zeroGrads, type Param } from "./params.js";
import { LoraAdapter, validateLora, type LoraConfig, type LoraMode } from "./lora.js";
import { ADAPTER_WEIGHTS as ADAPTER_FILE, isAdapterDir, readAdapterDir, writeAdapterDir } from "./peft.js";
import type { Linear } from "./linear.js";
import { Rng } from "./rng.js";
import { InferenceEngine } from "./infer.js";
import { makeStorage, type WeightDtype } from "./weight-storage.js";
import { loadModelDir, saveModelDir } from "./model-dir.js";

/** Options of the Llama constructor: which head, how many labels, trainable or frozen, adopted buffers. */
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
  /** Weight buffers to adopt instead of allocating (HF names; not copied; linear weights may be bf16 / q8_0). */
  tensors?: Map<string, { data: Float32Array; bf16?: Uint16Array; q8_0?: Uint8Array }>;
  /**
   * Storage of the linear weights: float32 (default), or bfloat16 / q8_0 for a frozen, inference-only
   * model (weight-storage.ts; the kernels accumulate in float32).
   */
  dtype?: WeightDtype;
}

/** PEFT's name for a SEQ_CLS adapter's trained head (modules_to_save). */
const SCORE_IN_ADAPTER = "base_model.model.score.weight";

/** Options of Llama.load. */
export interface LoadOptions {
  /** Parameters start trainable (default true); see LlamaOptions.trainable. */
  trainable?: boolean;
  /** For an adapter directory: the base model directory to use instead of its base_model_name_or_path. */
  base?: string;
  /** Storage of the linear weights (default float32); bfloat16 / q8_0 make a frozen, inference-only model. */
  dtype?: WeightDtype;
  /** Load weights holding NaN/Inf instead of refusing them (forensics; default false). */
  allowNonFinite?: boolean;
}

/**
 * A Llama 2 decoder with a language-model head (LlamaForCausalLM) or a scalar head
 * (LlamaForSequenceClassification): forward/backward for training, `inference()` for cached decoding,
 * `load`/`save` for Hugging Face model directories.
 */
export class Llama {
  readonly config: LlamaConfig;
  readonly head: HeadKind;
  readonly numLabels: number;
  readonly weights: LlamaWeights;
  /** The HF directory the base weights came from (an adapter directory records it), or null. */
  baseDir: string | null = null;
  /** The LoRA adapters' config when adapters are attached (src/model/lora.ts), else null. */
  lora: LoraConfig | null = null;
  private adapters: LoraAdapter[] = [];
  private readonly loraMode: LoraMode = { training: false, rng: null };
  private acts: Activations | null = null;
  private engine: InferenceEngine | null = null;
  // The batch of the last forward, needed by the backward.
  private last: { ids: Int32Array; B: number; T: number; layout: TokenLayout } | null = null;

  /** Allocates the weights for `config` (zeros; see initRandom, or use Llama.load). */
  constructor(config: LlamaConfig, opts: LlamaOptions = {}) {
    validateConfig(config);
    this.config = config;
    this.head = opts.head ?? "lm";
    this.numLabels = opts.numLabels ?? 1;
    this.dtype = opts.dtype ?? "float32";
    this.weights = allocateWeights(config, this.head, this.numLabels, { trainable: opts.trainable, tensors: opts.tensors, dtype: this.dtype });
  }

  /** Storage dtype of the linear weights ("float32" unless loaded or built as bfloat16 / q8_0). */
  readonly dtype: WeightDtype;

  /** Every parameter (HF names), trainable or frozen, with its gradient buffer once a backward made one. */
  get params(): Param[] {
    return this.adapters.length === 0 ? this.weights.all : [...this.weights.all, ...this.adapters.flatMap((a) => [a.A, a.B])];
  }

  /** Training mode (torch's module.train()): turns LoRA dropout on. The trainer sets it around its steps. */
  get training(): boolean { return this.loraMode.training; }
  /** Turns training mode (LoRA dropout) on or off. */
  set training(on: boolean) { this.loraMode.training = on; }

  /**
   * Attaches LoRA adapters (r > 0) to the linear layers named by cfg.targets and freezes every base
   * weight — except a scalar head, which trains beside the adapters (PEFT's modules_to_save for
   * SEQ_CLS). A is initialised from `seed`; dropout masks come from `rng` (the trainer's, so resume is exact).
   */
  addLora(cfg: LoraConfig, opts: { seed?: number; rng?: Rng } = {}): void {
    validateLora(cfg);
    if (cfg.r === 0) throw new Error("addLora: r must be >= 1");
    if (this.lora) throw new Error("addLora: this model already has LoRA adapters");
    setTrainable(this.weights.all, false);
    if (this.weights.score) setTrainable([this.weights.score.weight], true);
    const init = new Rng(opts.seed ?? 0);
    for (const lin of this.weights.linears) {
      if (!cfg.targets.includes(lin.name.slice(lin.name.lastIndexOf(".") + 1))) continue;
      const a = new LoraAdapter(lin.name, lin.inFeatures, lin.outFeatures, cfg.r, cfg.alpha, cfg.dropout, this.loraMode, cfg.rslora === true);
      a.init(init);
      lin.lora = a;
      this.adapters.push(a);
    }
    this.lora = { ...cfg, targets: [...cfg.targets] };
    this.loraMode.rng = opts.rng ?? null;
  }

  /**
   * The trainer's hook: attaches adapters for a config with r > 0, or — when the model already has them
   * (resumed from an adapter checkpoint) — checks they agree and takes the RNG for dropout.
   */
  useLora(cfg: LoraConfig, rng: Rng): void {
    if (!this.lora) {
      if (!this.baseDir) throw new Error("lora: adapters train on a base model loaded from a directory (e.g. model.init_from=DIR); this model was initialised in memory");
      this.addLora(cfg, { seed: rng.nextU32(), rng });
      return;
    }
    if (this.lora.r !== cfg.r || this.lora.alpha !== cfg.alpha || this.lora.targets.join() !== cfg.targets.join())
      throw new Error(`the model's LoRA adapters (r ${this.lora.r}, alpha ${this.lora.alpha}, targets ${this.lora.targets.join(",")}) ` +
        `differ from the config's lora (r ${cfg.r}, alpha ${cfg.alpha}, targets ${cfg.targets.join(",")})`);
    this.lora.dropout = cfg.dropout;
    this.loraMode.rng = rng;
  }

  /** Folds every adapter into its base weight (W += alpha/r · B A) and removes the adapters. */
  mergeLora(): void {
    for (const lin of this.weights.linears) {
      if (!lin.lora) continue;
      lin.lora.mergeInto(lin.weight.data);
      lin.lora = null;
    }
    if (this.adapters.length > 0) this.baseDir = null;  // the weights no longer are the base directory's
    this.adapters = [];
    this.lora = null;
  }

  /** Width of the head's output per position: V for the LM head, numLabels for the scalar head. */
  get headWidth(): number {
    return this.head === "lm" ? this.config.vocabSize : this.numLabels;
  }

  /**
   * Loads an HF model directory (LlamaForCausalLM or LlamaForSequenceClassification), or a PEFT LoRA
   * adapter directory: its base (base_model_name_or_path) with the adapters attached, unmerged. With
   * dtype bfloat16 or q8_0 the linear weights are kept in that storage as each tensor is read: a bf16
   * checkpoint's bits are adopted as they are (no float32 copy), q8_0 is quantized tensor by tensor.
   */
  static async load(dir: string, opts: LoadOptions = {}): Promise<Llama> {
    return Llama.loadSync(dir, opts);
  }

  /** Llama.load without the promise (the reading is synchronous either way). */
  static loadSync(dir: string, opts: LoadOptions = {}): Llama {
    if (isAdapterDir(dir)) {
      if (opts.dtype && opts.dtype !== "float32") throw new Error(`${dir}: a LoRA adapter directory loads as float32 (merge it first to use dtype ${opts.dtype})`);
      return Llama.loadAdapter(dir, opts);
    }
    const dtype = opts.dtype ?? "float32";
    // Every projection, the LM head and the score head (not the embedding: its lookup reads float32).
    const isLinear = (name: string, shape?: number[]) =>
      /(_proj|^lm_head|^score)\.weight$/.test(name) && (shape === undefined || shape.length === 2);
    const loaded = dtype === "float32" ? loadModelDir(dir, { allowNonFinite: opts.allowNonFinite }) : loadModelDir(dir, {
      allowNonFinite: opts.allowNonFinite,
      keepBf16: (name) => isLinear(name),
      onTensor: (name, t) => {
        if (!isLinear(name, t.shape)) return t;
        const [rows, cols] = [t.shape[0]!, t.shape[1]!];
        if (dtype === "q8_0" && cols % 32 !== 0) return t;  // stays float32 (allocateWeights widens bf16 bits)
        const s = makeStorage(dtype, rows, cols, t, name);
        return s.kind === "bf16" ? { shape: t.shape, data: new Float32Array(0), bf16: s.bits }
          : s.kind === "q8_0" ? { shape: t.shape, data: new Float32Array(0), q8_0: s.blocks } : t;
      },
    });
    // loadModelDir has checked every name and shape against the same layout allocateWeights uses;
    // the model adopts its buffers (one copy of the weights, never two).
    const model = new Llama(loaded.config, {
      head: loaded.kind === "causal-lm" ? "lm" : "score", numLabels: loaded.numLabels,
      trainable: opts.trainable, tensors: loaded.tensors, dtype,
    });
    model.baseDir = path.resolve(dir);
    return model;
  }

  private static loadAdapter(dir: string, opts: LoadOptions): Llama {
    const a = readAdapterDir(dir);
    if (opts.base) a.baseDir = path.resolve(opts.base);
    else if (a.baseMissing) throw new Error(a.baseMissing);
    if (isAdapterDir(a.baseDir)) throw new Error(`${dir}: its base ${a.baseDir} is itself an adapter directory (merge it first: llama2 lora merge)`);
    let model: Llama;
    try {
      model = Llama.loadSync(a.baseDir, { trainable: opts.trainable, allowNonFinite: opts.allowNonFinite });
    } catch (e) {
      throw new Error(`${dir}: loading its base model ${a.baseDir} (adapter_config.json base_model_name_or_path): ${(e as Error).message}`);
    }
    // A SEQ_CLS adapter on a causal LM (a reward model trained from an SFT model): the LM's body with
    // the adapter's trained score head, as PEFT's AutoPeftModelForSequenceClassification builds it.
    const score = a.tensors.get(SCORE_IN_ADAPTER);
    if (a.taskType === "SEQ_CLS" && model.head === "lm" && score) model = model.withScoreHead(score);
    const want = model.head === "lm" ? "CAUSAL_LM" : "SEQ_CLS";
    if (a.taskType !== null && a.taskType !== want)
      throw new Error(`${dir}: adapter_config.json task_type is ${a.taskType} but the base ${a.baseDir} is a ${model.head === "lm" ? "causal LM" : "sequence classifier"} (${want})`);
    model.addLora(a.lora);
    const expected = model.adapterTensors();
    for (const [name, t] of expected) {
      const got = a.tensors.get(name);
      if (!got) {
        // PEFT adapters on some layers only (layers_to_transform, a regex): every layer's module of a kind is adapted here.
        const kind = /\.(\w+_proj)\.lora_/.exec(name)?.[1];
        const some = kind !== undefined && [...a.tensors.keys()].some((n) => n.includes(`.${kind}.lora_`));
        throw new Error(`${dir}: ${ADAPTER_FILE} has no tensor "${name}"` +
          (some ? ` but has ${kind} adapters on other layers; LoRA on some layers only is not supported (every layer's ${kind} must be adapted)` : ""));
      }
      if (JSON.stringify(got.shape) !== JSON.stringify(t.shape)) throw new Error(`${dir}: tensor "${name}" has shape ${JSON.stringify(got.shape)}, expected ${JSON.stringify(t.shape)}`);
      t.data.set(got.data);
    }
    const extra = [...a.tensors.keys()].filter((n) => !expected.has(n));
    if (extra.length) throw new Error(`${dir}: unexpected tensor${extra.length > 1 ? "s" : ""} ${extra.slice(0, 3).map((n) => `"${n}"`).join(", ")} in ${ADAPTER_FILE}`);
    if (opts.trainable === false) setTrainable(model.params, false);
    return model;
  }

  /**
   * This model's body under a new scalar head score [numLabels, C] (the LM head dropped); it shares
   * the body's weight buffers and keeps baseDir (the directory the body came from).
   */
  withScoreHead(score: { shape: number[]; data: Float32Array }): Llama {
    const C = this.config.hiddenSize;
    if (score.shape.length !== 2 || score.shape[1] !== C) throw new Error(`score head: shape ${JSON.stringify(score.shape)}, expected [numLabels, ${C}]`);
    const tensors = new Map<string, { data: Float32Array }>();
    for (const p of this.weights.all) if (p.name !== "lm_head.weight") tensors.set(p.name, { data: p.data });
    tensors.set("score.weight", { data: Float32Array.from(score.data) });
    const m = new Llama({ ...this.config }, { head: "score", numLabels: score.shape[0], tensors, trainable: this.weights.embed.trainable });
    m.baseDir = this.baseDir;
    return m;
  }

  /** The tensors an adapter directory holds, by PEFT name (the scalar head too for SEQ_CLS). */
  private adapterTensors(): Map<string, { shape: number[]; data: Float32Array }> {
    const m = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const a of this.adapters) for (const p of [a.A, a.B]) m.set(p.name, { shape: p.shape, data: p.data });
    if (this.weights.score) m.set(SCORE_IN_ADAPTER, { shape: this.weights.score.weight.shape, data: this.weights.score.weight.data });
    return m;
  }

  /**
   * Writes an HF model directory atomically (config.json, safetensors, generation_config.json) — or,
   * with LoRA adapters attached, a PEFT adapter directory whose base_model_name_or_path is baseDir.
   */
  async save(dir: string, opts: { dtype?: "float32" | "bfloat16" | "float16"; files?: Record<string, string | Uint8Array> } = {}): Promise<void> {
    if (this.lora) {
      if (!this.baseDir) throw new Error(`save ${dir}: a LoRA model needs its base model directory (load the base with Llama.load, or set baseDir)`);
      writeAdapterDir(dir, {
        lora: this.lora, baseDir: this.baseDir, taskType: this.head === "lm" ? "CAUSAL_LM" : "SEQ_CLS",
        tensors: [...this.adapterTensors()], dtype: opts.dtype === "bfloat16" ? "BF16" : opts.dtype === "float16" ? "F16" : "F32",
        files: opts.files,
      });
      return;
    }
    if (this.dtype !== "float32") throw new Error(`save: this model keeps its weights as ${this.dtype} (inference only); load it as float32 to save it`);
    const tensors = new Map(this.weights.all.map((p) => [p.name, { shape: p.shape, data: p.data }]));
    await saveModelDir(dir, this.config, this.head === "lm" ? "causal-lm" : "sequence-classification", tensors, {
      dtype: opts.dtype ?? "float32", files: opts.files,
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

  /** Zeroes every allocated gradient buffer. */
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
