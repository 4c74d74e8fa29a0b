// The paper's comparison protocol (§3.2.1) with the world's oracle as the annotator: for each prompt, two
// responses sampled from two model variants and/or temperatures, rated on the four-level scale for
// helpfulness or for safety (separate files, as in the paper), with a safety label per response and
// the world's label noise, written in the preference format `llama2 reward train` reads. Each RLHF
// round gets fresh, on-distribution comparisons this way.
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../model/llama.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readPrompts, promptFields } from "../rlhf/prompts.js";
import { rollouts } from "../rlhf/rollouts.js";
import { ratePair } from "./comparisons.js";
import { comparisonRow } from "../data/comparison-row.js";
import { Rng } from "./rng.js";
import type { TaskMeta } from "./types.js";
import { mkdirpOrExplain } from "../io/fs-errors.js";

/** What `llama2 world annotate` takes. */
export interface AnnotateOptions {
  model: string;
  /** A second model variant (default: the same model at the second temperature). */
  modelB?: string | null;
  prompts: string;
  out: string;
  kind: "helpful" | "safety";
  /** Temperatures of response A and B (paper: varied temperature). */
  temperatures?: [number, number];
  maxNewTokens?: number;
  seed?: number;
  /** The annotator-noise scale of flipProbability (default: the world's flip_rate from world.json, else 0.1). */
  flipRate?: number | null;
  maxPrompts?: number | null;
  batchSize?: number;
  /**
   * Drop pairs whose two responses the oracle scores exactly alike (gap 0: it has no preference, so
   * the chosen side would be a coin flip). Default false (kept, rated negligibly_better/unsure).
   */
  dropTies?: boolean;
}

/**
 * Rows written, by rating, how many the simulated annotator flipped, and the prompts left out: a pair
 * with an empty response (the model ended at once; `llama2 reward train` needs text on both sides)
 * and, with dropTies, exact ties.
 */
export interface AnnotateResult { rows: number; byRating: Record<string, number>; flipped: number; skippedEmpty: number; droppedTies: number }

/** Samples two answers per world prompt and writes the oracle's comparisons (the paper's protocol, §3.2.1). */
export async function annotate(o: AnnotateOptions): Promise<AnnotateResult> {
  const [ta, tb] = o.temperatures ?? [0.7, 1.2];
  let prompts = await readPrompts(o.prompts);
  if (o.maxPrompts) prompts = prompts.slice(0, o.maxPrompts);
  prompts.forEach((p, i) => {
    if (!p.raw.meta || typeof p.raw.meta !== "object")
      throw new Error(`${o.prompts}: row ${i + 1} has no "meta": the world's oracle annotates only the world's prompts (prompts_*.jsonl)`);
  });
  const flipRate = o.flipRate ?? worldFlipRate(o.prompts) ?? 0.1;
  const load = async (dir: string) => ({ model: await Llama.load(dir, { trainable: false }), tok: await Tokenizer.load(dir), dir });
  const a = await load(o.model);
  const b = o.modelB ? await load(o.modelB) : a;
  const seed = o.seed ?? 0, maxNew = o.maxNewTokens ?? 64;
  const msgs = prompts.map((p) => p.messages);
  const ra = rollouts(a.model, a.tok, msgs, { maxNewTokens: maxNew, temperature: ta, seed, batchSize: o.batchSize ?? 32 });
  const rb = rollouts(b.model, b.tok, msgs, { maxNewTokens: maxNew, temperature: tb, seed: seed + 1, batchSize: o.batchSize ?? 32 });
  const rng = new Rng(`annotate:${seed}:${o.kind}`);
  const annotation = o.kind === "helpful" ? "helpfulness" : "safety";
  const src = (m: { dir: string }, t: number) => ({ model: path.resolve(m.dir), temperature: t });
  const byRating: Record<string, number> = {};
  let flipped = 0, skippedEmpty = 0, droppedTies = 0;
  const rows = prompts.flatMap((p, i) => {
    const meta = p.raw.meta as TaskMeta;
    const text = p.prompt ?? p.messages.at(-1)!.content;
    if (ra[i]!.text.trim() === "" || rb[i]!.text.trim() === "") { skippedEmpty++; return []; }
    const v = ratePair(meta, text, ra[i]!.text, rb[i]!.text, rng, annotation, flipRate);
    if (o.dropTies && v.gap === 0) { droppedTies++; return []; }
    byRating[v.rating] = (byRating[v.rating] ?? 0) + 1;
    if (v.flipped) flipped++;
    // The verdict's safety is per chosen/rejected; the row builder takes it per shown response.
    const [safeA, safeB] = v.aChosen ? [v.safety.chosen_safe, v.safety.rejected_safe] : [v.safety.rejected_safe, v.safety.chosen_safe];
    return comparisonRow({
      prompt: promptFields(p), a: { text: ra[i]!.text, safe: safeA, source: src(a, ta) }, b: { text: rb[i]!.text, safe: safeB, source: src(b, tb) },
      aChosen: v.aChosen, rating: v.rating, safety: v.safety, kind: o.kind, promptIndex: i,
      meta: { ...meta, annotation, scores: v.scores, gap: v.gap, flipped: v.flipped },
    })!; // never null: the verdict's own safety label is given
  });
  mkdirpOrExplain(path.dirname(path.resolve(o.out)));
  writeFileAtomic(o.out, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return { rows: rows.length, byRating, flipped, skippedEmpty, droppedTies };
}

function worldFlipRate(promptsFile: string): number | null {
  const w = path.join(path.dirname(path.resolve(promptsFile)), "world.json");
  if (!fs.existsSync(w)) return null;
  const r = (JSON.parse(fs.readFileSync(w, "utf8")) as { flip_rate?: unknown }).flip_rate;
  return typeof r === "number" ? r : null;
}
