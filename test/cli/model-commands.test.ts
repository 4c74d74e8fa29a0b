// `llama2 score`, `generate` and `reward score` on the transformers fixtures, run as processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../../src/model/llama.js";
import { scoreTokens } from "../../src/model/score.js";
import { fixture } from "../helpers/fixtures.js";
import { llama2, llama2Json } from "../helpers/cli.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { tempDir } from "../helpers/tmp.js";

const expected = (name: string) => JSON.parse(fs.readFileSync(fixture("models", name, "expected.json"), "utf8"));

test("llama2 score --ids prints token log-probabilities and the total NLL", async () => {
  const ids = [1, 11, 4, 248, 210, 54];
  const out = llama2Json("score", "--model", fixture("models", "llama-gqa"), "--ids", ids.join(","), "--json");
  const ref = scoreTokens(await Llama.load(fixture("models", "llama-gqa")), ids);
  assert.equal(out.token_logprobs.length, ids.length - 1);
  out.token_logprobs.forEach((lp: number, i: number) => assert.ok(Math.abs(lp - ref.tokenLogprobs[i]!) < 1e-9));
  assert.ok(Math.abs(out.nll + out.token_logprobs.reduce((a: number, b: number) => a + b, 0)) < 1e-9);
});

test("llama2 generate --greedy prints transformers' greedy continuation", () => {
  const g = expected("llama-gqa").generate;
  const out = llama2Json("generate", "--model", fixture("models", "llama-gqa"), "--ids", g.prompt.join(","), "--greedy",
    "--max-new-tokens", String(g.max_new_tokens), "--json");
  // transformers was run without an EOS stop; ours stops at </s> (id 2) if it comes first.
  const want = g.output.slice(g.prompt.length);
  const stop = want.indexOf(2);
  assert.deepEqual(out.ids, stop >= 0 ? want.slice(0, stop + 1) : want);
});

test("llama2 generate --dtype bf16 / bfloat16 / q8_0 keeps the weights low-precision and gives the same greedy continuation here", () => {
  const g = expected("llama-gqa").generate;
  const want = g.output.slice(g.prompt.length), stop = want.indexOf(2);
  for (const dtype of ["bf16", "bfloat16", "q8_0"]) {
    const out = llama2Json("generate", "--model", fixture("models", "llama-gqa"), "--ids", g.prompt.join(","), "--greedy",
      "--max-new-tokens", String(g.max_new_tokens), "--dtype", dtype, "--json");
    assert.deepEqual(out.ids, stop >= 0 ? want.slice(0, stop + 1) : want, dtype);
  }
  const bad = llama2("generate", "--model", fixture("models", "llama-gqa"), "--ids", "1,2", "--dtype", "int4");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--dtype must be one of float32, bfloat16, q8_0, f32, bf16/);
});

test("llama2 reward score prints the sequence-classification scalar at the last token", () => {
  const exp = expected("llama-seqcls");
  // Row 0 of the fixture (row 1 is right-padded, scored in the model tests).
  const out = llama2Json("reward", "score", "--model", fixture("models", "llama-seqcls"), "--ids", idsOfRow(0).join(","), "--json");
  assert.ok(Math.abs(out.score - exp.scores[0]) < 1e-4, `${out.score} vs ${exp.scores[0]}`);
});

test("--prompt goes through the model directory's tokenizer, and bad input fails clearly", async () => {
  const dir = tempDir("llama2-cli-");
  try {
    const tokDir = fixture("tokenizer", "hf");
    const model = new Llama({ ...(await Llama.load(fixture("models", "llama-gqa"))).config, vocabSize: 1200 }).initRandom(3);
    await model.save(dir);
    for (const f of ["tokenizer.json", "tokenizer_config.json"]) fs.copyFileSync(path.join(tokDir, f), path.join(dir, f));
    const byText = llama2Json("score", "--model", dir, "--text", "Hello world 123", "--json");
    const enc = llama2Json("tokenizer", "encode", "--tokenizer", dir, "--text", "Hello world 123", "--json");
    const byIds = llama2Json("score", "--model", dir, "--ids", enc.ids.join(","), "--json");
    assert.deepEqual(byText, byIds);
    const gen = llama2Json("generate", "--model", dir, "--prompt", "Once upon a time", "--max-new-tokens", "5", "--seed", "1", "--json");
    assert.ok(gen.ids.length >= 1 && gen.ids.length <= 5);
    assert.equal(typeof gen.text, "string");
    const noIds = llama2("score", "--model", dir);
    assert.equal(noIds.status, 2);
    assert.match(noIds.stderr, /--ids/);
    const badIds = llama2("score", "--model", dir, "--ids", "1,x,3");
    assert.match(badIds.stderr, /--ids expects comma-separated integers/);
    const missing = llama2("score", "--model", path.join(dir, "nope"), "--ids", "1,2");
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /nope/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function idsOfRow(b: number): number[] {
  const t = readSafetensors(fixture("models", "llama-seqcls", "expected.safetensors")).tensors.get("input_ids")!;
  const T = t.shape[1]!, last = expected("llama-seqcls").last_non_pad[b];
  return Array.from(t.data.subarray(b * T, b * T + last + 1));
}
