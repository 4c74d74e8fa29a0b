// `llama2 reward score --model DIR (--ids 1,2,3 | --prompt STR --response STR) [--json]`: the raw scalar of a
// LlamaForSequenceClassification head at the last token and its sigmoid, {"score": x, "probability": σ(x)} —
// the scale of the paper's safety gate (0.15) and LOGIT. --prompt/--response are scored as the chat rendering
// of the prompt followed by the response as the assistant reply, ending with the reply's </s>.
import { defineCommand, parseFlags } from "../../args.js";
import { requireHead } from "../../../model/model-kind.js";
import { Llama } from "../../../model/llama.js";
import { scoreLastToken } from "../../../model/score.js";
import { inputIds } from "../../input-ids.js";
import { sigmoid } from "../../../train/losses/pairwise-margin.js";

export const command = defineCommand({
  name: "reward score",
  summary: "the reward model's scalar score of a prompt and response (LlamaForSequenceClassification, last token)",
  usage: "--model DIR (--ids 1,2,3 | --prompt STR --response STR [--system STR]) [--json] [options]",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "reward model directory (HF LlamaForSequenceClassification, score.weight)" },
    ids: { type: "string", value: "1,2,3", description: "token ids to score, comma-separated (no tokenizer needed)" },
    prompt: { type: "string", value: "STR", description: "user prompt; with --response it is scored as a Llama 2 chat exchange" },
    response: { type: "string", value: "STR", description: "assistant response to --prompt" },
    system: { type: "string", value: "STR", description: "system prompt of the chat exchange" },
    text: { type: "string", value: "STR", description: "raw text to score (no chat template)" },
    "text-file": { type: "string", value: "FILE", description: "read the raw text to score from FILE (- = stdin)" },
    "parse-special": { type: "boolean", description: "treat <s>, </s> written in the text as control tokens (default: plain text)" },
    "allow-nonfinite": { type: "boolean", description: "load weights holding NaN/Inf instead of refusing them (forensics)" },
    json: { type: "boolean", description: "print one JSON object {score, probability} on stdout (also the default output)" },
  },
  examples: ["llama2 reward score --model runs/rm-helpful/final --prompt \"Where is Tika?\" --response \"Tika is a town on the river.\""],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model");
  const model = await Llama.load(dir, { allowNonFinite: f.bool("allow-nonfinite") });
  requireHead(model, "reward score", dir);
  const ids = await inputIds("reward score", f, dir, model.config.vocabSize);
  const score = scoreLastToken(model, [ids])[0]!;
  const value = model.numLabels === 1 ? score[0]! : score;
  const probability = typeof value === "number" ? sigmoid(value) : value.map(sigmoid);
  console.log(JSON.stringify({ score: value, probability }));
}
