// Reward-model evaluation (paper §3.2.2, Table 8): accuracy (r_c > r_r strictly), the margin loss with
// the chosen Table 27 column, mean r_c − r_r, and accuracy by rating level and by safety label — the
// JSON of `llama2 reward eval` and a terminal table in Table 8's layout.
import { negLogSigmoid } from "../train/losses/pairwise-margin.js";
import { RATINGS, SAFETY_LABELS, type Rating, type SafetyLabel } from "../world/ratings.js";
import type { PairTokens } from "../data/preferences.js";
import type { PairScores } from "./reward-task.js";

/** Pairs of one rating level or safety label and the fraction ranked correctly (null when there are none). */
export interface GroupStats {
  n: number;
  accuracy: number | null;
}

/** `llama2 reward eval --json` (field names are the contract). */
export interface RewardEvalResult {
  n: number;
  accuracy: number;
  loss: number;
  by_rating: Record<Rating, GroupStats>;
  by_safety: Record<SafetyLabel, GroupStats>;
  mean_margin: number;
}

/** Metrics of scored pairs; `pairs[i].margin` is the margin the loss uses (0 for margin none). */
export function pairMetrics(pairs: readonly Pick<PairTokens, "margin" | "rating" | "safety">[], s: PairScores): RewardEvalResult {
  const count = (): { n: number; c: number } => ({ n: 0, c: 0 });
  const byR = Object.fromEntries(RATINGS.map((r) => [r, count()])) as Record<Rating, { n: number; c: number }>;
  const byS = Object.fromEntries(SAFETY_LABELS.map((r) => [r, count()])) as Record<SafetyLabel, { n: number; c: number }>;
  let loss = 0, correct = 0, gap = 0;
  pairs.forEach((p, i) => {
    const d = s.chosen[i]! - s.rejected[i]!;
    const ok = d > 0 ? 1 : 0;
    loss += negLogSigmoid(d - p.margin);
    correct += ok;
    gap += d;
    if (p.rating) { byR[p.rating].n++; byR[p.rating].c += ok; }
    if (p.safety) { byS[p.safety].n++; byS[p.safety].c += ok; }
  });
  const n = pairs.length;
  const stats = (g: { n: number; c: number }): GroupStats => ({ n: g.n, accuracy: g.n > 0 ? g.c / g.n : null });
  return {
    n,
    accuracy: n > 0 ? correct / n : 0,
    loss: n > 0 ? loss / n : 0,
    by_rating: Object.fromEntries(RATINGS.map((r) => [r, stats(byR[r])])) as Record<Rating, GroupStats>,
    by_safety: Object.fromEntries(SAFETY_LABELS.map((r) => [r, stats(byS[r])])) as Record<SafetyLabel, GroupStats>,
    mean_margin: n > 0 ? gap / n : 0,
  };
}

const pct = (x: number | null): string => (x === null ? "—" : (100 * x).toFixed(1));

/**
 * Table 8's layout: one row per model/test set, columns Significantly Better · Better · Slightly Better ·
 * Negligibly Better / Unsure · Avg (percent accuracy), then n per column and the safety split.
 */
export function formatEvalTable(name: string, r: RewardEvalResult): string {
  const head = ["", "Significantly Better", "Better", "Slightly Better", "Negligibly Better / Unsure", "Avg"];
  const acc = [name, ...RATINGS.map((k) => pct(r.by_rating[k].accuracy)), pct(r.accuracy)];
  const ns = ["n", ...RATINGS.map((k) => String(r.by_rating[k].n)), String(r.n)];
  const w = head.map((h, i) => Math.max(h.length, acc[i]!.length, ns[i]!.length));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  const out = [line(head), line(acc), line(ns)];
  if (SAFETY_LABELS.some((k) => r.by_safety[k].n > 0))
    out.push("", "safety: " + SAFETY_LABELS.map((k) => `${k} ${pct(r.by_safety[k].accuracy)} (n ${r.by_safety[k].n})`).join(" · "));
  out.push(`loss ${r.loss.toFixed(4)} · mean r_c − r_r ${r.mean_margin.toFixed(4)}`);
  return out.join("\n");
}
