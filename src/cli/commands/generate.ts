// `llama2 generate --model DIR (--ids 1,2,3 | --prompt STR) [--max-new-tokens N --temperature T
//  --top-p P --top-k K --seed S --greedy] [--json]`.
import { parseFlags } from "../args.js";
import { Llama } from "../../model/llama.js";
import { generate } from "../../model/generate.js";
import { inputIds } from "../input-ids.js";
import { hasTokenizer, loadTokenizer } from "../../tokenizer/resolve.js";

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags("generate", argv, {
    model: { type: "string" }, chat: { type: "boolean" }, system: { type: "string" }, ids: { type: "string" }, prompt: { type: "string" }, text: { type: "string" },
    "max-new-tokens": { type: "string" }, temperature: { type: "string" }, "top-p": { type: "string" },
    "top-k": { type: "string" }, seed: { type: "string" }, greedy: { type: "boolean" }, json: { type: "boolean" },
  });
  const dir = f.str("model");
  const model = await Llama.load(dir);
  const ids = await inputIds("generate", f, dir);
  const out = generate(model, [ids], {
    maxNewTokens: f.int("max-new-tokens", 64), greedy: f.bool("greedy"), temperature: f.num("temperature", 1),
    topP: f.num("top-p", 1), topK: f.int("top-k", 0), seed: f.int("seed", 0),
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
