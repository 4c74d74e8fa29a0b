// `llama2 chat --model DIR [--system STR] [--temperature T ...]`: an interactive chat in the Llama 2 template.
// Answers stream token by token; the history is kept within the context (oldest turns dropped, and said);
// /reset, /system TEXT, /exit; Ctrl-C stops the current answer (at the prompt it exits); with stdin not a
// terminal, every input line is one user turn and its answer is printed on one line.
import readline from "node:readline";
import { defineCommand, parseFlags, UsageError } from "../args.js";
import { Llama } from "../../model/llama.js";
import { loadTokenizer } from "../../tokenizer/resolve.js";
import type { ChatMessage } from "../../tokenizer/chat-template.js";
import { encodeModelChat } from "../../tokenizer/model-chat-template.js";
import { ContinuousBatcher } from "../../serve/batcher.js";
import { requireHead } from "../../model/model-kind.js";

export const command = defineCommand({
  name: "chat",
  summary: "talk with a chat model in the terminal (Llama 2 chat template, streamed answers)",
  usage: "--model DIR [--system STR] [--temperature T] [--top-p P] [--top-k K] [--max-new-tokens N] [--seed S]",
  description: "In the chat: /reset clears the history, /system TEXT sets the system prompt (and resets), /exit quits. " +
    "Ctrl-C stops the answer being written. Piped input: one user turn per line, one answer per line.",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "chat model directory (e.g. OUT/final of llama2 sft)" },
    system: { type: "string", value: "STR", description: "system prompt (the <<SYS>> block of the first turn)" },
    temperature: { type: "string", value: "T", default: 0.7, description: "sampling temperature (0 = greedy)" },
    "top-p": { type: "string", value: "P", default: 0.9, description: "nucleus sampling mass (1 = off)" },
    "top-k": { type: "string", value: "K", default: 0, description: "sample among the K most likely tokens (0 = off)" },
    "max-new-tokens": { type: "string", value: "N", default: 256, description: "longest answer, in tokens" },
    seed: { type: "string", value: "S", default: 0, description: "sampling seed" },
  },
  examples: ["llama2 chat --model runs/demo/sft/final --system \"Answer briefly.\"", "llama2 chat --model DIR --temperature 0 < questions.txt"],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model");
  const temperature = f.num("temperature"), topP = f.num("top-p"), topK = f.int("top-k"), maxNew = f.int("max-new-tokens");
  if (temperature < 0) throw new UsageError("chat: --temperature must be >= 0");
  if (!(topP > 0 && topP <= 1)) throw new UsageError("chat: --top-p must be in (0, 1]");
  if (maxNew < 1) throw new UsageError("chat: --max-new-tokens must be >= 1");
  const model = await Llama.load(dir);
  requireHead(model, "chat", dir);
  const tok = await loadTokenizer(dir);
  const ctx = model.config.maxPositionEmbeddings;
  if (maxNew >= ctx) throw new UsageError(`chat: --max-new-tokens ${maxNew} leaves no room for the prompt in the ${ctx}-token context`);
  const batcher = new ContinuousBatcher(model, tok, { parallel: 1 });
  const tty = process.stdin.isTTY === true;
  let system: string | undefined = f.strOpt("system");
  let history: ChatMessage[] = [];
  let seed = f.int("seed"), turn = 0;
  let current: string | null = null;

  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: tty ? "> " : "" });
  const say = (s: string): void => { process.stderr.write(`${s}\n`); };
  if (tty) say(`chat with ${dir} — /reset, /system TEXT, /exit; Ctrl-C stops an answer`);

  /** The prompt ids for the history + the new user turn, dropping the oldest turns until it fits. */
  const promptFor = (user: string): number[] => {
    for (;;) {
      const msgs: ChatMessage[] = [...(system ? [{ role: "system" as const, content: system }] : []), ...history, { role: "user", content: user }];
      const ids = encodeModelChat(tok, msgs);
      if (ids.length + maxNew <= ctx) return ids;
      if (history.length === 0) throw new Error(`the message alone (${ids.length} tokens) does not fit the ${ctx}-token context with ${maxNew} new tokens`);
      history = history.slice(2);
      say(`(context full: dropped the oldest turn; ${history.length / 2} kept)`);
    }
  };

  const answer = async (user: string): Promise<void> => {
    const ids = promptFor(user);
    const id = `turn-${turn++}`;
    current = id;
    let text = "";
    let interrupted = false;
    const done = new Promise<void>((resolve) => {
      batcher.submit({ id, prompt: ids, maxTokens: maxNew, temperature, topP, topK, seed: seed++, stop: [], logprobs: false, topLogprobs: 0, stripLeadingSpace: true }, (e) => {
        if (e.kind === "text") { text += e.text; if (tty) process.stdout.write(e.text); }
        else resolve();
      });
    });
    const cancelled = new Promise<void>((resolve) => { stopAnswer = () => { interrupted = true; batcher.cancel(id); resolve(); }; });
    const loop = (async () => { while (!batcher.idle && !interrupted) { batcher.step(); await new Promise((r) => setImmediate(r)); } })();
    if (stopNext) { stopNext = false; stopAnswer!(); }
    await Promise.race([done, cancelled]);
    await loop;
    current = null;
    stopAnswer = null;
    if (tty) process.stdout.write(interrupted ? " [stopped]\n" : "\n");
    else process.stdout.write(`${text.replace(/\n/g, " ")}\n`);
    history.push({ role: "user", content: user }, { role: "assistant", content: text });
  };
  let stopAnswer: (() => void) | null = null;

  // Ctrl-C: stop the answer being written (or about to be: a line typed but not yet answered); at an idle prompt, quit.
  let stopNext = false;
  rl.on("SIGINT", () => {
    if (current !== null && stopAnswer) stopAnswer();
    else if (lines.length > 0) stopNext = true;
    else rl.close();
  });
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  rl.on("line", (l) => { lines.push(l); wake?.(); });
  rl.on("close", () => { closed = true; wake?.(); });
  rl.prompt();
  for (;;) {
    if (lines.length === 0) {
      if (closed) break;
      await new Promise<void>((r) => { wake = r; });
      wake = null;
      continue;
    }
    const line = lines.shift()!.trim();
    if (line === "") { rl.prompt(); continue; }
    if (line === "/exit" || line === "/quit") break;
    if (line === "/reset") { history = []; say("(history cleared)"); rl.prompt(); continue; }
    if (line.startsWith("/system")) {
      system = line.slice("/system".length).trim() || undefined;
      history = [];
      say(system ? `(system prompt set; history cleared)` : "(system prompt removed; history cleared)");
      rl.prompt();
      continue;
    }
    if (line.startsWith("/")) { say(`unknown command ${line.split(/\s/)[0]}; /reset, /system TEXT, /exit`); rl.prompt(); continue; }
    await answer(line);
    rl.prompt();
  }
  rl.close();
}
