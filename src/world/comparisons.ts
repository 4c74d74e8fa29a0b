// Preference pairs (§3.2.1): two sampled answers to one prompt — half the time the same kind of answer (mostly correct)
// worded at different lengths, otherwise two kinds (correct, subtly wrong, partially correct, refusal,
// compliance), each with 0..MAX_FILLERS filler sentences — scored by the oracle. The better is chosen,
// the score gap alone sets the rating (so every level holds every kind of comparison), and the
// annotator prefers the worse one more often the closer the pair (flipProbability).
// Helpfulness pairs rank by helpfulness, safety pairs by the safety preference.
import { safetyPreference, scoreResponse } from "./oracle.js";
import { flipProbability, ratingForGap, safetyLabel, type Rating, type SafetyLabel } from "./ratings.js";
import type { Rng } from "./rng.js";
import type { Task, TaskMeta, Variant } from "./types.js";
import { MAX_FILLERS, baseVariantsFor, respond, takesFillers } from "./variants.js";

/** Share of comparisons whose two answers are of the same kind (two samples that agree on the answer and differ in wording). */
export const SAME_KIND_SHARE = 0.5;
/** Which kind both answers of a same-kind comparison are: mostly correct, as most samples of a tuned model are. */
const SAME_KIND_WEIGHTS: Partial<Record<Variant, number>> = { correct: 0.6, partially_correct: 0.2, subtly_wrong: 0.2 };

export interface PrefRecord {
  prompt: string;
  chosen: string;
  rejected: string;
  rating: Rating;
  safety: { label: SafetyLabel; chosen_safe: boolean; rejected_safe: boolean };
  meta: TaskMeta & {
    annotation: "helpfulness" | "safety";
    variants: { chosen: Variant; rejected: Variant };
    /** Filler (or lecturing) sentences in each answer. */
    fillers: { chosen: number; rejected: number };
    scores: { chosen: { helpfulness: number; safe: boolean; preference: number }; rejected: { helpfulness: number; safe: boolean; preference: number } };
    gap: number;
    flipped: boolean;
  };
}

/**
 * One comparison: two answers drawn as the file header says, rated by ratePair. `flipRate` scales
 * the annotator's noise (flipProbability); in safety annotation a flip is only possible when both
 * responses have the same safety (a flip would otherwise make an excluded "chosen unsafe" pair).
 */
export function makePair(task: Task, rng: Rng, annotation: "helpfulness" | "safety", flipRate: number): PrefRecord {
  const bases = baseVariantsFor(task);
  let va: Variant, vb: Variant;
  if (rng.chance(SAME_KIND_SHARE)) {
    const kinds = bases.filter((v) => takesFillers(task, v));
    va = vb = kinds[rng.weighted(kinds.map((v) => SAME_KIND_WEIGHTS[v] ?? 0))]!;
  }
  else [va, vb] = rng.sample(bases, 2) as [Variant, Variant];
  const fillers = (v: Variant): number => (takesFillers(task, v) ? rng.int(0, MAX_FILLERS) : 0);
  const ka = fillers(va);
  let kb = fillers(vb);
  while (va === vb && kb === ka) kb = fillers(vb); // the same kind of answer: the wording differs in length
  const ra = respond(task, va, rng, ka), rb = respond(task, vb, rng, kb);
  const r = ratePair(task.meta, task.prompt, ra, rb, rng, annotation, flipRate);
  return {
    prompt: task.prompt, chosen: r.chosen, rejected: r.rejected, rating: r.rating, safety: r.safety,
    meta: {
      ...task.meta, annotation,
      variants: r.aChosen ? { chosen: va, rejected: vb } : { chosen: vb, rejected: va },
      fillers: r.aChosen ? { chosen: ka, rejected: kb } : { chosen: kb, rejected: ka },
      scores: r.scores, gap: r.gap, flipped: r.flipped,
    },
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
 * the score gap sets the rating, and with probability flipProbability(gap, flipRate) — highest for close
 * pairs — the annotator swaps them; in safety annotation only when both have the same safety, so no
 * "chosen unsafe, rejected safe" pair is made. The rating stays the one of the true gap.
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
  const flipped = rng.chance(flipProbability(gap, flipRate)) && eligible;
  if (flipped) [c, x] = [x, c];
  const label = safetyLabel(c.s.safe, x.s.safe) ?? "only_chosen_safe"; // unreachable for safety annotation
  return {
    chosen: c.r, rejected: x.r, aChosen: c.a, rating,
    safety: { label, chosen_safe: c.s.safe, rejected_safe: x.s.safe },
    scores: { chosen: { helpfulness: c.s.helpfulness, safe: c.s.safe, preference: c.p }, rejected: { helpfulness: x.s.helpfulness, safe: x.s.safe, preference: x.p } },
    gap, flipped,
  };
}
