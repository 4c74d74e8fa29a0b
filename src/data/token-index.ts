// The index of a prepared token dataset (`llama2 data prepare`): which binary shards hold the
// train and val token streams, their dtype and token counts, and the tokenizer they came from.
// Shards are raw little-endian uint16 (vocab <= 65535) or uint32 arrays, no header — like
// llm.c's .bin shards minus the header, which lives here instead. Written last, atomically.
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../io/atomic-file.js";

export const INDEX_FILE = "index.json";
export const INDEX_FORMAT = "llama2-ts-tokens";

export type TokenDtype = "uint16" | "uint32";
export type SplitName = "train" | "val";

export interface ShardEntry {
  /** File name relative to the dataset directory. */
  file: string;
  tokens: number;
}

export interface SplitEntry {
  tokens: number;
  documents: number;
  shards: ShardEntry[];
}

export interface TokenIndex {
  format: typeof INDEX_FORMAT;
  version: 1;
  dtype: TokenDtype;
  vocab_size: number;
  bos_id: number;
  eos_id: number;
  /** Where the tokenizer was loaded from (informational). */
  tokenizer: string;
  /** How .txt inputs were split into documents. */
  txt_documents: "paragraph";
  val_fraction: number;
  splits: Record<SplitName, SplitEntry>;
  sources: { file: string; bytes: number }[];
}

/** Bytes per token for a dtype. */
export function dtypeBytes(dtype: TokenDtype): number {
  return dtype === "uint16" ? 2 : 4;
}

/** The smallest dtype that holds every id of a vocabulary of `vocabSize` tokens. */
export function dtypeForVocab(vocabSize: number): TokenDtype {
  return vocabSize <= 65535 ? "uint16" : "uint32";
}

/** Shard file name, e.g. "train-00003.bin". */
export function shardName(split: SplitName, i: number): string {
  return `${split}-${String(i).padStart(5, "0")}.bin`;
}

export const SHARD_PATTERN = /^(train|val)-\d{5}\.bin$/;

export function writeTokenIndex(dir: string, index: TokenIndex): void {
  writeFileAtomic(path.join(dir, INDEX_FILE), JSON.stringify(index, null, 2) + "\n");
}

/** Reads and checks a dataset index; errors name the file and the field. */
export function readTokenIndex(dir: string): TokenIndex {
  const file = path.join(dir, INDEX_FILE);
  if (!fs.existsSync(file))
    throw new Error(`${dir}: no ${INDEX_FILE} — not a prepared dataset, or \`llama2 data prepare\` did not finish`);
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
  if (obj.format !== INDEX_FORMAT) throw new Error(`${file}: field "format" must be "${INDEX_FORMAT}"`);
  if (obj.dtype !== "uint16" && obj.dtype !== "uint32") throw new Error(`${file}: field "dtype" must be "uint16" or "uint32"`);
  if (typeof obj.vocab_size !== "number") throw new Error(`${file}: field "vocab_size" must be a number`);
  const splits = obj.splits as Record<string, SplitEntry> | undefined;
  for (const s of ["train", "val"] as const) {
    const e = splits?.[s];
    if (!e || !Array.isArray(e.shards)) throw new Error(`${file}: field "splits.${s}.shards" is missing`);
    const bytes = dtypeBytes(obj.dtype);
    for (const sh of e.shards) {
      const p = path.join(dir, sh.file);
      const size = fs.existsSync(p) ? fs.statSync(p).size : -1;
      if (size !== sh.tokens * bytes)
        throw new Error(`${file}: shard "${sh.file}" ${size < 0 ? "is missing" : `has ${size} bytes, expected ${sh.tokens * bytes}`}`);
    }
  }
  return obj as unknown as TokenIndex;
}
