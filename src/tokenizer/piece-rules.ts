// Which pieces the SentencePiece BPE trainer may create (trainer_interface.cc IsValidSentencePiece):
// at most max_sentencepiece_length characters, ▁ only as a prefix (split_by_whitespace, prefix
// mode) unless the piece is all ▁ and allow_whitespace_only_pieces, no digit inside a longer piece
// (split_digits — Llama 2 §2.2 "split all numbers into individual digits"), one Unicode script.
import { WS } from "./spm-text.js";
import { SCRIPT_INHERITED, scriptOf } from "./unicode-script.js";

/** The switches of IsValidSentencePiece, with Llama 2's values as the trainer's defaults. */
export interface PieceRules {
  maxPieceLength: number;
  splitDigits: boolean;
  splitByNumber: boolean;
  splitByUnicodeScript: boolean;
  allowWhitespaceOnlyPieces: boolean;
}

/** Flags of a symbol, enough to judge any concatenation of two valid symbols in O(1). */
export const ALL_WS = 1;
export const WS_AFTER_START = 2;
export const HAS_WS = 4;
export const HAS_DIGIT = 8;

/** A symbol's facts: length in code points, flags, script index or -1 ("any": ▁, digits...). */
export interface SymbolFacts {
  len: number;
  flags: number;
  script: number;
}

const WS_CP = WS.codePointAt(0)!;

/** sentencepiece is_unicode_decimal_number: ASCII and full-width digits. */
export function isDecimalDigit(cp: number): boolean {
  return (cp >= 0x30 && cp <= 0x39) || (cp >= 0xff10 && cp <= 0xff19);
}

/** Facts of a one-character symbol. */
export function charFacts(cp: number, rules: PieceRules): SymbolFacts {
  if (cp === WS_CP) return { len: 1, flags: ALL_WS | HAS_WS, script: -1 };
  const digit = isDecimalDigit(cp);
  let script = scriptOf(cp);
  // An inherited mark takes the previous character's script; alone it has none.
  if (script === SCRIPT_INHERITED) script = -1;
  if (digit && !rules.splitByNumber) script = -1;
  return { len: 1, flags: digit ? HAS_DIGIT : 0, script };
}

/**
 * Whether left+right is a valid piece, for two valid symbols: the same verdict as running
 * IsValidSentencePiece over the concatenated characters.
 */
export function canJoin(l: SymbolFacts, r: SymbolFacts, rules: PieceRules): boolean {
  if (l.len + r.len > rules.maxPieceLength) return false;
  if (rules.splitDigits && ((l.flags | r.flags) & HAS_DIGIT) !== 0) return false;
  const allWs = (l.flags & r.flags & ALL_WS) !== 0;
  if (!(allWs && rules.allowWhitespaceOnlyPieces)) {
    if ((l.flags & WS_AFTER_START) !== 0 || (r.flags & HAS_WS) !== 0) return false;
  }
  if (rules.splitByUnicodeScript && l.script !== -1 && r.script !== -1 && l.script !== r.script) return false;
  return true;
}

/** Facts of the concatenation (valid per canJoin). */
export function joinFacts(l: SymbolFacts, r: SymbolFacts): SymbolFacts {
  const hasWs = ((l.flags | r.flags) & HAS_WS) !== 0;
  let flags = (l.flags | r.flags) & HAS_DIGIT;
  if (hasWs) flags |= HAS_WS;
  if ((l.flags & r.flags & ALL_WS) !== 0) flags |= ALL_WS;
  if ((l.flags & WS_AFTER_START) !== 0 || (r.flags & HAS_WS) !== 0) flags |= WS_AFTER_START;
  return { len: l.len + r.len, flags, script: l.script !== -1 ? l.script : r.script };
}
