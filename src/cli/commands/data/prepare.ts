// `llama2 data prepare --tokenizer DIR --input FILE... --out DIR [--val-fraction f] [--shard-tokens N] [--workers N]`:
// tokenizes .txt (a document = a paragraph, lines up to a blank line) and JSONL {"text"} files,
// plain or .gz, into binary token shards + index.json (src/data/prepare.ts), with a live MB/s line.
import { writeDirAtomic } from "../../../io/atomic-dir.js";
import os from "node:os";
import path from "node:path";
import { defineCommand, parseFlags } from "../../args.js";
import { ProgressLine, bar, formatDuration } from "../../progress.js";
import { prepareTokens } from "../../../data/prepare.js";
import { Tokenizer } from "../../../tokenizer/tokenizer.js";

export const command = defineCommand({
  name: "data prepare",
  summary: "tokenize text (.txt paragraphs or JSONL {\"text\"}, plain or .gz) into binary token shards for pretraining",
  usage: "--tokenizer DIR --input FILE [--input FILE ... | FILE ...] --out DIR [options]",
  positionals: "[FILE...]",
  options: {
    tokenizer: { type: "string", value: "DIR", required: true, description: "tokenizer directory (recorded in index.json)" },
    input: { type: "string", value: "FILE", multiple: true, description: "input file; repeat, or list files after the options" },
    out: { type: "string", value: "DIR", required: true, description: "output directory: shards and index.json" },
    "parse-special": { type: "boolean", description: "read <s>, </s> written in the text as control tokens (default: plain text, as sentencepiece)" },
    "val-fraction": { type: "string", value: "F", default: 0.01, description: "share of documents held out as the validation split" },
    "shard-tokens": { type: "string", value: "N", default: 100_000_000, description: "tokens per shard file" },
    workers: { type: "string", value: "N", defaultText: "min(4, CPUs)", description: "tokenizer threads (0 = the main thread)" },
    quiet: { type: "boolean", description: "no live progress line" },
    json: { type: "boolean", description: "print a JSON summary on stdout" },
  },
  examples: ["llama2 data prepare --tokenizer world/tokenizer --input world/pretrain.txt --out world/tokens"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const inputs = [...f.list("input"), ...f.positionals];
  const tokDir = f.str("tokenizer");
  const out = f.str("out");
  const tokenizer = await Tokenizer.load(tokDir);
  const progress = new ProgressLine(process.stderr, 200, 10_000, !f.bool("quiet"));
  const t0 = performance.now();
  const index = await writeDirAtomic(out, "prepared token shards", (e) => e.includes("index.json"), (tmp) => prepareTokens({
    inputs, out: tmp, encoder: tokenizer, tokenizerPath: path.resolve(tokDir),
    valFraction: f.num("val-fraction"),
    shardTokens: f.int("shard-tokens"),
    // Tokenizer threads (0 = this thread); the default leaves the main thread to reading and writing.
    workers: f.int("workers", Math.min(4, os.availableParallelism())),
    tokenizerDir: tokDir,
    parseSpecial: f.bool("parse-special"),
    onProgress: (p) => {
      const s = (performance.now() - t0) / 1000;
      const mbps = p.bytes / 1e6 / Math.max(s, 1e-9);
      progress.update(`${bar(p.bytes / p.totalBytes)} ${(p.bytes / 1e6).toFixed(1)}/${(p.totalBytes / 1e6).toFixed(1)} MB ` +
        `${mbps.toFixed(2)} MB/s | ${p.documents} docs ${p.tokens} tokens | ETA ${formatDuration((p.totalBytes - p.bytes) / 1e6 / mbps)}`);
    },
  }));
  const s = (performance.now() - t0) / 1000;
  const bytes = index.sources.reduce((a, x) => a + x.bytes, 0);
  const summary = {
    out, dtype: index.dtype, vocab_size: index.vocab_size,
    train_tokens: index.splits.train.tokens, val_tokens: index.splits.val.tokens,
    train_documents: index.splits.train.documents, val_documents: index.splits.val.documents,
    shards: index.splits.train.shards.length + index.splits.val.shards.length,
    input_mb: bytes / 1e6, seconds: s, mb_per_s: bytes / 1e6 / s,
  };
  progress.done(`prepared ${summary.train_tokens} train + ${summary.val_tokens} val tokens (${index.dtype}) in ${summary.shards} shard(s) ` +
    `from ${summary.input_mb.toFixed(1)} MB in ${s.toFixed(1)} s (${summary.mb_per_s.toFixed(2)} MB/s) -> ${out}`);
  if (index.val_fraction > 0 && index.splits.val.documents === 0)
    console.error(`warning: --val-fraction ${index.val_fraction} held out no document (only ${index.splits.train.documents} in the input); training will have no eval`);
  if (f.bool("json")) console.log(JSON.stringify(summary));
  return 0;
}
