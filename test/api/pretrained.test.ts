// The public API from src/index.ts on the committed tiny world model: generate / stream / score agree
// with the model-level functions and with `llama2 generate`, stop strings and AbortSignal behave, and
// generation lets the event loop run between decode steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AbortError, Llama, loadPretrained, type GenerateResult } from "../../src/index.js";
import { generate as modelGenerate } from "../../src/model/generate.js";
import { scoreTokens } from "../../src/model/score.js";
import { fixture } from "../helpers/fixtures.js";
import { llama2Json } from "../helpers/cli.js";

const dir = fixture("tiny-world");
const lm = await loadPretrained(dir);
const PROMPT = "The river";

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const piece of it) out.push(piece);
  return out;
}

test("generate (greedy) gives the ids of the model's generate() and of `llama2 generate`, and their text", async () => {
  const r = await lm.generate(PROMPT, { maxNewTokens: 24, greedy: true });
  const promptIds = lm.tokenizer.encode(PROMPT);
  const ref = modelGenerate(await Llama.load(dir), [promptIds], { maxNewTokens: 24, greedy: true });
  assert.deepEqual(r.ids, ref.ids[0]);
  const cli = llama2Json("generate", "--model", dir, "--prompt", PROMPT, "--greedy", "--max-new-tokens", "24", "--json");
  assert.deepEqual(r.ids, cli.ids);
  assert.equal(r.text, cli.text);
  assert.equal(r.usage.promptTokens, promptIds.length);
  assert.equal(r.usage.completionTokens, r.ids.length);
  assert.equal(r.finishReason, r.ids.at(-1) === lm.config.eosTokenId ? "stop" : "length");
  assert.ok(r.text.length > 0);
});

test("token ids and chat messages are inputs too; a chat reply is answered after [/INST]", async () => {
  const ids = lm.tokenizer.encode(PROMPT);
  const byIds = await lm.generate(ids, { maxNewTokens: 10, greedy: true });
  assert.deepEqual(byIds.ids, (await lm.generate(PROMPT, { maxNewTokens: 10, greedy: true })).ids);
  const messages = [{ role: "user" as const, content: "Where is Tika?" }];
  const chat = await lm.generate(messages, { maxNewTokens: 10, greedy: true });
  const promptIds = lm.tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
  assert.deepEqual(chat.ids, (await lm.generate(promptIds, { maxNewTokens: 10, greedy: true })).ids);
  assert.equal(chat.usage.promptTokens, promptIds.length);
  assert.ok(!chat.text.startsWith(" "), "a chat reply has no leading template space");
  assert.match(lm.tokenizer.applyChatTemplate(messages, { tokenize: false }), /^<s>\[INST\] Where is Tika\? \[\/INST\]$/);
});

test("stream pieces join to generate's text, greedy and sampled with a seed", async () => {
  for (const opts of [{ greedy: true }, { temperature: 0.9, topP: 0.95, seed: 7 }]) {
    const r = await lm.generate(PROMPT, { maxNewTokens: 30, ...opts });
    const pieces = await collect(lm.stream(PROMPT, { maxNewTokens: 30, ...opts }));
    assert.ok(pieces.length > 1 && pieces.every((p) => p.length > 0));
    assert.equal(pieces.join(""), r.text);
  }
  const a = await lm.generate(PROMPT, { maxNewTokens: 30, temperature: 1, seed: 3, greedy: false });
  const b = await lm.generate(PROMPT, { maxNewTokens: 30, temperature: 1, seed: 3, greedy: false });
  assert.deepEqual(a.ids, b.ids, "same seed, same sample");
});

test("stop strings end the text before the match, in generate and in stream", async () => {
  const full = await lm.generate(PROMPT, { maxNewTokens: 40, greedy: true });
  // A stop string that starts mid-text and spans what are likely several tokens.
  const at = Math.floor(full.text.length / 2);
  const stop = full.text.slice(at, at + 4);
  const first = full.text.indexOf(stop);
  const r = await lm.generate(PROMPT, { maxNewTokens: 40, greedy: true, stop: ["zzzz-never", stop] });
  assert.equal(r.text, full.text.slice(0, first));
  assert.equal(r.finishReason, "stop");
  assert.ok(r.ids.length <= full.ids.length);
  assert.deepEqual(r.ids, full.ids.slice(0, r.ids.length));
  const pieces = await collect(lm.stream(PROMPT, { maxNewTokens: 40, greedy: true, stop }));
  assert.equal(pieces.join(""), r.text, "the stream never shows the start of the stop string");
});

test("score gives the model's per-token log-probabilities and their NLL", async () => {
  const text = "The river flows past the town.";
  const s = await lm.score(text);
  const ref = scoreTokens(lm.model, lm.tokenizer.encode(text));
  assert.deepEqual(s.tokenLogprobs, ref.tokenLogprobs);
  assert.ok(Math.abs(s.nll + s.tokenLogprobs.reduce((x, y) => x + y, 0)) < 1e-9);
  const chat = [{ role: "user" as const, content: "Hi" }, { role: "assistant" as const, content: "Hello." }];
  assert.equal((await lm.score(chat)).tokenLogprobs.length, lm.tokenizer.encodeChat(chat).ids.length - 1);
});

test("an AbortSignal rejects generate with an AbortError and ends a stream mid-way", async () => {
  const pre = AbortSignal.abort();
  await assert.rejects(lm.generate(PROMPT, { signal: pre }), (e: unknown) => e instanceof AbortError && e.name === "AbortError");
  const ac = new AbortController();
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const piece of lm.stream(PROMPT, { maxNewTokens: 60, greedy: true, signal: ac.signal })) {
      seen.push(piece);
      if (seen.length === 2) ac.abort(new Error("user cancelled"));
    }
  }, (e: unknown) => e instanceof AbortError && (e.cause as Error).message === "user cancelled");
  assert.equal(seen.length, 2, "no piece after the abort");
});

test("generation yields to the event loop: a due timer runs while tokens are still being produced", async () => {
  let piecesAtTimer = -1, pieces = 0;
  setTimeout(() => { piecesAtTimer = pieces; }, 1);
  // Make the timer due before generation starts; a generation that never yielded would run it only at the end.
  const t0 = Date.now();
  while (Date.now() - t0 < 5) { /* busy */ }
  for await (const _ of lm.stream(PROMPT, { maxNewTokens: 40, greedy: true })) pieces++;
  assert.ok(pieces > 2);
  assert.ok(piecesAtTimer >= 0 && piecesAtTimer < pieces, `timer ran after ${piecesAtTimer} of ${pieces} pieces`);
  // An abort from a timer also lands mid-generation.
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 1);
  const t1 = Date.now();
  while (Date.now() - t1 < 5) { /* busy */ }
  const r: Promise<GenerateResult> = lm.generate(PROMPT, { maxNewTokens: 400, greedy: true, stop: "zzzz-never", signal: ac.signal });
  await assert.rejects(r, AbortError);
});

test("load options: dtype names are checked, bf16 / q8_0 load low-precision weights; bad generate options are RangeErrors", async () => {
  await assert.rejects(loadPretrained(dir, { dtype: "int4" as never }), /dtype must be float32, bfloat16 or q8_0/);
  for (const d of ["bf16", "bfloat16", "q8_0"] as const) {
    const low = await loadPretrained(fixture("models", "llama-gqa"), { dtype: d });
    const ref = await loadPretrained(fixture("models", "llama-gqa"));
    assert.deepEqual((await low.generate([1, 11, 4], { maxNewTokens: 8, greedy: true })).ids,
      (await ref.generate([1, 11, 4], { maxNewTokens: 8, greedy: true })).ids, d);
  }
  for (const [d, canon] of [["bf16", "bfloat16"], ["q8_0", "q8_0"]] as const) {  // and the same ids as the CLI's --dtype
    const q = await loadPretrained(dir, { dtype: d });
    assert.equal(q.model.dtype, canon);
    const r = await q.generate(PROMPT, { maxNewTokens: 16, greedy: true });
    const cli = llama2Json("generate", "--model", dir, "--prompt", PROMPT, "--greedy", "--max-new-tokens", "16", "--dtype", d, "--json");
    assert.deepEqual(r.ids, cli.ids, `dtype ${d}`);
  }
  assert.equal((await loadPretrained(dir, { dtype: "f32" })).config.hiddenSize, lm.config.hiddenSize);
  await assert.rejects(loadPretrained(fixture("nope")), /no such model directory/);
  await assert.rejects(lm.generate(PROMPT, { temperature: 0 }), RangeError);
  await assert.rejects(lm.generate(PROMPT, { topP: 1.5 }), RangeError);
  await assert.rejects(lm.generate([1, -2]), TypeError);
  const noTok = await loadPretrained(fixture("models", "llama-gqa"));
  assert.equal(noTok.hasTokenizer, false);
  assert.throws(() => noTok.tokenizer, /no tokenizer.json or tokenizer.model/);
  assert.equal((await noTok.generate([1, 5, 9], { maxNewTokens: 3, greedy: true })).ids.length > 0, true);
});
