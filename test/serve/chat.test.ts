// `llama2 chat` as a user runs it: piped stdin (one answer per line, /system and /reset), and a real
// pseudo-terminal (util-linux `script`) where Ctrl-C stops the answer being written, not the program.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Llama } from "../../src/model/llama.js";
import { generate } from "../../src/model/generate.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { encodeChat, type ChatMessage } from "../../src/tokenizer/chat-template.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const MODEL = path.join(root, "test", "fixtures", "tiny-world");
const MAIN = path.join(root, "dist", "src", "cli", "main.js");

async function greedy(messages: ChatMessage[], maxNew: number): Promise<string> {
  const model = await Llama.load(MODEL), tok = await Tokenizer.load(MODEL);
  const ids = encodeChat(tok, messages, { addGenerationPrompt: true }).ids;
  const out = generate(model, [ids], { maxNewTokens: maxNew, greedy: true }).ids[0]!;
  return tok.decode(out.filter((i) => i !== tok.eosId), { skipSpecial: true }).replace(/\n/g, " ");
}

test("piped stdin: one greedy answer per line, keeping the history; /system and /reset start over", async () => {
  const q1 = "Who wrote the letter to the river?", q2 = "And then?", q3 = "What is a river?";
  const input = `${q1}\n${q2}\n/system Answer in one word.\n${q3}\n/reset\n${q3}\n`;
  const r = spawnSync(process.execPath, [MAIN, "chat", "--model", MODEL, "--temperature", "0", "--max-new-tokens", "24"], { input, encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n").slice(0, -1);
  assert.equal(lines.length, 4, r.stdout);
  const a1 = await greedy([{ role: "user", content: q1 }], 24);
  assert.equal(lines[0], a1);
  assert.equal(lines[1], await greedy([{ role: "user", content: q1 }, { role: "assistant", content: a1 }, { role: "user", content: q2 }], 24));
  const sys = { role: "system" as const, content: "Answer in one word." };
  assert.equal(lines[2], await greedy([sys, { role: "user", content: q3 }], 24));
  assert.equal(lines[3], await greedy([sys, { role: "user", content: q3 }], 24)); // /reset keeps the system prompt, drops the turns
  assert.match(r.stderr, /system prompt set/);
  assert.match(r.stderr, /history cleared/);
});

test("in a terminal, Ctrl-C stops the current answer and the chat goes on; /exit quits", async () => {
  // script(1) gives the chat a real pseudo-terminal; the Ctrl-C byte arrives with the question.
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} chat --model ${JSON.stringify(MODEL)} --temperature 1 --max-new-tokens 400`;
  const proc = spawn("script", ["-qfec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  const plain = (): string => out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ""); // without the terminal's cursor moves
  const waitFor = (re: RegExp, what: string): Promise<void> => new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => { if (re.test(plain())) resolve(); else if (Date.now() - t0 > 30_000) reject(new Error(`no ${what} in: ${JSON.stringify(plain())}`)); else setTimeout(tick, 20); };
    tick();
  });
  await waitFor(/> $/, "prompt");
  proc.stdin.write("Tell me a long story about the river.\r\x03");
  await waitFor(/\[stopped\]\r?\n> $/, "stopped answer");
  proc.stdin.write("Who wrote the letter?\r");
  await waitFor(/\[stopped\][\s\S]*> [\s\S]*\n> $/, "second answer");
  proc.stdin.write("/exit\r");
  const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
  assert.equal(code, 0);
});
