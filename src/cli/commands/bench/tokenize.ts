// `llama2 bench tokenize [--tokenizer DIR] [--input FILE] [--mb N] [--doc-chars N] [--repeat R] [--json]`: encoding
// throughput (MB/s of UTF-8 input) of our Tokenizer from tokenizer.json and tokenizer.model, side by
// side with the pure-JS @huggingface/tokenizers package (a devDependency) on the same documents.
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { defineCommand, parseFlags } from "../../args.js";
import { median } from "../../../bench/timing.js";
import { Tokenizer } from "../../../tokenizer/tokenizer.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../..");
const DEFAULT_TOKENIZER = path.join(ROOT, "test/fixtures/tokenizer/hf-legacy");
const DEFAULT_CORPUS = path.join(ROOT, "test/fixtures/tokenizer/corpus.txt");

/** Deterministic text of ~`bytes` bytes: corpus lines with their words reshuffled (mulberry32). */
function syntheticText(corpus: string, bytes: number): string {
  let s = 0x9e3779b9;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const lines = corpus.split("\n").filter((l) => l.length > 0);
  const words = corpus.split(/[ \n]+/).filter((w) => w.length > 0);
  const out: string[] = [];
  let n = 0;
  while (n < bytes) {
    const line = lines[Math.floor(rnd() * lines.length)]!;
    const mixed = line.split(" ").map((w) => (rnd() < 0.5 ? words[Math.floor(rnd() * words.length)]! : w)).join(" ");
    out.push(mixed);
    n += Buffer.byteLength(mixed) + 1;
  }
  return out.join("\n");
}

/** Cuts text into documents of about `size` characters at line ends (what data prepare feeds the tokenizer). */
function documents(text: string, size: number): string[] {
  const docs: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start + Math.max(size - 1, 0));
    end = end < 0 ? text.length : end + 1;
    docs.push(text.slice(start, end));
    start = end;
  }
  return docs;
}

interface Row { name: string; mbPerSec: number; firstPassMbPerSec: number; samples: number[]; tokens: number }

function measure(name: string, encode: (doc: string) => number, docs: string[], mb: number, repeats: number): Row {
  const samples: number[] = [];
  let tokens = 0;
  for (let r = 0; r <= repeats; r++) {
    const t0 = performance.now();
    tokens = 0;
    for (const d of docs) tokens += encode(d);
    samples.push(mb / ((performance.now() - t0) / 1000));
  }
  return { name, firstPassMbPerSec: samples[0]!, mbPerSec: median(samples.slice(1)), samples, tokens };
}

export const command = defineCommand({
  name: "bench tokenize",
  summary: "encoding throughput (MB/s) of our tokenizer, side by side with @huggingface/tokenizers",
  options: {
    tokenizer: { type: "string", value: "DIR", defaultText: "the Llama 2 32k tokenizer fixture", description: "tokenizer directory (tokenizer.json and/or tokenizer.model)" },
    input: { type: "string", value: "FILE", defaultText: "synthetic text from the fixture corpus", description: "text file to encode" },
    mb: { type: "string", value: "N", defaultText: "4, or all of --input", description: "megabytes of text to encode" },
    "doc-chars": { type: "string", value: "N", default: 2000, description: "characters per document the text is cut into" },
    repeat: { type: "string", value: "R", default: 3, description: "timed repeats (medians are reported)" },
    json: { type: "boolean", description: "print the results as JSON on stdout" },
  },
  examples: ["llama2 bench tokenize --mb 8 --json"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const dir = f.str("tokenizer", DEFAULT_TOKENIZER);
  const input = f.strOpt("input");
  let text = input ? fs.readFileSync(input, "utf8") : syntheticText(fs.readFileSync(DEFAULT_CORPUS, "utf8"), f.num("mb", 4) * 1e6);
  if (input && f.strOpt("mb")) text = text.slice(0, Math.floor(f.num("mb") * 1e6));
  const docs = documents(text, f.int("doc-chars"));
  const mb = Buffer.byteLength(text) / 1e6;
  const repeats = f.int("repeat");
  const rows: Row[] = [];
  const log = (r: Row): void => {
    if (!f.bool("json"))
      console.error(`${r.name.padEnd(34)} ${r.mbPerSec.toFixed(2).padStart(7)} MB/s (median of ${repeats}; first pass ${r.firstPassMbPerSec.toFixed(2)}; ${r.tokens} tokens)`);
  };
  if (!f.bool("json")) console.error(`${mb.toFixed(2)} MB in ${docs.length} documents, tokenizer ${dir}`);

  const jsonPath = path.join(dir, "tokenizer.json"), modelPath = path.join(dir, "tokenizer.model");
  const config = fs.existsSync(path.join(dir, "tokenizer_config.json")) ? JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8")) : {};
  let ours: number[][] | undefined;
  if (fs.existsSync(jsonPath)) {
    const json = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
    const tok = Tokenizer.fromJSON(json, config);
    rows.push(measure("ours (tokenizer.json)", (d) => tok.encode(d, { bos: false, parseSpecial: true }).length, docs, mb, repeats)); log(rows.at(-1)!);
    ours = docs.map((d) => tok.encode(d, { bos: false, parseSpecial: true }));
    try {
      const hf = (await import("@huggingface/tokenizers")) as { Tokenizer: new (j: unknown, c: unknown) => { encode(t: string, o: { add_special_tokens: boolean }): { ids: number[] } } };
      const ref = new hf.Tokenizer(json, config);
      rows.push(measure("@huggingface/tokenizers 0.2.0", (d) => ref.encode(d, { add_special_tokens: false }).ids.length, docs, mb, repeats)); log(rows.at(-1)!);
      const same = docs.every((d, i) => JSON.stringify(ref.encode(d, { add_special_tokens: false }).ids) === JSON.stringify(ours![i]));
      if (!f.bool("json")) console.error(`ids identical to @huggingface/tokenizers on every document: ${same}`);
    } catch (e) {
      if (!f.bool("json")) console.error(`@huggingface/tokenizers not available (${(e as Error).message.split("\n")[0]})`);
    }
  }
  if (fs.existsSync(modelPath)) {
    const tok = Tokenizer.fromSentencePiece(fs.readFileSync(modelPath), config);
    rows.push(measure("ours (tokenizer.model)", (d) => tok.encode(d, { bos: false, parseSpecial: true }).length, docs, mb, repeats)); log(rows.at(-1)!);
  }
  if (f.bool("json")) console.log(JSON.stringify({ megabytes: mb, documents: docs.length, tokenizer: dir, results: rows }));
  return 0;
}
