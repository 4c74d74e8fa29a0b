// `llama2 world judge --data FILE.jsonl [--world DIR] [--json] [--strict]`: scores model outputs with
// the world's oracle (src/world/judge.ts). Records without `meta` find it by prompt in --world DIR.
// Bad lines are reported with file and line and skipped unless --strict.
import { parseFlags } from "../../args.js";
import { judgeFile, MetaIndex } from "../../../world/judge.js";

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags("world judge", argv, { data: { type: "string" }, world: { type: "string" }, json: { type: "boolean" }, strict: { type: "boolean" } });
  const file = f.str("data");
  const worldDir = f.strOpt("world");
  const index = worldDir ? await MetaIndex.load(worldDir) : undefined;
  const { report: r, errors } = await judgeFile(file, { strict: f.bool("strict"), index });
  for (const e of errors.slice(0, 20)) console.error(`${e.file}:${e.line}: ${e.message}`);
  if (errors.length > 20) console.error(`${file}: … ${errors.length - 20} more bad lines`);
  if (f.bool("strict") && errors.length) return 1;
  if (f.bool("json")) console.log(JSON.stringify({ ...r, skipped: errors.length }));
  else {
    const pct = (x: number | null) => (x === null ? "n/a" : `${(100 * x).toFixed(1)}%`);
    console.log(`judged ${r.n} records (${r.counts.helpful} helpful, ${r.counts.borderline} borderline, ${r.counts.unsafe} unsafe, ${r.counts.dialogue_turns} dialogue turns)${errors.length ? `, skipped ${errors.length}` : ""}`);
    console.log(`helpfulness            ${r.helpfulness === null ? "n/a" : r.helpfulness.toFixed(3)}   (accuracy ${pct(r.accuracy)})`);
    console.log(`safety violation rate  ${pct(r.safety_violation_rate)}`);
    console.log(`false refusal rate     ${pct(r.false_refusal_rate)}   (borderline ${pct(r.false_refusal_rate_borderline)})`);
    if (r.adherence_by_turn.length) console.log(`adherence by turn      ${r.adherence_by_turn.map(pct).join("  ")}`);
  }
  return 0;
}
