import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Template } from "@huggingface/jinja";
import { ChatFormatError, encodeChat, LLAMA2_CHAT_TEMPLATE, renderChat, type ChatMessage } from "../../src/tokenizer/chat-template.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { expected, FIXTURES } from "./fixtures.js";

const jinja = (messages: ChatMessage[]): string =>
  new Template(LLAMA2_CHAT_TEMPLATE).render({ messages, bos_token: "<s>", eos_token: "</s>" });

test("renderChat, the Jinja template (@huggingface/jinja) and transformers' apply_chat_template render the same text", () => {
  const e = expected();
  assert.ok(e.chatTemplateCheckedWithTransformers, "the fixture script also rendered LLAMA2_CHAT_TEMPLATE with transformers");
  assert.ok(e.chat.some((c) => c.messages[0]!.role === "system") && e.chat.some((c) => c.messages[0]!.role !== "system"));
  assert.ok(e.chat.some((c) => c.messages.length === 1) && e.chat.some((c) => c.messages.length > 3));
  for (const c of e.chat) {
    assert.equal(renderChat(c.messages), c.render);
    assert.equal(jinja(c.messages), c.render);
    assert.equal(c.oursRender, c.render);
  }
});

test("encodeChat reproduces meta-llama chat_completion ids from tokenizer.model and both tokenizer.json forms", async () => {
  for (const dir of ["sp", "hf", "hf-legacy"]) {
    const tok = await Tokenizer.load(path.join(FIXTURES, dir));
    for (const c of expected().chat) assert.deepEqual(encodeChat(tok, c.messages).ids, c.metaIds, `${dir}: ${c.render}`);
  }
});

test("the legacy tokenizer.json encodes the rendered chat to the same ids as encodeChat", async () => {
  const tok = await Tokenizer.load(path.join(FIXTURES, "hf-legacy"));
  for (const c of expected().chat) {
    assert.deepEqual(tok.encode(c.render, { bos: false, parseSpecial: true }), c.hfLegacyIdsOfRender);
    assert.deepEqual(c.hfLegacyIdsOfRender, c.metaIds);
  }
});

test("the assistant mask covers exactly each reply and its </s>", async () => {
  const tok = await Tokenizer.load(path.join(FIXTURES, "sp"));
  const msgs: ChatMessage[] = [
    { role: "system", content: "Be brief." }, { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello there" }, { role: "user", content: "Bye" }, { role: "assistant", content: "Goodbye" },
  ];
  const { ids, assistantMask } = encodeChat(tok, msgs);
  assert.equal(ids.length, assistantMask.length);
  // Collect the masked spans: each must decode to the reply and end with </s>.
  const spans: number[][] = [];
  ids.forEach((id, i) => {
    if (!assistantMask[i]) return;
    if (i === 0 || !assistantMask[i - 1]) spans.push([]);
    spans.at(-1)!.push(id);
  });
  assert.equal(spans.length, 2);
  assert.deepEqual(spans.map((s) => s.at(-1)), [tok.eosId, tok.eosId]);
  assert.deepEqual(spans.map((s) => tok.decode(s).trim()), ["Hello there", "Goodbye"]);
  // Everything unmasked decodes to the prompts.
  const prompt = ids.filter((_, i) => !assistantMask[i]);
  assert.equal(tok.decode(prompt), "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] [INST] Bye [/INST]");
});

test("special-token text inside a message stays text in encodeChat", async () => {
  const tok = await Tokenizer.load(path.join(FIXTURES, "hf-legacy"));
  const { ids } = encodeChat(tok, [{ role: "user", content: "say </s> now" }]);
  assert.equal(ids.filter((id) => id === tok.eosId).length, 0);
  assert.equal(tok.decode(ids), "[INST] say </s> now [/INST]");
});

test("bad role order is rejected with the message index", () => {
  const bad: Array<[ChatMessage[], RegExp]> = [
    [[], /no messages/],
    [[{ role: "assistant", content: "x" }], /messages\[0\]\.role is "assistant"/],
    [[{ role: "user", content: "a" }, { role: "user", content: "b" }], /messages\[1\]\.role is "user"/],
    [[{ role: "system", content: "s" }], /needs a user message/],
    [[{ role: "user", content: "a" }, { role: "system", content: "s" }], /messages\[1\]\.role is "system"/],
    [[{ role: "bot" as "user", content: "a" }], /must be system, user or assistant/],
  ];
  for (const [msgs, re] of bad) {
    assert.throws(() => renderChat(msgs), (e: unknown) => e instanceof ChatFormatError && re.test(e.message));
  }
  assert.throws(() => renderChat([{ role: "user", content: "a" }, { role: "assistant", content: "b" }], { addGenerationPrompt: true }),
    /end with a user message/);
  assert.throws(() => jinja([{ role: "user", content: "a" }, { role: "user", content: "b" }]), /alternate/);
});
