// Helper of bench/decode-vs-llama2c.sh: makes a stories15M-shaped model with seeded random weights,
// writes it as an HF directory and as llama2.c's v0 model.bin (src/model/llama2c-export.ts, export.py's
// legacy_export byte for byte), and prints
// our greedy continuation of <s> as JSON {ids} for the script to compare with run.c's.
//   usage: node dist/bench/llama2c-model.js OUT_DIR NEW_TOKENS [SEED] [STD]
import path from "node:path";
import fs from "node:fs";
import { Llama } from "../src/model/llama.js";
import { preset } from "../src/model/presets.js";
import { generate } from "../src/model/generate.js";
import { exportLlama2cModel } from "../src/model/llama2c-export.js";

const [out, nArg, seedArg, stdArg] = process.argv.slice(2);
if (!out || !nArg) throw new Error("usage: llama2c-model.js OUT_DIR NEW_TOKENS [SEED] [STD]");
const model = new Llama(preset("stories15M"), { trainable: false }).initRandom(Number(seedArg ?? 1), Number(stdArg ?? 0.05));
fs.mkdirSync(out, { recursive: true });
await model.save(path.join(out, "hf"));
exportLlama2cModel({ config: model.config, name: "stories15M-random", tensors: new Map(model.params.map((p) => [p.name, { shape: p.shape, data: p.data }])) },
  path.join(out, "model.bin"), 0);
const ids = generate(model, [[1]], { maxNewTokens: Number(nArg), greedy: true, eosId: null }).ids[0];
console.log(JSON.stringify({ ids }));
