// A model's own chat template (test/fixtures/tokenizer/chat-templates.json, rendered and tokenized by
// transformers' apply_chat_template on the real Llama 2 vocabulary by scripts/reference/make_chat_template_fixtures.py):
// Zephyr, ChatML as text and the old Llama-2-chat default-system template render and tokenize as transformers
// does, from tokenizer_config.json or chat_template.jinja (transformers ≥ 4.50 saves only the file), in the
// library, `llama2 generate --chat`, the GGUF export; a template that renders as Llama 2 keeps Meta's ids.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { encodeChat, type ChatMessage } from "../../src/tokenizer/chat-template.js";
import { encodeModelChat, hasOwnChatTemplate, renderModelChat } from "../../src/tokenizer/model-chat-template.js";
import { Llama } from "../../src/model/llama.js";
import { loadPretrained } from "../../src/index.js";
import { readGguf } from "../../src/io/gguf.js";
import { fixture } from "../helpers/fixtures.js";
import { tmpDir } from "../train/helpers.js";
import { llama2, llama2Json } from "../helpers/cli.js";

interface Case { template: string; messages: ChatMessage[]; text: string; ids: number[] }
const fx = JSON.parse(fs.readFileSync(fixture("tokenizer", "chat-templates.json"), "utf8")) as { templates: Record<string, string>; cases: Case[] };
const vocab = fixture("tokenizer", "llama2-32k");

/** The Llama 2 vocabulary with `template` in chat_template.jinja (file) or tokenizer_config.json (config). */
function tokenizerDir(root: string, name: string, where: "file" | "config"): string {
  const dir = path.join(root, `${name}-${where}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(vocab, "tokenizer.json"), path.join(dir, "tokenizer.json"));
  const cfg = JSON.parse(fs.readFileSync(path.join(vocab, "tokenizer_config.json"), "utf8"));
  if (where === "file") { delete cfg.chat_template; fs.writeFileSync(path.join(dir, "chat_template.jinja"), fx.templates[name]!); }
  else cfg.chat_template = fx.templates[name];
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(cfg));
  return dir;
}

test("other chat templates render and tokenize as transformers' apply_chat_template, from chat_template.jinja or tokenizer_config.json", async (t) => {
  const root = tmpDir("chat-tpl-");
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const name of ["zephyr", "chatml", "llama2-default-system"]) {
    for (const where of ["file", "config"] as const) {
      const tok = await Tokenizer.load(tokenizerDir(root, name, where));
      assert.equal(tok.chatTemplate, fx.templates[name]);
      assert.ok(hasOwnChatTemplate(tok), `${name} (${where}) is not the Llama 2 format`);
      for (const c of fx.cases.filter((x) => x.template === name)) {
        assert.equal(renderModelChat(tok, c.messages, true), c.text, `${name} ${where}`);
        assert.deepEqual(encodeModelChat(tok, c.messages), c.ids, `${name} ${where}: ${c.text}`);
      }
    }
  }
});

test("a template written differently that renders as Llama 2 keeps Meta's turn-by-turn ids (encodeChat)", async (t) => {
  const root = tmpDir("chat-tpl-");
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const tok = await Tokenizer.load(tokenizerDir(root, "llama2-rewritten", "file"));
  assert.equal(hasOwnChatTemplate(tok), false);
  for (const c of fx.cases.filter((x) => x.template === "llama2-rewritten")) {
    assert.deepEqual(encodeModelChat(tok, c.messages), encodeChat(tok, c.messages, { addGenerationPrompt: true }).ids);
    assert.deepEqual(encodeModelChat(tok, c.messages), c.ids);
  }
  // The shipped Llama 2 template is recognised too.
  assert.equal(hasOwnChatTemplate(await Tokenizer.load(vocab)), false);
});

test("a model with a Zephyr chat_template.jinja: lm.generate(messages), `generate --chat` and the GGUF export use it", async (t) => {
  const root = tmpDir("chat-tpl-model-");
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, "model");
  const m = new Llama({ vocabSize: 32000, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 1, numAttentionHeads: 2,
    numKeyValueHeads: 1, headDim: 16, maxPositionEmbeddings: 128, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false,
    bosTokenId: 1, eosTokenId: 2, padTokenId: null });
  m.initRandom(3, 0.3);
  await m.save(dir);
  const tdir = tokenizerDir(root, "zephyr", "file");
  for (const f of ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]) fs.copyFileSync(path.join(tdir, f), path.join(dir, f));
  const c = fx.cases.find((x) => x.template === "zephyr" && x.messages.length === 1)!;
  const lm = await loadPretrained(dir);
  const r = await lm.generate(c.messages, { maxNewTokens: 3, greedy: true });
  assert.equal(r.usage.promptTokens, c.ids.length);
  assert.deepEqual(lm.tokenizer.applyChatTemplate(c.messages, { addGenerationPrompt: true }), c.ids);
  assert.equal(lm.tokenizer.applyChatTemplate(c.messages, { addGenerationPrompt: true, tokenize: false }), c.text);
  const g = llama2Json("generate", "--model", dir, "--prompt", c.messages[0]!.content, "--chat", "--greedy", "--max-new-tokens", "3", "--json");
  assert.deepEqual(g.ids, r.ids);
  const file = path.join(root, "m.gguf");
  const e = llama2("export", "--model", dir, "--format", "gguf", "--out", file);
  assert.equal(e.status, 0, e.stderr);
  assert.equal(readGguf(file).metadata.get("tokenizer.chat_template"), fx.templates["zephyr"]);
});
