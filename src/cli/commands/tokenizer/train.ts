// `llama2 tokenizer train --input FILE... --vocab-size N --out DIR`: trains a Llama 2 tokenizer
// (SentencePiece BPE, digits split, byte fallback; paper §2.2) and writes tokenizer.json,
// tokenizer_config.json and tokenizer.model into DIR.
import fs from "node:fs";
import { parseFlags, UsageError } from "../../args.js";
import { saveTokenizerDir } from "../../../tokenizer/hf-export.js";
import { LLAMA2_TRAINER_DEFAULTS, trainTokenizer } from "../../../tokenizer/trainer.js";

const USAGE = `usage: llama2 tokenizer train --input FILE [--input FILE ...] --vocab-size N --out DIR
  [--character-coverage 0.9995] [--user-defined-symbols a,b] [--max-sentence-length 4192]
  [--max-piece-length 16] [--max-sentences N] [--no-whitespace-only-pieces] [--quiet] [--json]`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) { console.log(USAGE); return 0; }
  const f = parseFlags("tokenizer train", argv, {
    input: { type: "string", multiple: true },
    "vocab-size": { type: "string" },
    out: { type: "string" },
    "character-coverage": { type: "string" },
    "user-defined-symbols": { type: "string" },
    "max-sentence-length": { type: "string" },
    "max-piece-length": { type: "string" },
    "max-sentences": { type: "string" },
    "no-whitespace-only-pieces": { type: "boolean" },
    quiet: { type: "boolean" },
    json: { type: "boolean" },
  });
  const inputs = f.list("input");
  if (inputs.length === 0) throw new UsageError("tokenizer train: --input is required (repeat it for several files)");
  for (const file of inputs) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`tokenizer train: --input ${file}: no such file`);
  }
  const out = f.str("out");
  const d = LLAMA2_TRAINER_DEFAULTS;
  const user = (f.strOpt("user-defined-symbols") ?? "").split(",").filter((s) => s !== "");
  const t0 = Date.now();
  const trained = await trainTokenizer(inputs, {
    vocabSize: f.int("vocab-size"),
    characterCoverage: f.num("character-coverage", d.characterCoverage),
    userDefinedSymbols: user,
    maxSentenceLength: f.int("max-sentence-length", d.maxSentenceLength),
    maxPieceLength: f.int("max-piece-length", d.maxPieceLength),
    maxSentences: f.int("max-sentences", 0),
    allowWhitespaceOnlyPieces: !f.bool("no-whitespace-only-pieces"),
    progress: !f.bool("quiet") && !f.bool("json"),
  });
  const files = saveTokenizerDir(out, trained);
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
