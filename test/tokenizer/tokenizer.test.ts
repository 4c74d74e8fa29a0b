import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Tokenizer, TokenizerFormatError } from "../../src/tokenizer/tokenizer.js";
import { expected, FIXTURES, fullText } from "./fixtures.js";

// Each fixture directory and the reference whose ids it must reproduce.
const FORMS = [
  { dir: "sp", key: "sp", what: "tokenizer.model vs python sentencepiece" },
  { dir: "hf", key: "hf", what: "tokenizer.json (Metaspace form) vs HF tokenizers" },
  { dir: "hf-legacy", key: "hfLegacy", what: "tokenizer.json (legacy normalizer form) vs HF tokenizers" },
] as const;

const load = (dir: string): Promise<Tokenizer> => Tokenizer.load(path.join(FIXTURES, dir));

for (const form of FORMS) {
  test(`${form.what}: every corpus line encodes to the reference ids`, async () => {
    const tok = await load(form.dir);
    const e = expected();
    assert.ok(e.cases.length > 300);
    e.cases.forEach((text, i) => {
      assert.deepEqual(tok.encode(text, { bos: false, parseSpecial: true }), e[form.key][i], `line ${i}: ${JSON.stringify(text)}`);
    });
  });

  test(`${form.what}: the whole corpus as one text encodes to the reference ids`, async () => {
    const tok = await load(form.dir);
    assert.deepEqual(tok.encode(fullText(), { bos: false, parseSpecial: true }), expected().full[form.key]);
  });

  test(`${form.what}: streaming decode equals decode for every line`, async () => {
    const tok = await load(form.dir);
    for (const text of expected().cases) {
      const ids = tok.encode(text, { bos: true, eos: true });
      const stream = tok.createStreamDecoder();
      let out = "";
      for (const id of ids) out += stream.push(id);
      out += stream.flush();
      assert.equal(out, tok.decode(ids), JSON.stringify(text));
    }
  });
}

test("decode(encode(x)) === x for every line from tokenizer.model and legacy tokenizer.json", async () => {
  for (const dir of ["sp", "hf-legacy"]) {
    const tok = await load(dir);
    for (const text of expected().cases) {
      // A literal ▁ decodes to a space.
      if (text.includes("\u2581")) continue;
      assert.equal(tok.decode(tok.encode(text)), text, `${dir}: ${JSON.stringify(text)}`);
    }
  }
});

test("decode matches sentencepiece's and transformers' decode of the reference ids", async () => {
  const e = expected();
  const sp = await load("sp"), hf = await load("hf");
  e.cases.forEach((text, i) => {
    assert.equal(sp.decode(e.sp[i]!), e.spDecoded[i], `sp ${JSON.stringify(text)}`);
    // transformers' decode keeps special tokens by default
    assert.equal(hf.decode(e.hf[i]!, { skipSpecial: false }), e.hfDecoded[i], `hf ${JSON.stringify(text)}`);
  });
});

test("bos/eos defaults follow tokenizer_config.json and the post-processor", async () => {
  const sp = await load("sp"), legacy = await load("hf-legacy"), hf = await load("hf");
  const e = expected();
  assert.deepEqual([sp.bosId, sp.eosId, sp.unkId, sp.padId], [1, 2, 0, -1]);
  assert.equal(sp.encode("Hello world")[0], sp.bosId);
  assert.equal(legacy.encode("Hello world")[0], legacy.bosId);
  assert.deepEqual(legacy.encode("Hello world", { bos: false, eos: true }).at(-1), legacy.eosId);
  // transformers 5 saves this form with an empty post-processor and no add_bos_token: no <s>
  assert.deepEqual(hf.encode(e.withSpecial.text, { parseSpecial: true }), e.withSpecial.hf);
  // By default "<s>" typed in the text is text, as sentencepiece reads it (user text cannot inject control tokens).
  const plain = hf.encode(e.withSpecial.text, { bos: false });
  assert.notDeepEqual(plain, e.withSpecial.hf.slice(1));
  assert.ok(!plain.includes(hf.bosId) && !plain.includes(hf.eosId), JSON.stringify(plain));
  assert.deepEqual(hf.decode(plain), e.withSpecial.text);
  assert.equal(sp.vocabSize, 1200);
  assert.equal(sp.idToPiece(sp.pieceToId("<0x0A>")!), "<0x0A>");
  assert.ok(sp.isSpecial(sp.bosId) && !sp.isSpecial(sp.pieceToId("<0x0A>")!));
});

test("the stream decoder holds back incomplete UTF-8 from byte pieces", async () => {
  const tok = await load("sp");
  const bytes = [...new TextEncoder().encode("€")].map((b) => tok.pieceToId(`<0x${b.toString(16).toUpperCase()}>`)!);
  const s = tok.createStreamDecoder();
  assert.deepEqual(bytes.map((id) => s.push(id)), ["", "", "€"]);
  const t = tok.createStreamDecoder();
  assert.equal(t.push(bytes[0]!), "");
  assert.equal(t.flush(), "\uFFFD");
});

test("bad inputs fail with the file and field named", async () => {
  assert.throws(() => Tokenizer.fromJSON({ model: { type: "Unigram", vocab: [] } }), /model.type "Unigram"/);
  assert.throws(() => Tokenizer.fromJSON({ model: { type: "BPE", vocab: { a: 0 }, merges: ["a b"] }, decoder: { type: "Fuse" } }),
    /merges\[0\]/);
  const model = fs.readFileSync(path.join(FIXTURES, "sp", "tokenizer.model"));
  assert.throws(() => Tokenizer.fromSentencePiece(model.subarray(0, 1000)), TokenizerFormatError);
  await assert.rejects(Tokenizer.load(path.join(FIXTURES, "no-such-dir")), /neither tokenizer.json nor tokenizer.model/);
  const tok = await load("sp");
  assert.throws(() => tok.decode([tok.vocabSize]), RangeError);
});

test("added tokens marked normalized are matched after the normalizer, as HF tokenizers does", async () => {
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURES, "hf-legacy", "tokenizer.json"), "utf8")) as { added_tokens: Array<{ normalized: boolean }> };
  const raw = Tokenizer.fromJSON(json);
  for (const t of json.added_tokens) t.normalized = true;
  const norm = Tokenizer.fromJSON(json);
  const e = expected().normalizedAddedTokens;
  e.cases.forEach((text, i) => {
    assert.deepEqual(norm.encode(text, { bos: false, parseSpecial: true }), e.ids[i], `normalized: ${text}`);
    assert.deepEqual(raw.encode(text, { bos: false, parseSpecial: true }), e.rawIds[i], `raw: ${text}`);
  });
  // parseSpecial: false leaves "<s>" as text in both
  assert.ok(!raw.encode("a <s> b", { bos: false, parseSpecial: false }).includes(raw.bosId));
});

test("Metaspace split, ignore_merges and lstrip/rstrip/single_word added tokens match HF tokenizers", () => {
  type Spec = { normalizer: unknown; pre_tokenizer: unknown; model: Record<string, unknown>; added_tokens: unknown[] };
  const base = (): Spec => JSON.parse(fs.readFileSync(path.join(FIXTURES, "hf-legacy", "tokenizer.json"), "utf8")) as Spec;
  const v = expected().variants;
  const edits: Record<"metaspaceSplit" | "ignoreMerges" | "addedStrip", (d: Spec) => void> = {
    metaspaceSplit: (d) => { d.normalizer = null; d.pre_tokenizer = { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true }; },
    ignoreMerges: (d) => { d.model.ignore_merges = true; },
    addedStrip: (d) => {
      const n = Object.keys(d.model.vocab as object).length;
      d.added_tokens.push(
        { id: n, content: "<tool>", single_word: false, lstrip: true, rstrip: true, normalized: false, special: true },
        { id: n + 1, content: "xyz", single_word: true, lstrip: false, rstrip: false, normalized: false, special: false });
    },
  };
  for (const [name, edit] of Object.entries(edits) as Array<[keyof typeof edits, (d: Spec) => void]>) {
    const d = base();
    edit(d);
    const tok = Tokenizer.fromJSON(d);
    v.cases.forEach((text, i) => assert.deepEqual(tok.encode(text, { bos: false, parseSpecial: true }), v[name][i], `${name}: ${JSON.stringify(text)}`));
  }
});

test("UNUSED pieces of a tokenizer.model are merged and split back like sentencepiece's resegment", async () => {
  const tok = await load("sp-unused");
  const u = expected().unused;
  assert.ok(u.marked.length >= 5);
  let changed = 0;
  u.ids.forEach((ids, i) => {
    assert.deepEqual(tok.encode(expected().cases[i]!, { bos: false }), ids, JSON.stringify(expected().cases[i]));
    if (JSON.stringify(ids) !== JSON.stringify(expected().sp[i])) changed++;
  });
  assert.ok(changed > 50, "the unused pieces change most lines");
});
