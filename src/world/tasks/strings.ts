// String operations on the split's nouns: reverse, capitalise, join with a dash, first three letters.
// Answers are matched case-sensitively (they are made-up tokens, never words of the filler text).
import type { SplitView } from "../entities.js";
import type { Rng } from "../rng.js";
import type { Task } from "../types.js";
import { answer, hedge, say } from "./common.js";

const swapAt = (s: string, i: number): string => s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);

/** A string that differs from `s` in one small, plausible way. */
function nearMiss(rng: Rng, s: string): string {
  for (let t = 0; t < 10; t++) {
    const i = rng.int(0, Math.max(0, s.length - 2));
    const m = swapAt(s, i);
    if (m !== s) return m;
  }
  return s.slice(0, -1);
}

/** One string task. */
export function stringTask(v: SplitView, rng: Rng): Task {
  const op = rng.pick(["reverse", "upper", "join", "prefix"] as const);
  const w = rng.pick(v.nouns);
  let prompt: string, r: string, wrong: string, entities = [`word:${w}`];
  let reply: string[];
  if (op === "reverse") {
    r = [...w].reverse().join(""); wrong = nearMiss(rng, r);
    prompt = say(rng, ["Spell {w} backwards.", "Write the word {w} in reverse.", "What is {w} spelled backwards?"], { w });
    reply = ["{w} backwards is {r}.", "It is {r}.", "{r}"].map((t) => t.replace("{w}", cap(w)));
  } else if (op === "upper") {
    r = w.toUpperCase(); wrong = r.slice(0, -1) + w.slice(-1);
    prompt = say(rng, ["Write {w} in capital letters.", "Make the word {w} uppercase.", "Write the word {w} in upper case."], { w });
    reply = ["In capital letters it is {r}.", "It is {r}.", "{r}"];
  } else if (op === "join") {
    const w2 = rng.pick(v.nouns.filter((x) => x !== w));
    entities = [`word:${w}`, `word:${w2}`];
    r = `${w}-${w2}`; wrong = rng.chance(0.5) ? `${w2}-${w}` : `${w}-${nearMiss(rng, w2)}`;
    prompt = say(rng, ["Join the words {w} and {v} with a dash.", "Put a dash between {w} and {v}."], { w, v: w2 });
    reply = ["Joined with a dash: {r}.", "It is {r}.", "{r}"];
  } else {
    r = w.slice(0, 3); wrong = rng.chance(0.5) ? w.slice(0, 2) : w.slice(0, 4);
    if (wrong === r) wrong = w.slice(1, 4);
    prompt = say(rng, ["What are the first three letters of {w}?", "Write the first three letters of the word {w}."], { w });
    reply = ["The first three letters are {r}.", "They are {r}.", "{r}"];
  }
  const reference = say(rng, reply, { r });
  return {
    prompt,
    meta: { family: "string", kind: "helpful", split: v.split, entities, answer: answer([r], reference, { caseSensitive: true }) },
    reference,
    subtlyWrong: say(rng, reply, { r: wrong }),
    partial: hedge(rng, r, wrong),
  };
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
