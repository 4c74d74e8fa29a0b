// The real Llama 2 vocabulary (32,000 pieces, 61,249 merges) from the npm package llama-tokenizer-js,
// written as the tokenizer.json that meta-llama/Llama-2-7b-hf ships (BPE with byte fallback, the
// legacy Prepend/Replace normalizer), so tests and scripts/reference/ fixtures use the same tokenizer.
import fs from "node:fs";
import path from "node:path";
import llamaTokenizer from "llama-tokenizer-js";
import { LLAMA2_CHAT_TEMPLATE } from "../../src/tokenizer/chat-template.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";

const SP = "\u2581";
const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

/** tokenizer.json of the Llama 2 vocabulary. */
export function llama32kTokenizerJson(): object {
  const vocab: Record<string, number> = {};
  llamaTokenizer.vocabById.forEach((piece, id) => { vocab[piece] = id; });
  const merges = [...llamaTokenizer.merges.entries()].sort((a, b) => a[1] - b[1]).map(([m]) => m);
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")],
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: SP }, { type: "Replace", pattern: { String: " " }, content: SP }] },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: SP }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
}

/** tokenizer_config.json as Llama-2-7b-chat-hf's (with its chat template). */
export const LLAMA32K_CONFIG = {
  add_bos_token: true, add_eos_token: false, bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", pad_token: null,
  legacy: true, chat_template: LLAMA2_CHAT_TEMPLATE, tokenizer_class: "LlamaTokenizer",
};

let cached: Tokenizer | null = null;
/** Our Tokenizer over the real Llama 2 vocabulary. */
export function llama32kTokenizer(): Tokenizer {
  cached ??= Tokenizer.fromJSON(llama32kTokenizerJson(), LLAMA32K_CONFIG);
  return cached;
}

/** Writes tokenizer.json + tokenizer_config.json into dir (for reference scripts and model dirs). */
export function writeLlama32kTokenizer(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(llama32kTokenizerJson()));
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(LLAMA32K_CONFIG, null, 2));
}

// `node dist/test/helpers/llama32k.js DIR` writes the files (scripts/reference/make_sft_fixtures.py calls it).
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname) && process.argv[2])
  writeLlama32kTokenizer(process.argv[2]);
