// SFT readers: chat message lists ({"messages": [{role, content}]}, ShareGPT {"conversations":
// [{from, value}]}) and Alpaca-style {instruction, input, output}, both to {"messages": […]}.
import { messageList, obj, ReaderError, str, type SftRecord } from "./common.js";

/** One messages / ShareGPT line → an SFT record (must contain a user turn and end with the assistant). */
export function fromMessages(value: unknown, line: number): SftRecord {
  const r = obj(value);
  const field = "messages" in r ? "messages" : "conversations" in r ? "conversations" : "messages";
  const messages = messageList(r[field], field);
  if (!messages.some((m) => m.role === "user")) throw new ReaderError(field, "no user message");
  if (messages.at(-1)!.role !== "assistant") throw new ReaderError(`${field}[${messages.length - 1}]`, "the last message must be the assistant's answer");
  return { messages, meta: { source: "messages", line } };
}

/** One Alpaca line → an SFT record; a non-empty `input` is appended to the instruction. */
export function fromAlpaca(value: unknown, line: number): SftRecord {
  const r = obj(value);
  const instruction = str(r, "instruction");
  const input = r.input === undefined || r.input === null ? "" : str(r, "input", true);
  const output = str(r, "output");
  const prompt = input.trim() ? `${instruction}\n\n${input}` : instruction;
  return { messages: [{ role: "user", content: prompt }, { role: "assistant", content: output }], meta: { source: "alpaca", line } };
}
