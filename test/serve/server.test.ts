// `llama2 serve` through the official openai npm client against a real server on 127.0.0.1, with the
// committed tiny world model: non-streaming and streaming answers, usage, stop sequences, n, logprobs,
// every 400/401/429 case, /health during a long generation, cancel on disconnect, batched = solo greedy,
// and the CLI process (first stdout line, SIGTERM).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { startServer, type RunningServer } from "../../src/serve/server.js";
import { Llama } from "../../src/model/llama.js";
import { generate } from "../../src/model/generate.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { encodeChat } from "../../src/tokenizer/chat-template.js";
import { pieceBytes, pieceText } from "../../src/serve/batcher.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const MODEL = path.join(root, "test", "fixtures", "tiny-world");
const QUESTION = [{ role: "user" as const, content: "Who wrote the letter to the river?" }];

let server: RunningServer;
let client: OpenAI;

before(async () => {
  server = await startServer({ modelDir: MODEL, port: 0, parallel: 2, queue: 1 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
after(async () => { await server.close(); });

async function ourGreedy(messages: typeof QUESTION, maxNew: number): Promise<{ text: string; tokens: number }> {
  const model = await Llama.load(MODEL), tok = await Tokenizer.load(MODEL);
  const ids = encodeChat(tok, messages, { addGenerationPrompt: true }).ids;
  const out = generate(model, [ids], { maxNewTokens: maxNew, greedy: true }).ids[0]!;
  return { text: tok.decode(out.filter((i) => i !== tok.eosId), { skipSpecial: true }), tokens: out.length };
}

test("a greedy chat completion is what llama2-ts generates for the same chat, with exact usage", async () => {
  const r = await client.chat.completions.create({ model: "anything", messages: QUESTION, max_tokens: 40, temperature: 0 });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0]!.message.role, "assistant");
  const want = await ourGreedy(QUESTION, 40);
  assert.equal(r.choices[0]!.message.content, want.text);
  const tok = await Tokenizer.load(MODEL);
  assert.equal(r.usage!.prompt_tokens, encodeChat(tok, QUESTION, { addGenerationPrompt: true }).ids.length);
  assert.equal(r.usage!.completion_tokens, want.tokens); // every sampled token, the </s> that ended it included
  assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + r.usage!.completion_tokens);
  assert.equal(r.choices[0]!.finish_reason, want.tokens < 40 ? "stop" : "length");
});

test("streaming sends one id, a role first, text pieces that join to the non-streamed answer, usage last, then [DONE]", async () => {
  const plain = await client.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 30, temperature: 0 });
  const stream = await client.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 30, temperature: 0, stream: true, stream_options: { include_usage: true } });
  const ids = new Set<string>();
  let text = "", role: string | undefined, finish: string | null = null, usage: OpenAI.CompletionUsage | null | undefined = null, chunks = 0;
  for await (const c of stream) {
    chunks++;
    ids.add(c.id);
    assert.equal(c.object, "chat.completion.chunk");
    if (c.choices.length === 0) { usage = c.usage; continue; }
    role ??= c.choices[0]!.delta.role;
    text += c.choices[0]!.delta.content ?? "";
    if (c.choices[0]!.finish_reason) finish = c.choices[0]!.finish_reason;
  }
  assert.equal(ids.size, 1);
  assert.equal(role, "assistant");
  assert.equal(text, plain.choices[0]!.message.content);
  assert.equal(finish, plain.choices[0]!.finish_reason);
  assert.deepEqual(usage, plain.usage);
  assert.ok(chunks > 2);
});

test("a stop sequence ends the answer before it, and is not in the text", async () => {
  const full = (await client.completions.create({ model: "m", prompt: "Once upon a time", max_tokens: 40, temperature: 0, ignore_eos: true } as never)) as OpenAI.Completion;
  const text = full.choices[0]!.text;
  const words = text.trim().split(/\s+/);
  assert.ok(words.length >= 4, text);
  const stop = ` ${words[2]}`;
  const cut = text.indexOf(stop);
  const r = await client.completions.create({ model: "m", prompt: "Once upon a time", max_tokens: 40, temperature: 0, stop: [stop] });
  assert.equal(r.choices[0]!.text, text.slice(0, cut));
  assert.equal(r.choices[0]!.finish_reason, "stop");
  // and streamed: the held-back tail never leaks a stop prefix
  let streamed = "";
  for await (const c of await client.completions.create({ model: "m", prompt: "Once upon a time", max_tokens: 40, temperature: 0, stop: stop, stream: true })) streamed += c.choices[0]?.text ?? "";
  assert.equal(streamed, text.slice(0, cut));
});

test("max_tokens bounds the answer with finish_reason length; max_completion_tokens wins over it", async () => {
  const r = await client.completions.create({ model: "m", prompt: "The", max_tokens: 5, temperature: 0, ignore_eos: true } as never) as OpenAI.Completion;
  assert.equal(r.usage!.completion_tokens, 5);
  assert.equal(r.choices[0]!.finish_reason, "length");
  const c = await client.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 30, max_completion_tokens: 3, temperature: 0.9, seed: 4, ignore_eos: true } as never) as OpenAI.ChatCompletion;
  assert.equal(c.usage!.completion_tokens, 3);
});

test("seeded sampling repeats; n gives distinct choices; logprobs come with top alternatives", async () => {
  const a = await client.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 20, temperature: 1, seed: 7, n: 3, logprobs: true, top_logprobs: 2 });
  const b = await client.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 20, temperature: 1, seed: 7, n: 3 });
  assert.equal(a.choices.length, 3);
  assert.deepEqual(a.choices.map((c) => c.message.content), b.choices.map((c) => c.message.content));
  assert.ok(new Set(a.choices.map((c) => c.message.content)).size > 1, "three seeded samples should not all be equal");
  const lp = a.choices[0]!.logprobs!.content!;
  assert.ok(lp.length >= 1);
  for (const t of lp) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 2);
    assert.ok(t.top_logprobs[0]!.logprob >= t.top_logprobs[1]!.logprob);
  }
  assert.equal(a.usage!.completion_tokens, a.choices.reduce((s, c) => s + (c.logprobs!.content!.length), 0));
});

test("GET /v1/models lists the model by its directory name; /health answers", async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ["tiny-world"]);
  const h = await fetch(`${server.url}/health`);
  assert.deepEqual(await h.json(), { status: "ok" });
});

test("bad requests get 400 naming the field, in OpenAI's error shape", async () => {
  const post = async (route: string, body: string): Promise<{ status: number; json: { error: { message: string; type: string; param: string | null; code: string | null } } }> => {
    const r = await fetch(`${server.url}${route}`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    return { status: r.status, json: await r.json() as never };
  };
  const cases: Array<[string, string, string | null, string | null]> = [
    ["/v1/chat/completions", "{not json", null, null],
    ["/v1/chat/completions", JSON.stringify({ model: "m" }), "messages", null],
    ["/v1/chat/completions", JSON.stringify({ messages: [{ role: "robot", content: "hi" }] }), "messages[0].role", null],
    ["/v1/chat/completions", JSON.stringify({ messages: [{ role: "user", content: 5 }] }), "messages[0].content", null],
    ["/v1/chat/completions", JSON.stringify({ messages: QUESTION, max_tokens: 0 }), "max_tokens", null],
    ["/v1/chat/completions", JSON.stringify({ messages: QUESTION, temperature: "hot" }), "temperature", null],
    ["/v1/chat/completions", JSON.stringify({ messages: [{ role: "assistant", content: "hi" }] }), "messages", null],
    ["/v1/chat/completions", JSON.stringify({ messages: QUESTION, max_tokens: 100000 }), "max_tokens", "context_length_exceeded"],
    ["/v1/completions", JSON.stringify({ prompt: 42 }), "prompt", null],
    // context_length_exceeded names the field the client sent, or what is too long when it sent none
    ["/v1/chat/completions", JSON.stringify({ messages: QUESTION, max_completion_tokens: 100000 }), "max_completion_tokens", "context_length_exceeded"],
    ["/v1/completions", JSON.stringify({ prompt: new Array(600).fill(5) }), "prompt", "context_length_exceeded"],
    ["/v1/chat/completions", JSON.stringify({ messages: [{ role: "user", content: "river ".repeat(600) }] }), "messages", "context_length_exceeded"],
    ["/v1/chat/completions", JSON.stringify({ messages: QUESTION, stream: true, stream_options: { include_usage: "yes" } }), "stream_options.include_usage", null],
    ["/v1/chat/completions", JSON.stringify({ model: 5, messages: QUESTION }), "model", null],
  ];
  for (const [route, body, param, code] of cases) {
    const r = await post(route, body);
    assert.equal(r.status, 400, body);
    assert.equal(r.json.error.type, "invalid_request_error");
    assert.equal(r.json.error.param, param, body);
    assert.equal(r.json.error.code, code, body);
    assert.ok(r.json.error.message.length > 0);
  }
  await assert.rejects(client.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: -1 }), (e: unknown) => e instanceof OpenAI.BadRequestError);
});

test("with --api-key, requests without the bearer token get 401; with it they work", async () => {
  const s = await startServer({ modelDir: MODEL, port: 0, parallel: 1, apiKey: "sekret" });
  try {
    const wrong = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: "nope", maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError);
    const right = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: "sekret", maxRetries: 0 });
    assert.equal((await right.models.list()).data.length, 1);
    assert.equal((await fetch(`${s.url}/health`)).status, 200); // health needs no key
  } finally { await s.close(); }
});

/** Opens a streaming completion that runs to max_tokens; resolves once its first chunk arrived. */
async function longStream(base: string, maxTokens: number): Promise<{ controller: AbortController; rest: Promise<number> }> {
  const controller = new AbortController();
  const res = await fetch(`${base}/v1/completions`, {
    method: "POST", signal: controller.signal, headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: "Once", max_tokens: maxTokens, temperature: 0, ignore_eos: true, stream: true }),
  });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.ok(!first.done);
  const rest = (async () => { let n = 0; try { for (;;) { const r = await reader.read(); if (r.done) break; n++; } } catch { /* aborted */ } return n; })();
  return { controller, rest };
}

test("/health is answered while long generations run; beyond parallel + queue: 429 with Retry-After", async () => {
  // parallel 2, queue 1: of six long requests sent at once, at most three are taken, the rest get 429.
  const a = await longStream(server.url, 480);
  let aEnded = false;
  void a.rest.then(() => { aEnded = true; });
  const h = await fetch(`${server.url}/health`);
  assert.equal(h.status, 200);
  assert.equal(aEnded, false, "the long generation had already ended: /health was not tested during it");
  a.controller.abort();
  await a.rest;
  await new Promise((r) => setTimeout(r, 100));
  const body = JSON.stringify({ prompt: "Once", max_tokens: 480, temperature: 0, ignore_eos: true, stream: true });
  const ctrls = Array.from({ length: 6 }, () => new AbortController());
  const res = await Promise.all(ctrls.map((c) => fetch(`${server.url}/v1/completions`, { method: "POST", signal: c.signal, headers: { "Content-Type": "application/json" }, body })));
  const refused = res.filter((r) => r.status === 429);
  assert.ok(refused.length >= 3, `statuses ${res.map((r) => r.status)}`);
  for (const r of refused) {
    assert.ok(Number(r.headers.get("retry-after")) >= 1);
    assert.equal(((await r.json()) as { error: { type: string } }).error.type, "rate_limit_error");
  }
  assert.ok(res.filter((r) => r.status === 200).length >= 1);
  for (const c of ctrls) c.abort();
  await Promise.all(res.filter((r) => r.status === 200).map((r) => r.body!.cancel().catch(() => {})));
  await new Promise((r) => setTimeout(r, 100));
});

test("a client that disconnects cancels its generation and frees its slot", async () => {
  const streams = [await longStream(server.url, 480), await longStream(server.url, 480)];
  for (const s of streams) s.controller.abort();
  await Promise.all(streams.map((s) => s.rest));
  // Both slots must be free again: two more long generations are accepted at once, and a third queues.
  await new Promise((r) => setTimeout(r, 100));
  const again = [await longStream(server.url, 480), await longStream(server.url, 480)];
  for (const s of again) s.controller.abort();
});

test("a greedy answer is the same alone and batched with other requests joining and leaving", async () => {
  const s = await startServer({ modelDir: MODEL, port: 0, parallel: 3, queue: 4 });
  const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const prompts = ["Once upon a time", "The river", "Who is the king", "In the morning"];
  const solo: string[] = [];
  for (const p of prompts) solo.push((await client.completions.create({ model: "m", prompt: p, max_tokens: 24, temperature: 0 })).choices[0]!.text);
  const lengths = [24, 6, 17, 11];
  const batched = await Promise.all(prompts.map((p, i) => client.completions.create({ model: "m", prompt: p, max_tokens: lengths[i]!, temperature: 0 })));
  batched.forEach((r, i) => assert.ok(solo[i]!.startsWith(r.choices[0]!.text), `prompt ${i}: "${r.choices[0]!.text}" vs "${solo[i]}"`));
  assert.equal(batched[0]!.choices[0]!.text, solo[0]);
  await s.close();
});

test("llama2 serve prints `listening on http://HOST:PORT` first, serves, and exits cleanly on SIGTERM", async () => {
  const proc = spawn(process.execPath, [path.join(root, "dist", "src", "cli", "main.js"), "serve", "--model", MODEL, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout.on("data", (d: Buffer) => { out += d.toString(); const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out); if (m) resolve(m[1]!); });
    proc.once("exit", (c) => reject(new Error(`exited ${c} before listening: ${out}`)));
  });
  const c = new OpenAI({ baseURL: `${url}/v1`, apiKey: "x", maxRetries: 0 });
  const r = await c.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 5 });
  assert.equal(r.choices.length, 1);
  const code = await new Promise<number | null>((resolve) => { proc.once("exit", (code) => resolve(code)); proc.kill("SIGTERM"); });
  assert.equal(code, 0);
});

test("llama2 serve --dtype q8_0 serves the model kept as q8_0: the library's q8_0 greedy answer and log-probabilities", async () => {
  const proc = spawn(process.execPath, [path.join(root, "dist", "src", "cli", "main.js"), "serve", "--model", MODEL, "--port", "0", "--dtype", "q8_0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout.on("data", (d: Buffer) => { out += d.toString(); const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out); if (m) resolve(m[1]!); });
      proc.once("exit", (c) => reject(new Error(`exited ${c} before listening: ${out}`)));
    });
    const c = new OpenAI({ baseURL: `${url}/v1`, apiKey: "x", maxRetries: 0 });
    const r = await c.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 12, temperature: 0, logprobs: true });
    const tok = await Tokenizer.load(MODEL);
    const ids = encodeChat(tok, QUESTION, { addGenerationPrompt: true }).ids;
    const lib = (dtype: "float32" | "q8_0") => Llama.load(MODEL, { trainable: false, dtype }).then((m) => generate(m, [ids], { maxNewTokens: 12, greedy: true }));
    const q8 = await lib("q8_0"), f32 = await lib("float32");
    assert.equal(r.choices[0]!.message.content, tok.decode(q8.ids[0]!.filter((i) => i !== tok.eosId), { skipSpecial: true }));
    const got = r.choices[0]!.logprobs!.content!.map((t) => t.logprob);
    assert.equal(got.length, q8.logprobs[0]!.length);
    got.forEach((lp, i) => assert.ok(Math.abs(lp - q8.logprobs[0]![i]!) < 1e-6, `token ${i}: ${lp} vs the library's q8_0 ${q8.logprobs[0]![i]}`));
    // and q8_0 is really what ran: its log-probabilities are not float32's
    assert.ok(got.some((lp, i) => Math.abs(lp - f32.logprobs[0]![i]!) > 1e-5), "the q8_0 server answered with float32 log-probabilities");
  } finally {
    proc.kill("SIGTERM");
  }
});

test("llama2 serve refuses a reward model, naming what the directory holds", async () => {
  const seqcls = path.join(root, "test", "fixtures", "models", "llama-seqcls");
  const proc = spawn(process.execPath, [path.join(root, "dist", "src", "cli", "main.js"), "serve", "--model", seqcls, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  proc.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
  assert.equal(code, 1);
  assert.match(err, /holds a sequence-classification \(reward\/value\) model .*but serve needs a causal language model/);
});

test("logprob bytes are a token's own bytes: a byte-fallback piece is its one byte, as OpenAI's `bytes`", async () => {
  const tok = await Tokenizer.load(MODEL);
  const e2 = tok.spec.pieces.indexOf("<0xE2>"), nl = tok.spec.pieces.indexOf("<0x0A>");
  assert.ok(e2 >= 0 && nl >= 0, "the tiny world vocabulary has byte pieces");
  assert.deepEqual([pieceText(tok, e2), pieceBytes(tok, e2)], ["<0xE2>", [0xe2]]);
  assert.deepEqual([pieceText(tok, nl), pieceBytes(tok, nl)], ["\n", [0x0a]]);
  const word = tok.spec.pieces.findIndex((p) => p.startsWith(tok.spec.decode.space) && p.length > 2);
  assert.deepEqual(pieceBytes(tok, word), Array.from(Buffer.from(pieceText(tok, word), "utf8")));
  // Through the server: every token and alternative carries bytes that spell it (byte pieces: their byte).
  const a = await client.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 20 });
  for (const t of a.choices[0]!.logprobs!.content!)
    for (const x of [t, ...t.top_logprobs]) {
      const m = /^<0x([0-9A-F]{2})>$/.exec(x.token);
      assert.deepEqual(x.bytes, m ? [parseInt(m[1]!, 16)] : Array.from(Buffer.from(x.token, "utf8")), x.token);
    }
});

test("n > 1 streams every choice under one id: a role first and a finish_reason each, usage once for all of them", async () => {
  const s = await client.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 6, temperature: 1, seed: 3, n: 2, stream: true,
    stream_options: { include_usage: true }, logprobs: true, top_logprobs: 1 });
  const ids = new Set<string>(), roles = [0, 0], finish: (string | null)[] = [null, null], text = ["", ""], lps = [0, 0];
  let usageChunks = 0, completionTokens = 0;
  for await (const c of s) {
    ids.add(c.id);
    if (c.usage) { usageChunks++; completionTokens = c.usage.completion_tokens; assert.deepEqual(c.choices, []); continue; }
    assert.equal(c.usage, null);
    for (const ch of c.choices) {
      if (ch.delta.role) roles[ch.index]!++;
      text[ch.index] += ch.delta.content ?? "";
      lps[ch.index] += ch.logprobs?.content?.length ?? 0;
      if (ch.finish_reason) finish[ch.index] = ch.finish_reason;
    }
  }
  const b = await client.chat.completions.create({ model: "m", messages: QUESTION, max_tokens: 6, temperature: 1, seed: 3, n: 2 });
  assert.equal(ids.size, 1);
  assert.deepEqual(roles, [1, 1]);
  assert.deepEqual(text, b.choices.map((c) => c.message.content));
  assert.deepEqual(finish, b.choices.map((c) => c.finish_reason));
  assert.equal(usageChunks, 1);
  assert.equal(completionTokens, b.usage!.completion_tokens);
  assert.equal(lps[0]! + lps[1]!, completionTokens);
});
