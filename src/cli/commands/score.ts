// `llama2 score --model DIR (--ids 1,2,3 | --text STR) [--json]`: per-token log-probabilities and total NLL.
import { defineCommand, parseFlags } from "../args.js";
import { Llama } from "../../model/llama.js";
import { scoreTokens } from "../../model/score.js";
import { INPUT_OPTIONS, inputIds } from "../input-ids.js";

export const command = defineCommand({
  name: "score",
  summary: "per-token log-probabilities and total negative log-likelihood of a text under a model",
  usage: "--model DIR (--ids 1,2,3 | --text STR [--chat]) [--json]",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "model directory (HF layout)" },
    ...INPUT_OPTIONS,
    json: { type: "boolean", description: "print one JSON object {token_logprobs, nll} on stdout" },
  },
  examples: ["llama2 score --model runs/demo/pretrain/final --text \"The river flows to the sea.\"", "llama2 score --model DIR --ids 1,450,4159 --json"],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model");
  const model = await Llama.load(dir);
  const ids = await inputIds("score", f, dir);
  const { tokenLogprobs, nll } = scoreTokens(model, ids);
  if (f.bool("json")) console.log(JSON.stringify({ token_logprobs: tokenLogprobs, nll }));
  else {
    tokenLogprobs.forEach((lp, i) => console.log(`${ids[i + 1]}\t${lp.toFixed(6)}`));
    console.log(`nll ${nll.toFixed(6)} over ${tokenLogprobs.length} tokens (ppl ${Math.exp(nll / Math.max(1, tokenLogprobs.length)).toFixed(3)})`);
  }
}
