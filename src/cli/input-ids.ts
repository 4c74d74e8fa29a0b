// The token ids a command works on: --ids 1,2,3 (no tokenizer needed), or text through the model
// directory's tokenizer: --text/--prompt as raw text with <s>, --chat to wrap --prompt as one user turn
// of the Llama 2 chat format, and --prompt with --response as a scored chat exchange (reward models).
import type { Flags } from "./args.js";
import { UsageError } from "./args.js";
import { loadTokenizer } from "../tokenizer/resolve.js";
import { encodeChat, type ChatMessage } from "../tokenizer/chat-template.js";

export async function inputIds(command: string, f: Flags, modelDir: string): Promise<number[]> {
  const ids = f.ints("ids");
  if (ids) return ids;
  const text = f.strOpt("text") ?? f.strOpt("prompt");
  if (text === undefined) throw new UsageError(`${command}: give --ids 1,2,3 or --prompt/--text STR`);
  const tokenizer = await loadTokenizer(modelDir);
  const response = f.strOpt("response");
  if (response !== undefined || f.bool("chat")) {
    const messages: ChatMessage[] = [];
    const system = f.strOpt("system");
    if (system !== undefined) messages.push({ role: "system", content: system });
    messages.push({ role: "user", content: text });
    if (response !== undefined) messages.push({ role: "assistant", content: response });
    return encodeChat(tokenizer, messages).ids;
  }
  return tokenizer.encode(text);
}
