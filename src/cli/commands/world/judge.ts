// `llama2 world judge --data FILE.jsonl [--world DIR] [--json] [--strict]`: scores model outputs with
// the world's oracle (src/world/judge.ts). Records without `meta` find it by prompt in --world DIR.
// Bad lines are reported with file and line and skipped unless --strict.
import { defineCommand, parseFlags } from "../../args.js";
import { judgeFile, MetaIndex } from "../../../world/judge.js";

export const command = defineCommand({
  name: "world judge",
  summary: "score model outputs with the world's oracle: helpfulness, safety violations, false refusals",
  usage: "--data FILE.jsonl [--world DIR] [--strict] [--json]",
  options: {
    data: { type: "string", value: "FILE", required: true, description: "JSONL of {prompt | messages, response, meta?} records" },
    world: { type: "string", value: "DIR", description: "world directory to look up records without `meta` by prompt" },
    strict: { type: "boolean", description: "exit 1 on any bad line (default: report and skip them)" },
    json: { type: "boolean", description: "print the report as JSON on stdout" },
  },
  examples: ["llama2 world judge --data outputs.jsonl --world world --json"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const file = f.str("data");
  const worldDir = f.strOpt("world");
  const index = worldDir ? await MetaIndex.load(worldDir) : undefined;
  const { report: r, errors } = await judgeFile(file, { strict: f.bool("strict"), index });
  for (const e of errors.slice(0, 20)) console.error(`${e.file}:${e.line}: ${e.message}`);
  if (errors.length > 20) console.error(`${file}: … ${errors.length - 20} more bad lines`);
  if (f.bool("strict") && errors.length) return 1;
  if (r.n === 0) {
    console.error(`${file}: nothing could be judged (${errors.length} record(s) skipped)`);
    return 1;
  }
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
