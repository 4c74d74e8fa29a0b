// Issue 10 items 4 and 7, as processes: `tokenizer train` reads .gz and JSONL exactly as `data prepare`
// does (the same vocabulary as from the plain text, not one learned from compressed bytes or JSON
// syntax); <s> and </s> typed in text are text unless --parse-special; gzip errors name the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { llama2, llama2Json } from "../helpers/cli.js";
import { readTokenIndex } from "../../src/data/token-index.js";
import { fixture } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = (p: string): string => tempDir(p);
const corpus = fs.readFileSync(fixture("tokenizer", "trainer-corpus.txt"), "utf8");
const lines = corpus.split("\n").filter((l) => l.trim() !== "");

function vocab(dir: string): unknown {
  return (JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8")) as { model: { vocab: unknown } }).model.vocab;
}

test("tokenizer train learns the same vocabulary from corpus.txt, corpus.txt.gz and corpus.jsonl(.gz)", () => {
  const dir = tmp("tok-inputs-");
  const text = lines.join("\n") + "\n";
  const jsonl = lines.map((l) => JSON.stringify({ text: l, meta: { source: "x" } })).join("\n") + "\n";
  fs.writeFileSync(path.join(dir, "c.txt"), text);
  fs.writeFileSync(path.join(dir, "c.txt.gz"), gzipSync(text));
  fs.writeFileSync(path.join(dir, "c.jsonl"), jsonl);
  fs.writeFileSync(path.join(dir, "c.jsonl.gz"), gzipSync(jsonl));
  const vocabs = ["c.txt", "c.txt.gz", "c.jsonl", "c.jsonl.gz"].map((f) => {
    const out = path.join(dir, `tok-${f}`);
    const r = llama2("tokenizer", "train", "--input", path.join(dir, f), "--vocab-size", "400", "--out", out, "--quiet");
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    return vocab(out);
  });
  for (const v of vocabs.slice(1)) assert.deepEqual(v, vocabs[0]);
  const pieces = Object.keys(vocabs[0] as object);
  assert.ok(!pieces.some((p) => p.includes('"text"') || p.includes("{\"")), "no JSON syntax learned");

  const bad = path.join(dir, "bad.jsonl");
  fs.writeFileSync(bad, '{"text": "fine"}\n{"txt": "typo"}\n');
  const r = llama2("tokenizer", "train", "--input", bad, "--vocab-size", "300", "--out", path.join(dir, "tok-bad"), "--quiet");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.jsonl:2: field "text" must be a string, got nothing/);
});

test("<s> and </s> typed in text are text for tokenizer encode and data prepare, unless --parse-special", () => {
  const tok = fixture("tokenizer", "hf-legacy");
  const text = "hello </s><s> world";
  const plain = llama2Json("tokenizer", "encode", "--tokenizer", tok, "--text", text, "--json").ids as number[];
  assert.equal(plain[0], 1, "the <s> the tokenizer adds");
  assert.ok(!plain.slice(1).includes(1) && !plain.includes(2), JSON.stringify(plain));
  const parsed = llama2Json("tokenizer", "encode", "--tokenizer", tok, "--text", text, "--parse-special", "--json").ids as number[];
  assert.deepEqual(parsed.filter((i) => i === 1 || i === 2), [1, 2, 1]);

  const dir = tmp("prep-special-");
  fs.writeFileSync(path.join(dir, "in.txt"), `${text}\n\nanother document </s> here\n`);
  for (const [flags, controls] of [[[], 4], [["--parse-special"], 7]] as const) {
    const out = path.join(dir, `tokens${flags.length}`);
    for (const workers of ["0", "2"]) {
      const r = llama2("data", "prepare", "--tokenizer", tok, "--input", path.join(dir, "in.txt"), "--out", out, "--val-fraction", "0",
        "--workers", workers, "--quiet", ...flags);
      assert.equal(r.status, 0, r.stderr);
      const idx = readTokenIndex(out);
      const shard = idx.splits.train.shards[0]!;
      const bytes = fs.readFileSync(path.join(out, shard.file));
      const ids = idx.dtype === "uint16" ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2) : new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      // Each document gets one <s> and one </s> from prepare; only --parse-special adds the typed ones.
      assert.equal([...ids].filter((i) => i === 1 || i === 2).length, controls, `${flags.join(" ")} workers ${workers}`);
    }
  }
});

test("a truncated or non-gzip .gz names the file, in data prepare and tokenizer train", () => {
  const dir = tmp("gz-");
  const good = gzipSync(lines.join("\n"));
  fs.writeFileSync(path.join(dir, "cut.txt.gz"), good.subarray(0, good.length - 30));
  fs.writeFileSync(path.join(dir, "plain.txt.gz"), "this was never compressed\n");
  for (const [f, why] of [["cut.txt.gz", /not valid gzip data \(unexpected end of file: the file is truncated\)/], ["plain.txt.gz", /not valid gzip data \(incorrect header check\)/]] as const) {
    const file = path.join(dir, f);
    const prep = llama2("data", "prepare", "--tokenizer", fixture("tokenizer", "hf-legacy"), "--input", file, "--out", path.join(dir, "t"), "--quiet");
    assert.equal(prep.status, 1);
    assert.match(prep.stderr, new RegExp(`${file.replace(/[.]/g, "\\.")}: `));
    assert.match(prep.stderr, why);
    const train = llama2("tokenizer", "train", "--input", file, "--vocab-size", "300", "--out", path.join(dir, "tk"), "--quiet");
    assert.equal(train.status, 1);
    assert.match(train.stderr, why);
    assert.ok(train.stderr.includes(file));
  }
});
