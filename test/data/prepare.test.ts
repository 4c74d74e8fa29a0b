// `data prepare` (src/data/prepare.ts): documents from .txt/.jsonl(.gz) → <s> … </s> token shards + index.json;
// restartable after a crash; bad JSONL lines named by file:line:field; worker threads give the same bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { prepareTokens, type DocumentEncoder } from "../../src/data/prepare.js";
import { readTokenIndex } from "../../src/data/token-index.js";
import { readDocuments } from "../../src/data/documents.js";
import { tempDir } from "../helpers/tmp.js";

/** Byte-level encoder: <s>=1, </s>=2, byte b = b + 3. */
function byteEncoder(vocabSize = 259, failAfter = Infinity): DocumentEncoder & { calls: number } {
  return {
    vocabSize, bosId: 1, eosId: 2, calls: 0,
    encode(text, o) {
      if (++this.calls > failAfter) throw new Error("simulated crash");
      const ids = [...Buffer.from(text, "utf8")].map((b) => b + 3);
      return [...(o.bos ? [1] : []), ...ids, ...(o.eos ? [2] : [])];
    },
  };
}
const decode = (ids: number[]): string => Buffer.from(ids.map((i) => i - 3)).toString("utf8");

function tmpDir(): string {
  return tempDir("prep-");
}

function readShards(dir: string, split: "train" | "val"): number[] {
  const idx = readTokenIndex(dir);
  const out: number[] = [];
  for (const sh of idx.splits[split].shards) {
    const buf = fs.readFileSync(path.join(dir, sh.file));
    const arr = idx.dtype === "uint16" ? new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2) : new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    out.push(...arr);
  }
  return out;
}

function splitDocs(ids: number[]): string[] {
  const docs: string[] = [];
  let cur: number[] | null = null;
  for (const id of ids) {
    if (id === 1) cur = [];
    else if (id === 2) { docs.push(decode(cur!)); cur = null; }
    else cur!.push(id);
  }
  assert.equal(cur, null, "the stream ends on </s>");
  return docs;
}

test("txt paragraphs and JSONL (plain and .gz) round-trip through shards, wrapped in <s> … </s>", async () => {
  const dir = tmpDir();
  const txt = path.join(dir, "a.txt");
  fs.writeFileSync(txt, "first para\nstill first\n\n\nsecond ünïcode\n  \nthird\n");
  const jsonl = path.join(dir, "b.jsonl.gz");
  fs.writeFileSync(jsonl, zlib.gzipSync([{ text: "json one" }, { text: "json\ntwo" }].map((o) => JSON.stringify(o)).join("\n") + "\n\n"));
  const out = path.join(dir, "out");
  const index = await prepareTokens({ inputs: [txt, jsonl], out, encoder: byteEncoder(), tokenizerPath: "tok", valFraction: 0.4, shardTokens: 16 });
  const all = ["first para\nstill first", "second ünïcode", "third", "json one", "json\ntwo"];
  // Documents 2 and 4 (0-based) are the val ones for fraction 0.4: floor((n+1)·0.4) > floor(n·0.4) at n = 2, 4.
  assert.deepEqual(splitDocs(readShards(out, "train")), [all[0], all[1], all[3]]);
  assert.deepEqual(splitDocs(readShards(out, "val")), [all[2], all[4]]);
  assert.equal(index.dtype, "uint16");
  assert.equal(index.vocab_size, 259);
  assert.ok(index.splits.train.shards.length > 1, "small shard size gives several shards");
  assert.ok(index.splits.train.shards.every((s) => s.tokens <= 16));
  assert.equal(index.splits.train.tokens, readShards(out, "train").length);
  assert.equal(index.splits.train.documents, 3);
  assert.deepEqual(readTokenIndex(out), index);
});

test("vocabularies above 65535 are stored as uint32", async () => {
  const dir = tmpDir();
  const f = path.join(dir, "a.txt");
  fs.writeFileSync(f, "hello\n");
  const enc = byteEncoder(70_000);
  const encode = enc.encode.bind(enc);
  enc.encode = (t, o) => Array.from(encode(t, o), (x) => (x > 2 ? x + 65_536 : x));
  const index = await prepareTokens({ inputs: [f], out: path.join(dir, "o"), encoder: enc, tokenizerPath: "t", valFraction: 0 });
  assert.equal(index.dtype, "uint32");
  const ids = readShards(path.join(dir, "o"), "train");
  assert.deepEqual(ids, [1, ..."hello".split("").map((c) => c.charCodeAt(0) + 3 + 65_536), 2]);
});

test("an interrupted prepare leaves no index; a rerun replaces leftovers and matches a clean run", async () => {
  const dir = tmpDir();
  const f = path.join(dir, "a.txt");
  fs.writeFileSync(f, Array.from({ length: 50 }, (_, i) => `document number ${i}`).join("\n\n"));
  const clean = path.join(dir, "clean");
  await prepareTokens({ inputs: [f], out: clean, encoder: byteEncoder(), tokenizerPath: "t", shardTokens: 64, valFraction: 0.1 });

  const out = path.join(dir, "out");
  // An earlier finished run with more shards, then a crash in the middle of a new one.
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, "train-00099.bin"), Buffer.alloc(10));
  fs.writeFileSync(path.join(out, ".train-00003.bin.tmp-99999"), Buffer.alloc(7)); // a killed writer's temp
  await prepareTokens({ inputs: [f], out, encoder: byteEncoder(), tokenizerPath: "t", shardTokens: 64 });
  await assert.rejects(prepareTokens({ inputs: [f], out, encoder: byteEncoder(259, 30), tokenizerPath: "t", shardTokens: 64, valFraction: 0.1 }), /simulated crash/);
  assert.throws(() => readTokenIndex(out), /no index\.json/);
  assert.ok(!fs.readdirSync(out).some((n) => n.includes(".tmp-") && n.includes(String(process.pid))), "the crashed writer removed its temp file");

  await prepareTokens({ inputs: [f], out, encoder: byteEncoder(), tokenizerPath: "t", shardTokens: 64, valFraction: 0.1 });
  assert.deepEqual(fs.readdirSync(out).sort(), fs.readdirSync(clean).sort(), "stale shards and temps are gone");
  for (const name of fs.readdirSync(clean).filter((n) => n.endsWith(".bin")))
    assert.ok(fs.readFileSync(path.join(out, name)).equals(fs.readFileSync(path.join(clean, name))), name);
});

test("a bad JSONL line stops prepare with the file, line and field", async () => {
  const dir = tmpDir();
  const f = path.join(dir, "bad.jsonl");
  fs.writeFileSync(f, '{"text": "ok"}\n\n{"txt": "oops"}\n');
  await assert.rejects(prepareTokens({ inputs: [f], out: path.join(dir, "o"), encoder: byteEncoder(), tokenizerPath: "t" }),
    (e: Error) => e.message === `${f}:3: field "text" must be a string, got nothing`);
  fs.writeFileSync(f, '{"text": "ok"}\n{"text": "unterminated\n');
  await assert.rejects(prepareTokens({ inputs: [f], out: path.join(dir, "o"), encoder: byteEncoder(), tokenizerPath: "t" }),
    (e: Error) => e.message.startsWith(`${f}:2: invalid JSON`));
  assert.ok(!fs.existsSync(path.join(dir, "o", "index.json")));
});

test("txt documents carry the line they start on", async () => {
  const dir = tmpDir();
  const f = path.join(dir, "a.txt");
  fs.writeFileSync(f, "\n\na\nb\n\nc\r\n");
  const docs = [];
  for await (const d of readDocuments(f)) docs.push(d);
  assert.deepEqual(docs.map((d) => [d.text, d.line]), [["a\nb", 3], ["c", 6]]);
});

test("tokenizing in worker threads gives byte-identical shards to tokenizing in this thread", async () => {
  const { Tokenizer } = await import("../../src/tokenizer/tokenizer.js");
  const { fileURLToPath } = await import("node:url");
  const tokDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/tokenizer/hf");
  const tok = await Tokenizer.load(tokDir);
  const dir = tmpDir();
  const f = path.join(dir, "a.txt");
  // Enough text for several worker batches (batches are cut at 256K characters).
  fs.writeFileSync(f, Array.from({ length: 6000 }, (_, i) => `Paragraph ${i}: simple is better than complex, ${"flat ".repeat(i % 40)}ünïcode.`).join("\n\n"));
  const serial = path.join(dir, "serial"), parallel = path.join(dir, "parallel");
  await prepareTokens({ inputs: [f], out: serial, encoder: tok, tokenizerPath: tokDir, valFraction: 0.02, workers: 0 });
  const idx = await prepareTokens({ inputs: [f], out: parallel, encoder: tok, tokenizerPath: tokDir, valFraction: 0.02, workers: 2, tokenizerDir: tokDir });
  assert.equal(idx.splits.train.documents + idx.splits.val.documents, 6000);
  assert.ok(fs.statSync(f).size > 2 * (1 << 18), "the input spans more than two worker batches");
  for (const name of fs.readdirSync(serial).filter((n) => n.endsWith(".bin")))
    assert.ok(fs.readFileSync(path.join(serial, name)).equals(fs.readFileSync(path.join(parallel, name))), name);
});
