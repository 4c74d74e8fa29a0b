// Shared access to test/fixtures/tokenizer (written by scripts/reference/make_tokenizer_fixtures.py).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** test/fixtures/tokenizer in the source tree (tests run from dist/test/tokenizer). */
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/tokenizer");

export interface ChatCase {
  messages: Array<{ role: "system" | "user" | "assistant"; content: string }>;
  render: string;
  metaIds: number[];
  hfLegacyIdsOfRender: number[];
  oursRender?: string;
}

export interface Expected {
  cases: string[];
  sp: number[][];
  hf: number[][];
  hfLegacy: number[][];
  spDecoded: string[];
  hfDecoded: string[];
  full: { sp: number[]; hf: number[]; hfLegacy: number[] };
  withSpecial: { text: string; hf: number[] };
  chat: ChatCase[];
  /** The legacy tokenizer.json with added_tokens normalized: true (ids) and as committed (rawIds). */
  normalizedAddedTokens: { cases: string[]; ids: number[][]; rawIds: number[][] };
  /** sp-unused/tokenizer.model (pieces `marked` as UNUSED): sentencepiece ids of the first cases. */
  unused: { marked: string[]; ids: number[][] };
  /** Ids from HF tokenizers for edited copies of the legacy tokenizer.json (see the fixture script). */
  variants: { cases: string[]; metaspaceSplit: number[][]; ignoreMerges: number[][]; addedStrip: number[][] };
  chatTemplateCheckedWithTransformers: boolean;
}

let cached: Expected | undefined;
/** expected.json, parsed once. */
export function expected(): Expected {
  cached ??= JSON.parse(fs.readFileSync(path.join(FIXTURES, "expected.json"), "utf8")) as Expected;
  return cached;
}

/** The corpus as one text (what the "full" ids encode). */
export function fullText(): string {
  return fs.readFileSync(path.join(FIXTURES, "corpus.txt"), "utf8");
}
