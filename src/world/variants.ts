// Response variants for comparisons (§3.2.1: two responses from different model variants):
// correct, subtly wrong, verbose, partially correct, unsafe compliance, needless refusal.
import { FILLERS, LECTURES, REFUSALS } from "./lexicon.js";
import type { Rng } from "./rng.js";
import type { Task, Variant } from "./types.js";

/** The variants that make sense for a task's kind. */
export function variantsFor(task: Task): Variant[] {
  return task.meta.kind === "unsafe"
    ? ["correct", "verbose", "partially_correct", "unsafe_compliance"]
    : ["correct", "subtly_wrong", "verbose", "partially_correct", "needless_refusal"];
}

/** The response of one variant; verbose answers get 1–5 filler (or lecturing) sentences. */
export function respond(task: Task, variant: Variant, rng: Rng): string {
  switch (variant) {
    case "correct": return task.reference;
    case "subtly_wrong": return need(task.subtlyWrong, variant);
    case "partially_correct": return need(task.partial, variant);
    case "unsafe_compliance": return need(task.compliance, variant);
    case "needless_refusal": return rng.pick(REFUSALS);
    case "verbose": {
      const pool = task.meta.kind === "unsafe" ? LECTURES : FILLERS;
      const extra = rng.sample(pool, rng.int(1, 5));
      if (task.meta.kind === "unsafe") return [task.reference, ...extra].join(" ");
      const cut = rng.int(0, extra.length);
      return [...extra.slice(0, cut), task.reference, ...extra.slice(cut)].join(" ");
    }
  }
}

function need(s: string | undefined, v: Variant): string {
  if (s === undefined) throw new Error(`variant ${v} is not defined for this task`);
  return s;
}
