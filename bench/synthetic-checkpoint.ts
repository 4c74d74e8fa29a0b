// Writes a synthetic HF checkpoint of a preset's shape (default llama2-7b) in bfloat16, streaming, so a
// 13.5 GB model can be made on a machine that could not hold it twice: config.json, generation_config.json
// and one model.safetensors whose tensors are seeded normal(0, 0.02) bf16 values (a 16 MiB random block
// reused at shifting offsets; norms are ones). For bench/big-model.sh; never committed.
//   usage: node dist/bench/synthetic-checkpoint.js OUT_DIR [PRESET=llama2-7b]
import fs from "node:fs";
import path from "node:path";
import { preset } from "../src/model/presets.js";
import { expectedTensorShapes } from "../src/model/model-dir.js";
import { configToHf, generationConfigToHf } from "../src/model/hf-config.js";
import { f32ToBf16 } from "../src/io/dtype.js";
import { Rng } from "../src/model/rng.js";

const [out, name = "llama2-7b"] = process.argv.slice(2);
if (!out) throw new Error("usage: synthetic-checkpoint.js OUT_DIR [PRESET]");
const c = preset(name);
const shapes = expectedTensorShapes(c, "causal-lm");
const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
let offset = 0;
for (const [n, s] of shapes) {
  const bytes = s.reduce((a, b) => a * b, 1) * 2;
  header[n] = { dtype: "BF16", shape: s, data_offsets: [offset, offset + bytes] };
  offset += bytes;
}
let json = JSON.stringify(header);
json += " ".repeat((8 - (json.length % 8)) % 8);
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "config.json"), JSON.stringify(configToHf(c, "causal-lm", { dtype: "bfloat16" }), null, 2));
fs.writeFileSync(path.join(out, "generation_config.json"), JSON.stringify(generationConfigToHf(c), null, 2));
const rng = new Rng(7), BLOCK = 8 << 20;  // bf16 values per random block (16 MiB)
const block = new Uint16Array(BLOCK * 2);
for (let i = 0; i < BLOCK; i++) block[i] = block[i + BLOCK] = f32ToBf16(rng.normal() * 0.02);
const one = new Uint16Array(1 << 16).fill(f32ToBf16(1));
const fd = fs.openSync(path.join(out, "model.safetensors"), "w");
const len = Buffer.alloc(8);
len.writeBigUInt64LE(BigInt(json.length));
fs.writeSync(fd, len);
fs.writeSync(fd, Buffer.from(json, "utf8"));
let shift = 0;
for (const [, s] of shapes) {
  let n = s.reduce((a, b) => a * b, 1);
  const src = s.length === 1 ? one : block;
  while (n > 0) {
    const m = Math.min(n, s.length === 1 ? one.length : BLOCK);
    const start = s.length === 1 ? 0 : shift;
    fs.writeSync(fd, new Uint8Array(src.buffer, start * 2, m * 2));
    shift = (shift + 4099) % BLOCK;
    n -= m;
  }
}
fs.closeSync(fd);
console.log(`${out}: ${name} in bf16, ${(offset / 2 ** 30).toFixed(2)} GiB of tensors`);
