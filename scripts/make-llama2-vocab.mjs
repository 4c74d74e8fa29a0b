#!/usr/bin/env node
// Writes the real Llama 2 tokenizer (32,000 pieces and their merges, as shipped inside the npm package
// llama-tokenizer-js) as a Hugging Face tokenizer directory laid out like meta-llama/Llama-2-7b-hf's
// tokenizer.json (BPE, byte_fallback, fuse_unk, Prepend("▁") + Replace(" ", "▁"), <s> post-processor,
// Replace/ByteFallback/Fuse/Strip decoder) plus tokenizer_config.json with the Llama 2 chat template.
//   usage (after npm run build): node scripts/make-llama2-vocab.mjs [OUT_DIR]   (default test/fixtures/tokenizer/llama2-32k)
import fs from "node:fs";
import path from "node:path";
import { LlamaTokenizer } from "llama-tokenizer-js";
import { LLAMA2_CHAT_TEMPLATE as chatTemplate } from "../dist/src/tokenizer/chat-template.js";

const out = process.argv[2] ?? "test/fixtures/tokenizer/llama2-32k";
const t = new LlamaTokenizer();
const pieces = t.vocabById;
if (pieces.length !== 32000) throw new Error(`expected 32000 pieces, got ${pieces.length}`);
const vocab = {};
pieces.forEach((p, i) => { vocab[p] = i; });
// llama-tokenizer-js keeps merges as "left right" -> priority (lower first); keep that order.
const merges = [...t.merges.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k);
const added = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const json = {
  version: "1.0", truncation: null, padding: null,
  added_tokens: [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")],
  normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
  pre_tokenizer: null,
  post_processor: {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
  },
  decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] },
  model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
};
const config = {
  add_bos_token: true, add_eos_token: false, bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", pad_token: null,
  clean_up_tokenization_spaces: false, legacy: true, model_max_length: 4096, sp_model_kwargs: {},
  tokenizer_class: "LlamaTokenizer", chat_template: chatTemplate,
};
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "tokenizer.json"), JSON.stringify(json));
fs.writeFileSync(path.join(out, "tokenizer_config.json"), JSON.stringify(config, null, 2) + "\n");
console.log(`${out}: ${pieces.length} pieces, ${merges.length} merges`);
