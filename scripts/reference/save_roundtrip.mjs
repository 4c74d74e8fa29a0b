// Re-saves a fixture directory through llama2-ts (loadModelDir → saveModelDir) and writes <OUT>.expected.safetensors
// for check_hf_load.py: the fixture's inputs plus either transformers' own outputs (default) or, with --ours, the
// logits/scores llama2-ts's Llama computes on the saved directory. Needs `npm run build` first.
// Usage: node scripts/reference/save_roundtrip.mjs SRC_DIR OUT_DIR [--dtype float32|bfloat16|float16] [--max-shard-bytes N] [--ours]
import * as path from "node:path";
import { parseArgs } from "node:util";
import { loadModelDir, saveModelDir } from "../../dist/src/model/model-dir.js";
import { readSafetensors, writeSafetensors } from "../../dist/src/io/safetensors.js";

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { dtype: { type: "string", default: "float32" }, "max-shard-bytes": { type: "string" }, ours: { type: "boolean", default: false } },
});
const [src, out] = positionals;
if (!src || !out) {
  console.error("usage: node scripts/reference/save_roundtrip.mjs SRC_DIR OUT_DIR [--dtype D] [--max-shard-bytes N] [--ours]");
  process.exit(2);
}
const m = loadModelDir(src);
const maxShard = o["max-shard-bytes"] ? Number(o["max-shard-bytes"]) : undefined;
saveModelDir(out, m.config, m.kind, m.tensors, { dtype: o.dtype, maxShardBytes: maxShard });
const exp = readSafetensors(path.join(src, "expected.safetensors")).tensors;
const ids = exp.get("input_ids");
const tensors = [["input_ids", ids]];
if (exp.has("attention_mask")) tensors.push(["attention_mask", exp.get("attention_mask")]);
const key = m.kind === "causal-lm" ? "logits" : "scores";
if (!o.ours) tensors.push([key, exp.get(key)]);
else {
  const { Llama } = await import("../../dist/src/model/llama.js");
  const model = await Llama.load(out);
  const [B, T] = ids.shape;
  const y = model.forward(Int32Array.from(ids.data), B, T);
  if (key === "logits") tensors.push([key, { shape: [B, T, model.headWidth], data: Float32Array.from(y) }]);
  else { // transformers pools the score at the rightmost non-pad token
    const pad = m.config.padTokenId, L = model.headWidth, s = new Float32Array(B * L);
    for (let b = 0; b < B; b++) {
      let last = 0;
      for (let t = 0; t < T; t++) if (ids.data[b * T + t] !== pad) last = t;
      s.set(y.subarray((b * T + last) * L, (b * T + last + 1) * L), b * L);
    }
    tensors.push([key, { shape: [B, L], data: s }]);
  }
}
writeSafetensors(`${path.resolve(out)}.expected.safetensors`, tensors,
  { dtype: (k) => (k === "input_ids" || k === "attention_mask" ? "I64" : "F32") });
console.log(`saved ${m.kind} (${m.tensors.size} tensors, ${o.dtype}) to ${out}; ${key} from ${o.ours ? "llama2-ts" : "the fixture"}`);
