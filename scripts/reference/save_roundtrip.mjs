// Re-saves a fixture directory through llama2-ts (loadModelDir → saveModelDir) and writes <OUT>.expected.safetensors
// with the fixture's inputs and transformers outputs, for check_hf_load.py. Needs `npm run build` first.
// Usage: node scripts/reference/save_roundtrip.mjs SRC_DIR OUT_DIR [float32|bfloat16|float16] [maxShardBytes]
import * as path from "node:path";
import { loadModelDir, saveModelDir } from "../../dist/src/io/checkpoint.js";
import { readSafetensors, writeSafetensors } from "../../dist/src/io/safetensors.js";

const [src, out, dtype = "float32", shard] = process.argv.slice(2);
if (!src || !out) {
  console.error("usage: node scripts/reference/save_roundtrip.mjs SRC_DIR OUT_DIR [dtype] [maxShardBytes]");
  process.exit(2);
}
const m = loadModelDir(src);
saveModelDir(out, m.config, m.kind, m.tensors, { dtype, maxShardBytes: shard ? Number(shard) : undefined });
const exp = readSafetensors(path.join(src, "expected.safetensors")).tensors;
const keep = ["input_ids", "attention_mask", "logits", "scores"].filter((k) => exp.has(k));
writeSafetensors(`${path.resolve(out)}.expected.safetensors`, keep.map((k) => [k, exp.get(k)]),
  { dtype: (k) => (k === "input_ids" || k === "attention_mask" ? "I64" : "F32") });
console.log(`saved ${m.kind} (${m.tensors.size} tensors, ${dtype}) to ${out}; expected: ${keep.join(", ")}`);
