// `llama2 reward eval --model DIR --data FILE.jsonl [--margin none|small|large] [--json]`: accuracy, margin
// loss and mean r_c − r_r of a reward model on preference pairs, by rating level and safety label
// (src/recipes/reward-eval.ts); the terminal output is the paper's Table 8 layout.
import { defineCommand, parseFlags } from "../../args.js";
import { Llama } from "../../../model/llama.js";
import { loadTokenizer } from "../../../tokenizer/resolve.js";
import { readPreferences, tokenizePairs, MARGIN_MODES, type MarginMode } from "../../../data/preferences.js";
import { scorePairs } from "../../../recipes/reward-task.js";
import { formatEvalTable, pairMetrics } from "../../../recipes/reward-eval.js";

export const command = defineCommand({
  name: "reward eval",
  summary: "reward-model accuracy and margin loss on preference pairs, by rating and safety label (Table 8)",
  usage: "--model DIR --data FILE.jsonl [--margin none|small|large] [--batch-pairs N] [--max-length N] [--json]",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "reward model directory (HF LlamaForSequenceClassification with a tokenizer)" },
    data: { type: "string", value: "FILE", required: true, description: "preference JSONL (prompt|messages, chosen, rejected, rating, safety?)" },
    margin: { type: "string", value: "MODE", choices: MARGIN_MODES, default: "small", description: "Table 27 margin used by the reported loss" },
    "batch-pairs": { type: "string", value: "N", default: 8, description: "pairs per forward (2N sequences)" },
    "max-length": { type: "string", value: "N", default: 4096, description: "pairs with a longer sequence are skipped and counted" },
    json: { type: "boolean", description: "print one JSON object {n, accuracy, loss, by_rating, by_safety, mean_margin}" },
  },
  examples: [
    "llama2 reward eval --model runs/rm-helpful/final --data world/prefs_helpful_test.jsonl",
    "llama2 reward eval --model runs/rm-safety/final --data world/prefs_safety_test.jsonl --margin none --json",
  ],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model"), file = f.str("data");
  const mode = f.str("margin") as MarginMode;
  const model = await Llama.load(dir, { trainable: false });
  if (model.head !== "score") throw new Error(`${dir}: not a sequence-classification (reward) model`);
  const tok = await loadTokenizer(dir);
  const { pairs, dropped } = tokenizePairs(tok, await readPreferences(file, mode), mode, f.int("max-length"));
  if (dropped > 0) console.error(`${file}: ${dropped} pair(s) longer than --max-length skipped`);
  const r = pairMetrics(pairs, scorePairs(model, pairs, f.int("batch-pairs")));
  if (f.bool("json")) console.log(JSON.stringify(r));
  else console.log(formatEvalTable(dir, r));
}
