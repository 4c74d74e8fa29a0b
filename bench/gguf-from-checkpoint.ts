// A GGUF of a checkpoint too big to load as float32 (the synthetic 7B of bench/synthetic-checkpoint.ts:
// 27 GB as float32 on a 24 GB machine), for the llama.cpp side of bench/big-model.sh: the exporter of
// `llama2 export` (src/model/gguf-export.ts) fed one tensor at a time straight from model.safetensors, so
// at most one tensor is widened to float32 at once. Needs a tokenizer in DIR (bench/big-model.sh copies
// the 32k Llama vocabulary fixture there).
//   usage: node dist/bench/gguf-from-checkpoint.js DIR OUT.gguf [f32|f16|q8_0]
import path from "node:path";
import { readHfConfig } from "../src/model/hf-config.js";
import { readSafetensors, readSafetensorsHeader } from "../src/io/safetensors.js";
import { exportGguf, readChatTemplate, type GgufFileType } from "../src/model/gguf-export.js";
import { loadTokenizer } from "../src/tokenizer/resolve.js";

const [dir, out, type = "q8_0"] = process.argv.slice(2);
if (!dir || !out || !["f32", "f16", "q8_0"].includes(type)) throw new Error("usage: gguf-from-checkpoint.js DIR OUT.gguf [f32|f16|q8_0]");
const file = path.join(dir, "model.safetensors");
const { config } = readHfConfig(path.join(dir, "config.json"));
// A Map whose values read their tensor when the writer asks for its bytes (the writer asks one at a time).
const tensors = new Map<string, { shape: number[]; readonly data: Float32Array }>();
for (const [name, e] of readSafetensorsHeader(file).entries)
  tensors.set(name, { shape: e.shape, get data() { return readSafetensors(file, [name]).tensors.get(name)!.data; } });
const t0 = performance.now();
exportGguf({ config, tensors, name: path.basename(path.resolve(dir)) }, await loadTokenizer(dir), readChatTemplate(dir), out, type as GgufFileType);
console.error(`wrote ${out} (GGUF v3, ${type}) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
