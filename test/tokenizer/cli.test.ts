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
