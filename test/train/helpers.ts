// Shared by the trainer tests: a byte-level encoder, small datasets, and a tiny model config.
import fs from "node:fs";
import path from "node:path";
import { prepareTokens, type DocumentEncoder } from "../../src/data/prepare.js";
import { tempDir } from "../helpers/tmp.js";

/** <s>=1, </s>=2, byte b = b + 3 (vocabulary 259). */
export const byteEncoder: DocumentEncoder = {
  vocabSize: 259, bosId: 1, eosId: 2,
  encode(text, o) {
    const ids = [...Buffer.from(text, "utf8")].map((b) => b + 3);
    return [...(o.bos ? [1] : []), ...ids, ...(o.eos ? [2] : [])];
  },
};

export function tmpDir(prefix: string): string {
  return tempDir(prefix);
}

/** Simple structured text: "the <animal> <verb> the <thing>." paragraphs, seeded. */
export function syntheticCorpus(paragraphs: number, seed = 1): string {
  const animals = ["cat", "dog", "owl", "fox", "bee", "cow"];
  const verbs = ["sees", "eats", "likes", "finds", "hides"];
  const things = ["apple", "stone", "river", "bread", "lamp", "key", "boat"];
  let s = seed >>> 0;
  const r = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % n;
  };
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const sentences: string[] = [];
    for (let k = 0; k < 3; k++) sentences.push(`the ${animals[r(6)]} ${verbs[r(5)]} the ${things[r(7)]}.`);
    out.push(sentences.join(" "));
  }
  return out.join("\n\n") + "\n";
}

/** Prepares `text` with the byte encoder; returns the dataset directory. */
export async function makeDataset(text: string, valFraction = 0.1): Promise<string> {
  const dir = tmpDir("ds-");
  const f = path.join(dir, "corpus.txt");
  fs.writeFileSync(f, text);
  const out = path.join(dir, "tokens");
  await prepareTokens({ inputs: [f], out, encoder: byteEncoder, tokenizerPath: "(byte encoder)", valFraction });
  return out;
}

/** --set assignments for a tiny model (2 layers, dim 32, GQA 4/2) on `data`, writing to `out`. */
export function tinySets(data: string, out: string, more: string[] = []): string[] {
  return [
    `data=${data}`, `out=${out}`, "model.preset=stories260K", "model.hidden_size=32", "model.intermediate_size=64",
    "model.num_hidden_layers=2", "model.num_attention_heads=4", "model.num_key_value_heads=2",
    "model.max_position_embeddings=64", "batch_size=4", "seq_len=16", "max_steps=6", "warmup=2", "lr=1e-2",
    "eval_every=0", "save_every=0", "seed=7", "threads=1", ...more,
  ];
}

/** Every file under `dir` with its bytes (files named `skip` excluded, e.g. the run lock), for "nothing changed" checks. */
export function snapshot(dir: string, skip?: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== skip) out.set(path.relative(dir, p), fs.readFileSync(p).toString("base64"));
    }
  };
  walk(dir);
  return out;
}
