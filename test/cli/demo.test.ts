// `llama2 demo` end to end, briefly: every stage runs through the real commands and leaves a
// loadable model directory with its tokenizer, and the report compares against the unigram entropy.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { llama2 } from "../helpers/cli.js";
import { Llama } from "../../src/model/llama.js";

test("llama2 demo generates the world, trains a tokenizer, pretrains and samples", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "llama2-demo-"));
  try {
    const r = llama2("demo", "--out", out, "--steps", "4", "--quiet");
    assert.equal(r.status, 0, r.stderr);
    for (const f of ["world/pretrain.txt", "world/sft_train.jsonl", "tokenizer/tokenizer.json", "tokens/index.json",
      "pretrain/metrics.jsonl", "pretrain/checkpoint-4/model.safetensors", "pretrain/checkpoint-4/tokenizer.json"])
      assert.ok(fs.existsSync(path.join(out, f)), `missing ${f}`);
    assert.match(r.stdout, /validation loss \d+\.\d+ nats\/token vs the corpus' unigram entropy \d+\.\d+/);
    assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("  ")).length, 4, "four samples");
    const model = await Llama.load(path.join(out, "pretrain/checkpoint-4"));
    assert.equal(model.config.vocabSize, 1024);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
