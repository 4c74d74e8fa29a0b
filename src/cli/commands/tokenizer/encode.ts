// `llama2 tokenizer encode --tokenizer DIR --text STR [--json]` (DESIGN.md §3): prints the ids of a
// text, with <s> first when the tokenizer config adds it.
import { defineCommand, parseFlags } from "../../args.js";
import { Tokenizer } from "../../../tokenizer/tokenizer.js";

export const command = defineCommand({
  name: "tokenizer encode",
  summary: "print the token ids (and pieces) of a text",
  usage: "--tokenizer DIR --text STR [--no-bos] [--eos] [--parse-special] [--json]",
  options: {
    tokenizer: { type: "string", value: "DIR", required: true, description: "tokenizer or model directory (tokenizer.json or tokenizer.model)" },
    text: { type: "string", value: "STR", required: true, description: "text to encode" },
    "no-bos": { type: "boolean", description: "do not prepend <s> (default: as the tokenizer config says)" },
    eos: { type: "boolean", description: "append </s>" },
    "parse-special": { type: "boolean", description: "read <s>, </s> written in the text as control tokens (default: plain text, as sentencepiece)" },
    json: { type: "boolean", description: "print {ids} as JSON on stdout" },
  },
  examples: ["llama2 tokenizer encode --tokenizer runs/demo/tokenizer --text \"Hello world\""],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const tok = await Tokenizer.load(f.str("tokenizer"));
  const ids = tok.encode(f.str("text"), { bos: f.bool("no-bos") ? false : undefined, eos: f.bool("eos") ? true : undefined,
    parseSpecial: f.bool("parse-special") });
  if (f.bool("json")) console.log(JSON.stringify({ ids }));
  else {
    console.log(ids.join(" "));
    console.log(ids.map((id) => JSON.stringify(tok.idToPiece(id))).join(" "));
  }
  return 0;
}
