// SentencePiece's text handling at training time (sentencepiece normalizer.cc Normalize with the
// "identity" rule, model_interface.cc SplitIntoWords): spaces become ▁ (U+2581), a dummy ▁ is
// prepended, and a sentence is split into words that start at a ▁ (prefix mode). Llama 2 §2.2.

/** The whitespace symbol U+2581 that replaces ' ' (sentencepiece kWSChar). */
export const WS = "\u2581";
/** Rare characters are replaced by this one (sentencepiece kUNKChar); lines holding it are skipped. */
export const UNK_CHAR = "\u2585";
/** Boundary that meta pieces are replaced with; never part of a piece (kUPPBoundaryChar). */
export const BOUNDARY = "\t";

/**
 * The identity normalizer with escape_whitespaces, add_dummy_prefix and
 * remove_extra_whitespaces=false (Llama 2's normalizer_spec): "a b" -> "▁a▁b". Empty stays empty.
 */
export function normalizeLine(line: string, addDummyPrefix = true): string {
  if (line.length === 0) return line;
  const escaped = line.includes(" ") ? line.replaceAll(" ", WS) : line;
  return addDummyPrefix ? WS + escaped : escaped;
}

/**
 * sentencepiece SplitIntoWords (treat_whitespace_as_suffix=false): a word starts at the beginning
 * of the text or at a ▁; with allowWhitespaceOnlyPieces a run of ▁ stays with the word after it
 * ("▁▁▁foo▁bar" -> "▁▁▁foo", "▁bar"), otherwise every ▁ starts a word ("▁", "▁", "▁foo", "▁bar").
 */
export function wordSplitter(allowWhitespaceOnlyPieces: boolean): RegExp {
  return allowWhitespaceOnlyPieces ? /\u2581+[^\u2581]*|[^\u2581]+/g : /\u2581[^\u2581]*|[^\u2581]+/g;
}

/** Splits a normalized sentence into sentencepiece training words. */
export function splitIntoWords(normalized: string, allowWhitespaceOnlyPieces: boolean): string[] {
  return normalized.match(wordSplitter(allowWhitespaceOnlyPieces)) ?? [];
}

/** The byte-fallback piece for byte b: "<0x0A>" (sentencepiece ByteToPiece, upper-case hex). */
export function bytePiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/**
 * Replaces every occurrence of the given meta pieces (<unk>, <s>, </s>, <0xNN>, user symbols) by
 * the boundary character, longest match first, as trainer_interface.cc does before counting
 * (meta_pieces_matcher.GlobalReplace), so no learned piece can contain or overlap them.
 */
export function metaPieceReplacer(pieces: string[]): (s: string) => string {
  const sorted = [...new Set(pieces)].filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (s) => s;
  const re = new RegExp(sorted.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|"), "gu");
  const firstChars = new Set(sorted.map((p) => String.fromCodePoint(p.codePointAt(0)!)));
  const quick = firstChars.size <= 4 ? [...firstChars] : null;
  return (s) => {
    if (quick && !quick.some((c) => s.includes(c))) return s;
    return s.replace(re, BOUNDARY);
  };
}
