// The one linear layer of the model (PyTorch nn.Linear without bias, as every Llama projection):
//   forward  y[N,out] (+)= x[N,in] · W^T                 (W stored [out, in], HF layout)
//   backward dx[N,in] (+)= dy[N,out] · W,  dW[out,in] += dy^T · x   (llm.c's matmul_backward)
// Every projection goes through this pair — q/k/v/o, gate/up/down, the LM head and the scalar head —
// so a weight's storage dtype (bf16 / q8_0 kernels) and adapters (LoRA) are decided here, once.
import { native } from "../native/addon.js";
import { gradOf, type Param } from "./params.js";
import type { LoraAdapter } from "./lora.js";
import type { WeightStorage } from "./weight-storage.js";

// Storage kinds and their conversion live in weight-storage.ts; a frozen model's weights may be kept
// as bf16 or q8_0 there (Param.data then holds nothing), and forward dispatches on the kind here.
export type { WeightStorage } from "./weight-storage.js";

/** A linear layer: y = x W^T, W = weight [outFeatures, inFeatures]. */
export class Linear {
  /** Storage the forward reads (f32 unless a lower-precision copy was made for a frozen model). */
  storage: WeightStorage = { kind: "f32" };
  /** A LoRA adapter added to this layer's output (src/model/lora.ts), or null. */
  lora: LoraAdapter | null = null;

  /**
   * @param name HF module name without ".weight", e.g. "model.layers.0.self_attn.q_proj"
   *   (PEFT's target_modules match its last component).
   * @param weight the parameter [outFeatures, inFeatures] (for a tied LM head, the embedding).
   */
  constructor(readonly name: string, readonly weight: Param) {
    if (weight.shape.length !== 2) throw new Error(`${name}: a linear weight must be 2-D, got shape ${JSON.stringify(weight.shape)}`);
  }

  get outFeatures(): number { return this.weight.shape[0]!; }
  get inFeatures(): number { return this.weight.shape[1]!; }

  /** out[N,out] = (accumulate ? out : 0) + x[N,in] · W^T. */
  forward(out: Float32Array, x: Float32Array, N: number, accumulate = false): void {
    const s = this.storage, O = this.outFeatures, I = this.inFeatures;
    if (s.kind === "f32") native.matmul(out, x, this.weight.data, N, O, I, false, true, accumulate);
    else if (s.kind === "bf16") native.matmulBf16(out, x, s.bits, N, O, I, accumulate);
    else native.matmulQ8_0(out, x, s.blocks, N, O, I, accumulate);
    this.lora?.forward(out, x, N);
  }

  /**
   * Backward of forward(x) from dOut[N,out]: dx[N,in] (+)= dOut · W (dx null = not needed, e.g. the
   * first layer's input is an embedding that may be frozen) and, when the weight is trainable,
   * W.grad += dOut^T · x (accumulates over micro-batches).
   */
  backward(dx: Float32Array | null, dOut: Float32Array, x: Float32Array, N: number, accumulateDx = false): void {
    const O = this.outFeatures, I = this.inFeatures;
    if (this.storage.kind !== "f32")
      throw new Error(`${this.name}: weights kept as ${this.storage.kind} are for inference only (load the model as float32 to train through it)`);
    if (dx) native.matmul(dx, dOut, this.weight.data, N, I, O, false, false, accumulateDx);
    if (this.weight.trainable) native.matmul(gradOf(this.weight), dOut, x, O, I, N, true, false, true);
    this.lora?.backward(dx, dOut, x, N);
  }
}
