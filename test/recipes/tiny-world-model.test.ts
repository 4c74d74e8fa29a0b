import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../../src/model/llama.js";
import { scoreTokens } from "../../src/model/score.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { TINY_WORLD, tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";

test("the committed tiny world model is a complete HF directory made as its manifest says", async () => {
  const dir = tinyWorldModel();
  for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "tiny-world.json"])
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  const m = JSON.parse(fs.readFileSync(path.join(dir, "tiny-world.json"), "utf8"));
  assert.equal(m.world_seed, TINY_WORLD.worldSeed);
  assert.equal(m.world_size, TINY_WORLD.worldSize);
  assert.equal(m.steps, TINY_WORLD.steps);
  const model = await Llama.load(dir);
  const tok = await Tokenizer.load(dir);
  assert.equal(tok.vocabSize, TINY_WORLD.vocabSize);
  assert.equal(model.config.vocabSize, tok.vocabSize);
  assert.ok(fs.statSync(path.join(dir, "model.safetensors")).size < 1.5e6, "about 1 MB");
});

test("the tiny world model knows its world: encyclopedia text scores far below the text's own unigram entropy", async () => {
  const dir = tinyWorldModel();
  const model = await Llama.load(dir);
  const tok = await Tokenizer.load(dir);
  const text = fs.readFileSync(path.join(tinyWorld(), "pretrain.txt"), "utf8");
  const paragraphs = text.split(/\n\s*\n/).filter((p) => p.trim().length > 0).slice(0, 12);
  let nll = 0, n = 0;
  const counts = new Map<number, number>();
  for (const p of paragraphs) {
    const ids = tok.encode(p, { bos: true }).slice(0, model.config.maxPositionEmbeddings);
    const s = scoreTokens(model, ids);
    nll += s.nll; n += s.tokenLogprobs.length;
    for (const id of ids.slice(1)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  let H = 0;
  for (const c of counts.values()) H -= (c / n) * Math.log(c / n);
  const loss = nll / n;
  assert.ok(n > 500, `${n} tokens`);
  // A model without context cannot beat the unigram entropy of the text (an in-sample lower bound for it).
  assert.ok(loss < 0.5 * H, `loss ${loss.toFixed(3)} vs unigram entropy ${H.toFixed(3)}`);
});
