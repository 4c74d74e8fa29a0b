// `llama2 export --model DIR --format gguf --out FILE [--type f32|f16|q8_0]`: a GGUF v3 file llama.cpp
// runs as it is (src/model/gguf-export.ts).
import path from "node:path";
import { defineCommand, parseFlags } from "../args.js";
import { Llama } from "../../model/llama.js";
import { exportGguf, readChatTemplate, type GgufFileType } from "../../model/gguf-export.js";
import { loadTokenizer } from "../../tokenizer/resolve.js";

export const command = defineCommand({
  name: "export",
  summary: "write a model for other runtimes: GGUF (llama.cpp)",
  usage: "--model DIR --format gguf --out FILE [--type f32|f16|q8_0]",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "causal-LM model directory with its tokenizer files" },
    format: { type: "string", value: "FORMAT", required: true, choices: ["gguf"], description: "output format: gguf (llama.cpp, GGUF v3)" },
    out: { type: "string", value: "FILE", required: true, description: "output file (written to FILE.tmp, then renamed)" },
    type: { type: "string", value: "TYPE", default: "f32", choices: ["f32", "f16", "q8_0"], description: "tensor storage: f32, f16, or q8_0 (ggml's 8-bit blocks of 32); norms stay f32" },
  },
  examples: [
    "llama2 export --model runs/demo/sft/final --format gguf --out model.gguf",
    "llama2 export --model DIR --format gguf --type q8_0 --out model-q8_0.gguf",
  ],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model"), out = f.str("out");
  const type = f.str("type") as GgufFileType;
  const model = await Llama.load(dir);
  if (model.head !== "lm") throw new Error(`${dir}: holds a sequence-classification (reward) model; GGUF export needs a causal LM (LlamaForCausalLM)`);
  const tok = await loadTokenizer(dir);
  const tensors = new Map(model.params.map((p) => [p.name, { shape: p.shape, data: p.data }]));
  exportGguf({ config: model.config, tensors, name: path.basename(path.resolve(dir)) }, tok, readChatTemplate(dir), out, type);
  console.error(`wrote ${out} (GGUF v3, ${type})`);
}
