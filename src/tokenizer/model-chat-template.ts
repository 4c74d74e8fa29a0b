// A model's own chat template when it is not the Llama 2 format (a Llama-family chat model saved with ChatML,
// Zephyr, Vicuna, ... in tokenizer_config.json or chat_template.jinja): rendered with @huggingface/jinja and
// tokenized as transformers' apply_chat_template does (the text's special tokens parsed, nothing added), so
// prompts for generation match what the model was tuned on. Templates that render our probe chats exactly as
// the Llama 2 format stay on encodeChat (Meta's turn-by-turn ids). Training always uses the Llama 2 format.
import { Template } from "@huggingface/jinja";
import type { Tokenizer } from "./tokenizer.js";
import { ChatFormatError, encodeChat, renderChat, type ChatMessage } from "./chat-template.js";

// Conversations that tell the Llama 2 format apart: a single turn, and a system prompt with a second turn.
const PROBES: { messages: ChatMessage[]; gen: boolean }[] = [
  { messages: [{ role: "user", content: "Hi" }], gen: true },
  { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello." },
    { role: "user", content: "Why?" }], gen: true },
  { messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello." }], gen: false },
];

const compiled = new Map<string, { template: Template | null; error: string | null; llama2: boolean }>();

function pieceOr(tok: Tokenizer, id: number): string { return id >= 0 ? tok.idToPiece(id) : ""; }

function render(t: Template, tok: Tokenizer, messages: readonly ChatMessage[], gen: boolean): string {
  return t.render({
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: gen,
    bos_token: pieceOr(tok, tok.bosId), eos_token: pieceOr(tok, tok.eosId),
    unk_token: pieceOr(tok, tok.unkId), pad_token: pieceOr(tok, tok.padId),
  });  // raise_exception is @huggingface/jinja's own (it throws an Error with the template's message)
}

/** The tokenizer's chat template compiled, and whether it renders as the Llama 2 format (cached per template). */
function analyse(tok: Tokenizer): { template: Template | null; error: string | null; llama2: boolean } | null {
  const src = tok.chatTemplate;
  if (src === undefined) return null;
  const bos = pieceOr(tok, tok.bosId), eos = pieceOr(tok, tok.eosId), key = `${bos}\u0000${eos}\u0000${src}`;
  let a = compiled.get(key);
  if (a === undefined) {
    let template: Template | null = null, error: string | null = null, llama2 = false;
    try { template = new Template(src); } catch (e) { error = (e as Error).message; }
    if (template) {
      try {
        llama2 = PROBES.every((p) => render(template!, tok, p.messages, p.gen) ===
          renderChat(p.messages).replaceAll("<s>", "\u0001").replaceAll("</s>", eos).replaceAll("\u0001", bos));
      } catch { llama2 = false; }
    }
    a = { template, error, llama2 };
    compiled.set(key, a);
  }
  return a;
}

/** Whether the tokenizer carries a chat template other than the Llama 2 format (then chats render with it). */
export function hasOwnChatTemplate(tok: Tokenizer): boolean {
  const a = analyse(tok);
  return a !== null && !a.llama2;
}

function checkMessages(messages: readonly ChatMessage[]): void {
  if (!Array.isArray(messages) || messages.length === 0) throw new ChatFormatError("chat: no messages");
  messages.forEach((m, i) => {
    if (m === null || typeof m !== "object" || typeof m.content !== "string")
      throw new ChatFormatError(`chat: messages[${i}].content must be a string`);
    if (m.role !== "system" && m.role !== "user" && m.role !== "assistant")
      throw new ChatFormatError(`chat: messages[${i}].role must be system, user or assistant, got "${String(m.role)}"`);
  });
}

/**
 * The chat as the model's own template renders it (transformers' apply_chat_template(tokenize=False)): the
 * tokenizer's template when it is not the Llama 2 format, else renderChat.
 */
export function renderModelChat(tok: Tokenizer, messages: readonly ChatMessage[], addGenerationPrompt = false): string {
  const a = analyse(tok);
  if (a === null || a.llama2) return renderChat(messages, { addGenerationPrompt });
  checkMessages(messages);
  if (!a.template) throw new ChatFormatError(`${tok.chatTemplateSource}: the chat template does not parse (${a.error})`);
  try {
    return render(a.template, tok, messages, addGenerationPrompt);
  } catch (e) {
    if (e instanceof ChatFormatError) throw e;
    throw new ChatFormatError(`${tok.chatTemplateSource}: rendering the chat template failed: ${(e as Error).message}`);
  }
}

/**
 * Token ids of a chat for the model to continue: Meta's Llama 2 ids (encodeChat) unless the tokenizer carries
 * another chat template, which is rendered and tokenized as transformers' apply_chat_template(tokenize=True)
 * does (special tokens in the rendered text parsed, no <s> added beyond what the template writes).
 */
export function encodeModelChat(tok: Tokenizer, messages: readonly ChatMessage[], addGenerationPrompt = true): number[] {
  if (!hasOwnChatTemplate(tok)) return encodeChat(tok, messages, { addGenerationPrompt }).ids;
  return tok.encode(renderModelChat(tok, messages, addGenerationPrompt), { bos: false, eos: false, parseSpecial: true });
}
