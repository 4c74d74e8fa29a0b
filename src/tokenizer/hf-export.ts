// Writes a trained vocabulary as a Hugging Face tokenizer directory (DESIGN.md §1): tokenizer.json
// laid out exactly like meta-llama/Llama-2-7b-hf's (BPE with byte_fallback and fuse_unk, the
// Prepend("▁") + Replace(" ", "▁") normalizer, no pre-tokenizer, <s> post-processor, the
// Replace/ByteFallback/Fuse/Strip decoder) and tokenizer_config.json (LlamaTokenizer, add_bos_token, the Llama 2 chat template).
import fs from "node:fs";
import path from "node:path";
import type { TrainedTokenizer, VocabPiece } from "./trainer.js";
import { BOS, EOS, UNK } from "./trainer.js";
import { LLAMA2_CHAT_TEMPLATE } from "./chat-template.js";
import { writeSentencePieceModel } from "./spm-model.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { mkdirpOrExplain } from "../io/fs-errors.js";

/** The chat_template written into tokenizer_config.json (Llama 2 chat format, src/tokenizer/chat-template.ts). */
export const CHAT_TEMPLATE: string | null = LLAMA2_CHAT_TEMPLATE;

/** Llama 2's context length (paper Table 1), written as model_max_length. */
export const LLAMA2_MODEL_MAX_LENGTH = 4096;

/**
 * The BPE merges for a vocabulary, as transformers' generate_merges derives them from a
 * SentencePiece model: for every piece in id order, every split into two vocabulary pieces (left
 * part shortest first). Ranking merges by the merged piece's id reproduces SentencePiece's
 * "merge the adjacent pair whose result has the best score" encoding.
 */
export function generateMerges(pieces: readonly VocabPiece[]): [string, string][] {
  const ids = new Map<string, number>();
  pieces.forEach((p, i) => { if (!ids.has(p.piece)) ids.set(p.piece, i); });
  const merges: [string, string][] = [];
  for (const p of pieces) {
    const cps = Array.from(p.piece);
    if (cps.length < 2) continue;
    for (let k = 1; k < cps.length; k++) {
      const l = cps.slice(0, k).join(""), r = cps.slice(k).join("");
      if (ids.has(l) && ids.has(r)) merges.push([l, r]);
    }
  }
  return merges;
}

function addedToken(id: number, content: string, special: boolean): object {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}

/** The tokenizer.json object (key order as in Llama-2-7b-hf). */
export function tokenizerJson(pieces: readonly VocabPiece[]): object {
  if (pieces[0]?.piece !== UNK || pieces[1]?.piece !== BOS || pieces[2]?.piece !== EOS)
    throw new Error("tokenizer.json: ids 0, 1, 2 must be <unk>, <s>, </s>");
  const vocab: Record<string, number> = {};
  pieces.forEach((p, i) => {
    if (Object.prototype.hasOwnProperty.call(vocab, p.piece)) throw new Error(`tokenizer.json: piece "${p.piece}" appears twice (ids ${vocab[p.piece]} and ${i})`);
    vocab[p.piece] = i;
  });
  const added = pieces.flatMap((p, i) =>
    p.type === "unknown" || p.type === "control" ? [addedToken(i, p.piece, true)] : p.type === "user" ? [addedToken(i, p.piece, false)] : []);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Prepend", prepend: "▁" },
        { type: "Replace", pattern: { String: " " }, content: "▁" },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: BOS, type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { [BOS]: { id: BOS, ids: [1], tokens: [BOS] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: UNK,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab,
      merges: generateMerges(pieces).map(([l, r]) => `${l} ${r}`),
    },
  };
}

function tokenObject(content: string): object {
  return { __type: "AddedToken", content, lstrip: false, normalized: false, rstrip: false, single_word: false };
}

/** The tokenizer_config.json object (Llama-2-7b-hf's keys; chat_template when the hook is set). */
export function tokenizerConfig(pieces: readonly VocabPiece[], chatTemplate: string | null = CHAT_TEMPLATE): object {
  const decoder: Record<string, object> = {};
  pieces.forEach((p, i) => {
    if (p.type === "unknown" || p.type === "control" || p.type === "user")
      decoder[String(i)] = { content: p.piece, lstrip: false, normalized: false, rstrip: false, single_word: false, special: p.type !== "user" };
  });
  return {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: decoder,
    bos_token: tokenObject(BOS),
    ...(chatTemplate !== null ? { chat_template: chatTemplate } : {}),
    clean_up_tokenization_spaces: false,
    eos_token: tokenObject(EOS),
    // legacy: true keeps sentencepiece's dummy-prefix "▁" on text that follows a special token, as
    // Meta's chat_completion encodes each turn; transformers 5 drops a lone "▁" after "<s>" with
    // legacy: false (seen whenever "▁[" is not one piece, e.g. small trained vocabularies).
    legacy: true,
    model_max_length: LLAMA2_MODEL_MAX_LENGTH,
    pad_token: null,
    padding_side: "right",
    sp_model_kwargs: {},
    tokenizer_class: "LlamaTokenizer",
    unk_token: tokenObject(UNK),
  };
}

/** Writes tokenizer.json, tokenizer_config.json and tokenizer.model into dir (created if needed). */
export function saveTokenizerDir(dir: string, trained: TrainedTokenizer, chatTemplate: string | null = CHAT_TEMPLATE): string[] {
  mkdirpOrExplain(dir);
  const files = {
    "tokenizer.json": JSON.stringify(tokenizerJson(trained.pieces), null, 2) + "\n",
    "tokenizer_config.json": JSON.stringify(tokenizerConfig(trained.pieces, chatTemplate), null, 2) + "\n",
    "tokenizer.model": writeSentencePieceModel(trained.pieces, trained.options),
  };
  return Object.entries(files).map(([name, data]) => {
    const file = path.join(dir, name);
    writeFileAtomic(file, data);
    return file;
  });
}
