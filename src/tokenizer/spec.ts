// The format-neutral description of a Llama-family tokenizer that both loaders produce
// (hf-json.ts for tokenizer.json, sentencepiece-model.ts for tokenizer.model) and Tokenizer runs.
// Piece kinds use sentencepiece's ModelProto.SentencePiece.Type numbering.
import type { BpeModel } from "./bpe.js";

/** sentencepiece_model.proto SentencePiece.Type. */
export const enum PieceKind { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

/** A token matched literally in the text before normalization (HF added_tokens, SP user-defined). */
export interface AddedToken {
  id: number;
  content: string;
  /** Swallow whitespace on the left / right of the match (HF lstrip / rstrip). */
  lstrip: boolean;
  rstrip: boolean;
  /** Only match when not inside a word (HF single_word). */
  singleWord: boolean;
  /** HF normalized: matched in the normalizer's output instead of the raw text. */
  normalized?: boolean;
}

/** How a text segment becomes the string BPE runs on. */
export type Normalization =
  /** sentencepiece NormalizerSpec: applied once to the whole text (identity rule only). */
  | { kind: "sentencepiece"; addDummyPrefix: boolean; removeExtraWhitespaces: boolean; escapeWhitespaces: boolean }
  /** HF normalizer steps, then an optional Metaspace pre-tokenizer; applied per segment between added tokens. */
  | {
      kind: "hf";
      steps: Array<{ op: "prepend"; text: string } | { op: "replace"; from: string; to: string }>;
      metaspace: { replacement: string; prepend: "always" | "first" | "never"; split: boolean } | null;
    };

/** The Llama decoder chain: replace `space` by " ", join bytes, fuse, optionally strip one leading " ". */
export interface DecodeRule {
  space: string;
  stripLeadingSpace: boolean;
  /** Text emitted for the unknown piece (sentencepiece " ⁇ "); null = the piece itself. */
  unkSurface: string | null;
}

/** Everything a loaded tokenizer needs. */
export interface TokenizerSpec {
  source: string;
  pieces: string[];
  kinds: Uint8Array;
  pieceToId: Map<string, number>;
  bpe: BpeModel;
  /** Words may be cut before each ▁ that follows a non-▁ character (see canSplitAtSpaces). */
  splitAtSpaces: boolean;
  /** Matched in the raw text (HF) or in the normalized text (SP user-defined symbols). */
  addedTokens: AddedToken[];
  addedOnNormalized: boolean;
  normalization: Normalization;
  decode: DecodeRule;
  bosId: number;
  eosId: number;
  padId: number;
  unkId: number;
  addBos: boolean;
  addEos: boolean;
  /** sentencepiece piece scores, when the source has them (tokenizer.model); tokenizer.json has none. */
  scores?: Float32Array;
}

/** The "<0xXX>" piece of a byte (sentencepiece ByteToPiece; HF `format!("<{b:#04X}>")`). */
export function bytePiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}
