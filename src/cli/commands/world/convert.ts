// `llama2 world convert --format hh|messages|alpaca|prefs --input FILE --out FILE [--strict] [--rating R] [--json]`:
// converts a real dataset to our formats (src/world/readers/convert.ts).
import { UsageError, defineCommand, parseFlags } from "../../args.js";
import { convertFile, FORMATS, formatError, type Format } from "../../../world/readers/convert.js";
import { normaliseRating } from "../../../world/readers/common.js";

export const command = defineCommand({
  name: "world convert",
  summary: "convert a public dataset (Anthropic HH, messages, Alpaca, preference pairs) to this project's JSONL formats",
  usage: "--format hh|messages|alpaca|prefs --input FILE --out FILE [--strict] [--rating R] [--json]",
  options: {
    format: { type: "string", value: "NAME", required: true, choices: FORMATS, description: "input format" },
    input: { type: "string", value: "FILE", required: true, description: "input JSONL file (plain or .gz)" },
    out: { type: "string", value: "FILE", required: true, description: "output JSONL file (written atomically)" },
    strict: { type: "boolean", description: "stop at the first bad line and write nothing (default: skip bad lines and report them)" },
    rating: { type: "string", value: "R", description: "rating given to preference pairs without one (significantly_better|better|slightly_better|negligibly_better)" },
    json: { type: "boolean", description: "print a JSON summary on stdout" },
  },
  examples: ["llama2 world convert --format hh --input hh-rlhf/train.jsonl.gz --out prefs.jsonl --rating better"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const format = f.str("format");
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`world convert: --format must be one of ${FORMATS.join(", ")}, got "${format}"`);
  const ratingFlag = f.strOpt("rating");
  const rating = ratingFlag === undefined ? undefined : normaliseRating(ratingFlag);
  if (ratingFlag !== undefined && !rating) throw new UsageError(`world convert: --rating must be significantly_better, better, slightly_better or negligibly_better, got "${ratingFlag}"`);
  const input = f.str("input"), out = f.str("out");
  const r = await convertFile(format as Format, input, out, { strict: f.bool("strict"), rating });
  r.errors.slice(0, 50).forEach((e) => console.error(formatError(e)));
  if (r.errors.length > 50) console.error(`${input}: … ${r.errors.length - 50} more bad lines`);
  if (f.bool("json")) console.log(JSON.stringify({ converted: r.converted, skipped: r.errors.length, written: r.written, out }));
  else if (r.written) console.log(`converted ${r.converted} records to ${out}${r.errors.length ? `, skipped ${r.errors.length} bad lines` : ""}`);
  else console.error(`world convert: stopped at the first bad line (--strict); ${out} was not written`);
  return r.written ? 0 : 1;
}
