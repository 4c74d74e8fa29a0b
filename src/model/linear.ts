// The one linear layer of the model (PyTorch nn.Linear without bias, as every Llama projection):
//   forward  y[N,out] (+)= x[N,in] · W^T                 (W stored [out, in], HF layout)
//   backward dx[N,in] (+)= dy[N,out] · W,  dW[out,in] += dy^T · x   (llm.c's matmul_backward)
// Every projection goes through this pair — q/k/v/o, gate/up/down, the LM head and the scalar head —
// so a weight's storage dtype (bf16 / q8_0 kernels) and adapters (LoRA) are decided here, once.
import { native } from "../native/addon.js";
import { gradOf, type Param } from "./params.js";
import type { LoraAdapter } from "./lora.js";

/**
 * How the forward reads the weight. "f32": the float32 master weight itself (weight.data). Other
 * storage kinds (bf16, q8_0 for frozen models) add a case here and a kernel in native/; their
 * forward must equal the f32 path within the tolerance their tests state.
 */
export type WeightStorage = { kind: "f32" };

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
    native.matmul(out, x, this.weight.data, N, this.outFeatures, this.inFeatures, false, true, accumulate);
    this.lora?.forward(out, x, N);
  }

  /**
   * Backward of forward(x) from dOut[N,out]: dx[N,in] (+)= dOut · W (dx null = not needed, e.g. the
   * first layer's input is an embedding that may be frozen) and, when the weight is trainable,
   * W.grad += dOut^T · x (accumulates over micro-batches).
   */
  backward(dx: Float32Array | null, dOut: Float32Array, x: Float32Array, N: number, accumulateDx = false): void {
    const O = this.outFeatures, I = this.inFeatures;
    if (dx) native.matmul(dx, dOut, this.weight.data, N, I, O, false, false, accumulateDx);
    if (this.weight.trainable) native.matmul(gradOf(this.weight), dOut, x, O, I, N, true, false, true);
    this.lora?.backward(dx, dOut, x, N);
  }
}
