// Multi-turn dialogues under a system instruction whose compliance is checkable on every turn
// (capital letters, small letters, a fixed sign-off, a persona's prefix) — the data of Ghost
// Attention (§3.3). Each assistant turn is the task's correct answer with the constraint applied.
import type { SplitView } from "../entities.js";
import { SIGNOFFS } from "../lexicon.js";
import type { Rng } from "../rng.js";
import type { Constraint, DialogueMeta, Message } from "../types.js";
import { say } from "./common.js";
import { helpfulTask } from "./index.js";

/** Applies a constraint to a reply (the demonstration of compliance). */
export function applyConstraint(c: Constraint, reply: string): string {
  switch (c.type) {
    case "uppercase": return reply.toUpperCase();
    case "lowercase": return reply.toLowerCase();
    case "signoff": return `${reply} ${c.text}`;
    case "prefix": return `${c.text} ${reply}`;
  }
}

/** A constraint and its system instruction, drawn for a split (personas are split-owned people). */
export function drawConstraint(v: SplitView, rng: Rng): { constraint: Constraint; system: string; entities: string[] } {
  const type = rng.pick(["uppercase", "lowercase", "signoff", "prefix"] as const);
  if (type === "uppercase")
    return { constraint: { type }, system: rng.pick(["Answer only in capital letters.", "Always write your replies in uppercase letters.", "Use only capital letters in every reply."]), entities: [] };
  if (type === "lowercase")
    return { constraint: { type }, system: rng.pick(["Answer only in small letters, with no capital letters.", "Write every reply in lowercase letters only."]), entities: [] };
  if (type === "signoff") {
    const text = rng.pick(SIGNOFFS);
    return { constraint: { type, text }, system: say(rng, ["End every reply with \"{s}\"", "Always finish your answers with the words \"{s}\""], { s: text }), entities: [] };
  }
  const p = rng.pick(v.persons);
  const text = `${p.first} says:`;
  return {
    constraint: { type, text },
    system: `You are ${p.name}, the ${p.profession} of ${p.town}. Start every reply with "${text}"`,
    entities: [`person:${p.name}`],
  };
}

/** A reply that always contains letters, so case constraints are checkable. */
function wordy(reply: string): string {
  return /[A-Za-z]/.test(reply) ? reply : `The answer is ${reply.replace(/\.$/, "")}.`;
}

/** A dialogue of `turns` user/assistant exchanges; `withSystem` false drops the instruction (plain multi-turn SFT). */
export function makeDialogue(v: SplitView, rng: Rng, turns: number, withSystem = true): { messages: Message[]; meta: DialogueMeta } {
  const drawn = drawConstraint(v, rng);
  const { constraint, system } = drawn;
  const entities = withSystem ? drawn.entities : [];
  const messages: Message[] = withSystem ? [{ role: "system", content: system }] : [];
  const metas = [];
  const allEntities = [...entities];
  for (let i = 0; i < turns; i++) {
    const t = helpfulTask(v, rng);
    messages.push({ role: "user", content: t.prompt });
    messages.push({ role: "assistant", content: withSystem ? applyConstraint(constraint, wordy(t.reference)) : t.reference });
    metas.push(t.meta);
    allEntities.push(...t.meta.entities);
  }
  return { messages, meta: { family: "dialogue", kind: "helpful", split: v.split, constraint: withSystem ? constraint : null, entities: allEntities, turns: metas } };
}
