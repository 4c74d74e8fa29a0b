// `llama2 reward score --model DIR (--ids 1,2,3 | --prompt STR --response STR) [--json]`: the raw scalar of a
// LlamaForSequenceClassification head at the last token.
import { parseFlags } from "../../args.js";
import { Llama } from "../../../model/llama.js";
import { scoreLastToken } from "../../../model/score.js";
import { inputIds } from "../../input-ids.js";

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags("reward score", argv, {
    model: { type: "string" }, system: { type: "string" }, ids: { type: "string" }, prompt: { type: "string" }, response: { type: "string" },
    text: { type: "string" }, json: { type: "boolean" },
  });
  const dir = f.str("model");
  const model = await Llama.load(dir);
  const ids = await inputIds("reward score", f, dir);
  const score = scoreLastToken(model, [ids])[0]!;
  const value = model.numLabels === 1 ? score[0]! : score;
  if (f.bool("json")) console.log(JSON.stringify({ score: value }));
  else console.log(String(value));
}
