// Preference ratings and safety labels (§3.2.1): the four-level rating follows from the oracle's
// score gap; the reward-model margin of each level is Table 27 of the paper.

export const RATINGS = ["significantly_better", "better", "slightly_better", "negligibly_better"] as const;
export type Rating = (typeof RATINGS)[number];
export const SAFETY_LABELS = ["both_safe", "only_chosen_safe", "both_unsafe"] as const;
export type SafetyLabel = (typeof SAFETY_LABELS)[number];

/** Score-gap thresholds of the rating levels (gap ≥ 0.5 significantly … < 0.1 negligibly/unsure). */
export const RATING_GAPS: Readonly<Record<Rating, number>> = {
  significantly_better: 0.5, better: 0.25, slightly_better: 0.1, negligibly_better: 0,
};

/** The rating an annotator gives for a score gap (chosen − rejected, ≥ 0). */
export function ratingForGap(gap: number): Rating {
  for (const r of RATINGS) if (gap >= RATING_GAPS[r]) return r;
  return "negligibly_better";
}

/**
 * How often the simulated annotator prefers the worse of two responses whose oracle scores differ by
 * `gap` (≥ 0): 5 · `flipRate` · e^(−gap / 0.1), at most 0.5 — annotators are unsure about close pairs
 * and agree on clear ones (§3.2.1 "negligibly better / unsure"). At flip rate 0.1: a coin flip at a
 * tie, 0.30 at a gap of 0.05, 0.18 at 0.1 (slightly better), 0.04 at 0.25 (better), 0.003 at 0.5
 * (significantly better). Flip rate 0 gives an annotator who never errs.
 */
export function flipProbability(gap: number, flipRate: number): number {
  return Math.min(0.5, 5 * flipRate * Math.exp(-Math.max(0, gap) / 0.1));
}

/** Table 27 margins m(r) of the ranking loss −log σ(r_c − r_r − m(r)). */
export const MARGINS: Readonly<Record<"small" | "large", Record<Rating, number>>> = {
  small: { significantly_better: 1, better: 2 / 3, slightly_better: 1 / 3, negligibly_better: 0 },
  large: { significantly_better: 3, better: 2, slightly_better: 1, negligibly_better: 0 },
};

/** The pair's safety label, or null for "chosen unsafe, rejected safe" (excluded, as in the paper). */
export function safetyLabel(chosenSafe: boolean, rejectedSafe: boolean): SafetyLabel | null {
  if (chosenSafe && rejectedSafe) return "both_safe";
  if (chosenSafe) return "only_chosen_safe";
  if (!rejectedSafe) return "both_unsafe";
  return null;
}

/** The rating nearest to a Table-27 "small" margin (for preference files that give margins). */
export function ratingForMargin(margin: number): Rating {
  if (margin >= 5 / 6) return "significantly_better";
  if (margin >= 1 / 2) return "better";
  if (margin >= 1 / 6) return "slightly_better";
  return "negligibly_better";
}

export function isRating(x: unknown): x is Rating {
  return typeof x === "string" && (RATINGS as readonly string[]).includes(x);
}
