// Chat datasets for supervised fine-tuning (paper §3.1, DESIGN.md §4): JSONL rows of
// {"messages": [system?, user, assistant, …]} or {"prompt", "response"[, "system"]}, rendered with
// the Llama 2 chat template (encodeChat) and labelled answer-only: every assistant reply and its
// </s> is trained, system / user / template tokens get -100 (TRL's assistant_only_loss).
import fs from "node:fs";
import { readJsonl } from "../world/jsonl.js";
import { ChatFormatError, encodeChat, type ChatMessage } from "../tokenizer/chat-template.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";

/** A bad row or file: the message starts with FILE:LINE and names the field. */
export class ChatDataError extends Error {}

/**
 * One training sample, already shifted for next-token prediction: for the rendered tokens x[0..n)
 * with answer mask m, ids = x[0..n-1) and targets[t] = m[t+1] ? x[t+1] : -100 (the last token
 * predicts nothing, so it is not fed). Length n-1, at most seq_len after truncation.
 */
export interface ChatSample {
  ids: Int32Array;
  targets: Int32Array;
  /** FILE:LINE of the row. */
  where: string;
}

/** A chat dataset read from JSONL: its samples (ids, targets, where each came from). */
export interface ChatDataset {
  samples: ChatSample[];
  /** Samples longer than seq_len, cut at the end. */
  truncated: number;
  /** Trained tokens over all samples (assistant tokens + one </s> per reply, after truncation). */
  trainedTokens: number;
}

const ROLES = new Set(["system", "user", "assistant"]);

/** The messages of one parsed row; throws ChatDataError naming the field (`where` = FILE:LINE). */
export function rowMessages(value: unknown, where: string): ChatMessage[] {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ChatDataError(`${where}: expected a JSON object with "messages" or "prompt" and "response"`);
  const r = value as Record<string, unknown>;
  let msgs: ChatMessage[];
  if (r.messages !== undefined) {
    if (!Array.isArray(r.messages)) throw new ChatDataError(`${where}: messages: expected a list of {role, content}`);
    msgs = r.messages.map((m: unknown, i) => {
      const o = m as Record<string, unknown> | null;
      if (typeof o !== "object" || o === null || Array.isArray(o)) throw new ChatDataError(`${where}: messages[${i}]: expected an object {role, content}`);
      if (typeof o.role !== "string" || !ROLES.has(o.role)) throw new ChatDataError(`${where}: messages[${i}].role: expected "system", "user" or "assistant", got ${JSON.stringify(o.role)}`);
      if (typeof o.content !== "string") throw new ChatDataError(`${where}: messages[${i}].content: expected a string, got ${JSON.stringify(o.content)}`);
      return { role: o.role as ChatMessage["role"], content: o.content };
    });
  } else if (r.prompt !== undefined || r.response !== undefined) {
    for (const k of ["prompt", "response"] as const)
      if (typeof r[k] !== "string") throw new ChatDataError(`${where}: ${k}: expected a string, got ${JSON.stringify(r[k])}`);
    if (r.system !== undefined && typeof r.system !== "string") throw new ChatDataError(`${where}: system: expected a string`);
    msgs = [
      ...(typeof r.system === "string" ? [{ role: "system" as const, content: r.system }] : []),
      { role: "user", content: r.prompt as string }, { role: "assistant", content: r.response as string },
    ];
  } else {
    throw new ChatDataError(`${where}: messages: missing (a row is {"messages": [...]} or {"prompt", "response"})`);
  }
  checkRoles(msgs, where);
  return msgs;
}

/** [system] user assistant (user assistant)*: the order SFT trains on. */
function checkRoles(msgs: ChatMessage[], where: string): void {
  if (msgs.length === 0) throw new ChatDataError(`${where}: messages: empty`);
  const first = msgs[0]!.role === "system" ? 1 : 0;
  for (let i = first; i < msgs.length; i++) {
    const want = (i - first) % 2 === 0 ? "user" : "assistant";
    if (msgs[i]!.role !== want)
      throw new ChatDataError(`${where}: messages[${i}].role: is "${msgs[i]!.role}", expected "${want}" (roles alternate user/assistant after an optional first system message)`);
  }
  if (msgs.length - first < 2 || msgs.at(-1)!.role !== "assistant")
    throw new ChatDataError(`${where}: messages[${msgs.length - 1}].role: the conversation must end with an assistant turn`);
}

/** Tokens and answer mask → a shifted sample of at most `seqLen` positions (null = no limit). */
export function makeSample(ids: readonly number[], mask: readonly boolean[], where: string, seqLen: number | null): { sample: ChatSample; truncated: boolean } {
  let n = ids.length - 1;
  const truncated = seqLen !== null && n > seqLen;
  if (truncated) n = seqLen!;
  const s: ChatSample = { ids: new Int32Array(n), targets: new Int32Array(n), where };
  for (let t = 0; t < n; t++) {
    s.ids[t] = ids[t]!;
    s.targets[t] = mask[t + 1] ? ids[t + 1]! : -100;
  }
  return { sample: s, truncated };
}

/** Encodes one conversation answer-only (encodeChat's assistant mask). */
export function encodeSample(tokenizer: Tokenizer, messages: readonly ChatMessage[], where: string, seqLen: number | null): { sample: ChatSample; truncated: boolean } {
  let enc;
  try {
    enc = encodeChat(tokenizer, messages);
  } catch (e) {
    if (e instanceof ChatFormatError) throw new ChatDataError(`${where}: ${e.message}`);
    throw e;
  }
  return makeSample(enc.ids, enc.assistantMask, where, seqLen);
}

/** Number of trained targets of a sample. */
export function trainedCount(s: ChatSample): number {
  let n = 0;
  for (let i = 0; i < s.targets.length; i++) if (s.targets[i] !== -100) n++;
  return n;
}

/**
 * Reads and encodes SFT rows from JSONL(.gz) files. The first bad row stops with FILE:LINE and its
 * field; a dataset without rows is an error (not a zero-step run).
 */
export async function loadChatDataset(files: readonly string[], tokenizer: Tokenizer, opts: { seqLen?: number | null } = {}): Promise<ChatDataset> {
  if (files.length === 0) throw new ChatDataError("data: no files given");
  const out: ChatDataset = { samples: [], truncated: 0, trainedTokens: 0 };
  for (const file of files) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new ChatDataError(`${file}: no such file`);
    for await (const l of readJsonl(file)) {
      const where = `${file}:${l.line}`;
      if ("error" in l) throw new ChatDataError(`${where}: ${l.error}`);
      const { sample, truncated } = encodeSample(tokenizer, rowMessages(l.value, where), where, opts.seqLen ?? null);
      out.samples.push(sample);
      if (truncated) out.truncated++;
      out.trainedTokens += trainedCount(sample);
    }
  }
  if (out.samples.length === 0) throw new ChatDataError(`${files.join(", ")}: no rows (an empty dataset cannot be trained on)`);
  return out;
}
