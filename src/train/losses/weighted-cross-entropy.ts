// Masked cross-entropy with per-token weights (SFT's assistant-only loss, Ghost Attention's zeroed
// earlier turns): torch `(F.cross_entropy(logits, targets, ignore_index=-100, reduction="none") * w).sum()`.
// The gradient dLoss/dLogits (scaled by gradScale) overwrites the logits buffer in place, ready for
// Llama.backward; native.crossEntropy does the fused softmax, this adds the per-row weight.
import { native } from "../../native/addon.js";

export interface WeightedLoss {
  /** Σ_i w_i · CE_i over trained rows (targets ≠ -100). */
  lossSum: number;
  /** Σ_i w_i over trained rows (the loss normaliser for a weighted mean). */
  weightSum: number;
  /** Trained rows (targets ≠ -100 and w_i ≠ 0). */
  count: number;
}

/**
 * logits[N,V] (overwritten with w_i · gradScale · (softmax − onehot) when `grad` is true), targets[N]
 * (-100 = not trained), weights[N] or null (all 1). `losses[N]` receives each row's unweighted CE.
 */
export function weightedCrossEntropy(logits: Float32Array, targets: Int32Array, weights: Float32Array | null,
  N: number, V: number, gradScale: number, grad: boolean, losses: Float32Array = new Float32Array(N)): WeightedLoss {
  if (weights && weights.length < N) throw new RangeError(`weightedCrossEntropy: weights has ${weights.length} entries, N = ${N}`);
  native.crossEntropy(logits, targets, losses, grad ? logits : null, N, V, weights ? 1 : gradScale);
  let lossSum = 0, weightSum = 0, count = 0;
  for (let i = 0; i < N; i++) {
    if (targets[i] === -100) continue;
    const w = weights ? weights[i]! : 1;
    lossSum += w * losses[i]!;
    weightSum += w;
    if (w !== 0) count++;
    // Rows with target -100 already have a zero gradient; the rest get their weight.
    if (grad && weights) native.scaleInPlace(logits.subarray(i * V, (i + 1) * V), w * gradScale, V);
  }
  return { lossSum, weightSum, count };
}
