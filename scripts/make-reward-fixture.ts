// Makes test/fixtures/reward/rm-trained-here/: a reward model trained by `llama2 reward train`'s recipe
// (a small random Llama with the tiny world's 1,024-piece tokenizer, 3 steps on 16 of the world's
// safety pairs), plus rm-trained-here-pairs.jsonl and rm-trained-here-ours.json (our token ids and
// scores). scripts/reference/check_reward_model.py then loads the directory in transformers and writes
// rm-trained-here-hf.json, which test/recipes/reward-hf-parity.test.ts compares with our scores.
//   npm run build && node dist/scripts/make-reward-fixture.js
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Llama } from "../src/model/llama.js";
import { preset } from "../src/model/presets.js";
import { loadRewardConfig, runReward } from "../src/recipes/reward.js";
import { scoreSequences } from "../src/recipes/reward-task.js";
import { readPreferences, tokenizePairs } from "../src/data/preferences.js";
import { loadTokenizer } from "../src/tokenizer/resolve.js";
import { tinyWorld, tinyWorldModel } from "../test/helpers/tiny-world.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = path.join(root, "test", "fixtures", "reward");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "rm-fixture-"));

// The starting "chat model": random weights (std 0.2, so scores spread), the tiny world's tokenizer.
const base = path.join(work, "base");
const c = { ...preset("stories260K"), vocabSize: 1024, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2,
  numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8, maxPositionEmbeddings: 512, tieWordEmbeddings: true };
await new Llama(c).initRandom(7, 0.2).save(base);
for (const f of ["tokenizer.json", "tokenizer_config.json", "tokenizer.model"])
  fs.copyFileSync(path.join(tinyWorldModel(), f), path.join(base, f));

const rows = fs.readFileSync(path.join(tinyWorld(), "prefs_safety_train.jsonl"), "utf8").split("\n").filter(Boolean).slice(0, 16);
const pairsFile = path.join(outDir, "rm-trained-here-pairs.jsonl");
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(pairsFile, rows.join("\n") + "\n");
const run = path.join(work, "run");
const cfg = loadRewardConfig(undefined, [`model=${base}`, `data=${pairsFile}`, `out=${run}`, "preset=small", "pairs_per_step=8",
  "batch_pairs=4", "max_steps=3", "lr=1e-3", "threads=1", "save_every=0"]);
const r = await runReward(cfg, null, {});
const dst = path.join(outDir, "rm-trained-here");
fs.rmSync(dst, { recursive: true, force: true });
fs.cpSync(r.final!, dst, { recursive: true });
fs.rmSync(path.join(dst, "tokenizer.model"), { force: true }); // tokenizer.json is enough for both sides

const model = await Llama.load(dst);
const tok = await loadTokenizer(dst);
const { pairs } = tokenizePairs(tok, await readPreferences(pairsFile, "small"), "small", 512);
const ids = pairs.flatMap((p) => [Array.from(p.chosen), Array.from(p.rejected)]);
const scores = Array.from(scoreSequences(model, ids.map((x) => Int32Array.from(x))));
fs.writeFileSync(path.join(outDir, "rm-trained-here-ours.json"), JSON.stringify({ ids, scores }) + "\n");
process.stderr.write(`wrote ${dst} (${r.step} steps) and our scores of ${ids.length} sequences\n`);
