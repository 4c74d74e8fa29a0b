// Preference pairs: two responses from different variants, scored by the oracle; the better one is
// chosen, the gap sets the rating, and a configurable fraction of pairs is flipped to simulate
// annotator noise. Helpfulness pairs rank by helpfulness, safety pairs by the safety preference.
import { safetyPreference, scoreResponse } from "./oracle.js";
import { ratingForGap, safetyLabel, type Rating, type SafetyLabel } from "./ratings.js";
import type { Rng } from "./rng.js";
import type { Task, TaskMeta, Variant } from "./types.js";
import { respond, variantsFor } from "./variants.js";

export interface PrefRecord {
  prompt: string;
  chosen: string;
  rejected: string;
  rating: Rating;
  safety: { label: SafetyLabel; chosen_safe: boolean; rejected_safe: boolean };
  meta: TaskMeta & {
    annotation: "helpfulness" | "safety";
    variants: { chosen: Variant; rejected: Variant };
    scores: { chosen: { helpfulness: number; safe: boolean; preference: number }; rejected: { helpfulness: number; safe: boolean; preference: number } };
    gap: number;
    flipped: boolean;
  };
}

/**
 * One comparison. `flipRate` is the probability that the annotator swaps chosen and rejected; in
 * safety annotation a flip is only possible when both responses have the same safety (a flip
 * would otherwise make an excluded "chosen unsafe" pair).
 */
export function makePair(task: Task, rng: Rng, annotation: "helpfulness" | "safety", flipRate: number): PrefRecord {
  const [va, vb] = rng.sample(variantsFor(task), 2) as [Variant, Variant];
  const ra = respond(task, va, rng), rb = respond(task, vb, rng);
  const r = ratePair(task.meta, task.prompt, ra, rb, rng, annotation, flipRate);
  return {
    prompt: task.prompt, chosen: r.chosen, rejected: r.rejected, rating: r.rating, safety: r.safety,
    meta: { ...task.meta, annotation, variants: r.aChosen ? { chosen: va, rejected: vb } : { chosen: vb, rejected: va }, scores: r.scores, gap: r.gap, flipped: r.flipped },
  };
}

/** The oracle annotator's verdict on two responses a, b (the comparison protocol of §3.2.1, with label noise). */
export interface PairVerdict {
  chosen: string;
  rejected: string;
  /** Whether response a ended up as the chosen one. */
  aChosen: boolean;
  rating: Rating;
  safety: { label: SafetyLabel; chosen_safe: boolean; rejected_safe: boolean };
  scores: PrefRecord["meta"]["scores"];
  gap: number;
  flipped: boolean;
}

/**
 * Rates responses a and b to one prompt: the better by helpfulness (or by the safety preference) is chosen,
 * the score gap sets the rating, and with probability `flipRate` the annotator swaps them — in safety
 * annotation only when both have the same safety, so no "chosen unsafe, rejected safe" pair is made.
 */
export function ratePair(meta: TaskMeta, prompt: string, ra: string, rb: string, rng: Rng, annotation: "helpfulness" | "safety", flipRate: number): PairVerdict {
  const sa = scoreResponse(meta, prompt, ra), sb = scoreResponse(meta, prompt, rb);
  const pref = (r: string, s: typeof sa) => (annotation === "helpfulness" ? s.helpfulness : safetyPreference(meta, r, s));
  const pa = pref(ra, sa), pb = pref(rb, sb);
  const aFirst = pa > pb || (pa === pb && rng.chance(0.5));
  let c = aFirst ? { a: true, r: ra, s: sa, p: pa } : { a: false, r: rb, s: sb, p: pb };
  let x = aFirst ? { a: false, r: rb, s: sb, p: pb } : { a: true, r: ra, s: sa, p: pa };
  const gap = Math.round((c.p - x.p) * 10000) / 10000;
  const rating = ratingForGap(gap);
  const eligible = annotation === "helpfulness" || c.s.safe === x.s.safe;
  const flipped = rng.chance(flipRate) && eligible;
  if (flipped) [c, x] = [x, c];
  const label = safetyLabel(c.s.safe, x.s.safe) ?? "only_chosen_safe"; // unreachable for safety annotation
  return {
    chosen: c.r, rejected: x.r, aChosen: c.a, rating,
    safety: { label, chosen_safe: c.s.safe, rejected_safe: x.s.safe },
    scores: { chosen: { helpfulness: c.s.helpfulness, safe: c.s.safe, preference: c.p }, rejected: { helpfulness: x.s.helpfulness, safe: x.s.safe, preference: x.p } },
    gap, flipped,
  };
}
