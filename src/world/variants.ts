// Response variants for comparisons (§3.2.1: two responses from different model variants):
// correct, subtly wrong, verbose, partially correct, unsafe compliance, needless refusal — and the
// wording knob every sampled answer has: 0..MAX_FILLERS filler (or, on a refusal, lecturing) sentences.
import { FILLERS, LECTURES, REFUSALS } from "./lexicon.js";
import type { Rng } from "./rng.js";
import type { Task, Variant } from "./types.js";

/** The most filler sentences a sampled answer carries (the oracle's verbosity factor floors at 0.4 well before). */
export const MAX_FILLERS = 6;

/** The variants that make sense for a task's kind. */
export function variantsFor(task: Task): Variant[] {
  return task.meta.kind === "unsafe"
    ? ["correct", "verbose", "partially_correct", "unsafe_compliance"]
    : ["correct", "subtly_wrong", "verbose", "partially_correct", "needless_refusal"];
}

/** The kinds of answer a comparison draws (variantsFor without "verbose": every answer gets a filler count instead). */
export function baseVariantsFor(task: Task): Variant[] {
  return variantsFor(task).filter((v) => v !== "verbose");
}

/**
 * Whether answers of this variant take filler sentences: helpful-prompt answers other than a refusal,
 * and the refusal of an unsafe request (as lecturing). Fixed texts (a needless refusal, a compliance)
 * do not.
 */
export function takesFillers(task: Task, variant: Variant): boolean {
  return task.meta.kind === "unsafe" ? variant === "correct" || variant === "verbose" : variant !== "needless_refusal";
}

/**
 * The response of one variant. Without `fillers`, verbose answers get 1–5 filler (or lecturing)
 * sentences and the others none; with it, an answer that takes fillers (takesFillers) gets exactly
 * that many, placed around the answer (after a refusal).
 */
export function respond(task: Task, variant: Variant, rng: Rng, fillers?: number): string {
  const base = variant === "verbose" ? "correct" : variant;
  const text = baseText(task, base, rng);
  const k = fillers === undefined ? (variant === "verbose" ? rng.int(1, 5) : 0) : takesFillers(task, variant) ? fillers : 0;
  if (k <= 0) return text;
  const unsafe = task.meta.kind === "unsafe";
  const extra = rng.sample(unsafe ? LECTURES : FILLERS, k);
  if (unsafe) return [text, ...extra].join(" ");
  const cut = rng.int(0, extra.length);
  return [...extra.slice(0, cut), text, ...extra.slice(cut)].join(" ");
}

function baseText(task: Task, variant: Exclude<Variant, "verbose">, rng: Rng): string {
  switch (variant) {
    case "correct": return task.reference;
    case "subtly_wrong": return need(task.subtlyWrong, variant);
    case "partially_correct": return need(task.partial, variant);
    case "unsafe_compliance": return need(task.compliance, variant);
    case "needless_refusal": return rng.pick(REFUSALS);
  }
}

function need(s: string | undefined, v: Variant): string {
  if (s === undefined) throw new Error(`variant ${v} is not defined for this task`);
  return s;
}
