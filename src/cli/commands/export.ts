// `llama2 export --model DIR --format gguf --out FILE [--type f32|f16|q8_0]`: a GGUF v3 file llama.cpp
// runs as it is (src/model/gguf-export.ts). `--format llama2c` is handled by src/model/llama2c-export.ts.
import path from "node:path";
import { parseFlags, UsageError } from "../args.js";
import { Llama } from "../../model/llama.js";
import { exportGguf, readChatTemplate, type GgufFileType } from "../../model/gguf-export.js";
import { loadTokenizer } from "../../tokenizer/resolve.js";

const GGUF_TYPES: Record<string, GgufFileType> = { f32: "f32", float32: "f32", f16: "f16", float16: "f16", q8_0: "q8_0" };

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags("export", argv, {
    model: { type: "string" }, format: { type: "string" }, out: { type: "string" }, type: { type: "string" }, version: { type: "string" },
  });
  const dir = f.str("model"), format = f.str("format"), out = f.str("out");
  if (format !== "gguf") throw new UsageError(`export: --format must be gguf or llama2c, got "${format}"`);
  const typeName = f.str("type", "f32");
  const type = GGUF_TYPES[typeName];
  if (!type) throw new UsageError(`export: --type must be f32, f16 or q8_0, got "${typeName}"`);
  const model = await Llama.load(dir);
  if (model.head !== "lm") throw new Error(`${dir}: holds a sequence-classification (reward) model; GGUF export needs a causal LM`);
  const tok = await loadTokenizer(dir);
  const tensors = new Map(model.params.map((p) => [p.name, { shape: p.shape, data: p.data }]));
  exportGguf({ config: model.config, tensors, name: path.basename(path.resolve(dir)) }, tok, readChatTemplate(dir), out, type);
  console.error(`wrote ${out} (GGUF v3, ${type})`);
}
