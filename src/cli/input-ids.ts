// The token ids a command works on: --ids 1,2,3 (no tokenizer needed), or text through the model
// directory's tokenizer: --text/--prompt as raw text with <s>, --chat to wrap --prompt as one user turn
// of the Llama 2 chat format, and --prompt with --response as a scored chat exchange (reward models).
import type { Flags, OptionDefs } from "./args.js";
import { UsageError } from "./args.js";
import { loadTokenizer } from "../tokenizer/resolve.js";
import { encodeChat, type ChatMessage } from "../tokenizer/chat-template.js";

/** The input options of generate/score (spread into a command's options). */
export const INPUT_OPTIONS = {
  ids: { type: "string", value: "1,2,3", description: "input token ids, comma-separated (no tokenizer needed)" },
  prompt: { type: "string", value: "STR", description: "input text, encoded with the model directory's tokenizer (<s> prepended)" },
  text: { type: "string", value: "STR", description: "same as --prompt" },
  chat: { type: "boolean", description: "wrap --prompt as one user turn of the Llama 2 chat template ([INST] ... [/INST])" },
  system: { type: "string", value: "STR", description: "system prompt for --chat (<<SYS>> block)" },
} satisfies OptionDefs;

export async function inputIds(command: string, f: Flags, modelDir: string): Promise<number[]> {
  const g = f;
  const ids = g.ints("ids");
  if (ids) return ids;
  const text = g.strOpt("text") ?? g.strOpt("prompt");
  if (text === undefined) throw new UsageError(`${command}: give --ids 1,2,3 or --prompt/--text STR`);
  const tokenizer = await loadTokenizer(modelDir);
  const response = g.strOpt("response");
  if (response !== undefined || g.bool("chat")) {
    const messages: ChatMessage[] = [];
    const system = g.strOpt("system");
    if (system !== undefined) messages.push({ role: "system", content: system });
    messages.push({ role: "user", content: text });
    if (response !== undefined) messages.push({ role: "assistant", content: response });
    return encodeChat(tokenizer, messages).ids;
  }
  return tokenizer.encode(text);
}
