// Makes the committed tiny pretrained world model (test/fixtures/tiny-world/, about 1 MB): the world
// generated with a fixed seed, a 1,024-piece tokenizer trained on its corpus, and the tiny preset of
// configs/pretrain-tiny.yaml (dim 64, 4 layers, GQA 8/4, tied) pretrained on it for 600 steps — the
// demo's pipeline, pinned. Unit and resume tests of SFT, reward models and later stages start from it.
//   npm run make:tiny-world-model [-- --out DIR --steps N]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateWorld } from "../src/world/generate.js";
import { trainTokenizer } from "../src/tokenizer/trainer.js";
import { saveTokenizerDir } from "../src/tokenizer/hf-export.js";
import { Tokenizer } from "../src/tokenizer/tokenizer.js";
import { prepareTokens } from "../src/data/prepare.js";
import { unigramEntropy } from "../src/data/token-stats.js";
import { loadPretrainConfig, runPretrain } from "../src/recipes/pretrain.js";
import { readMetrics } from "../src/train/metrics-log.js";
import { TINY_WORLD } from "../test/helpers/tiny-world.js";
import { trainProgress } from "../src/cli/progress.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const out = path.resolve(arg("out", path.join(root, "test", "fixtures", "tiny-world")));
const steps = Number(arg("steps", String(TINY_WORLD.steps)));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-world-"));
const log = (s: string): void => { process.stderr.write(`${s}\n`); };

const t0 = Date.now();
const world = path.join(work, "world"), tokDir = path.join(work, "tokenizer"), data = path.join(work, "tokens"), runDir = path.join(work, "run");
log(`world: seed ${TINY_WORLD.worldSeed}, size ${TINY_WORLD.worldSize} -> ${world}`);
generateWorld({ out: world, seed: TINY_WORLD.worldSeed, size: TINY_WORLD.worldSize, flipRate: 0.1 });
log(`tokenizer: ${TINY_WORLD.vocabSize} pieces`);
saveTokenizerDir(tokDir, await trainTokenizer([path.join(world, "pretrain.txt")], { vocabSize: TINY_WORLD.vocabSize }));
const tokenizer = await Tokenizer.load(tokDir);
await prepareTokens({ inputs: [path.join(world, "pretrain.txt")], out: data, encoder: tokenizer, tokenizerPath: tokDir, valFraction: 0.02 });
log(`pretrain: configs/pretrain-tiny.yaml, ${steps} steps`);
const cfg = loadPretrainConfig(path.join(root, "configs", "pretrain-tiny.yaml"), [
  `data=${data}`, `out=${runDir}`, `tokenizer=${tokDir}`, `max_steps=${steps}`, `seed=${TINY_WORLD.pretrainSeed}`,
  "save_every=0", `eval_every=${Math.max(1, Math.floor(steps / 4))}`, "threads=1",
  // Room for chat: SFT and GAtt dialogues run longer than the 128-token pretraining windows (RoPE has no table, so this changes no weight).
  "model.max_position_embeddings=512",
]);
const result = await runPretrain(cfg, null, { progress: process.stderr.isTTY ? trainProgress() : false, handleSignals: true });
if (!result.lastCheckpoint) throw new Error("pretraining wrote no checkpoint");

const metrics = readMetrics(path.join(runDir, "metrics.jsonl"));
const val = metrics.filter((m) => typeof m.val_loss === "number").at(-1)?.val_loss as number | undefined;
const keep = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json"];
const tmp = `${out}.tmp-${process.pid}`;
fs.rmSync(tmp, { recursive: true, force: true });
fs.mkdirSync(tmp, { recursive: true });
for (const f of keep) if (fs.existsSync(path.join(result.lastCheckpoint, f))) fs.copyFileSync(path.join(result.lastCheckpoint, f), path.join(tmp, f));
const manifest = {
  made_by: "scripts/make-tiny-world-model.ts (npm run make:tiny-world-model)",
  world_seed: TINY_WORLD.worldSeed, world_size: TINY_WORLD.worldSize, vocab_size: TINY_WORLD.vocabSize,
  pretrain_config: "configs/pretrain-tiny.yaml", steps, seed: TINY_WORLD.pretrainSeed,
  train_tokens: metrics.filter((m) => typeof m.tokens === "number").at(-1)?.tokens ?? null,
  val_loss: val ?? null, unigram_entropy: unigramEntropy(data),
  seconds: Math.round((Date.now() - t0) / 1000),
};
fs.writeFileSync(path.join(tmp, "tiny-world.json"), JSON.stringify(manifest, null, 2) + "\n");
fs.rmSync(out, { recursive: true, force: true });
fs.renameSync(tmp, out);
fs.rmSync(work, { recursive: true, force: true });
log(`wrote ${out}: val loss ${val?.toFixed(3)} (unigram entropy ${manifest.unigram_entropy.toFixed(3)}), ${manifest.seconds} s`);
