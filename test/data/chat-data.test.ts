import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ChatDataError, loadChatDataset, rowMessages, encodeSample, trainedCount } from "../../src/data/chat-data.js";
import { encodeChat, renderChat, type ChatMessage } from "../../src/tokenizer/chat-template.js";
import { Llama } from "../../src/model/llama.js";
import { native } from "../../src/native/addon.js";
import { scoreDataset } from "../../src/recipes/sft-score.js";
import { fixture } from "../helpers/fixtures.js";
import { llama32kTokenizer, writeLlama32kTokenizer } from "../helpers/llama32k.js";
import { llama2Json, llama2 } from "../helpers/cli.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { tempDir } from "../helpers/tmp.js";

interface Case { messages: ChatMessage[]; render: string; meta_ids: number[]; hf_ids: number[]; labels: number[] }
const expected = JSON.parse(fs.readFileSync(fixture("sft", "expected.json"), "utf8")) as {
  cases: Case[]; per_row: { loss_sum: number; tokens: number }[]; score: { loss: number; tokens: number; examples: number };
};
const rows = fs.readFileSync(fixture("sft", "chat.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown);

function tmpFile(name: string, text: string): string {
  const dir = tempDir("sft-data-");
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

test("fixture covers single-turn, multi-turn, system-prompt and prompt/response rows", () => {
  assert.equal(rows.length, expected.cases.length);
  const r = rows as Record<string, unknown>[];
  assert.ok(r.some((x) => "prompt" in x && !("system" in x)) && r.some((x) => "prompt" in x && "system" in x));
  const msgs = expected.cases.map((c) => c.messages);
  assert.ok(msgs.some((m) => m.length === 2 && m[0]!.role === "user"));
  assert.ok(msgs.some((m) => m[0]!.role === "system" && m.length > 3));
  assert.ok(msgs.some((m) => m[0]!.role === "user" && m.length >= 6));
});

test("answer-only labels equal transformers' (apply_chat_template text, HF offsets) and Meta's chat_completion layout, 32k Llama vocabulary", () => {
  const tok = llama32kTokenizer();
  expected.cases.forEach((c, i) => {
    const msgs = rowMessages(rows[i], `chat.jsonl:${i + 1}`);
    assert.deepEqual(msgs, c.messages);
    assert.equal(renderChat(msgs), c.render);
    const enc = encodeChat(tok, msgs);
    assert.deepEqual(enc.ids, c.meta_ids, c.render);
    const { sample } = encodeSample(tok, msgs, `row ${i + 1}`, null);
    // Shifted: targets[t] is the label of token t+1; the last token is not fed.
    assert.deepEqual(Array.from(sample.ids), c.meta_ids.slice(0, -1));
    assert.deepEqual(Array.from(sample.targets), c.labels.slice(1), c.render);
    // Trained tokens = assistant tokens + one </s> per reply.
    const replies = msgs.filter((m) => m.role === "assistant").length;
    assert.equal(Array.from(sample.targets).filter((t) => t === tok.eosId).length, replies);
    assert.equal(trainedCount(sample), expected.per_row[i]!.tokens);
    const replyTokens = msgs.filter((m) => m.role === "assistant")
      .reduce((a, m) => a + tok.encode(`${"x"} ${m.content.trim()} `, { bos: false }).length - tok.encode("x", { bos: false }).length, 0);
    assert.equal(trainedCount(sample), replyTokens + replies, c.render);
  });
});

test("llama2 score --data equals transformers on the committed 32k-vocabulary fixture", async () => {
  const dir = tempDir("sft-score-");
  for (const f of fs.readdirSync(fixture("sft", "llama32k-model"))) fs.copyFileSync(fixture("sft", "llama32k-model", f), path.join(dir, f));
  writeLlama32kTokenizer(dir);
  const model = await Llama.load(dir);
  const r = await scoreDataset(model, llama32kTokenizer(), [fixture("sft", "chat.jsonl")]);
  assert.equal(r.tokens, expected.score.tokens);
  assert.equal(r.examples, expected.score.examples);
  assert.ok(Math.abs(r.loss - expected.score.loss) / expected.score.loss < 1e-5, `${r.loss} vs ${expected.score.loss}`);
  const cli = llama2Json("score", "--model", dir, "--data", fixture("sft", "chat.jsonl"), "--json");
  assert.deepEqual(Object.keys(cli).sort(), ["examples", "loss", "tokens"]);
  assert.equal(cli.tokens, expected.score.tokens);
  assert.ok(Math.abs(cli.loss - expected.score.loss) / expected.score.loss < 1e-5);
});

test("masked positions get exactly zero gradient at the logits and contribute no loss", async () => {
  const model = await Llama.load(tinyWorldModel());
  const tok = await Tokenizer.load(tinyWorldModel());
  const msgs: ChatMessage[] = [{ role: "system", content: "Be brief." }, { role: "user", content: "Compute 2 + 3." },
    { role: "assistant", content: "The answer is 5." }, { role: "user", content: "And 4 + 4?" }, { role: "assistant", content: "8." }];
  const { sample } = encodeSample(tok, msgs, "x", null);
  const T = sample.ids.length, V = model.config.vocabSize;
  const logits = model.forward(sample.ids, 1, T);
  const losses = new Float32Array(T);
  const count = native.crossEntropy(logits, sample.targets, losses, logits, T, V, 1);
  assert.equal(count, trainedCount(sample));
  let masked = 0;
  for (let t = 0; t < T; t++) {
    if (sample.targets[t] !== -100) { assert.ok(losses[t]! > 0); continue; }
    masked++;
    assert.equal(losses[t], 0);
    for (let v = 0; v < V; v++) assert.equal(logits[t * V + v], 0, `dlogit at masked position ${t}`);
  }
  assert.ok(masked > 10 && count > 5);
  // Changing the labels of masked positions to real ids would train them: the model's loss changes.
  const relabelled = Int32Array.from(sample.targets, (t, i) => (t === -100 && i + 1 < T ? sample.ids[i + 1]! : t));
  const a = model.lmLoss(sample.ids, sample.targets, 1, T), b = model.lmLoss(sample.ids, relabelled, 1, T);
  assert.ok(b.count > a.count && b.lossSum !== a.lossSum);
});

test("the world's sft_*.jsonl loads; every row trains its replies", async () => {
  const tok = await Tokenizer.load(tinyWorldModel());
  const d = await loadChatDataset([path.join(tinyWorld(), "sft_val.jsonl")], tok, { seqLen: 512 });
  assert.equal(d.samples.length, 300);
  assert.equal(d.truncated, 0);
  assert.ok(d.samples.every((s) => trainedCount(s) >= 2));
  assert.equal(d.trainedTokens, d.samples.reduce((a, s) => a + trainedCount(s), 0));
});

test("samples longer than seq_len are cut at the end and counted", async () => {
  const tok = await Tokenizer.load(tinyWorldModel());
  const long = "word ".repeat(80);
  const f = tmpFile("long.jsonl", [JSON.stringify({ prompt: "hi", response: long }), JSON.stringify({ prompt: "hi", response: "ok" })].join("\n") + "\n");
  const d = await loadChatDataset([f], tok, { seqLen: 32 });
  assert.equal(d.truncated, 1);
  assert.equal(d.samples[0]!.ids.length, 32);
  assert.ok(d.samples[1]!.ids.length < 32);
});

const bad: [string, string, RegExp][] = [
  ["not JSON", `{"messages": [}\n`, /bad\.jsonl:1: not valid JSON/],
  ["no assistant at the end", `${JSON.stringify({ messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }] })}\n${JSON.stringify({ messages: [{ role: "user", content: "a" }] })}\n`, /bad\.jsonl:2: messages\[0\]\.role: the conversation must end with an assistant turn/],
  ["roles out of order", `${JSON.stringify({ messages: [{ role: "user", content: "a" }, { role: "user", content: "b" }, { role: "assistant", content: "c" }] })}\n`, /bad\.jsonl:1: messages\[1\]\.role: is "user", expected "assistant"/],
  ["system not first", `${JSON.stringify({ messages: [{ role: "user", content: "a" }, { role: "system", content: "s" }, { role: "assistant", content: "c" }] })}\n`, /bad\.jsonl:1: messages\[1\]\.role/],
  ["bad role", `${JSON.stringify({ messages: [{ role: "bot", content: "a" }] })}\n`, /bad\.jsonl:1: messages\[0\]\.role: expected "system", "user" or "assistant"/],
  ["content not a string", `${JSON.stringify({ messages: [{ role: "user", content: 3 }, { role: "assistant", content: "x" }] })}\n`, /bad\.jsonl:1: messages\[0\]\.content: expected a string/],
  ["prompt without response", `\n\n${JSON.stringify({ prompt: "a" })}\n`, /bad\.jsonl:3: response: expected a string/],
  ["neither messages nor prompt", `${JSON.stringify({ text: "a" })}\n`, /bad\.jsonl:1: messages: missing/],
  ["not an object", `[1, 2]\n`, /bad\.jsonl:1: expected a JSON object/],
];
for (const [name, text, re] of bad) {
  test(`bad row stops with file:line and field: ${name}`, async () => {
    const f = tmpFile("bad.jsonl", text);
    await assert.rejects(loadChatDataset([f], llama32kTokenizer()), (e: Error) => e instanceof ChatDataError && re.test(e.message));
  });
}

test("an empty dataset is an error, not a zero-step run; so is a missing file", async () => {
  const f = tmpFile("empty.jsonl", "\n\n");
  await assert.rejects(loadChatDataset([f], llama32kTokenizer()), /no rows/);
  await assert.rejects(loadChatDataset([f + ".missing"], llama32kTokenizer()), /no such file/);
  const r = llama2("score", "--model", tinyWorldModel(), "--data", f, "--json");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /empty\.jsonl: no rows/);
});

test("files converted by llama2 world convert (alpaca, messages) load as SFT rows", async () => {
  const dir = tempDir("sft-convert-");
  const files = ["alpaca", "messages"].map((fmt) => {
    const out = path.join(dir, `${fmt}.jsonl`);
    const r = llama2("world", "convert", "--format", fmt, "--input", fixture("world", `${fmt}.jsonl`), "--out", out);
    assert.equal(r.status, 0, r.stderr);
    return out;
  });
  const d = await loadChatDataset(files, await Tokenizer.load(tinyWorldModel()));
  assert.equal(d.samples.length, 6);
  assert.ok(d.samples.every((s) => trainedCount(s) > 0));
});

test("llama2 bench sft: packing pads far fewer positions than padding to the longest sample", () => {
  const r = llama2Json("bench", "sft", "--model", tinyWorldModel(), "--data", path.join(tinyWorld(), "sft_val.jsonl"), "--steps", "1", "--rounds", "1", "--json");
  assert.ok(r.packing.padded_fraction < 0.1 && r.padding.padded_fraction > 0.3, JSON.stringify(r));
  assert.ok(r.packing.rows_per_batch < r.padding.rows_per_batch);
  assert.equal(r.samples, 300);
});
