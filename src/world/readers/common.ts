// Shared pieces of the readers for real data: the error type (naming the field at fault), the
// output record shapes (DESIGN.md §4 SFT and preference formats), and message-list validation.
import { isRating, type Rating, type SafetyLabel } from "../ratings.js";
import type { Message } from "../types.js";

/** A record that cannot be converted; `field` names the JSON field at fault. */
export class ReaderError extends Error {
  constructor(readonly field: string, message: string) { super(`${field}: ${message}`); }
}

/** SFT output: a message list ending with the assistant's answer. */
export interface SftRecord { messages: Message[]; meta: { source: string; line: number } }

/** Preference output: single-turn `prompt` or multi-turn `messages` context, then the two answers. */
export interface PrefOut {
  prompt?: string;
  messages?: Message[];
  chosen: string;
  rejected: string;
  rating: Rating;
  safety?: { label: SafetyLabel; chosen_safe: boolean; rejected_safe: boolean };
  meta: { source: string; line: number; rating_source: "given" | "margin" | "scores" | "default"; margin?: number; scores?: [number, number] };
}

export const obj = (v: unknown, field = "record"): Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ReaderError(field, "expected a JSON object");
  return v as Record<string, unknown>;
};

export const str = (r: Record<string, unknown>, field: string, allowEmpty = false): string => {
  const v = r[field];
  if (typeof v !== "string") throw new ReaderError(field, v === undefined ? "missing" : `expected a string, got ${typeof v}`);
  if (!allowEmpty && v.trim() === "") throw new ReaderError(field, "empty");
  return v;
};

const ROLES: Record<string, Message["role"]> = {
  system: "system", user: "user", human: "user", prompter: "user",
  assistant: "assistant", gpt: "assistant", bot: "assistant", model: "assistant", chatgpt: "assistant",
};

/** Validates a message list ({role, content} or ShareGPT {from, value}) and normalises the roles. */
export function messageList(v: unknown, field: string): Message[] {
  if (!Array.isArray(v) || v.length === 0) throw new ReaderError(field, "expected a non-empty list of messages");
  return v.map((x, i) => {
    const m = obj(x, `${field}[${i}]`);
    const roleKey = "role" in m ? "role" : "from";
    const contentKey = "content" in m ? "content" : "value";
    const raw = m[roleKey];
    const role = typeof raw === "string" ? ROLES[raw.toLowerCase()] : undefined;
    if (!role) throw new ReaderError(`${field}[${i}].${roleKey}`, `unknown role ${JSON.stringify(raw)} (expected system, user/human, assistant/gpt)`);
    const content = m[contentKey];
    if (typeof content !== "string") throw new ReaderError(`${field}[${i}].${contentKey}`, "expected a string");
    return { role, content };
  });
}

/** "significantly better", "Negligibly-Better/Unsure" … → the rating, or undefined. */
export function normaliseRating(v: unknown): Rating | undefined {
  if (typeof v !== "string") return undefined;
  const s = v.trim().toLowerCase().replace(/\s*\/\s*unsure$/, "").replace(/[\s-]+/g, "_");
  return isRating(s) ? s : undefined;
}
