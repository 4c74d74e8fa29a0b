// The Llama 2 tokenizer trainer (paper §2.2: SentencePiece BPE, numbers split into digits, byte
// fallback, 32k vocabulary). Mirrors sentencepiece's trainer_interface.cc + bpe_model_trainer.cc:
// count words -> pick the alphabet by character_coverage (rarer characters are left to byte
// fallback) -> learn merges -> vocabulary = <unk>, <s>, </s>, <0x00>..<0xFF>, user symbols,
// merged pieces in learning order, then single characters by frequency.
import { learnMerges, learnMergesNative, type Merge, type MergeInput } from "./bpe-merge.js";
import { charFacts, type PieceRules } from "./piece-rules.js";
import { Progress } from "./progress.js";
import { BOUNDARY, bytePiece } from "./spm-text.js";
import { countWords, type WordCounts } from "./word-count.js";

/** Trainer options; LLAMA2_TRAINER_DEFAULTS holds Llama 2's values (tokenizer.model trainer_spec). */
export interface TrainerOptions extends PieceRules {
  /** Total vocabulary, special and byte pieces included (Llama 2: 32000). */
  vocabSize: number;
  /** Share of character occurrences the alphabet must cover (sentencepiece default 0.9995). */
  characterCoverage: number;
  /** Pieces kept whole and never merged into (e.g. "<|tool|>"); ids 259.. after the bytes. */
  userDefinedSymbols: string[];
  /** Lines longer than this many bytes are skipped (sentencepiece max_sentence_length). */
  maxSentenceLength: number;
  /** Use only the first N non-empty lines (0 = all). */
  maxSentences: number;
  /** Show progress bars on stderr. */
  progress: boolean;
  /** Merge loop: "native" (native/bpe_train.cpp) or its TypeScript twin (same output). */
  engine: "native" | "typescript";
}

/** Llama 2's tokenizer.model trainer_spec, with sentencepiece's default character coverage. */
export const LLAMA2_TRAINER_DEFAULTS: TrainerOptions = {
  vocabSize: 32000,
  characterCoverage: 0.9995,
  userDefinedSymbols: [],
  maxSentenceLength: 4192,
  maxSentences: 0,
  progress: false,
  engine: "native",
  maxPieceLength: 16,
  splitDigits: true,
  splitByNumber: true,
  splitByUnicodeScript: true,
  allowWhitespaceOnlyPieces: true,
};

/** sentencepiece ModelProto.SentencePiece.Type. */
export type PieceType = "normal" | "unknown" | "control" | "user" | "byte";

/** One vocabulary entry; its id is its index. score is sentencepiece's (0 for meta, -rank after). */
export interface VocabPiece {
  piece: string;
  score: number;
  type: PieceType;
}

/** A trained tokenizer: the vocabulary in id order and the merges in the order they were learned. */
export interface TrainedTokenizer {
  pieces: VocabPiece[];
  merges: Merge[];
  options: TrainerOptions;
  stats: { lines: number; usedLines: number; tooLong: number; distinctWords: number; alphabet: number; coverage: number };
}

export const UNK = "<unk>";
export const BOS = "<s>";
export const EOS = "</s>";

/** The meta pieces in id order: <unk>, <s>, </s>, 256 bytes, then user-defined symbols. */
export function metaPieces(userDefinedSymbols: string[]): VocabPiece[] {
  const out: VocabPiece[] = [
    { piece: UNK, score: 0, type: "unknown" },
    { piece: BOS, score: 0, type: "control" },
    { piece: EOS, score: 0, type: "control" },
  ];
  for (let b = 0; b < 256; b++) out.push({ piece: bytePiece(b), score: 0, type: "byte" });
  for (const s of userDefinedSymbols) out.push({ piece: s, score: 0, type: "user" });
  const seen = new Set<string>();
  for (const p of out) {
    if (p.piece.length === 0 || p.piece.includes(" ")) throw new Error(`user-defined symbol "${p.piece}" is empty or holds a space`);
    if (seen.has(p.piece)) throw new Error(`user-defined symbol "${p.piece}" is already defined`);
    seen.add(p.piece);
  }
  return out;
}

/** Checks option ranges; errors name the option. */
export function checkOptions(o: TrainerOptions): void {
  if (!Number.isInteger(o.vocabSize) || o.vocabSize <= 0) throw new Error(`vocabSize must be a positive integer, got ${o.vocabSize}`);
  if (!(o.characterCoverage > 0 && o.characterCoverage <= 1)) throw new Error(`characterCoverage must be in (0, 1], got ${o.characterCoverage}`);
  if (!Number.isInteger(o.maxPieceLength) || o.maxPieceLength < 1 || o.maxPieceLength > 512) throw new Error(`maxPieceLength must be in 1..512, got ${o.maxPieceLength}`);
  if (!Number.isInteger(o.maxSentenceLength) || o.maxSentenceLength < 10) throw new Error(`maxSentenceLength must be an integer >= 10, got ${o.maxSentenceLength}`);
}

/** Streams the files and trains (see trainFromCounts). */
export async function trainTokenizer(files: string[], options: Partial<TrainerOptions>): Promise<TrainedTokenizer> {
  const o: TrainerOptions = { ...LLAMA2_TRAINER_DEFAULTS, ...options };
  checkOptions(o);
  const meta = metaPieces(o.userDefinedSymbols);
  const counts = await countWords(files, {
    maxSentenceLength: o.maxSentenceLength, allowWhitespaceOnlyPieces: o.allowWhitespaceOnlyPieces,
    metaPieces: meta.map((p) => p.piece), maxSentences: o.maxSentences, progress: o.progress,
  });
  if (counts.usedLines === 0) throw new Error(`${files.join(", ")}: no usable lines (all empty or longer than ${o.maxSentenceLength} bytes)`);
  return trainFromCounts(counts, o);
}

/** The alphabet: characters by (count desc, code point asc) until the coverage is reached. */
export function chooseAlphabet(words: Map<string, number>, coverage: number): { chars: { cp: number; count: number }[]; covered: number } {
  const counts = new Map<number, number>();
  let all = 0;
  for (const [w, f] of words) {
    for (const ch of w) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0) continue; // NUL is never a piece character
      counts.set(cp, (counts.get(cp) ?? 0) + f);
      all += f;
    }
  }
  const sorted = [...counts].map(([cp, count]) => ({ cp, count })).sort((a, b) => b.count - a.count || a.cp - b.cp);
  const chars: { cp: number; count: number }[] = [];
  let acc = 0;
  const target = Math.fround(coverage);
  for (const c of sorted) {
    if (Math.fround(acc / all) >= target) break; // sentencepiece compares as float
    acc += c.count;
    if (c.cp === BOUNDARY.codePointAt(0)) continue; // tab is a boundary, never in the alphabet
    chars.push(c);
  }
  return { chars, covered: all > 0 ? acc / all : 1 };
}

/** Builds the merge loop's runs: each word's characters, split at characters outside the alphabet. */
function buildRuns(words: Map<string, number>, charId: Map<number, number>): Omit<MergeInput, "chars"> {
  let total = 0, runs = 0;
  const scratch: number[] = [];
  const forEachRun = (emit: (ids: number[], f: number) => void): void => {
    for (const [w, f] of words) {
      scratch.length = 0;
      for (const ch of w) {
        const id = charId.get(ch.codePointAt(0)!);
        if (id === undefined) {
          if (scratch.length >= 2) emit(scratch, f);
          scratch.length = 0;
        } else scratch.push(id);
      }
      if (scratch.length >= 2) emit(scratch, f);
    }
  };
  forEachRun((ids) => { total += ids.length; runs++; });
  const sym = new Int32Array(total);
  const runStart = new Int32Array(runs + 1);
  const runFreq = new Float64Array(runs);
  let at = 0, r = 0;
  forEachRun((ids, f) => {
    runStart[r] = at; runFreq[r] = f; r++;
    for (const id of ids) sym[at++] = id;
  });
  runStart[r] = at;
  return { sym, runStart, runFreq };
}

/**
 * Trains from word frequencies. Throws when the vocabulary cannot hold the alphabet, or when the
 * corpus has fewer distinct pieces than the vocabulary asks for (sentencepiece hard_vocab_limit).
 */
export function trainFromCounts(counts: WordCounts, options: Partial<TrainerOptions>): TrainedTokenizer {
  const o: TrainerOptions = { ...LLAMA2_TRAINER_DEFAULTS, ...options };
  checkOptions(o);
  const meta = metaPieces(o.userDefinedSymbols);
  const { chars, covered } = chooseAlphabet(counts.words, o.characterCoverage);
  const numMerges = o.vocabSize - meta.length - chars.length;
  if (numMerges < 0)
    throw new Error(`vocabSize ${o.vocabSize} is smaller than the ${meta.length} special/byte pieces plus the ${chars.length}-character alphabet; raise vocabSize or lower characterCoverage`);
  const charId = new Map<number, number>();
  chars.forEach((c, i) => charId.set(c.cp, i));
  const runs = buildRuns(counts.words, charId);
  const input: MergeInput = {
    chars: chars.map((c) => ({ str: String.fromCodePoint(c.cp), facts: charFacts(c.cp, o) })),
    ...runs,
  };
  const taken = new Set(meta.map((p) => p.piece));
  const claim = (piece: string): boolean => {
    if (taken.has(piece)) return false;
    taken.add(piece);
    return true;
  };
  const bar = new Progress("merging", numMerges, "merges", o.progress);
  const onProgress = (d: number): void => bar.update(d);
  const merges = o.engine === "native"
    ? learnMergesNative(input, numMerges, o, [...taken], onProgress)
    : learnMerges(input, numMerges, o, claim, onProgress);
  bar.finish(merges.length);
  if (merges.length < numMerges)
    throw new Error(`vocabSize ${o.vocabSize} is too large for this corpus: it yields at most ${meta.length + chars.length + merges.length} pieces`);
  const pieces: VocabPiece[] = [...meta];
  let rank = 0;
  for (const m of merges) pieces.push({ piece: m.piece, score: -rank++, type: "normal" });
  for (const c of chars) pieces.push({ piece: String.fromCodePoint(c.cp), score: -rank++, type: "normal" });
  return {
    pieces, merges, options: o,
    stats: { lines: counts.lines, usedLines: counts.usedLines, tooLong: counts.tooLong, distinctWords: counts.words.size, alphabet: chars.length, coverage: covered },
  };
}
