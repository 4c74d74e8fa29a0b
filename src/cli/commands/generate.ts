// `llama2 generate --model DIR (--ids 1,2,3 | --prompt STR) [--max-new-tokens N --temperature T
//  --top-p P --top-k K --seed S --greedy] [--json]`.
import { UsageError, defineCommand, parseFlags } from "../args.js";
import { requireHead } from "../../model/model-kind.js";
import { Llama } from "../../model/llama.js";
import { generate } from "../../model/generate.js";
import { parseWeightDtype } from "../../model/weight-storage.js";
import { INPUT_OPTIONS, inputIds } from "../input-ids.js";
import { hasTokenizer, loadTokenizer } from "../../tokenizer/resolve.js";

export const command = defineCommand({
  name: "generate",
  summary: "continue a prompt with a model (greedy or sampled)",
  usage: "--model DIR (--ids 1,2,3 | --prompt STR [--chat]) [options]",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "model directory (HF layout: config.json, model.safetensors, tokenizer files)" },
    ...INPUT_OPTIONS,
    "max-new-tokens": { type: "string", value: "N", defaultText: "64, or what the context has left", description: "stop after this many new tokens" },
    temperature: { type: "string", value: "T", default: 1, description: "softmax temperature for sampling" },
    "top-p": { type: "string", value: "P", default: 1, description: "nucleus sampling: keep the smallest set of tokens with probability >= P (1 = off)" },
    "top-k": { type: "string", value: "K", default: 0, description: "sample among the K most likely tokens (0 = off)" },
    seed: { type: "string", value: "S", default: 0, description: "sampling seed (same seed, same continuation)" },
    greedy: { type: "boolean", description: "always take the most likely token (ignores temperature/top-p/top-k)" },
    dtype: { type: "string", value: "D", default: "float32", choices: ["float32", "bfloat16", "q8_0", "f32", "bf16"], description: "storage of the linear weights: float32, bfloat16 (bf16) or q8_0 (ggml's 8-bit blocks); float32 accumulation either way" },
    json: { type: "boolean", description: "print one JSON object {ids, text} on stdout" },
    "allow-nonfinite": { type: "boolean", description: "load weights holding NaN/Inf instead of refusing them (forensics)" },
  },
  examples: [
    "llama2 generate --model runs/demo/pretrain/final --prompt \"The river\" --max-new-tokens 40 --temperature 0.8",
    "llama2 generate --model DIR --ids 1,450,4159 --greedy --json",
    "llama2 generate --model llama-2-7b --dtype q8_0 --prompt \"Once upon a time\"",
  ],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model");
  const model = await Llama.load(dir, { trainable: false, dtype: parseWeightDtype(f.str("dtype"), "--dtype"), allowNonFinite: f.bool("allow-nonfinite") });
  requireHead(model, "generate", dir);
  const ids = await inputIds("generate", f, dir, model.config.vocabSize);
  const context = model.config.maxPositionEmbeddings;
  if (ids.length > context) throw new UsageError(`generate: the prompt has ${ids.length} tokens, more than the model's context (max_position_embeddings ${context})`);
  const room = context - ids.length;
  let maxNewTokens = Math.min(64, room);
  if (f.has("max-new-tokens")) {
    maxNewTokens = f.int("max-new-tokens");
    if (maxNewTokens < 0) throw new UsageError(`generate: --max-new-tokens must be >= 0, got ${maxNewTokens}`);
    if (maxNewTokens > room)
      throw new UsageError(`generate: --max-new-tokens ${maxNewTokens}: the prompt has ${ids.length} tokens and the model's context is ${context}, so at most ${room} new tokens fit`);
  }
  const out = generate(model, [ids], {
    maxNewTokens, greedy: f.bool("greedy"), temperature: f.num("temperature"),
    topP: f.num("top-p"), topK: f.int("top-k"), seed: f.int("seed"),
  });
  const newIds = out.ids[0]!;
  const tokenizer = hasTokenizer(dir) ? await loadTokenizer(dir) : null;
  // The continuation as text: decode prompt + new tokens and drop the prompt's text, so the first new
  // piece keeps its leading space (SentencePiece decode strips a text's first space).
  const text = tokenizer
    ? tokenizer.decode([...ids, ...newIds], { skipSpecial: true }).slice(tokenizer.decode(ids, { skipSpecial: true }).length)
    : undefined;
  if (f.bool("json")) console.log(JSON.stringify(text === undefined ? { ids: newIds } : { ids: newIds, text }));
  else console.log(text ?? newIds.join(" "));
}
