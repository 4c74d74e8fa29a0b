// PPO's clipped surrogate (Schulman et al. 2017 eq. 7; TRL's PPO `pg_losses = -A·ratio`,
// `pg_losses2 = -A·clamp(ratio, 1−ε, 1+ε)`, `masked_mean(max(pg_losses, pg_losses2))`; OpenRLHF's
// PolicyLoss `-min(ratio·A, clip(ratio)·A)` is the same). Per token, over a weight/mask w. Returns the
// weighted sum (the caller's gradScale normalises, e.g. 1 / Σw for TRL's token mean) and dLoss/dlogp,
// which tokenLogprobsBackward carries into the logits. Ties and the clamp's edges follow torch autograd.

export interface PolicyLossResult {
  /** Σ_i w_i · max(−A_i·ρ_i, −A_i·clip(ρ_i)). */
  lossSum: number;
  /** Σ_i w_i. */
  weightSum: number;
  /** Σ_i w_i · [clipped term is the larger] (TRL pg_clipfrac = this / weightSum). */
  clippedSum: number;
  /** Σ_i w_i · ½(logp − oldLogp)² (TRL approxkl = this / weightSum). */
  approxKlSum: number;
  /** Σ_i w_i · ρ_i. */
  ratioSum: number;
}

export interface PolicyLossOptions {
  /** ε of clip(ρ, 1 − ε, 1 + ε); 0.2 in TRL, OpenRLHF and the paper. */
  clip?: number;
  /** Clamp logp − oldLogp to ±this before exp (OpenRLHF uses 20); default none, as TRL. */
  logRatioClamp?: number;
}

/**
 * logp, oldLogp, advantages, weights: [N] (weights 0 = not an action token). Writes
 * dLogp[i] = gradScale · w_i · ∂/∂logp_i of the per-token loss (0 where w_i = 0).
 */
export function clippedPolicyLoss(logp: ArrayLike<number>, oldLogp: ArrayLike<number>, advantages: ArrayLike<number>,
  weights: ArrayLike<number>, N: number, gradScale: number, dLogp: Float32Array | null, opts: PolicyLossOptions = {}): PolicyLossResult {
  const eps = opts.clip ?? 0.2, lim = opts.logRatioClamp ?? Infinity;
  const lo = 1 - eps, hi = 1 + eps;
  let lossSum = 0, weightSum = 0, clippedSum = 0, approxKlSum = 0, ratioSum = 0;
  for (let i = 0; i < N; i++) {
    const w = weights[i]!;
    if (w === 0) { if (dLogp) dLogp[i] = 0; continue; }
    const diff = logp[i]! - oldLogp[i]!;
    const clampedDiff = Math.min(lim, Math.max(-lim, diff));
    const r = Math.exp(clampedDiff), A = advantages[i]!;
    const inside = r >= lo && r <= hi;           // torch clamp passes the gradient on [lo, hi]
    const pg1 = -A * r, pg2 = -A * Math.min(hi, Math.max(lo, r));
    lossSum += w * Math.max(pg1, pg2);
    weightSum += w;
    if (pg2 > pg1) clippedSum += w;
    approxKlSum += w * 0.5 * diff * diff;
    ratioSum += w * r;
    if (!dLogp) continue;
    // ∂max/∂ρ: the larger term's derivative; on a tie torch's maximum gives each side half.
    const g1 = -A, g2 = inside ? -A : 0;
    const dr = pg1 > pg2 ? g1 : pg1 < pg2 ? g2 : 0.5 * (g1 + g2);
    const dDiff = Math.abs(diff) <= lim ? r : 0; // dρ/dlogp = ρ inside the log-ratio clamp
    dLogp[i] = gradScale * w * dr * dDiff;
  }
  return { lossSum, weightSum, clippedSum, approxKlSum, ratioSum };
}
