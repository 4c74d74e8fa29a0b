// A model's parameters as a flat list of named float32 tensors with their gradients, in
// transformers' tensor names (so checkpoints are a one-to-one mapping) — the contract between
// the model, the optimizer, the trainer and checkpoint I/O.

/** One parameter tensor. `data` and `grad` have the same length; shapes are row-major. */
export interface Param {
  /** HF tensor name, e.g. "model.layers.0.self_attn.q_proj.weight". */
  name: string;
  shape: number[];
  data: Float32Array;
  /** Gradient accumulator (+= by backward kernels); zeroGrads() clears it. */
  grad: Float32Array;
  /** Whether AdamW applies weight decay (false for norms, llama2-recipe.md §Pretraining). */
  decay: boolean;
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function zeroGrads(params: Param[]): void {
  for (const p of params) p.grad.fill(0);
}
