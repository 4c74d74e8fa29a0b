// Global gradient-norm clipping (torch.nn.utils.clip_grad_norm_, llama2-recipe.md §Pretraining:
// clip 1.0): norm = sqrt(Σ g²) over every param; when norm > maxNorm, every gradient is scaled
// by maxNorm / (norm + 1e-6), exactly torch's clip_coef.
import { native } from "../native/addon.js";
import type { Param } from "../model/params.js";

/** The global L2 norm of all allocated gradients (frozen params have none), accumulated in double. */
export function gradNorm(params: Param[]): number {
  let s = 0;
  for (const p of params) if (p.grad) s += native.sumSquares(p.grad, p.grad.length);
  return Math.sqrt(s);
}

/** Clips in place when maxNorm > 0; returns the norm before clipping. */
export function clipGradNorm(params: Param[], maxNorm: number): number {
  const norm = gradNorm(params);
  if (maxNorm > 0 && Number.isFinite(norm)) {
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1) for (const p of params) if (p.grad) native.scaleInPlace(p.grad, coef, p.grad.length);
  }
  return norm;
}
