// `llama2 export --model DIR --format gguf --out FILE [--type f32|f16|q8_0]`: a GGUF v3 file llama.cpp runs as it is
// (src/model/gguf-export.ts). `--format llama2c --out DIR [--version 0|1|2]`: DIR/model.bin and DIR/tokenizer.bin as
// karpathy/llama2.c's export.py and tokenizer.py write them (src/model/llama2c-export.ts). A PEFT adapter directory
// exports as its base with the adapters merged (Llama.load + mergeLora, as `llama2 lora merge`), in either format;
// a model directory streams: one tensor read, converted and written at a time.
import path from "node:path";
import { defineCommand, parseFlags, UsageError } from "../args.js";
import { Llama } from "../../model/llama.js";
import { exportGguf, type ExportSource, type GgufFileType } from "../../model/gguf-export.js";
import { openModelDirLazily } from "../../model/model-dir.js";
import { isAdapterDir } from "../../model/peft.js";
import { exportLlama2c, type Llama2cVersion } from "../../model/llama2c-export.js";
import { loadTokenizer, resolvesTokenizer } from "../../tokenizer/resolve.js";

export const command = defineCommand({
  name: "export",
  summary: "write a model for other runtimes: GGUF (llama.cpp) or llama2.c's model.bin + tokenizer.bin",
  usage: "--model DIR --format gguf --out FILE [--type f32|f16|q8_0] | --format llama2c --out DIR [--version 0|1|2]",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "causal-LM model directory with its tokenizer files, or a LoRA adapter directory (merged into its base first)" },
    format: { type: "string", value: "FORMAT", required: true, choices: ["gguf", "llama2c"], description: "gguf (llama.cpp, GGUF v3) or llama2c (karpathy/llama2.c run.c / runq.c)" },
    out: { type: "string", value: "PATH", required: true, description: "gguf: the output file; llama2c: the output directory (model.bin, tokenizer.bin)" },
    type: { type: "string", value: "TYPE", default: "f32", choices: ["f32", "f16", "q8_0"], description: "gguf tensor storage: f32, f16, or q8_0 (ggml's 8-bit blocks of 32); norms stay f32" },
    version: { type: "string", value: "V", default: "0", choices: ["0", "1", "2"], description: "llama2c model.bin version: 0 legacy fp32 (what run.c reads), 1 fp32 with header, 2 int8 groups (runq.c)" },
  },
  examples: [
    "llama2 export --model runs/demo/sft/final --format gguf --out model.gguf",
    "llama2 export --model DIR --format gguf --type q8_0 --out model-q8_0.gguf",
    "llama2 export --model DIR --format llama2c --out stories/ && ./run stories/model.bin -z stories/tokenizer.bin",
  ],
});

/**
 * The model's HF-named float32 tensors. A model directory is read tensor by tensor as the writer asks
 * (openModelDirLazily: a 7B bf16 checkpoint exports in about its largest tensor's memory, not 27 GB of
 * float32); an adapter directory is loaded whole and exported as its base with the adapters merged.
 */
async function exportTensors(dir: string): Promise<Pick<ExportSource, "config" | "tensors">> {
  const notLm = `${dir}: holds a sequence-classification (reward) model; export needs a causal LM (LlamaForCausalLM)`;
  if (!isAdapterDir(dir)) {
    const lazy = openModelDirLazily(dir);
    if (lazy.kind !== "causal-lm") throw new Error(notLm);
    return lazy;
  }
  const model = await Llama.load(dir);
  model.mergeLora();
  if (model.head !== "lm") throw new Error(notLm);
  return { config: model.config, tensors: new Map(model.params.map((p) => [p.name, { shape: p.shape, data: p.data }])) };
}

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model"), out = f.str("out"), format = f.str("format");
  const src = { ...(await exportTensors(dir)), name: path.basename(path.resolve(dir)) };
  if (format === "gguf") {
    if (f.values.version !== undefined) throw new UsageError("export: --version is for --format llama2c");
    const type = f.str("type") as GgufFileType;
    if (!resolvesTokenizer(dir))
      throw new Error(`${dir}: no tokenizer.json or tokenizer.model; a GGUF file carries the vocabulary llama.cpp tokenizes with, so the model directory needs its tokenizer files`);
    const tok = await loadTokenizer(dir);  // an adapter's base's when the adapter has none; with its chat template
    exportGguf(src, tok, tok.chatTemplate ?? null, out, type);
    console.error(`wrote ${out} (GGUF v3, ${type})`);
  } else {
    if (f.values.type !== undefined) throw new UsageError("export: --type is for --format gguf (llama2c picks its storage with --version)");
    const version = Number(f.str("version")) as Llama2cVersion;
    const tok = resolvesTokenizer(dir) ? await loadTokenizer(dir) : null;
    exportLlama2c(src, tok, out, version);
    console.error(`wrote ${path.join(out, "model.bin")} (llama2.c v${version})${tok ? ` and ${path.join(out, "tokenizer.bin")}` : " (no tokenizer in the model directory: no tokenizer.bin)"}`);
  }
}
