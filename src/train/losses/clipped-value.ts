// PPO's clipped value loss (TRL's PPO `vpredclipped = clamp(vpred, v_old − ε, v_old + ε)`,
// `0.5 · masked_mean(max((vpred − R)², (vpredclipped − R)²))`; OpenRLHF's ValueLoss with value_clip
// is the same). Per token over a weight/mask w; returns the weighted sum and writes dLoss/dValue,
// which tokenValuesBackward puts into the value head's buffer. Ties follow torch autograd.

export interface ValueLossResult {
  /** Σ_i w_i · ½ max((v − R)², (clip(v) − R)²). */
  lossSum: number;
  /** Σ_i w_i. */
  weightSum: number;
  /** Σ_i w_i · [clipped term is the larger] (TRL vf_clipfrac = this / weightSum). */
  clippedSum: number;
}

/**
 * values, oldValues, returns, weights: [N]. `clip` = ε (TRL cliprange_value 0.2; Infinity = unclipped).
 * Writes dValues[i] = gradScale · w_i · ∂/∂v_i of the per-token loss.
 */
export function clippedValueLoss(values: ArrayLike<number>, oldValues: ArrayLike<number>, returns: ArrayLike<number>,
  weights: ArrayLike<number>, N: number, gradScale: number, dValues: Float32Array | null, clip = 0.2): ValueLossResult {
  let lossSum = 0, weightSum = 0, clippedSum = 0;
  for (let i = 0; i < N; i++) {
    const w = weights[i]!;
    if (w === 0) { if (dValues) dValues[i] = 0; continue; }
    const v = values[i]!, old = oldValues[i]!, R = returns[i]!;
    const lo = old - clip, hi = old + clip;
    const vc = Math.min(hi, Math.max(lo, v));
    const inside = v >= lo && v <= hi;
    const l1 = (v - R) ** 2, l2 = (vc - R) ** 2;
    lossSum += w * 0.5 * Math.max(l1, l2);
    weightSum += w;
    if (l2 > l1) clippedSum += w;
    if (!dValues) continue;
    const g1 = 2 * (v - R), g2 = inside ? 2 * (vc - R) : 0;
    const g = l1 > l2 ? g1 : l1 < l2 ? g2 : 0.5 * (g1 + g2);
    dValues[i] = gradScale * w * 0.5 * g;
  }
  return { lossSum, weightSum, clippedSum };
}
