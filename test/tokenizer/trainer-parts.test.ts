// The trainer's parts: sentencepiece's word splitting and piece rules, the native word counter
// against its TypeScript twin, user-defined symbols, error messages, and the CLI command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { canJoin, charFacts, joinFacts } from "../../src/tokenizer/piece-rules.js";
import { normalizeLine, splitIntoWords } from "../../src/tokenizer/spm-text.js";
import { LLAMA2_TRAINER_DEFAULTS, metaPieces, trainFromCounts } from "../../src/tokenizer/trainer.js";
import { countWords, makeLineCounter } from "../../src/tokenizer/word-count.js";
import { tokenizerJson } from "../../src/tokenizer/hf-export.js";
import { tempDir } from "../helpers/tmp.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const CORPUS = path.join(ROOT, "test/fixtures/tokenizer/trainer-corpus.txt");
const CLI = path.join(ROOT, "dist/src/cli/main.js");
const W = "\u2581";

function countText(text: string, wsOnly = true, meta: string[] = metaPieces([]).map((p) => p.piece)) {
  const c = makeLineCounter({ maxSentenceLength: 4192, allowWhitespaceOnlyPieces: wsOnly, metaPieces: meta, maxSentences: 0, progress: false });
  for (const line of text.split("\n")) c.add(line, Buffer.byteLength(line));
  return c.finish();
}

test("words split at ▁ like sentencepiece's SplitIntoWords, with the dummy prefix", () => {
  assert.deepEqual(splitIntoWords(normalizeLine("this is a pen"), false), [`${W}this`, `${W}is`, `${W}a`, `${W}pen`]);
  assert.deepEqual(splitIntoWords(`${W}this${W}${W}is`, false), [`${W}this`, W, `${W}is`]);
  assert.deepEqual(splitIntoWords(`${W}this${W}${W}is`, true), [`${W}this`, `${W}${W}is`]);
  assert.deepEqual(splitIntoWords("hello", true), ["hello"]);
  assert.deepEqual(splitIntoWords(normalizeLine("end  "), true), [`${W}end`, `${W}${W}`]);
});

test("the fast line counter finds the same words as normalizeLine + splitIntoWords", () => {
  const lines = ["  lead and trail  ", `already${W}escaped word`, "a\tb <s> c", "x"];
  for (const wsOnly of [true, false]) {
    const expected = new Map<string, number>();
    for (const l of lines) for (const w of splitIntoWords(normalizeLine(l).replace(/<s>/g, "\t"), wsOnly)) expected.set(w, (expected.get(w) ?? 0) + 1);
    assert.deepEqual(new Map([...countText(lines.join("\n"), wsOnly).words].sort()), new Map([...expected].sort()));
  }
});

test("the native word counter agrees with the TypeScript counter on the whole corpus, edge lines included", async () => {
  const meta = metaPieces(["<|tool|>"]).map((p) => p.piece);
  const text = fs.readFileSync(CORPUS, "utf8");
  const ts = countText(text.endsWith("\n") ? text.slice(0, -1) : text, true, meta);
  const nat = await countWords([CORPUS], { maxSentenceLength: 4192, allowWhitespaceOnlyPieces: true, metaPieces: meta, maxSentences: 0, progress: false });
  assert.equal(nat.usedLines, ts.usedLines);
  assert.equal(nat.tooLong, 1 * ts.tooLong);
  assert.ok(nat.tooLong > 0, "the corpus has an over-long line");
  assert.equal(nat.words.size, ts.words.size);
  for (const [w, f] of ts.words) assert.equal(nat.words.get(w), f, JSON.stringify(w));
});

test("piece rules: no digit in a longer piece, ▁ only as prefix, one script per piece, at most 16 characters", () => {
  const r = LLAMA2_TRAINER_DEFAULTS;
  const f = (s: string) => [...s].map((c) => charFacts(c.codePointAt(0)!, r)).reduce((a, b) => joinFacts(a, b));
  assert.equal(canJoin(f(W), f("t"), r), true);
  assert.equal(canJoin(f("1"), f("2"), r), false);
  assert.equal(canJoin(f(W), f("1"), r), false);
  assert.equal(canJoin(f("a"), f(W), r), false);
  assert.equal(canJoin(f(W), f(W), r), true); // allow_whitespace_only_pieces (Llama 2)
  assert.equal(canJoin(f(W), f(W), { ...r, allowWhitespaceOnlyPieces: false }), false);
  assert.equal(canJoin(f(`${W}${W}`), f("a"), r), false);
  assert.equal(canJoin(f("a"), f("."), r), false); // Latin + Common
  assert.equal(canJoin(f("."), f(","), r), true);
  assert.equal(canJoin(f("ab"), f("αβ"), r), false); // Latin + Greek
  assert.equal(canJoin(f("e"), f("\u0301"), r), true); // combining mark inherits the script
  assert.equal(canJoin(f("東"), f("カ"), r), true); // Katakana counts as Han
  assert.equal(canJoin(f("abcdefgh"), f("ijklmnop"), r), true);
  assert.equal(canJoin(f("abcdefgh"), f("ijklmnopq"), r), false);
});

test("user-defined symbols take the ids after the bytes, are added tokens, and are never merged into", () => {
  const line = "call <|tool|> now and <|tool|>again then the tool said no";
  const counts = countText(Array(50).fill(line).join("\n"), true, metaPieces(["<|tool|>"]).map((p) => p.piece));
  const t = trainFromCounts(counts, { vocabSize: 295, userDefinedSymbols: ["<|tool|>"] });
  assert.equal(t.pieces[259]!.piece, "<|tool|>");
  assert.equal(t.pieces[259]!.type, "user");
  assert.ok(!t.pieces.slice(260).some((p) => p.piece.includes("|")), "no learned piece reaches into the symbol");
  const json = tokenizerJson(t.pieces) as { added_tokens: { id: number; content: string; special: boolean }[] };
  assert.deepEqual(json.added_tokens.map((a) => [a.id, a.content, a.special]), [[0, "<unk>", true], [1, "<s>", true], [2, "</s>", true], [259, "<|tool|>", false]]);
});

test("the native merge loop and its TypeScript twin learn the same merges, in the same order, with the same counts", async () => {
  const counts = await countWords([CORPUS], { maxSentenceLength: 4192, allowWhitespaceOnlyPieces: true, metaPieces: metaPieces([]).map((p) => p.piece), maxSentences: 0, progress: false });
  const a = trainFromCounts(counts, { vocabSize: 3000, engine: "native" });
  const b = trainFromCounts(counts, { vocabSize: 3000, engine: "typescript" });
  assert.equal(a.merges.length, 3000 - 259 - a.stats.alphabet);
  assert.deepEqual(a.merges, b.merges);
});

test("a vocabulary too small for the alphabet, or too large for the corpus, is refused with the numbers", () => {
  const counts = countText("the cat sat on the mat\nthe dog sat on the log");
  assert.throws(() => trainFromCounts(counts, { vocabSize: 262 }), /vocabSize 262 is smaller than the 259 special\/byte pieces plus the \d+-character alphabet/);
  assert.throws(() => trainFromCounts(counts, { vocabSize: 5000 }), /vocabSize 5000 is too large for this corpus: it yields at most \d+ pieces/);
});

test("`llama2 tokenizer train` writes tokenizer.json, tokenizer_config.json and tokenizer.model", () => {
  const dir = tempDir("bpetrain-cli-");
  const small = path.join(dir, "small.txt");
  fs.writeFileSync(small, fs.readFileSync(CORPUS, "utf8").split("\n").slice(0, 300).join("\n"));
  const out = execFileSync("node", [CLI, "tokenizer", "train", "--input", small, "--vocab-size", "600", "--out", path.join(dir, "tok"), "--json"], { encoding: "utf8" });
  const summary = JSON.parse(out) as { vocabSize: number; files: string[] };
  assert.equal(summary.vocabSize, 600);
  for (const name of ["tokenizer.json", "tokenizer_config.json", "tokenizer.model"]) assert.ok(fs.existsSync(path.join(dir, "tok", name)), name);
  const json = JSON.parse(fs.readFileSync(path.join(dir, "tok", "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> } };
  assert.equal(Object.keys(json.model.vocab).length, 600);
});

test("`llama2 tokenizer train` with a missing input file exits 2 and names the file", () => {
  const r = spawnSync("node", [CLI, "tokenizer", "train", "--input", "/nonexistent/corpus.txt", "--vocab-size", "600", "--out", os.tmpdir()], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--input \/nonexistent\/corpus\.txt: no such file/);
});
