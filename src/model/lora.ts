// LoRA adapters on the linear layers (Hu et al. 2021; PEFT's LoraLayer): y = x W^T + s · drop(x) A^T B^T,
// A [r, in], B [out, r], s = alpha / r (alpha / √r with rsLoRA). A starts as PEFT's kaiming_uniform(a=√5) =
// U(±1/√in) and B at zero, so an attached adapter starts as the identity edit. Parameters use PEFT's saved
// tensor names ("base_model.model.<module>.lora_A.weight"), so adapter_model.safetensors maps one to one.
import { native } from "../native/addon.js";
import { gradOf, type Param } from "./params.js";
import type { Rng } from "./rng.js";

/** `lora:` in a training config (PEFT LoraConfig's r, lora_alpha, lora_dropout, target_modules). */
export interface LoraConfig {
  /** Rank; 0 = no adapters. */
  r: number;
  alpha: number;
  dropout: number;
  /** HF module names (last component): q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj. */
  targets: string[];
  /** Rank-stabilised LoRA (PEFT use_rslora, Kalajdzievski 2023): scale alpha / √r instead of alpha / r. */
  rslora?: boolean;
}

/** The factor on B A x: alpha / r, or alpha / √r with rslora (peft LoraLayer.update_layer). */
export function loraScale(c: Pick<LoraConfig, "r" | "alpha" | "rslora">): number {
  return c.rslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

export const LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
export const DEFAULT_LORA: LoraConfig = { r: 0, alpha: 16, dropout: 0, targets: ["q_proj", "v_proj"] };

/** Checks a LoRA config; `src` names where it came from. */
export function validateLora(c: LoraConfig, src = "lora"): void {
  if (!(Number.isInteger(c.r) && c.r >= 0)) throw new Error(`${src}: field "r" must be an integer >= 0, got ${c.r}`);
  if (!(Number.isFinite(c.alpha) && c.alpha > 0)) throw new Error(`${src}: field "alpha" must be > 0, got ${c.alpha}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`${src}: field "dropout" must be in [0, 1), got ${c.dropout}`);
  if (!Array.isArray(c.targets) || c.targets.length === 0) throw new Error(`${src}: field "targets" must be a non-empty list of module names`);
  for (const t of c.targets)
    if (!(LORA_TARGETS as readonly string[]).includes(t))
      throw new Error(`${src}: field "targets" has ${JSON.stringify(t)}; known modules: ${LORA_TARGETS.join(", ")}`);
}

/** Shared switches of a model's adapters: dropout is active only while training, from the trainer's RNG. */
export interface LoraMode {
  training: boolean;
  rng: Rng | null;
}

/** One adapter pair on one linear layer, with its forward's saved tensors (capacity N rows). */
export class LoraAdapter {
  readonly A: Param;   // [r, in]
  readonly B: Param;   // [out, r]
  readonly scale: number;
  // Saved by forward for backward: us = s · drop(x) A^T [N, r]; keep = dropout mask / (1 - p) [N, in].
  private us = new Float32Array(0);
  private keep = new Float32Array(0);
  private xd = new Float32Array(0);
  private dropped = false;

  constructor(module: string, inF: number, outF: number, readonly r: number, alpha: number, readonly dropout: number,
    private readonly mode: LoraMode, rslora = false) {
    const pre = `base_model.model.${module}`;
    this.A = { name: `${pre}.lora_A.weight`, shape: [r, inF], data: new Float32Array(r * inF), grad: null, trainable: true, decay: true };
    this.B = { name: `${pre}.lora_B.weight`, shape: [outF, r], data: new Float32Array(outF * r), grad: null, trainable: true, decay: true };
    this.scale = loraScale({ r, alpha, rslora });
  }

  get inFeatures(): number { return this.A.shape[1]!; }
  get outFeatures(): number { return this.B.shape[0]!; }

  /** PEFT's init: A ~ U(-1/√in, 1/√in) (kaiming_uniform with a = √5), B = 0. */
  init(rng: Rng): void {
    const bound = 1 / Math.sqrt(this.inFeatures);
    for (let i = 0; i < this.A.data.length; i++) this.A.data[i] = (2 * rng.uniform() - 1) * bound;
    this.B.data.fill(0);
  }

  /** out[N,out] += s · drop(x)[N,in] A^T B^T (the base forward wrote out first). */
  forward(out: Float32Array, x: Float32Array, N: number): void {
    const I = this.inFeatures, O = this.outFeatures, r = this.r;
    if (this.us.length < N * r) this.us = new Float32Array(N * r);
    let xin = x;
    this.dropped = this.mode.training && this.dropout > 0;
    if (this.dropped) {
      const rng = this.mode.rng;
      if (!rng) throw new Error("LoRA dropout needs an RNG (the trainer's); none was given");
      if (this.keep.length < N * I) { this.keep = new Float32Array(N * I); this.xd = new Float32Array(N * I); }
      const kept = 1 / (1 - this.dropout);
      for (let i = 0; i < N * I; i++) {
        const k = rng.uniform() >= this.dropout ? kept : 0;
        this.keep[i] = k;
        this.xd[i] = x[i]! * k;
      }
      xin = this.xd;
    }
    const us = this.us.subarray(0, N * r);
    native.matmul(us, xin, this.A.data, N, r, I, false, true, false);
    native.scaleInPlace(us, this.scale, N * r);
    native.matmul(out, us, this.B.data, N, O, r, false, true, true);
  }

  /**
   * Backward of forward(x) from dOut[N,out]: A.grad += (s · dOut B)^T drop(x), B.grad += dOut^T us,
   * and dx[N,in] += drop'(s · dOut B A) (after the base layer wrote or accumulated its share).
   */
  backward(dx: Float32Array | null, dOut: Float32Array, x: Float32Array, N: number): void {
    const I = this.inFeatures, O = this.outFeatures, r = this.r;
    const us = this.us.subarray(0, N * r);
    if (this.B.trainable) native.matmul(gradOf(this.B), dOut, us, O, r, N, true, false, true);
    const du = new Float32Array(N * r);                       // s · dOut B   [N, r]
    native.matmul(du, dOut, this.B.data, N, r, O, false, false, false);
    native.scaleInPlace(du, this.scale, N * r);
    const xin = this.dropped ? this.xd : x;
    if (this.A.trainable) native.matmul(gradOf(this.A), du, xin, r, I, N, true, false, true);
    if (!dx) return;
    if (!this.dropped) {
      native.matmul(dx, du, this.A.data, N, I, r, false, false, true);
      return;
    }
    const t = new Float32Array(N * I);
    native.matmul(t, du, this.A.data, N, I, r, false, false, false);
    for (let i = 0; i < N * I; i++) dx[i] += t[i]! * this.keep[i]!;
  }

  /** W += s · B A (folds the adapter into the base weight [out, in]). */
  mergeInto(w: Float32Array): void {
    const sB = Float32Array.from(this.B.data, (v) => v * this.scale);
    native.matmul(w, sB, this.A.data, this.outFeatures, this.inFeatures, this.r, false, false, true);
  }
}
