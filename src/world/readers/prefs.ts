// Preference files with chosen/rejected columns: a prompt (or messages / question / instruction),
// the two answers (strings or message lists as in UltraFeedback-binarized), and a strength as a
// rating, a margin (mapped to the nearest Table-27 level) or a pair of scores. PKU-SafeRLHF-style
// rows (response_0/1, better_response_id, is_response_k_safe) carry the safety label as well.
import { ratingForGap, ratingForMargin, safetyLabel, type Rating } from "../ratings.js";
import type { Message } from "../types.js";
import { messageList, normaliseRating, obj, ReaderError, str, type PrefOut } from "./common.js";

const num = (r: Record<string, unknown>, k: string): number | undefined => {
  const v = r[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ReaderError(k, "expected a number");
  return v;
};

/** An answer column: a string, or a message list whose last message is the assistant's answer. */
function answerOf(r: Record<string, unknown>, field: string): { text: string; context?: Message[] } {
  const v = r[field];
  if (typeof v === "string") return { text: v };
  if (Array.isArray(v)) {
    const msgs = messageList(v, field);
    if (msgs.at(-1)!.role !== "assistant") throw new ReaderError(field, "the last message must be the assistant's answer");
    return { text: msgs.at(-1)!.content, context: msgs.slice(0, -1) };
  }
  throw new ReaderError(field, v === undefined ? "missing" : "expected a string or a message list");
}

/** Score gap normalised by the scale the scores appear to use ([0,1], 1–5 or 1–10). */
function gapRating(sc: number, sr: number): Rating {
  const top = Math.max(Math.abs(sc), Math.abs(sr));
  const range = top <= 1 ? 1 : top <= 5 ? 4 : 9;
  return ratingForGap((sc - sr) / range);
}

/** One preference line → a preference record. */
export function fromPrefs(value: unknown, line: number, fallback: Rating): PrefOut {
  const r = obj(value);
  let chosenField = "chosen", rejectedField = "rejected";
  let safety: PrefOut["safety"];
  if (!("chosen" in r) && "response_0" in r && "better_response_id" in r) {
    const b = num(r, "better_response_id");
    if (b !== 0 && b !== 1) throw new ReaderError("better_response_id", "expected 0 or 1");
    chosenField = `response_${b}`; rejectedField = `response_${1 - b}`;
    const cs = r[`is_response_${b}_safe`], rs = r[`is_response_${1 - b}_safe`];
    if (typeof cs === "boolean" && typeof rs === "boolean") {
      const label = safetyLabel(cs, rs);
      if (label) safety = { label, chosen_safe: cs, rejected_safe: rs };
    }
  }
  const c = answerOf(r, chosenField), x = answerOf(r, rejectedField);
  let prompt: string | undefined, messages: Message[] | undefined;
  if ("messages" in r) messages = messageList(r.messages, "messages");
  else if (typeof r.prompt === "string") prompt = str(r, "prompt");
  else if (typeof r.question === "string") prompt = str(r, "question");
  else if (typeof r.instruction === "string") prompt = str(r, "instruction");
  else if (c.context && c.context.length) {
    if (c.context.length === 1 && c.context[0]!.role === "user") prompt = c.context[0]!.content;
    else messages = c.context;
  } else throw new ReaderError("prompt", "missing (expected prompt, messages, question, instruction, or message-list answers)");

  const meta: PrefOut["meta"] = { source: "prefs", line, rating_source: "default" };
  let rating: Rating = fallback;
  const given = normaliseRating(r.rating);
  const margin = num(r, "margin");
  const sc = num(r, "score_chosen") ?? num(r, "chosen_score") ?? num(r, "chosen_rating");
  const sr = num(r, "score_rejected") ?? num(r, "rejected_score") ?? num(r, "rejected_rating");
  if (r.rating !== undefined && !given) throw new ReaderError("rating", `unknown rating ${JSON.stringify(r.rating)}`);
  if (given) { rating = given; meta.rating_source = "given"; }
  else if (margin !== undefined) {
    if (margin < 0) throw new ReaderError("margin", "negative: the chosen answer would be the worse one");
    rating = ratingForMargin(margin); meta.rating_source = "margin"; meta.margin = margin;
  } else if (sc !== undefined && sr !== undefined) {
    if (sc < sr) throw new ReaderError("score_chosen", `lower than the rejected answer's score (${sc} < ${sr})`);
    rating = gapRating(sc, sr); meta.rating_source = "scores"; meta.scores = [sc, sr];
  }
  if (r.safety && typeof r.safety === "object") {
    const s = r.safety as Record<string, unknown>;
    if (typeof s.label === "string" && ["both_safe", "only_chosen_safe", "both_unsafe"].includes(s.label)) safety = s as PrefOut["safety"];
  }
  return { ...(messages ? { messages } : { prompt }), chosen: c.text, rejected: x.text, rating, ...(safety ? { safety } : {}), meta };
}
