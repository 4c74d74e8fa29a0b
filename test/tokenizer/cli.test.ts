import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { textToIds } from "../../src/tokenizer/resolve.js";
import { expected, FIXTURES } from "./fixtures.js";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");

test("llama2 tokenizer encode --json prints <s> followed by the reference ids", () => {
  const e = expected();
  const i = e.cases.indexOf("Café, naïve, résumé, coöperate, façade, jalapeño, Ångström");
  assert.ok(i >= 0);
  const out = execFileSync(process.execPath, [MAIN, "tokenizer", "encode", "--tokenizer", path.join(FIXTURES, "hf-legacy"), "--text", e.cases[i]!, "--json"], { encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), { ids: [1, ...e.hfLegacy[i]!] });
});

test("textToIds encodes with the model directory's tokenizer and its bos default", async () => {
  const e = expected();
  assert.deepEqual(await textToIds(path.join(FIXTURES, "sp"), e.cases[0]!), [1, ...e.sp[0]!]);
  await assert.rejects(textToIds(path.join(FIXTURES, "missing"), "x"), /no tokenizer.json or tokenizer.model/);
});

test("llama2 bench tokenize --json reports throughput for each implementation on the same ids", () => {
  const out = execFileSync(process.execPath, [MAIN, "bench", "tokenize", "--tokenizer", path.join(FIXTURES, "hf-legacy"), "--mb", "0.02", "--repeat", "1", "--json"], { encoding: "utf8" });
  const r = JSON.parse(out) as { results: Array<{ name: string; mbPerSec: number; tokens: number }> };
  const names = r.results.map((x) => x.name);
  assert.ok(names.includes("ours (tokenizer.json)") && names.includes("@huggingface/tokenizers 0.2.0"), names.join());
  assert.ok(r.results.every((x) => x.mbPerSec > 0));
  assert.equal(new Set(r.results.map((x) => x.tokens)).size, 1, "both produce the same number of tokens");
});
