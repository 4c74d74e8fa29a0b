// Counting: letters in a word, one letter's occurrences, words in a sentence, items in a list.
// The nouns come from the split's own share of the vocabulary.
import type { SplitView } from "../entities.js";
import type { Rng } from "../rng.js";
import type { Task } from "../types.js";
import { answer, hedge, say } from "./common.js";

const ADJ = ["red", "old", "small", "happy", "quiet", "green", "warm", "tall"];

/** One counting task. */
export function countingTask(v: SplitView, rng: Rng): Task {
  const kind = rng.pick(["letters", "letter", "words", "items"] as const);
  let prompt: string, n: number, reply: string[], entities: string[];
  if (kind === "letters") {
    const w = rng.pick(v.nouns);
    prompt = say(rng, ["How many letters are in the word {w}?", "Count the letters in {w}.", "How long is the word {w}, in letters?"], { w });
    n = w.length; entities = [`word:${w}`];
    reply = ["The word {w} has {n} letters.", "There are {n} letters.", "{n} letters."].map((t) => t.replace("{w}", w));
  } else if (kind === "letter") {
    const w = rng.pick(v.nouns);
    const l = rng.chance(0.8) ? rng.pick([...w]) : rng.pick([..."aeiourstln"]);
    n = [...w].filter((c) => c === l).length;
    prompt = say(rng, ["How many times does the letter {l} appear in {w}?", "Count the letter {l} in the word {w}."], { l, w });
    entities = [`word:${w}`];
    reply = ["The letter {l} appears {n} times.", "It appears {n} times.", "{n} times."].map((t) => t.replace("{l}", l));
  } else if (kind === "words") {
    const [w1, w2] = rng.sample(v.nouns, 2) as [string, string];
    const s = rng.pick([`the ${w1} and the ${w2} are ${rng.pick(ADJ)}`, `a ${rng.pick(ADJ)} ${w1} sat by the ${w2}`, `my ${w1} is near your ${rng.pick(ADJ)} ${w2}`]);
    n = s.split(" ").length;
    prompt = say(rng, ["How many words are in this sentence: {s}", "Count the words in this sentence: {s}"], { s });
    entities = [`word:${w1}`, `word:${w2}`];
    reply = ["The sentence has {n} words.", "There are {n} words.", "{n} words."];
  } else {
    const items = rng.sample(v.nouns, rng.int(3, 7));
    n = items.length;
    prompt = say(rng, ["How many items are in this list: {l}?", "Count the things in this list: {l}."], { l: items.join(", ") });
    entities = items.map((w) => `word:${w}`);
    reply = ["The list has {n} items.", "There are {n} items.", "{n} items."];
  }
  const reference = say(rng, reply, { n });
  const w = n + (n > 1 && rng.chance(0.5) ? -1 : 1);
  return {
    prompt,
    meta: { family: "counting", kind: "helpful", split: v.split, entities, answer: answer([String(n)], reference) },
    reference,
    subtlyWrong: say(rng, reply, { n: w }),
    partial: hedge(rng, String(n), String(w)),
  };
}
