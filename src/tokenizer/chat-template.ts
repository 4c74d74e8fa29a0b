// The Llama 2 chat format (llama2-recipe.md §Chat format; meta-llama/llama generation.py
// chat_completion; the Llama-2-chat tokenizer_config chat_template):
//   <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user_1} [/INST] {assistant_1} </s><s>[INST] {user_2} [/INST]
// encodeChat reproduces Meta's ids (each turn encoded on its own with <s> … </s>) and marks the
// assistant tokens that SFT / GAtt train on.
import type { Tokenizer } from "./tokenizer.js";

/** Opens a user turn (meta-llama/llama generation.py). */
export const B_INST = "[INST]";
/** Closes a user turn. */
export const E_INST = "[/INST]";
/** Opens the system prompt inside the first user turn. */
export const B_SYS = "<<SYS>>\n";
/** Closes the system prompt. */
export const E_SYS = "\n<</SYS>>\n\n";

/** One chat message (DESIGN.md §4 SFT format). */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A conversation that does not follow [system] user (assistant user)* [assistant]. */
export class ChatFormatError extends Error {}

/**
 * The Jinja chat template for tokenizer_config.json; renders exactly what renderChat renders (the
 * official meta-llama/Llama-2-7b-chat-hf template). Called with bos_token "<s>" and eos_token "</s>".
 */
export const LLAMA2_CHAT_TEMPLATE = String.raw`{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}`;

// Python's str.strip() whitespace (Meta's generation.py and the Jinja template both call strip()).
const PY_WS = "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PY_STRIP = new RegExp(`^${PY_WS}+|${PY_WS}+$`, "g");
const pyStrip = (s: string): string => s.replace(PY_STRIP, "");

/** Options of encodeChat / renderChat. */
export interface ChatOptions {
  /** true: the conversation must end with a user turn (a prompt to answer); false: any valid ending. */
  addGenerationPrompt?: boolean;
}

/** Checks role order; returns the user/assistant turns with the system prompt folded into the first user turn. */
function turns(messages: readonly ChatMessage[], opts: ChatOptions): ChatMessage[] {
  if (messages.length === 0) throw new ChatFormatError("chat: no messages");
  messages.forEach((m, i) => {
    if (m === null || typeof m !== "object" || typeof m.content !== "string")
      throw new ChatFormatError(`chat: messages[${i}].content must be a string`);
    if (m.role !== "system" && m.role !== "user" && m.role !== "assistant")
      throw new ChatFormatError(`chat: messages[${i}].role must be system, user or assistant, got "${String(m.role)}"`);
  });
  let rest = [...messages];
  let system: string | undefined;
  if (rest[0]!.role === "system") { system = rest[0]!.content; rest = rest.slice(1); }
  if (rest.length === 0) throw new ChatFormatError("chat: a system message needs a user message after it");
  rest.forEach((m, j) => {
    const want = j % 2 === 0 ? "user" : "assistant";
    if (m.role !== want)
      throw new ChatFormatError(`chat: messages[${j + messages.length - rest.length}].role is "${m.role}" but roles must alternate user/assistant after an optional first system message (expected "${want}")`);
  });
  if (opts.addGenerationPrompt === true && rest.at(-1)!.role !== "user")
    throw new ChatFormatError("chat: addGenerationPrompt needs the conversation to end with a user message");
  if (system !== undefined) rest[0] = { role: "user", content: B_SYS + system + E_SYS + rest[0]!.content };
  return rest;
}

/** The chat as text, with "<s>"/"</s>" written out (what LLAMA2_CHAT_TEMPLATE renders). */
export function renderChat(messages: readonly ChatMessage[], opts: ChatOptions = {}): string {
  let out = "";
  for (const m of turns(messages, opts)) {
    if (m.role === "user") out += `<s>${B_INST} ${pyStrip(m.content)} ${E_INST}`;
    else out += ` ${pyStrip(m.content)} </s>`;
  }
  return out;
}

/** Token ids of a chat and, per token, whether it belongs to an assistant reply (incl. its </s>). */
export interface EncodedChat {
  ids: number[];
  assistantMask: boolean[];
}

/**
 * Encodes a chat the way meta-llama/llama chat_completion does: each user turn with its answer is
 * `<s>` + encode("[INST] {user} [/INST] {answer} ") + `</s>`, a final unanswered user turn is `<s>` +
 * encode("[INST] {user} [/INST]"). Message text is never parsed for special tokens.
 */
export function encodeChat(tokenizer: Tokenizer, messages: readonly ChatMessage[], opts: ChatOptions = {}): EncodedChat {
  const t = turns(messages, opts);
  const ids: number[] = [], mask: boolean[] = [];
  const push = (xs: number[], m: boolean): void => { for (const x of xs) { ids.push(x); mask.push(m); } };
  const enc = (s: string): number[] => tokenizer.encode(s, { bos: false, eos: false, parseSpecial: false });
  if (tokenizer.bosId < 0 || tokenizer.eosId < 0) throw new ChatFormatError("chat: the tokenizer has no <s>/</s> token");
  for (let i = 0; i < t.length; i += 2) {
    const prompt = `${B_INST} ${pyStrip(t[i]!.content)} ${E_INST}`;
    push([tokenizer.bosId], false);
    if (i + 1 >= t.length) { push(enc(prompt), false); break; }
    const full = enc(`${prompt} ${pyStrip(t[i + 1]!.content)} `);
    const head = enc(prompt);
    // The reply starts where the full encoding stops agreeing with the prompt's own encoding
    // (always at the end of the prompt for Llama vocabularies, whose pieces never span "]▁").
    let k = 0;
    while (k < head.length && k < full.length && head[k] === full[k]) k++;
    push(full.slice(0, k), false);
    push(full.slice(k), true);
    push([tokenizer.eosId], true);
  }
  return { ids, assistantMask: mask };
}
