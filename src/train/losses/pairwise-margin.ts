// The reward model's ranking loss (paper §3.2.2, eq. 2): L = −log σ(r_c − r_r − m(r)), TRL RewardTrainer's
// `-logsigmoid(rewards_chosen - rewards_rejected - margin)` (+ optional `center_rewards_coefficient ·
// mean((r_c + r_r)²)`). r_c, r_r are read from the scalar head's output at each sequence's last token;
// the gradient is written back into that buffer (zero at every other position) for Llama.backward.

export interface PairIndex {
  /** Rows of the head output [N, W] holding each pair's chosen / rejected score (flat b·T + t). */
  chosenAt: ArrayLike<number>;
  rejectedAt: ArrayLike<number>;
  /** m per pair (0 for margin "none"). */
  margins: ArrayLike<number>;
}

export interface PairwiseLoss {
  /** Σ over pairs of −log σ(r_c − r_r − m) (+ centering term). */
  lossSum: number;
  /** Pairs. */
  count: number;
  /** Pairs with r_c > r_r strictly. */
  correct: number;
  /** Per pair: r_c and r_r. */
  chosen: Float64Array;
  rejected: Float64Array;
}

/** −log σ(x) = softplus(−x), stable for large |x|. */
export function negLogSigmoid(x: number): number {
  return x >= 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
}

/** σ(x) without overflow. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * out[N, W] is the scalar head's output (column 0 is the score). With `grad`, out is overwritten by
 * dLoss/dOut · gradScale: per pair d/dr_c = −σ(−(r_c − r_r − m)) + 2c(r_c + r_r), d/dr_r = +σ(−·) + 2c(r_c + r_r)
 * (c = centerCoef; the per-pair term c(r_c + r_r)² summed, so lossSum / pairs is TRL's mean + c·mean(·)²), 0 elsewhere.
 */
export function pairwiseMarginLoss(out: Float32Array | Float64Array, N: number, W: number, pairs: PairIndex, gradScale: number,
  grad: boolean, centerCoef = 0): PairwiseLoss {
  const P = pairs.chosenAt.length;
  if (pairs.rejectedAt.length !== P || pairs.margins.length !== P)
    throw new RangeError(`pairwiseMarginLoss: ${P} chosen rows, ${pairs.rejectedAt.length} rejected, ${pairs.margins.length} margins`);
  const chosen = new Float64Array(P), rejected = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    const c = pairs.chosenAt[p]!, r = pairs.rejectedAt[p]!;
    if (!(c >= 0 && c < N && r >= 0 && r < N)) throw new RangeError(`pairwiseMarginLoss: pair ${p} rows ${c}, ${r} outside [0, ${N})`);
    chosen[p] = out[c * W]!;
    rejected[p] = out[r * W]!;
  }
  if (grad) out.fill(0, 0, N * W);
  let lossSum = 0, correct = 0;
  for (let p = 0; p < P; p++) {
    const rc = chosen[p]!, rr = rejected[p]!, d = rc - rr - pairs.margins[p]!;
    const center = centerCoef !== 0 ? centerCoef * (rc + rr) ** 2 : 0;
    lossSum += negLogSigmoid(d) + center;
    if (rc > rr) correct++;
    if (!grad) continue;
    const s = sigmoid(-d); // −d/dd log σ(d) = −σ(−d)
    const dc = 2 * centerCoef * (rc + rr);
    out[pairs.chosenAt[p]! * W] += (-s + dc) * gradScale;
    out[pairs.rejectedAt[p]! * W] += (s + dc) * gradScale;
  }
  return { lossSum, count: P, correct, chosen, rejected };
}
