// Streams training text files line by line and counts sentencepiece training words
// (trainer_interface.cc LoadSentences + SplitSentencesByWhitespace) in bounded memory: a map from
// distinct word to frequency, never the sentences themselves. Lines are skipped as sentencepiece
// skips them: empty, longer than max_sentence_length bytes, or holding the reserved U+2585.
import fs from "node:fs";
import { native } from "../native/addon.js";
import { readTextBytes } from "../data/text-source.js";
import { Progress } from "./progress.js";
import { UNK_CHAR, WS, metaPieceReplacer } from "./spm-text.js";

/** What counting needs to know. */
export interface CountOptions {
  maxSentenceLength: number;
  allowWhitespaceOnlyPieces: boolean;
  /** Pieces replaced by a boundary before counting (meta pieces and user-defined symbols). */
  metaPieces: string[];
  /** Stop after this many accepted lines (0 = all), like input_sentence_size without shuffling. */
  maxSentences: number;
  progress: boolean;
}

/** Word frequencies and line statistics of a corpus. */
export interface WordCounts {
  words: Map<string, number>;
  lines: number;
  usedLines: number;
  tooLong: number;
  bytes: number;
}

/**
 * A per-line counter shared by the streaming reader and by in-memory callers (tests). For speed it
 * splits the raw line at spaces (a word is a run of spaces plus the non-space run after it, the
 * dummy prefix being one more leading space) and turns spaces into ▁ once per distinct word at
 * the end: the same words as normalizeLine + splitIntoWords, since ▁ in the text counts as space.
 */
export function makeLineCounter(opts: CountOptions): { counts: WordCounts; add(line: string, byteLength: number): boolean; finish(): WordCounts } {
  const counts: WordCounts = { words: new Map(), lines: 0, usedLines: 0, tooLong: 0, bytes: 0 };
  const replaceMeta = metaPieceReplacer(opts.metaPieces);
  const wsOnly = opts.allowWhitespaceOnlyPieces;
  const index = new Map<string, number>(); // raw word (spaces) -> slot in freq
  let freq = new Float64Array(1 << 16);
  const countWord = (w: string): void => {
    const i = index.get(w);
    if (i !== undefined) { freq[i]++; return; }
    const slot = index.size;
    if (slot === freq.length) { const f = new Float64Array(slot * 2); f.set(freq); freq = f; }
    freq[slot] = 1;
    index.set(w, slot);
  };
  return {
    counts,
    add(line: string, byteLength: number): boolean {
      counts.lines++;
      if (line.length === 0) return true;
      if (byteLength > opts.maxSentenceLength) { counts.tooLong++; return true; }
      if (line.includes(UNK_CHAR)) return true;
      counts.usedLines++;
      let s = replaceMeta(line.includes(WS) ? line.replaceAll(WS, " ") : line);
      s = " " + s; // the dummy prefix
      const n = s.length;
      let i = 0;
      while (i < n) {
        let j = i + 1;
        if (wsOnly) while (j < n && s.charCodeAt(j) === 32) j++;
        const k = s.indexOf(" ", j);
        const end = k < 0 ? n : k;
        countWord(s.slice(i, end));
        i = end;
      }
      return opts.maxSentences <= 0 || counts.usedLines < opts.maxSentences;
    },
    finish(): WordCounts {
      counts.words.clear();
      for (const [w, slot] of index) counts.words.set(w.replaceAll(" ", WS), freq[slot]!);
      return counts;
    },
  };
}

/**
 * Reads every file through the one text reader (src/data/text-source.ts: .gz decompressed, JSONL
 * reduced to its "text" fields, as `data prepare` reads them), as UTF-8 lines split on "\n" (a "\r"
 * stays, as std::getline keeps it) and
 * counts words with the native counter (native/bpe_count.cpp; same rules as makeLineCounter).
 * Shows a progress bar in MB/s on stderr when opts.progress.
 */
export async function countWords(files: string[], opts: CountOptions): Promise<WordCounts> {
  const total = files.reduce((s, f) => s + fs.statSync(f).size, 0);
  const bar = new Progress("reading", total, "MB", opts.progress);
  const counter = native.wordCounterCreate(opts.maxSentenceLength, opts.allowWhitespaceOnlyPieces, opts.metaPieces, opts.maxSentences);
  let done = 0;
  outer: for (const file of files) {
    const chunks = readTextBytes(file, (n) => { done += n; bar.update(done); });
    for await (const chunk of chunks) {
      if (!native.wordCounterAdd(counter, chunk, false)) { await chunks.return(undefined); break outer; }
    }
    if (!native.wordCounterAdd(counter, new Uint8Array(0), true)) break;
  }
  bar.finish(done);
  const r = native.wordCounterResult(counter);
  const words = new Map<string, number>();
  // Distinct byte strings can decode to one string (invalid UTF-8 -> U+FFFD): add them up.
  r.words.forEach((w, i) => words.set(w, (words.get(w) ?? 0) + r.counts[i]!));
  return { words, lines: r.lines, usedLines: r.usedLines, tooLong: r.tooLong, bytes: done };
}
