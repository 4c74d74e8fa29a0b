// `llama2 score --model DIR (--ids 1,2,3 | --text STR) [--json]`: per-token log-probabilities and total NLL;
// `llama2 score --model DIR --data FILE.jsonl [--json]`: the SFT objective on chat rows, {"loss", "tokens", "examples"}.
import { defineCommand, parseFlags } from "../args.js";
import { requireHead } from "../../model/model-kind.js";
import { Llama } from "../../model/llama.js";
import { scoreTokens } from "../../model/score.js";
import { INPUT_OPTIONS, inputIds } from "../input-ids.js";
import { loadTokenizer } from "../../tokenizer/resolve.js";
import { scoreDataset } from "../../recipes/sft-score.js";

export const command = defineCommand({
  name: "score",
  summary: "per-token log-probabilities and total negative log-likelihood of a text under a model, or the SFT loss of chat rows",
  usage: "--model DIR (--ids 1,2,3 | --text STR [--chat] | --data FILE.jsonl) [--json] [options]",
  description: "--data: the SFT objective without training — the sum of -log p over every trained token (assistant replies and\n" +
    "their </s>) of every row, divided by their count; prints {loss, tokens, examples}.",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "model directory (HF layout)" },
    ...INPUT_OPTIONS,
    "allow-nonfinite": { type: "boolean", description: "load weights holding NaN/Inf instead of refusing them (forensics)" },
    data: { type: "string", value: "FILE", multiple: true, description: "chat rows (JSONL {messages} or {prompt, response}) to score answer-only" },
    json: { type: "boolean", description: "print one JSON object ({token_logprobs, nll}, or {loss, tokens, examples} with --data) on stdout" },
  },
  examples: [
    "llama2 score --model runs/demo/pretrain/final --text \"The river flows to the sea.\"",
    "llama2 score --model DIR --ids 1,450,4159 --json",
    "llama2 score --model runs/sft/final --data world/sft_test.jsonl --json",
  ],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model");
  const model = await Llama.load(dir, { allowNonFinite: f.bool("allow-nonfinite") });
  requireHead(model, "score", dir);
  const data = f.list("data");
  if (data.length > 0) {
    const r = await scoreDataset(model, await loadTokenizer(dir), data);
    if (f.bool("json")) console.log(JSON.stringify(r));
    else console.log(`loss ${r.loss.toFixed(6)} over ${r.tokens} trained tokens of ${r.examples} examples (ppl ${Math.exp(r.loss).toFixed(3)})`);
    return;
  }
  const ids = await inputIds("score", f, dir, model.config.vocabSize);
  const { tokenLogprobs, nll } = scoreTokens(model, ids);
  if (f.bool("json")) console.log(JSON.stringify({ token_logprobs: tokenLogprobs, nll }));
  else {
    tokenLogprobs.forEach((lp, i) => console.log(`${ids[i + 1]}\t${lp.toFixed(6)}`));
    console.log(`nll ${nll.toFixed(6)} over ${tokenLogprobs.length} tokens (ppl ${Math.exp(nll / Math.max(1, tokenLogprobs.length)).toFixed(3)})`);
  }
}
