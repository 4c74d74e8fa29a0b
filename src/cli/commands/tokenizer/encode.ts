// `llama2 tokenizer encode --tokenizer DIR --text STR [--json]` (DESIGN.md §3): prints the ids of a
// text, with <s> first when the tokenizer config adds it.
import { parseFlags } from "../../args.js";
import { Tokenizer } from "../../../tokenizer/tokenizer.js";

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags("tokenizer encode", argv, {
    tokenizer: { type: "string" }, text: { type: "string" }, json: { type: "boolean" },
    "no-bos": { type: "boolean" }, eos: { type: "boolean" },
  });
  const tok = await Tokenizer.load(f.str("tokenizer"));
  const ids = tok.encode(f.str("text"), { bos: f.bool("no-bos") ? false : undefined, eos: f.bool("eos") ? true : undefined });
  if (f.bool("json")) console.log(JSON.stringify({ ids }));
  else {
    console.log(ids.join(" "));
    console.log(ids.map((id) => JSON.stringify(tok.idToPiece(id))).join(" "));
  }
  return 0;
}
