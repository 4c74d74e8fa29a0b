// Sorting lists: numbers ascending or descending, nouns alphabetically. The answer is ordered;
// a response earns partial credit for the length of its correct prefix.
import type { SplitView } from "../entities.js";
import type { Rng } from "../rng.js";
import type { Task } from "../types.js";
import { answer, say } from "./common.js";

/** One sorting task. */
export function sortingTask(v: SplitView, rng: Rng): Task {
  const mode = rng.pick(["asc", "desc", "alpha"] as const);
  const n = rng.int(4, 6);
  let items: string[], sorted: string[], prompt: string;
  if (mode === "alpha") {
    items = rng.sample(v.nouns, n);
    sorted = items.slice().sort();
    prompt = say(rng, ["Put these words in alphabetical order: {l}.", "Sort these words from A to Z: {l}."], { l: items.join(", ") });
  } else {
    const nums = new Set<number>();
    while (nums.size < n) nums.add(v.number(rng, 10, 999));
    const xs = [...nums];
    items = xs.map(String);
    sorted = xs.slice().sort((a, b) => (mode === "asc" ? a - b : b - a)).map(String);
    prompt = mode === "asc"
      ? say(rng, ["Sort these numbers from smallest to largest: {l}.", "Put these numbers in increasing order: {l}."], { l: items.join(", ") })
      : say(rng, ["Sort these numbers from largest to smallest: {l}.", "Put these numbers in decreasing order: {l}."], { l: items.join(", ") });
  }
  if (items.join() === sorted.join()) items = rng.shuffle(items); // keep the task non-trivial most of the time
  const reply = ["The sorted list is {l}.", "Sorted: {l}.", "{l}."];
  const reference = say(rng, reply, { l: sorted.join(", ") });
  const wrong = sorted.slice(); [wrong[0], wrong[1]] = [wrong[1]!, wrong[0]!];
  const half = Math.ceil(n / 2);
  const partial = [...sorted.slice(0, half), ...sorted.slice(half).reverse()];
  if (partial.join() === sorted.join()) [partial[n - 2], partial[n - 1]] = [partial[n - 1]!, partial[n - 2]!];
  const entities = mode === "alpha" ? items.map((w) => `word:${w}`) : items.map((x) => `num:${x}`);
  return {
    prompt,
    meta: { family: "sorting", kind: "helpful", split: v.split, entities, answer: answer(sorted, reference, { ordered: true }) },
    reference,
    subtlyWrong: say(rng, reply, { l: wrong.join(", ") }),
    partial: say(rng, reply, { l: partial.join(", ") }),
  };
}
