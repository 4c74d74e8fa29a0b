// `llama2 lora merge` and adapter directories wherever a command takes --model DIR, run as processes
// on the committed PEFT adapter (test/fixtures/models/lora-gqa, made by scripts/reference/make_lora_fixture.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { llama2, llama2Json } from "../helpers/cli.js";
import { fixture, maxAbsDiff } from "../helpers/fixtures.js";
import { Llama } from "../../src/model/llama.js";
import { tmpDir } from "../train/helpers.js";

test("llama2 lora merge writes an HF directory whose logits equal the adapter on its base", async () => {
  const base = fixture("models", "llama-gqa"), tmp = tmpDir("merge-");
  // An adapter whose base_model_name_or_path points at the fixture on this machine.
  const adapter = path.join(tmp, "adapter");
  await (await Llama.load(fixture("models", "lora-gqa", "peft"), { base })).save(adapter);
  const out = path.join(tmp, "merged");
  const r = llama2("lora", "merge", "--model", base, "--adapter", adapter, "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(out, "model.safetensors")) && !fs.existsSync(path.join(out, "adapter_config.json")));
  const merged = await Llama.load(out), unmerged = await Llama.load(adapter);
  assert.equal(merged.lora, null);
  const ids = Int32Array.from([1, 17, 42, 99, 3, 250]);
  const err = maxAbsDiff(merged.forward(ids, 1, 6).slice(), unmerged.forward(ids, 1, 6).slice());
  assert.ok(err < 1e-4, `merged vs adapter logits ${err}`);
  // --model takes the adapter directory itself in the model commands: same greedy tokens as the merged model.
  const a = llama2Json("generate", "--model", adapter, "--ids", "1,5,9", "--greedy", "--max-new-tokens", "6", "--json");
  const b = llama2Json("generate", "--model", out, "--ids", "1,5,9", "--greedy", "--max-new-tokens", "6", "--json");
  assert.ok(Array.isArray(a.ids) && a.ids.length > 0);
  assert.deepEqual(a.ids, b.ids);
  const s = llama2Json("score", "--model", adapter, "--ids", "1,5,9,13", "--json");
  assert.equal(s.token_logprobs.length, 3);
  assert.notEqual(llama2("lora", "merge", "--model", base, "--adapter", base, "--out", path.join(tmp, "x")).status, 0);
  // Issue 10: --out replaces an earlier model directory as a whole, but a directory of other files is refused untouched.
  const again = llama2("lora", "merge", "--model", base, "--adapter", adapter, "--out", out);
  assert.equal(again.status, 0, again.stderr);
  const notes = path.join(tmp, "notes");
  fs.mkdirSync(notes);
  fs.writeFileSync(path.join(notes, "thesis.txt"), "years of work\n");
  const refused = llama2("lora", "merge", "--model", base, "--adapter", adapter, "--out", notes);
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`--out ${notes.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: the directory holds files that are not a model directory \\(thesis\\.txt\\); choose a new or empty directory`));
  assert.deepEqual(fs.readdirSync(notes), ["thesis.txt"]);
});
