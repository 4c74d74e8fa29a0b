// The generated world's judge for in-memory records: `judge(records)` is `llama2 world judge` without
// the file — the oracle's helpfulness, safety-violation and false-refusal rates (src/world/judge.ts).
import { Judge, type JudgeReport, type MetaIndex } from "../world/judge.js";

/** Options of {@link judge}. */
export interface JudgeOptions {
  /** A world directory's prompt index (`await MetaIndex.load(dir)`) for records without `meta`. */
  index?: MetaIndex;
}

/**
 * Judges records `{prompt | messages, response, meta?}` with the world's oracle. A malformed record
 * throws JudgeInputError naming its position and field.
 */
export function judge(records: Iterable<unknown>, opts: JudgeOptions = {}): JudgeReport {
  const j = new Judge();
  let i = 0;
  for (const r of records) {
    try { j.add(r, opts.index); } catch (e) {
      if (e instanceof Error) e.message = `records[${i}]: ${e.message}`;
      throw e;
    }
    i++;
  }
  return j.report();
}
