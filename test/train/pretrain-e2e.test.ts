// End to end: the generated world's pretraining text → tokenizer → shards → a tiny Llama trained
// by the pretrain recipe. The model must beat the corpus' unigram entropy (the best loss a model
// without context can reach) by a clear margin on held-out text: proof that the whole path —
// data, loader, model, loss normalisation, optimizer, schedule — learns.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildWorld } from "../../src/world/entities.js";
import { writePretrain } from "../../src/world/pretrain.js";
import { SIZES } from "../../src/world/generate.js";
import { TextWriter } from "../../src/world/jsonl.js";
import { Rng as WorldRng } from "../../src/world/rng.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { prepareTokens } from "../../src/data/prepare.js";
import { unigramEntropy } from "../../src/data/token-stats.js";
import { loadPretrainConfig, runPretrain } from "../../src/recipes/pretrain.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { tmpDir } from "./helpers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

test("a tiny model pretrained on the generated world corpus gets well below the unigram entropy", async () => {
  const dir = tmpDir("e2e-");
  const worldRng = new WorldRng("llama2-world/e2e");
  const world = buildWorld(worldRng.seed, SIZES.small.world);
  const text = new TextWriter(path.join(dir, "pretrain.txt"));
  writePretrain(world, worldRng.fork("pretrain"), text, 400_000);
  text.close();
  const tokenizer = await Tokenizer.load(path.join(root, "test/fixtures/tokenizer/hf"));
  const data = path.join(dir, "tokens");
  await prepareTokens({ inputs: [path.join(dir, "pretrain.txt")], out: data, encoder: tokenizer, tokenizerPath: "fixture", valFraction: 0.05 });
  const H = unigramEntropy(data);

  const run = path.join(dir, "run");
  const cfg = loadPretrainConfig(path.join(root, "configs/pretrain-tiny.yaml"), [
    `data=${data}`, `out=${run}`, "max_steps=200", "warmup=20", "eval_every=200", "eval_batches=4", "save_every=0", "threads=1",
    "batch_size=8", "seq_len=64", "model.num_hidden_layers=2", "model.hidden_size=64", "model.intermediate_size=128",
    "model.max_position_embeddings=64",
  ]);
  const res = await runPretrain(cfg, null, { progress: false });
  assert.equal(res.stopped, "done");
  const lines = readMetrics(path.join(run, "metrics.jsonl"));
  const val = lines.filter((l) => typeof l.val_loss === "number").map((l) => l.val_loss as number);
  const first = lines.find((l) => l.step === 1)!.loss as number;
  assert.equal(val.length, 1);
  // Random init starts near ln(V); the unigram entropy of this corpus is ~5 nats; the trained model
  // must land at least 1.5 nats (a 4.5× lower perplexity) below it.
  assert.ok(first > H, `initial loss ${first} is above the unigram entropy ${H}`);
  assert.ok(val[0] < H - 1.5, `val loss ${val[0].toFixed(3)} vs unigram entropy ${H.toFixed(3)}`);
  assert.ok(fs.existsSync(path.join(run, "checkpoint-200", "model.safetensors")));
  assert.ok(fs.existsSync(path.join(run, "config.yaml")));
});
