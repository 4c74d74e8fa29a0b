// `llama2 lora merge --model BASE --adapter DIR --out DIR`: folds a PEFT LoRA adapter into its base
// (W += lora_alpha / r · B A, PEFT's merge_and_unload) and writes a plain HF model directory with the
// tokenizer files of the adapter directory (or, when it has none, of the base).
import fs from "node:fs";
import path from "node:path";
import { defineCommand, parseFlags } from "../../args.js";
import { Llama } from "../../../model/llama.js";
import { isAdapterDir } from "../../../model/peft.js";

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json"];

export const command = defineCommand({
  name: "lora merge",
  summary: "merge a LoRA adapter directory into its base model (PEFT merge_and_unload) and write an HF model directory",
  usage: "--model BASE --adapter DIR --out DIR [--dtype float32|bfloat16|float16]",
  options: {
    model: { type: "string", value: "BASE", required: true, description: "base HF model directory (overrides the adapter's base_model_name_or_path)" },
    adapter: { type: "string", value: "DIR", required: true, description: "PEFT adapter directory (adapter_config.json + adapter_model.safetensors)" },
    out: { type: "string", value: "DIR", required: true, description: "output HF model directory (written atomically)" },
    dtype: { type: "string", value: "DTYPE", default: "float32", choices: ["float32", "bfloat16", "float16"], description: "storage dtype of the merged weights" },
  },
  examples: ["llama2 lora merge --model runs/pretrain/final --adapter runs/sft-lora/final --out runs/sft-merged"],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const base = f.str("model"), adapter = f.str("adapter"), out = f.str("out");
  if (!isAdapterDir(adapter)) throw new Error(`--adapter ${adapter}: no adapter_config.json (not a PEFT adapter directory)`);
  if (path.resolve(out) === path.resolve(adapter) || path.resolve(out) === path.resolve(base))
    throw new Error(`--out ${out}: must differ from --model and --adapter`);
  // The merged model replaces --out as a whole (saveModelDir): only an earlier model directory, never someone's files.
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) {
    const entries = fs.readdirSync(out).sort();
    if (entries.length > 0 && !entries.includes("config.json"))
      throw new Error(`--out ${out}: the directory holds files that are not a model directory (${entries.slice(0, 4).join(", ")}${entries.length > 4 ? ", …" : ""}); ` +
        "choose a new or empty directory, or an earlier model directory to replace");
  }
  const model = await Llama.load(adapter, { base, trainable: false });
  model.mergeLora();
  const tokDir = TOKENIZER_FILES.some((t) => fs.existsSync(path.join(adapter, t))) ? adapter : base;
  const files: Record<string, Uint8Array> = {};
  for (const t of TOKENIZER_FILES) if (fs.existsSync(path.join(tokDir, t))) files[t] = fs.readFileSync(path.join(tokDir, t));
  await model.save(out, { dtype: f.str("dtype") as "float32" | "bfloat16" | "float16", files });
  console.error(`wrote ${out} (${path.basename(adapter)} merged into ${path.basename(path.resolve(base))})`);
}
