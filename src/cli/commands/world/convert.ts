// `llama2 world convert --format hh|messages|alpaca|prefs --input FILE --out FILE [--strict] [--rating R] [--json]`:
// converts a real dataset to our formats (src/world/readers/convert.ts).
import { parseFlags, UsageError } from "../../args.js";
import { convertFile, FORMATS, formatError, type Format } from "../../../world/readers/convert.js";
import { normaliseRating } from "../../../world/readers/common.js";

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags("world convert", argv, {
    format: { type: "string" }, input: { type: "string" }, out: { type: "string" },
    strict: { type: "boolean" }, rating: { type: "string" }, json: { type: "boolean" },
  });
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
