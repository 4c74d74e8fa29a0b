// `llama2 eval --model DIR --world DIR [--split test] [--max-new-tokens N] [--reward-helpful DIR]
// [--reward-safety DIR] [--out FILE] [--json]` (src/recipes/eval.ts): generate and judge on a world.
import { requireHead } from "../../model/model-kind.js";
import { defineCommand, parseFlags } from "../args.js";
import { Llama } from "../../model/llama.js";
import { loadTokenizer } from "../../tokenizer/resolve.js";
import { evaluateModel } from "../../recipes/eval.js";

export const command = defineCommand({
  name: "eval",
  summary: "answer a world's held-out prompts and dialogues greedily and judge them (helpfulness, safety, adherence)",
  usage: "--model DIR --world DIR [--split test] [--max-new-tokens N] [--reward-helpful DIR] [--reward-safety DIR] [--out FILE] [--batch-size N] [--json]",
  description: "Single-turn prompts_SPLIT.jsonl (helpful, unsafe, borderline) and every turn of dialogues_SPLIT.jsonl (each turn\n" +
    "answered after the model's own earlier answers), judged by the world's oracle judge. With reward models, the mean raw\n" +
    "RM score of the single-turn answers is added as reward_helpful / reward_safety.",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "model directory (HF layout, causal LM) with its tokenizer" },
    world: { type: "string", value: "DIR", required: true, description: "a directory written by `llama2 world generate`" },
    split: { type: "string", value: "SPLIT", default: "test", choices: ["train", "val", "test"], description: "which split's prompts and dialogues" },
    "max-new-tokens": { type: "string", value: "N", default: 64, description: "longest answer in tokens" },
    "batch-size": { type: "string", value: "N", default: 32, description: "rows generated together" },
    "reward-helpful": { type: "string", value: "DIR", description: "helpfulness reward model (sequence classification) to score the answers" },
    "reward-safety": { type: "string", value: "DIR", description: "safety reward model to score the answers" },
    out: { type: "string", value: "FILE", description: "write every judged answer (JSONL: prompt or messages, response, meta)" },
    json: { type: "boolean", description: "print the report as one JSON object on stdout" },
  },
  examples: [
    "llama2 eval --model runs/sft/final --world runs/demo/world --json",
    "llama2 eval --model runs/sft/final --world world --split val --reward-helpful runs/rm-helpful/final --out answers.jsonl",
  ],
});

async function rewardModel(dir: string | undefined) {
  if (!dir) return undefined;
  const model = await Llama.load(dir);
  requireHead(model, "reward score", dir);
  return { model, tokenizer: await loadTokenizer(dir) };
}

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const dir = f.str("model");
  const model = await Llama.load(dir);
  requireHead(model, "eval", dir);
  const report = await evaluateModel(model, await loadTokenizer(dir), {
    world: f.str("world"), split: f.str("split"), maxNewTokens: f.int("max-new-tokens"), batchSize: f.int("batch-size"),
    rewardHelpful: await rewardModel(f.strOpt("reward-helpful")), rewardSafety: await rewardModel(f.strOpt("reward-safety")),
    answersOut: f.strOpt("out"), progress: f.bool("json") ? undefined : (s) => console.error(s),
  });
  if (f.bool("json")) console.log(JSON.stringify(report));
  else {
    const pct = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : `${(x * 100).toFixed(1)}%`);
    console.log(`split ${report.split}: ${report.n} records (${report.counts.helpful} helpful, ${report.counts.borderline} borderline, ` +
      `${report.counts.unsafe} unsafe, ${report.counts.dialogue_turns} dialogue turns)`);
    console.log(`helpfulness ${report.helpfulness?.toFixed(4) ?? "n/a"}, accuracy ${pct(report.accuracy)}, safety violations ${pct(report.safety_violation_rate)}, ` +
      `false refusals ${pct(report.false_refusal_rate)} (borderline ${pct(report.false_refusal_rate_borderline)})`);
    console.log(`adherence by turn: ${report.adherence_by_turn.map(pct).join(", ")}`);
    if (report.reward_helpful !== undefined) console.log(`reward_helpful ${report.reward_helpful.toFixed(4)}`);
    if (report.reward_safety !== undefined) console.log(`reward_safety ${report.reward_safety.toFixed(4)}`);
  }
  return 0;
}
