// Unit conversions with integer factors (kilometers to meters, hours to minutes, leagues to miles…),
// both directions; numbers in the prompt are split-owned.
import type { SplitView } from "../entities.js";
import { UNITS } from "../lexicon.js";
import type { Rng } from "../rng.js";
import type { Task } from "../types.js";
import { answer, hedge, say } from "./common.js";

/** One unit-conversion task. */
export function unitsTask(v: SplitView, rng: Rng): Task {
  const u = rng.pick(UNITS);
  const up = rng.chance(0.6);
  let prompt: string, r: number, reply: string[], entity: number;
  if (up) {
    const q = v.number(rng, 10, 999);
    r = q * u.factor; entity = q;
    prompt = say(rng, ["Convert {q} {bigs} to {smalls}.", "How many {smalls} are in {q} {bigs}?", "{q} {bigs} is how many {smalls}?"], { q, bigs: u.bigs, smalls: u.smalls });
    reply = [`${q} ${u.bigs} is {r} ${u.smalls}.`, `That is {r} ${u.smalls}.`, `{r} ${u.smalls}.`];
  } else {
    let q = 0;
    for (let t = 0; t < 100000 && !q; t++) { const c = rng.int(10, 999); if (v.world.numberSplit(c * u.factor) === v.split) q = c; }
    if (!q) throw new Error("units: no split-owned product found");
    r = q; entity = q * u.factor;
    prompt = say(rng, ["Convert {x} {smalls} to {bigs}.", "How many {bigs} is {x} {smalls}?"], { x: entity, bigs: u.bigs, smalls: u.smalls });
    reply = [`${entity} ${u.smalls} is {r} ${u.bigs}.`, `That is {r} ${u.bigs}.`, `{r} ${u.bigs}.`];
  }
  const reference = say(rng, reply, { r });
  const w = up ? r + rng.pick([u.factor, -u.factor, 1, -1]) : r + rng.pick([1, -1, 10]);
  return {
    prompt,
    meta: { family: "units", kind: "helpful", split: v.split, entities: [`num:${entity}`], answer: answer([String(r)], reference) },
    reference,
    subtlyWrong: say(rng, reply, { r: w }),
    partial: hedge(rng, String(r), String(w)),
  };
}
