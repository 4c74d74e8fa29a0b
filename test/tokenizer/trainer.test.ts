// The BPE trainer (src/tokenizer/trainer.ts) against its specification: Llama 2's id layout,
// SentencePiece's piece rules, and Python sentencepiece's own vocabulary and compression on the
// committed corpus (fixtures from scripts/reference/compare_bpe_trainer.py and
// check_trained_tokenizer.py). Encoding uses the project's Tokenizer and a tiny reference BPE below.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer as HfJsTokenizer } from "@huggingface/tokenizers";
import { LLAMA2_CHAT_TEMPLATE } from "../../src/tokenizer/chat-template.js";
import { generateMerges, saveTokenizerDir, tokenizerJson } from "../../src/tokenizer/hf-export.js";
import { isDecimalDigit } from "../../src/tokenizer/piece-rules.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { trainTokenizer, type TrainedTokenizer } from "../../src/tokenizer/trainer.js";
import { WS } from "../../src/tokenizer/spm-text.js";
import { tempDir } from "../helpers/tmp.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const FIX = path.join(ROOT, "test/fixtures/tokenizer");
const CORPUS = path.join(FIX, "trainer-corpus.txt");
const HELDOUT = path.join(FIX, "trainer-heldout.txt");
interface Compression {
  vocab_size: number; character_coverage: number;
  sentencepiece: { bytes_per_token: number }; sentencepiece_normal_pieces: string[];
}
const compression = JSON.parse(fs.readFileSync(path.join(FIX, "trainer_compression.json"), "utf8")) as Compression;
const check = JSON.parse(fs.readFileSync(path.join(FIX, "trainer_check.json"), "utf8")) as {
  vocab_size: number; sha256: Record<string, string>; all_match_except_known_differences: boolean; auto_tokenizer_class: string;
  variants_identical_to_sentencepiece: { identical: boolean }[];
};

let trained: TrainedTokenizer;
let dir: string;
before(async () => {
  trained = await trainTokenizer([CORPUS], { vocabSize: compression.vocab_size, characterCoverage: compression.character_coverage });
  dir = tempDir("bpetrain-");
  saveTokenizerDir(dir, trained);
});

const heldoutLines = (): string[] => fs.readFileSync(HELDOUT, "utf8").split("\n").filter((l) => l.trim() !== "");

/** Reference BPE: repeatedly merge the adjacent pair with the lowest merge rank (HF BPE semantics). */
function referenceBpe(symbols: string[], rank: Map<string, number>): string[] {
  const s = [...symbols];
  for (;;) {
    let best = -1, bestRank = Infinity;
    for (let i = 0; i + 1 < s.length; i++) {
      const r = rank.get(`${s[i]} ${s[i + 1]}`);
      if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
    }
    if (best < 0) return s;
    s.splice(best, 2, s[best]! + s[best + 1]!);
  }
}

test("ids 0..258 are <unk>, <s>, </s> and the byte pieces <0x00>..<0xFF>, then merged pieces, then single characters", () => {
  const p = trained.pieces;
  assert.equal(p.length, compression.vocab_size);
  assert.deepEqual(p.slice(0, 3).map((x) => x.piece), ["<unk>", "<s>", "</s>"]);
  for (let b = 0; b < 256; b++) assert.equal(p[3 + b]!.piece, `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  const rest = p.slice(259);
  const firstChar = rest.findIndex((x) => [...x.piece].length === 1);
  assert.ok(firstChar > 0, "merged pieces come before the characters");
  assert.ok(rest.slice(firstChar).every((x) => [...x.piece].length === 1), "after the first single character only characters follow");
  assert.ok(rest.slice(0, firstChar).every((x) => [...x.piece].length >= 2));
  assert.ok(rest.some((x) => x.piece === WS), "▁ is in the alphabet");
});

test("the vocabulary equals Python sentencepiece's (model_type=bpe, split_digits, byte_fallback) piece for piece, in order", () => {
  const ours = trained.pieces.filter((p) => p.type === "normal").map((p) => p.piece);
  assert.equal(ours.length, compression.sentencepiece_normal_pieces.length);
  ours.forEach((piece, i) => assert.equal(piece, compression.sentencepiece_normal_pieces[i], `id ${i + 259}`));
});

test("every merge in tokenizer.json joins two vocabulary pieces into a vocabulary piece, ordered by the merged piece's id", () => {
  const json = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number>; merges: string[] } };
  const { vocab, merges } = json.model;
  assert.ok(merges.length >= trained.merges.length);
  let lastId = -1;
  for (const m of merges) {
    const [l, r, extra] = m.split(" ");
    assert.equal(extra, undefined, m);
    const id = vocab[l! + r!];
    assert.ok(vocab[l!] !== undefined && vocab[r!] !== undefined && id !== undefined, m);
    assert.ok(id >= lastId, `merge "${m}" is out of order`);
    lastId = id;
  }
  // Every learned (left, right) pair is among the merges.
  const set = new Set(merges);
  for (const m of trained.merges) assert.ok(set.has(`${m.left} ${m.right}`), `${m.left} ${m.right}`);
});

test("every merged piece is reachable: BPE over its characters ends in that one piece", () => {
  const rank = new Map(generateMerges(trained.pieces).map(([l, r], i) => [`${l} ${r}`, i]));
  for (const p of trained.pieces.filter((x) => x.type === "normal" && [...x.piece].length > 1))
    assert.deepEqual(referenceBpe([...p.piece], rank), [p.piece]);
});

test("digits are never merged, ▁ only starts a piece (or fills it), and no piece exceeds 16 characters", () => {
  for (const { piece } of trained.pieces.filter((x) => x.type === "normal")) {
    const cps = [...piece];
    if (cps.length > 1) assert.ok(!cps.some((c) => isDecimalDigit(c.codePointAt(0)!)), piece);
    assert.ok(cps.length <= 16, piece);
    const allWs = cps.every((c) => c === WS);
    assert.ok(allWs || !cps.slice(1).includes(WS), piece);
  }
  for (let d = 0; d <= 9; d++) assert.ok(trained.pieces.some((p) => p.piece === String(d)), `digit ${d}`);
});

test("characters outside the coverage are left to byte fallback and round-trip through decode", async () => {
  const tok = await Tokenizer.load(dir);
  // The corpus holds a handful of rare characters (Greek, CJK, emoji); they are not pieces.
  for (const ch of ["東", "🚀", "Ω"]) assert.ok(!trained.pieces.some((p) => p.piece.includes(ch)), ch);
  const text = "emoji 🚀 and 東京 in a line";
  const ids = tok.encode(text, { bos: false });
  assert.ok(ids.some((id) => id >= 3 && id < 259), "some ids are byte pieces");
  assert.equal(tok.decode(ids), text);
});

test("held-out text round-trips through our tokenizer.json, and tokenizer.model gives the same ids", async () => {
  const fromJson = await Tokenizer.load(dir);
  const fromModel = Tokenizer.fromSentencePiece(fs.readFileSync(path.join(dir, "tokenizer.model")));
  for (const line of heldoutLines().slice(0, 200)) {
    const ids = fromJson.encode(line, { bos: false });
    assert.equal(fromJson.decode(ids), line);
    assert.deepEqual(fromModel.encode(line, { bos: false }), ids, line);
  }
});

test("the npm @huggingface/tokenizers loader accepts our files and encodes held-out text to the same ids", async () => {
  const ours = await Tokenizer.load(dir);
  const read = (n: string): object => JSON.parse(fs.readFileSync(path.join(dir, n), "utf8")) as object;
  const hf = new HfJsTokenizer(read("tokenizer.json"), read("tokenizer_config.json"));
  for (const line of heldoutLines().slice(0, 200)) {
    assert.deepEqual(hf.encode(line, { add_special_tokens: false }).ids, ours.encode(line, { bos: false }), line);
  }
  assert.deepEqual(hf.encode("Hello world").ids, ours.encode("Hello world"), "with <s> from the post-processor");
});

test("bytes per token on held-out text is within 2% of sentencepiece's recorded figure", async () => {
  const tok = await Tokenizer.load(dir);
  let bytes = 0, tokens = 0;
  for (const line of heldoutLines()) {
    bytes += Buffer.byteLength(line);
    tokens += tok.encode(line, { bos: false }).length;
  }
  const ours = bytes / tokens, theirs = compression.sentencepiece.bytes_per_token;
  assert.ok(Math.abs(ours / theirs - 1) <= 0.02, `ours ${ours.toFixed(4)} vs sentencepiece ${theirs.toFixed(4)} bytes/token`);
});

test("training is deterministic and writes the files that transformers and sentencepiece were checked on", async () => {
  const again = await trainTokenizer([CORPUS], { vocabSize: compression.vocab_size, characterCoverage: compression.character_coverage });
  assert.equal(JSON.stringify(tokenizerJson(again.pieces)), JSON.stringify(tokenizerJson(trained.pieces)));
  assert.equal(check.vocab_size, compression.vocab_size);
  assert.ok(check.all_match_except_known_differences);
  assert.equal(check.auto_tokenizer_class, "LlamaTokenizer");
  assert.ok(check.variants_identical_to_sentencepiece.length >= 3 && check.variants_identical_to_sentencepiece.every((v) => v.identical),
    "other coverage / whitespace / piece-length settings also matched sentencepiece");
  // tokenizer_config.json is left out: its chat_template belongs to chat-template.ts and may change
  // without retraining; its other fields are checked in the next test.
  for (const name of ["tokenizer.json", "tokenizer.model"]) {
    const sha = crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, name))).digest("hex");
    assert.equal(sha, check.sha256[name], `${name} differs from the one scripts/reference/check_trained_tokenizer.py checked`);
  }
});

test("tokenizer_config.json declares a LlamaTokenizer that adds <s> and not </s>, with the Llama 2 chat template", () => {
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  assert.equal(cfg.tokenizer_class, "LlamaTokenizer");
  assert.equal(cfg.add_bos_token, true);
  assert.equal(cfg.add_eos_token, false);
  assert.equal((cfg.bos_token as { content: string }).content, "<s>");
  assert.equal((cfg.eos_token as { content: string }).content, "</s>");
  assert.equal((cfg.unk_token as { content: string }).content, "<unk>");
  assert.equal(cfg.model_max_length, 4096);
  assert.equal(cfg.chat_template, LLAMA2_CHAT_TEMPLATE);
});
