// Helpers shared by the task families: building the checkable Answer, phrasing answers, the
// generic "hedged" partially-correct response, and word counting used for the verbosity budget.
import type { Rng } from "../rng.js";
import type { Answer } from "../types.js";

/** Whitespace-separated word count. */
export function wordCount(text: string): number {
  const t = text.trim();
  return t === "" ? 0 : t.split(/\s+/).length;
}

/** Answer ground truth; the verbosity budget is twice the reference length plus six words. */
export function answer(parts: string[], reference: string, opts: { ordered?: boolean; caseSensitive?: boolean } = {}): Answer {
  return { parts, ordered: opts.ordered ?? false, caseSensitive: opts.caseSensitive ?? false, maxWords: 2 * wordCount(reference) + 6 };
}

/** Fills {name} slots of a template. */
export function fill(template: string, slots: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in slots)) throw new Error(`template slot {${k}} missing in "${template}"`);
    return String(slots[k]);
  });
}

/** A template picked at random and filled. */
export function say(rng: Rng, templates: readonly string[], slots: Record<string, string | number>): string {
  return fill(rng.pick(templates), slots);
}

/** The generic partially-correct answer: the right value hedged with a wrong one. */
export function hedge(rng: Rng, right: string, wrong: string): string {
  return rng.chance(0.5)
    ? fill(rng.pick(["It is {a}, or maybe {b}.", "I think it is {a} or {b}.", "Maybe {a}, or perhaps {b}."]), { a: right, b: wrong })
    : fill(rng.pick(["It is {b}, or maybe {a}.", "I think it is {b} or {a}.", "Maybe {b}, or perhaps {a}."]), { a: right, b: wrong });
}

export const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Number words up to twenty, for prose. */
export const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
  "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"];
