// config.json may list several end-of-sequence ids (Llama 3 chat models: eos_token_id [128001, 128009]);
// generation stops at any of them, as transformers' generate does, and saving keeps the list.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../../src/model/llama.js";
import { generate } from "../../src/model/generate.js";
import { configFromHf, configToHf } from "../../src/model/hf-config.js";
import { eosIds } from "../../src/model/config.js";
import { fixture } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/tmp.js";

test("a list-valued eos_token_id stops generation at every listed id and survives a save", async (t) => {
  const src = fixture("models", "llama-gqa");
  const base = await Llama.load(src, { trainable: false });
  const prompt = [1, 11, 4, 248, 210, 9, 17];
  const free = generate(base, [prompt], { maxNewTokens: 8, greedy: true, eosId: null }).ids[0]!;
  const second = free.find((id, i) => i >= 2 && id !== base.config.eosTokenId && !free.slice(0, i).includes(id));
  assert.ok(second !== undefined, `no usable token in ${free}`);
  const at = free.indexOf(second);

  const dir = tempDir("eos-ids", t);
  for (const f of ["model.safetensors", "generation_config.json"]) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const json = JSON.parse(fs.readFileSync(path.join(src, "config.json"), "utf8"));
  json.eos_token_id = [base.config.eosTokenId, second];
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(json));

  const model = await Llama.load(dir, { trainable: false });
  assert.equal(model.config.eosTokenId, base.config.eosTokenId, "the first listed id is the primary one");
  assert.deepEqual(eosIds(model.config), [base.config.eosTokenId, second]);
  const out = generate(model, [prompt], { maxNewTokens: 8, greedy: true }).ids[0]!;
  assert.deepEqual(out, free.slice(0, at + 1), "stops at the second listed id");
  assert.deepEqual(generate(base, [prompt], { maxNewTokens: 8, greedy: true }).ids[0], free.slice(0, free.indexOf(base.config.eosTokenId) + 1 || 8),
    "a single eos id does not stop at the other token");

  const hf = configFromHf(json);
  assert.deepEqual(configToHf(hf.config, hf.kind)["eos_token_id"], [base.config.eosTokenId, second], "saved as the list it was");
  assert.equal(configToHf(configFromHf({ ...json, eos_token_id: 2 }).config, hf.kind)["eos_token_id"], 2);
});
