// The paper's PPO reward (§3.2.3, llama2-recipe.md §Iterative fine-tuning): RM scores as probabilities,
//   Rc(g|p) = Rs(g|p) if IS_SAFETY(p) or Rs(g|p) < 0.15 else Rh(g|p),   R̃c = WHITEN(LOGIT(Rc)),
// as small pure functions. Rejection sampling ranks samples by Rc (or a single RM's raw score).

/** The safety threshold below which the safety RM's verdict wins over helpfulness. */
export const SAFETY_GATE = 0.15;

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** log(p / (1 - p)), clamped away from 0 and 1 so a saturated RM gives a finite value. */
export function logit(p: number, eps = 1e-6): number {
  const q = Math.min(1 - eps, Math.max(eps, p));
  return Math.log(q / (1 - q));
}

/** Rc on the probability scale from the raw scores of the two RMs. */
export function combinedReward(rawHelpful: number, rawSafety: number, isSafety: boolean): number {
  const rs = sigmoid(rawSafety);
  return isSafety || rs < SAFETY_GATE ? rs : sigmoid(rawHelpful);
}

/** (x - mean) / std over the batch (population variance, as TRL's / OpenRLHF's whiten), with eps. */
export function whiten(xs: readonly number[], eps = 1e-8): number[] {
  const n = xs.length;
  if (n === 0) return [];
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const s = Math.sqrt(v + eps);
  return xs.map((x) => (x - mean) / s);
}

/** R̃c for a batch of rollouts: whiten(logit(Rc)). */
export function ppoRewards(rc: readonly number[]): number[] {
  return whiten(rc.map((p) => logit(p)));
}
