// `llama2 score --model DIR (--ids 1,2,3 | --text STR) [--json]`: per-token log-probabilities and total NLL.
import { parseFlags } from "../args.js";
import { Llama } from "../../model/llama.js";
import { scoreTokens } from "../../model/score.js";
import { inputIds } from "../input-ids.js";

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags("score", argv, {
    model: { type: "string" }, chat: { type: "boolean" }, system: { type: "string" }, ids: { type: "string" }, text: { type: "string" }, prompt: { type: "string" }, json: { type: "boolean" },
  });
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
