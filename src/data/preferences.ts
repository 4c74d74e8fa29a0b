// Preference pairs for the reward models (DESIGN.md §4; paper §3.2.1): JSONL rows
// {prompt | messages, chosen, rejected, rating, safety?, margin?}, read with every bad row named by
// file:line and field, and tokenised as the chat rendering of the prompt followed by the response as
// the assistant reply ending with its </s> — the sequence the reward model scores at its last token.
import { readJsonl } from "../world/jsonl.js";
import { encodeChat, ChatFormatError, type ChatMessage } from "../tokenizer/chat-template.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { MARGINS, RATINGS, SAFETY_LABELS, isRating, type Rating, type SafetyLabel } from "../world/ratings.js";

/** Which Table 27 column sets m(rating); "none" = no margin. */
export type MarginMode = "none" | "small" | "large";
export const MARGIN_MODES = ["none", "small", "large"] as const;

/** One preference row as read. */
export interface PreferenceRow {
  /** The conversation up to the reply: [system] user (assistant user)*. */
  prompt: ChatMessage[];
  chosen: string;
  rejected: string;
  rating: Rating | null;
  safety: SafetyLabel | null;
  /** The row's own margin (replaces the table's), or null. */
  margin: number | null;
  /** "file:line" for messages. */
  where: string;
}

/** A bad preference row: the message names file:line and the field. */
export class PreferenceDataError extends Error {}

function fail(where: string, field: string, what: string): never {
  throw new PreferenceDataError(`${where}: field "${field}" ${what}`);
}

function str(v: unknown, where: string, field: string): string {
  if (typeof v !== "string") fail(where, field, `must be a string, got ${v === undefined ? "nothing" : JSON.stringify(v)?.slice(0, 60)}`);
  if (v.trim() === "") fail(where, field, "is empty");
  return v;
}

function promptOf(o: Record<string, unknown>, where: string): ChatMessage[] {
  if (o["prompt"] !== undefined && o["messages"] !== undefined) fail(where, "prompt", `and "messages" are both given; use one`);
  if (o["messages"] !== undefined) {
    const ms = o["messages"];
    if (!Array.isArray(ms) || ms.length === 0) fail(where, "messages", "must be a non-empty list of {role, content}");
    const out: ChatMessage[] = ms.map((m, i) => {
      if (!m || typeof m !== "object") fail(where, `messages[${i}]`, "must be an object {role, content}");
      const r = (m as Record<string, unknown>)["role"];
      if (r !== "system" && r !== "user" && r !== "assistant") fail(where, `messages[${i}].role`, `must be system, user or assistant, got ${JSON.stringify(r)}`);
      return { role: r, content: str((m as Record<string, unknown>)["content"], where, `messages[${i}].content`) };
    });
    if (out.at(-1)!.role !== "user") fail(where, "messages", "must end with a user turn (the reply to rank is chosen/rejected)");
    return out;
  }
  if (o["prompt"] === undefined) fail(where, "prompt", `is missing (give "prompt" or "messages")`);
  return [{ role: "user", content: str(o["prompt"], where, "prompt") }];
}

function safetyOf(v: unknown, where: string): SafetyLabel | null {
  if (v === undefined || v === null) return null;
  const label = typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)["label"] : v;
  if (typeof label !== "string" || !(SAFETY_LABELS as readonly string[]).includes(label))
    fail(where, typeof v === "object" ? "safety.label" : "safety", `must be one of ${SAFETY_LABELS.join(", ")}, got ${JSON.stringify(label)}`);
  return label as SafetyLabel;
}

/** Parses one JSONL object; `marginMode` decides whether a missing or unknown rating is an error. */
export function parsePreference(value: unknown, where: string, marginMode: MarginMode): PreferenceRow {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new PreferenceDataError(`${where}: expected a JSON object per line`);
  const o = value as Record<string, unknown>;
  const prompt = promptOf(o, where);
  const chosen = str(o["chosen"], where, "chosen"), rejected = str(o["rejected"], where, "rejected");
  let margin: number | null = null;
  if (o["margin"] !== undefined && o["margin"] !== null) {
    const m = o["margin"];
    if (typeof m !== "number" || !Number.isFinite(m)) fail(where, "margin", `must be a finite number, got ${JSON.stringify(m)}`);
    margin = m;
  }
  let rating: Rating | null = null;
  const r = o["rating"];
  if (isRating(r)) rating = r;
  else if (marginMode !== "none" && margin === null)
    fail(where, "rating", `${r === undefined ? "is missing" : `is ${JSON.stringify(r)}`}; expected one of ${RATINGS.join(", ")} ` +
      `(margin "${marginMode}" needs it; a row "margin" replaces it, and margin: none ignores ratings)`);
  return { prompt, chosen, rejected, rating, safety: safetyOf(o["safety"], where), margin, where };
}

/** Reads a preference JSONL (or .jsonl.gz) file. */
export async function readPreferences(file: string, marginMode: MarginMode): Promise<PreferenceRow[]> {
  const rows: PreferenceRow[] = [];
  for await (const l of readJsonl(file)) {
    const where = `${file}:${l.line}`;
    if ("error" in l) throw new PreferenceDataError(`${where}: ${l.error}`);
    rows.push(parsePreference(l.value, where, marginMode));
  }
  if (rows.length === 0) throw new PreferenceDataError(`${file}: no preference rows`);
  return rows;
}

/** The margin m of a row under a mode: the row's own, else Table 27's for its rating, else 0. */
export function marginOf(row: { rating: Rating | null; margin: number | null }, mode: MarginMode): number {
  if (mode === "none") return 0;
  if (row.margin !== null) return row.margin;
  return row.rating ? MARGINS[mode][row.rating] : 0;
}

/** A tokenised pair: both sequences end with the reply's </s>. */
export interface PairTokens {
  chosen: Int32Array;
  rejected: Int32Array;
  margin: number;
  rating: Rating | null;
  safety: SafetyLabel | null;
  where: string;
}

/** Token ids of the chat rendering of `prompt` followed by `response` as the assistant reply (ends with </s>). */
export function encodeScored(tokenizer: Tokenizer, prompt: readonly ChatMessage[], response: string, where = "input"): Int32Array {
  try {
    return Int32Array.from(encodeChat(tokenizer, [...prompt, { role: "assistant", content: response }]).ids);
  } catch (e) {
    if (e instanceof ChatFormatError) throw new PreferenceDataError(`${where}: ${e.message}`);
    throw e;
  }
}

/** Tokenises rows; pairs where either sequence is longer than maxLength are dropped and counted. */
export function tokenizePairs(tokenizer: Tokenizer, rows: readonly PreferenceRow[], mode: MarginMode, maxLength: number):
  { pairs: PairTokens[]; dropped: number } {
  const pairs: PairTokens[] = [];
  let dropped = 0;
  for (const r of rows) {
    const chosen = encodeScored(tokenizer, r.prompt, r.chosen, r.where);
    const rejected = encodeScored(tokenizer, r.prompt, r.rejected, r.where);
    if (chosen.length > maxLength || rejected.length > maxLength) { dropped++; continue; }
    pairs.push({ chosen, rejected, margin: marginOf(r, mode), rating: r.rating, safety: r.safety, where: r.where });
  }
  return { pairs, dropped };
}
