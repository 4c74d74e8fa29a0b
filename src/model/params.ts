// A model's parameters as a flat list of named float32 tensors, in transformers' tensor names (so
// checkpoints are a one-to-one mapping) — the contract between the model, the optimizer, the trainer
// and checkpoint I/O. A parameter is trainable or frozen; only trainable ones ever get a gradient
// buffer, allocated on first use (torch's requires_grad and lazily created .grad).

/** One parameter tensor; shapes are row-major. */
export interface Param {
  /** HF tensor name, e.g. "model.layers.0.self_attn.q_proj.weight". */
  name: string;
  shape: number[];
  data: Float32Array;
  /**
   * Gradient accumulator (+= by backward kernels), the length of data; null until a backward first
   * writes it (gradOf), and always null for a frozen parameter. zeroGrads() clears it.
   */
  grad: Float32Array | null;
  /** Whether backward computes this parameter's gradient and the optimizer updates it (requires_grad). */
  trainable: boolean;
  /** Whether AdamW applies weight decay (false for norms, llama2-recipe.md §Pretraining). */
  decay: boolean;
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A trainable parameter's gradient buffer, allocated (zeroed) on first use. Throws for a frozen one. */
export function gradOf(p: Param): Float32Array {
  if (!p.trainable) throw new Error(`${p.name} is frozen: it has no gradient`);
  return (p.grad ??= new Float32Array(p.data.length));
}

/** The trainable subset, in order. */
export function trainableParams(params: Param[]): Param[] {
  return params.filter((p) => p.trainable);
}

/** Clears every allocated gradient (allocates nothing). */
export function zeroGrads(params: Param[]): void {
  for (const p of params) p.grad?.fill(0);
}

/** Sets trainable on every parameter whose name passes `which` (all by default); freezing drops the gradient. */
export function setTrainable(params: Param[], trainable: boolean, which: (name: string) => boolean = () => true): void {
  for (const p of params) {
    if (!which(p.name)) continue;
    p.trainable = trainable;
    if (!trainable) p.grad = null;
  }
}
