// `llama2 tokenizer train --input FILE... --vocab-size N --out DIR`: trains a Llama 2 tokenizer
// (SentencePiece BPE, digits split, byte fallback; paper §2.2) and writes tokenizer.json,
// tokenizer_config.json and tokenizer.model into DIR.
import path from "node:path";
import { writeDirAtomic } from "../../../io/atomic-dir.js";
import fs from "node:fs";
import { UsageError, defineCommand, parseFlags } from "../../args.js";
import { saveTokenizerDir } from "../../../tokenizer/hf-export.js";
import { LLAMA2_TRAINER_DEFAULTS, trainTokenizer } from "../../../tokenizer/trainer.js";

const d = LLAMA2_TRAINER_DEFAULTS;

export const command = defineCommand({
  name: "tokenizer train",
  summary: "train a Llama 2 tokenizer (SentencePiece BPE, digits split, byte fallback) on text files",
  usage: "--input FILE [--input FILE ...] --vocab-size N --out DIR [options]",
  options: {
    input: { type: "string", value: "FILE", multiple: true, description: "training text (one sentence a line); repeat for several files" },
    "vocab-size": { type: "string", value: "N", required: true, description: "total vocabulary, special and byte pieces included (Llama 2: 32000)" },
    out: { type: "string", value: "DIR", required: true, description: "output directory: tokenizer.json, tokenizer_config.json, tokenizer.model" },
    "character-coverage": { type: "string", value: "F", default: d.characterCoverage, description: "share of character occurrences the alphabet covers; rarer ones fall back to bytes" },
    "user-defined-symbols": { type: "string", value: "A,B", description: "comma-separated pieces kept whole (e.g. <|tool|>)" },
    "max-sentence-length": { type: "string", value: "BYTES", default: d.maxSentenceLength, description: "skip lines longer than this" },
    "max-piece-length": { type: "string", value: "N", default: d.maxPieceLength, description: "longest piece in characters" },
    "max-sentences": { type: "string", value: "N", default: 0, description: "train on at most N lines (0 = all)" },
    "no-whitespace-only-pieces": { type: "boolean", description: "forbid pieces made only of spaces (Llama 2 allows them)" },
    quiet: { type: "boolean", description: "no progress or summary on stderr" },
    json: { type: "boolean", description: "print a JSON summary on stdout" },
  },
  examples: ["llama2 tokenizer train --input world/pretrain.txt --vocab-size 1024 --out world/tokenizer"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const inputs = f.list("input");
  if (inputs.length === 0) throw new UsageError("tokenizer train: --input is required (repeat it for several files)");
  for (const file of inputs) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`tokenizer train: --input ${file}: no such file`);
  }
  const out = f.str("out");
  const user = (f.strOpt("user-defined-symbols") ?? "").split(",").filter((s) => s !== "");
  const t0 = Date.now();
  const trained = await trainTokenizer(inputs, {
    vocabSize: f.int("vocab-size"),
    characterCoverage: f.num("character-coverage"),
    userDefinedSymbols: user,
    maxSentenceLength: f.int("max-sentence-length"),
    maxPieceLength: f.int("max-piece-length"),
    maxSentences: f.int("max-sentences"),
    allowWhitespaceOnlyPieces: !f.bool("no-whitespace-only-pieces"),
    progress: !f.bool("quiet") && !f.bool("json"),
  });
  const files = (await writeDirAtomic(out, "a tokenizer", (e) => e.includes("tokenizer.json") || e.includes("tokenizer.model"),
    (tmp) => saveTokenizerDir(tmp, trained))).map((file) => path.join(out, path.basename(file)));
  const seconds = (Date.now() - t0) / 1000;
  const summary = { out, files, vocabSize: trained.pieces.length, merges: trained.merges.length, seconds, ...trained.stats };
  if (f.bool("json")) console.log(JSON.stringify(summary));
  else if (!f.bool("quiet")) {
    const s = trained.stats;
    console.error(`trained ${trained.pieces.length} pieces (${trained.merges.length} merges, ${s.alphabet} characters covering ` +
      `${(s.coverage * 100).toFixed(3)}%) from ${s.usedLines} lines / ${s.distinctWords} distinct words in ${seconds.toFixed(1)} s` +
      (s.tooLong > 0 ? `; skipped ${s.tooLong} lines longer than the max sentence length` : ""));
    console.error(`wrote ${files.join(", ")}`);
  }
  return 0;
}
