// Anthropic HH-RLHF style transcripts: {"chosen": "\n\nHuman: …\n\nAssistant: …", "rejected": …}.
// The two transcripts share every turn but the last assistant reply; that shared context becomes
// the prompt (or a message list when it has several turns).
import type { Rating } from "../ratings.js";
import type { Message } from "../types.js";
import { obj, ReaderError, str, type PrefOut } from "./common.js";

const TURN = /(?:^|\n\n)(Human|Assistant):[ \t]?/g;

/** Splits an HH transcript into messages; throws naming `field` when it is not one. */
export function parseTranscript(text: string, field: string): Message[] {
  const t = text.replace(/\r\n/g, "\n").replace(/^\s+/, "");
  const marks = [...t.matchAll(TURN)];
  if (marks.length === 0 || marks[0]!.index !== 0) throw new ReaderError(field, 'expected a transcript starting with "Human:"');
  return marks.map((m, i) => {
    const start = m.index! + m[0].length;
    const end = i + 1 < marks.length ? marks[i + 1]!.index! : t.length;
    return { role: m[1] === "Human" ? "user" : "assistant", content: t.slice(start, end).trim() } as Message;
  });
}

/** One HH line → a preference record (rating `rating`, since HH has none). */
export function fromHH(value: unknown, line: number, rating: Rating): PrefOut {
  const r = obj(value);
  const c = parseTranscript(str(r, "chosen"), "chosen"), x = parseTranscript(str(r, "rejected"), "rejected");
  for (const [msgs, field] of [[c, "chosen"], [x, "rejected"]] as const) {
    if (msgs.at(-1)!.role !== "assistant") throw new ReaderError(field, 'the transcript must end with an "Assistant:" turn');
    if (msgs[0]!.role !== "user") throw new ReaderError(field, 'the transcript must start with a "Human:" turn');
  }
  const ctx = c.slice(0, -1);
  const same = ctx.length === x.length - 1 && ctx.every((m, i) => m.role === x[i]!.role && m.content === x[i]!.content);
  if (!same) throw new ReaderError("rejected", "chosen and rejected differ before their last Assistant turn");
  return {
    ...(ctx.length === 1 ? { prompt: ctx[0]!.content } : { messages: ctx }),
    chosen: c.at(-1)!.content, rejected: x.at(-1)!.content, rating,
    meta: { source: "hh", line, rating_source: "default" },
  };
}
