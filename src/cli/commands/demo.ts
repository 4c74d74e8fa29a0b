// `llama2 demo [--out DIR] [--size small|medium|large] [--steps N] [--seed S] [--vocab-size N] [--overwrite]`:
// the whole pipeline on the built-in world, each stage through the same code as its own command —
// generate the world, train a tokenizer on its corpus, prepare token shards, pretrain the tiny
// preset (configs/pretrain-tiny.yaml), then show that it learned (validation loss against the
// corpus' unigram entropy) and print a few samples.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineCommand, parseFlags } from "../args.js";
import { run as worldGenerate } from "./world/generate.js";
import { run as tokenizerTrain } from "./tokenizer/train.js";
import { run as dataPrepare } from "./data/prepare.js";
import { loadPretrainConfig, runPretrain } from "../../recipes/pretrain.js";
import { assertRunDirFree, RunDirError } from "../../train/run-dir.js";
import { readMetrics } from "../../train/metrics-log.js";
import { unigramEntropy } from "../../data/token-stats.js";
import { Llama } from "../../model/llama.js";
import { generate } from "../../model/generate.js";
import { Tokenizer } from "../../tokenizer/tokenizer.js";
import { trainProgress } from "../progress.js";

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Openings of encyclopedia sentences of the world, for samples. */
const SAMPLE_PROMPTS = ["The river", "Tika is a town", "People remember", "In the year"];

function stage(title: string): void {
  console.error(`\n== ${title}`);
}

export const command = defineCommand({
  name: "demo",
  summary: "the whole pipeline on the generated world: world, tokenizer, token shards, pretraining, samples",
  options: {
    out: { type: "string", value: "DIR", default: "runs/demo", description: "directory for every stage's output" },
    size: { type: "string", value: "SIZE", default: "small", description: "world size (small, medium, large)" },
    seed: { type: "string", value: "S", default: "1", description: "seed of the world, the model and the samples" },
    steps: { type: "string", value: "N", defaultText: "configs/pretrain-tiny.yaml max_steps", description: "pretraining steps" },
    "vocab-size": { type: "string", value: "N", default: 1024, description: "tokenizer vocabulary" },
    quiet: { type: "boolean", description: "no live progress line while pretraining" },
    overwrite: { type: "boolean", description: "replace an earlier demo run in --out (otherwise refused)" },
  },
  examples: ["llama2 demo --out runs/demo", "llama2 demo --steps 100 --quiet"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const out = f.str("out"), size = f.str("size"), seed = f.str("seed");
  const world = path.join(out, "world"), tokDir = path.join(out, "tokenizer"), data = path.join(out, "tokens"), runDir = path.join(out, "pretrain");
  const t0 = Date.now();
  const overwrite = f.bool("overwrite");
  // Refuse at once, before regenerating anything, when OUT holds an earlier demo run.
  if (!overwrite) {
    try {
      assertRunDirFree(runDir);
    } catch (e) {
      if (e instanceof RunDirError && !e.holder) throw new Error(`${out} holds an earlier demo run (${runDir}); pass --overwrite to replace it, or --out DIR`);
      throw e;
    }
  }
  fs.mkdirSync(out, { recursive: true });

  stage(`1/5 world: llama2 world generate --out ${world} --size ${size} --seed ${seed}`);
  await worldGenerate(["--out", world, "--size", size, "--seed", seed]);
  stage(`2/5 tokenizer: llama2 tokenizer train --input ${world}/pretrain.txt --vocab-size ${f.int("vocab-size")}`);
  await tokenizerTrain(["--input", path.join(world, "pretrain.txt"), "--vocab-size", String(f.int("vocab-size")), "--out", tokDir]);
  stage(`3/5 data: llama2 data prepare --tokenizer ${tokDir} --input ${world}/pretrain.txt --out ${data}`);
  await dataPrepare(["--tokenizer", tokDir, "--input", path.join(world, "pretrain.txt"), "--out", data, "--val-fraction", "0.02"]);

  stage("4/5 pretrain: llama2 pretrain --config configs/pretrain-tiny.yaml");
  const sets = [`data=${data}`, `out=${runDir}`, `tokenizer=${tokDir}`, `seed=${Number(seed)}`];
  if (f.strOpt("steps")) sets.push(`max_steps=${f.int("steps")}`);
  const cfg = loadPretrainConfig(path.join(packageRoot, "configs", "pretrain-tiny.yaml"), sets);
  const result = await runPretrain(cfg, null, { progress: f.bool("quiet") ? undefined : trainProgress(), handleSignals: true,
    overwrite, onNotice: (m) => console.error(m) });
  if (!result.lastCheckpoint) throw new Error("demo: pretraining wrote no checkpoint");

  stage("5/5 results");
  const metrics = readMetrics(path.join(runDir, "metrics.jsonl"));
  const val = metrics.filter((m) => typeof m.val_loss === "number").map((m) => m.val_loss as number);
  const train = metrics.filter((m) => typeof m.loss === "number").map((m) => m.loss as number);
  const H = unigramEntropy(data);
  console.log(`pretrained ${result.step} steps in ${((Date.now() - t0) / 1000).toFixed(0)} s total; checkpoint ${result.lastCheckpoint}`);
  console.log(`train loss ${train[0]?.toFixed(3)} -> ${train.at(-1)?.toFixed(3)}; validation loss ${val.at(-1)?.toFixed(3)} nats/token ` +
    `vs the corpus' unigram entropy ${H.toFixed(3)} (a model without context cannot beat it)`);
  const model = await Llama.load(result.lastCheckpoint);
  const tokenizer = await Tokenizer.load(tokDir);
  console.log("samples (temperature 0.8, top-p 0.95):");
  const prompts = SAMPLE_PROMPTS.map((p) => tokenizer.encode(p, { bos: true }));
  const gens = generate(model, prompts, { maxNewTokens: 40, temperature: 0.8, topP: 0.95, seed: Number(seed) });
  // Decode prompt and continuation together: SentencePiece drops the leading space of a text's first piece.
  prompts.forEach((p, i) => console.log(`  ${tokenizer.decode([...p, ...gens.ids[i]!], { skipSpecial: true }).replace(/\n/g, " / ")}`));
  console.log(`\nnext: llama2 generate --model ${result.lastCheckpoint} --prompt "The river"; llama2 plot ${runDir}`);
  return 0;
}
