// Questions about the generated encyclopedia (people, towns, dates). The same facts appear in the
// pretraining text, so a model can only answer them if pretraining taught it the world.
import type { Person, SplitView, Town } from "../entities.js";
import type { Rng } from "../rng.js";
import type { Task } from "../types.js";
import { answer, hedge, say } from "./common.js";

interface Fact { ask: string[]; reply: string[]; value: string; wrong: string; slots: Record<string, string | number> }

function personFact(v: SplitView, rng: Rng, p: Person): Fact {
  const other = (f: (q: Person) => string) => {
    for (let t = 0; t < 50; t++) { const x = f(rng.pick(v.world.persons)); if (x !== f(p)) return x; }
    return f(p) + "s";
  };
  const slots = { name: p.name };
  switch (rng.pick(["born", "month", "town", "job", "deed"] as const)) {
    case "born": return { ask: ["When was {name} born?", "In what year was {name} born?"], reply: ["{name} was born in the year {x}.", "In the year {x}."], value: String(p.born), wrong: String(p.born + rng.pick([1, -1, 10, -10])), slots };
    case "month": return { ask: ["In which month was {name} born?", "What month was {name} born in?"], reply: ["{name} was born in {x}.", "In {x}."], value: p.month, wrong: other((q) => q.month), slots };
    case "town": return { ask: ["Where was {name} born?", "Which town is {name} from?", "In which town was {name} born?"], reply: ["{name} was born in {x}.", "{name} is from {x}.", "In {x}."], value: p.town, wrong: other((q) => q.town), slots };
    case "job": return { ask: ["What does {name} do for a living?", "What is the job of {name}?", "What work does {name} do?"], reply: ["{name} is a {x}.", "A {x}."], value: p.profession, wrong: other((q) => q.profession), slots };
    case "deed": return { ask: ["What is {name} known for?", "Why is {name} famous?"], reply: ["{name} is known for {x}.", "For {x}."], value: p.deed, wrong: other((q) => q.deed), slots };
  }
}

function townFact(v: SplitView, rng: Rng, t: Town): Fact {
  const other = (f: (q: Town) => string) => {
    for (let i = 0; i < 50; i++) { const x = f(rng.pick(v.world.towns)); if (x !== f(t)) return x; }
    return f(t) + "s";
  };
  const slots = { town: t.name };
  switch (rng.pick(["river", "founded", "region"] as const)) {
    case "river": return { ask: ["Which river flows through {town}?", "What river runs through {town}?"], reply: ["The river {x} flows through {town}.", "The river {x}."], value: t.river, wrong: other((q) => q.river), slots };
    case "founded": return { ask: ["When was {town} founded?", "In what year was {town} founded?"], reply: ["{town} was founded in the year {x}.", "In the year {x}."], value: String(t.founded), wrong: String(t.founded + rng.pick([1, -1, 100, -100])), slots };
    case "region": return { ask: ["In which part of the world is {town}?", "Where is {town}?"], reply: ["{town} is in the {x}.", "In the {x}."], value: t.region.replace("the ", ""), wrong: other((q) => q.region.replace("the ", "")), slots };
  }
}

function otherTown(v: SplitView, rng: Rng, not: string): string {
  for (let i = 0; i < 50; i++) { const t = rng.pick(v.world.towns).name; if (t !== not) return t; }
  return not + "a";
}

/** One encyclopedia question (a person fact, a town fact, or a person's place and year of birth). */
export function encyclopediaTask(v: SplitView, rng: Rng): Task {
  const r = rng.next();
  if (r < 0.2) {
    const p = rng.pick(v.persons);
    const reply = ["{name} was born in {t} in the year {y}.", "In {t}, in the year {y}."];
    const reference = say(rng, reply, { name: p.name, t: p.town, y: p.born });
    return {
      prompt: say(rng, ["Where and when was {name} born?", "In which town and in what year was {name} born?"], { name: p.name }),
      meta: { family: "encyclopedia", kind: "helpful", split: v.split, entities: [`person:${p.name}`], answer: answer([p.town, String(p.born)], reference) },
      reference,
      subtlyWrong: say(rng, reply, { name: p.name, t: otherTown(v, rng, p.town), y: p.born + rng.pick([1, -1, 10]) }),
      partial: say(rng, ["{name} was born in {t}.", "In {t}."], { name: p.name, t: p.town }),
    };
  }
  const usePerson = r < 0.65;
  const f = usePerson ? personFact(v, rng, rng.pick(v.persons)) : townFact(v, rng, rng.pick(v.towns));
  const entity = usePerson ? `person:${f.slots.name}` : `town:${f.slots.town}`;
  const reference = say(rng, f.reply, { ...f.slots, x: f.value });
  return {
    prompt: say(rng, f.ask, f.slots),
    meta: { family: "encyclopedia", kind: "helpful", split: v.split, entities: [entity], answer: answer([f.value], reference) },
    reference,
    subtlyWrong: say(rng, f.reply, { ...f.slots, x: f.wrong }),
    partial: hedge(rng, f.value, f.wrong),
  };
}
