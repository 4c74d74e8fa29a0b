// The token ids a command works on: --ids 1,2,3 (no tokenizer needed), or text through the model
// directory's tokenizer: --text/--prompt as raw text with <s>, --chat to wrap --prompt as one user turn
// of the Llama 2 chat format, and --prompt with --response as a scored chat exchange (reward models).
import fs from "node:fs";
import type { Flags, OptionDefs } from "./args.js";
import { UsageError } from "./args.js";
import { loadTokenizer } from "../tokenizer/resolve.js";
import { encodeChat, type ChatMessage } from "../tokenizer/chat-template.js";
import { encodeModelChat } from "../tokenizer/model-chat-template.js";

/** The input options of generate/score (spread into a command's options). */
export const INPUT_OPTIONS = {
  ids: { type: "string", value: "1,2,3", description: "input token ids, comma-separated (no tokenizer needed)" },
  prompt: { type: "string", value: "STR", description: "input text, encoded with the model directory's tokenizer (<s> prepended)" },
  text: { type: "string", value: "STR", description: "same as --prompt" },
  "text-file": { type: "string", value: "FILE", description: "read the input text from FILE (- = stdin), for inputs longer than a command line holds" },
  "parse-special": { type: "boolean", description: "treat <s>, </s> and other special tokens written in the text as control tokens (default: plain text)" },
  chat: { type: "boolean", description: "wrap --prompt as one user turn of the Llama 2 chat template ([INST] ... [/INST])" },
  system: { type: "string", value: "STR", description: "system prompt for --chat (<<SYS>> block)" },
} satisfies OptionDefs;

/** The --ids as given, each checked against the vocabulary before it can wrap in an Int32Array. */
function parseIds(raw: string, vocabSize: number | undefined): number[] {
  const parts = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0 || parts.some((s) => !/^-?\d+$/.test(s))) throw new UsageError(`--ids expects comma-separated integers, got "${raw}"`);
  if (vocabSize !== undefined)
    for (const s of parts) {
      const n = Number(s);
      if (n < 0 || n >= vocabSize || !Number.isSafeInteger(n))
        throw new UsageError(`--ids: ${s} is not a token id of this model (vocabulary ${vocabSize}: 0..${vocabSize - 1})`);
    }
  return parts.map(Number);
}

/** The input text of --text/--prompt, or of --text-file FILE (- = stdin). */
function inputText(g: Flags, command: string): string | undefined {
  const file = g.strOpt("text-file");
  if (file === undefined) return g.strOpt("text") ?? g.strOpt("prompt");
  if (g.strOpt("text") !== undefined || g.strOpt("prompt") !== undefined) throw new UsageError(`${command}: give --text-file or --prompt/--text, not both`);
  try {
    return fs.readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw new UsageError(`${command}: --text-file ${file}: ${(e as Error).message}`);
  }
}

/**
 * The ids a command works on. `vocabSize` (the model's) checks --ids as given: an id outside the
 * vocabulary (or beyond 2^31) is reported, never wrapped.
 */
export async function inputIds(command: string, f: Flags, modelDir: string, vocabSize?: number): Promise<number[]> {
  const g = f;
  const rawIds = g.strOpt("ids");
  if (rawIds !== undefined) return parseIds(rawIds, vocabSize);
  const text = inputText(g, command);
  if (text === undefined) throw new UsageError(`${command}: give --ids 1,2,3, --prompt/--text STR or --text-file FILE`);
  const tokenizer = await loadTokenizer(modelDir);
  const response = g.strOpt("response");
  if (response !== undefined || g.bool("chat")) {
    const messages: ChatMessage[] = [];
    const system = g.strOpt("system");
    if (system !== undefined) messages.push({ role: "system", content: system });
    messages.push({ role: "user", content: text });
    if (response !== undefined) messages.push({ role: "assistant", content: response });
    // A prompt to answer in the model's own chat format; a prompt with a response (reward models) in the Llama 2 format.
    return response === undefined ? encodeModelChat(tokenizer, messages) : encodeChat(tokenizer, messages).ids;
  }
  return tokenizer.encode(text, { parseSpecial: g.bool("parse-special") });
}
