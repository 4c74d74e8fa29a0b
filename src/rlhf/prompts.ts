// Prompt files for rejection sampling and PPO (DESIGN.md §4): JSONL rows {"prompt" | "messages",
// "is_safety"?: bool, ...}; a world's prompts_*.jsonl qualify. Bad rows name file:line and the field.
import { readJsonl } from "../world/jsonl.js";
import type { ChatMessage } from "../tokenizer/chat-template.js";

export interface PromptRow {
  /** The conversation to answer (a `prompt` string becomes one user turn). */
  messages: ChatMessage[];
  /** The row as written: `prompt` or `messages` is echoed into outputs. */
  prompt?: string;
  isSafety: boolean;
  /** Anything else the row carries (a world's `meta` lets the judge score answers). */
  raw: Record<string, unknown>;
}

export async function readPrompts(file: string): Promise<PromptRow[]> {
  const out: PromptRow[] = [];
  for await (const l of readJsonl(file)) {
    if ("error" in l) throw new Error(`${file}:${l.line}: ${l.error}`);
    const v = l.value as Record<string, unknown>;
    const where = `${file}:${l.line}`;
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${where}: a row must be a JSON object`);
    let messages: ChatMessage[];
    let prompt: string | undefined;
    if (typeof v.prompt === "string") { prompt = v.prompt; messages = [{ role: "user", content: v.prompt }]; }
    else if (Array.isArray(v.messages)) {
      messages = v.messages.map((m, i) => {
        const mm = m as Record<string, unknown>;
        if (!mm || typeof mm.content !== "string" || (mm.role !== "system" && mm.role !== "user" && mm.role !== "assistant"))
          throw new Error(`${where}: field "messages[${i}]" must be {role: system|user|assistant, content: string}`);
        return { role: mm.role, content: mm.content };
      });
      if (messages.at(-1)?.role !== "user") throw new Error(`${where}: field "messages" must end with a user turn (the prompt to answer)`);
    } else throw new Error(`${where}: field "prompt" (a string) or "messages" (a list) is required`);
    if (v.is_safety !== undefined && typeof v.is_safety !== "boolean") throw new Error(`${where}: field "is_safety" must be true or false`);
    out.push({ messages, prompt, isSafety: v.is_safety === true, raw: v });
  }
  if (out.length === 0) throw new Error(`${file}: no prompts`);
  return out;
}

/** `prompt` or `messages` of a row, as outputs echo it. */
export function promptFields(p: PromptRow): { prompt: string } | { messages: ChatMessage[] } {
  return p.prompt !== undefined ? { prompt: p.prompt } : { messages: p.messages };
}
