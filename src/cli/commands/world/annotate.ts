// `llama2 world annotate --model DIR [--model-b DIR] --prompts FILE --out FILE --kind helpful|safety
//  [--temperatures a,b]`: fresh comparisons from the latest models, labelled by the world's oracle (src/world/annotate.ts).
import { defineCommand, parseFlags, UsageError } from "../../args.js";
import { annotate } from "../../../world/annotate.js";

export const command = defineCommand({
  name: "world annotate",
  summary: "sample two answers per prompt and have the world's oracle compare them (the paper's protocol, §3.2.1)",
  usage: "--model DIR [--model-b DIR] --prompts FILE --out FILE --kind helpful|safety [--temperatures a,b] [options]",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "chat model that writes response A (and B without --model-b)" },
    "model-b": { type: "string", value: "DIR", description: "a second model variant for response B" },
    prompts: { type: "string", value: "FILE", required: true, description: "a world's prompts_SPLIT.jsonl (rows need the world's meta)" },
    out: { type: "string", value: "FILE", required: true, description: "preference JSONL to write (the format llama2 reward train reads)" },
    kind: { type: "string", value: "KIND", required: true, choices: ["helpful", "safety"], description: "rank for helpfulness or for safety (separate files, as in the paper)" },
    temperatures: { type: "string", value: "A,B", default: "0.7,1.2", description: "sampling temperatures of response A and response B" },
    "max-new-tokens": { type: "string", value: "N", default: 64, description: "longest response" },
    "max-prompts": { type: "string", value: "N", description: "annotate only the first N prompts" },
    "flip-rate": { type: "string", value: "P", defaultText: "the world's flip_rate (world.json), else 0.1", description: "annotator noise scale: a pair with score gap g is swapped with probability min(0.5, 5·P·e^(−g/0.1))" },
    seed: { type: "string", value: "S", default: 0, description: "sampling and annotation seed" },
    "drop-ties": { type: "boolean", description: "leave out pairs the oracle scores exactly alike (no preference: the chosen side would be a coin flip)" },
    json: { type: "boolean", description: "print {rows, by_rating, flipped, skipped_empty, dropped_ties} as JSON" },
  },
  examples: ["llama2 world annotate --model runs/rs/final --model-b runs/sft/final --prompts world/prompts_train.jsonl --out prefs_round2.jsonl --kind helpful"],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const temps = f.str("temperatures").split(",").map(Number);
  if (temps.length !== 2 || temps.some((t) => !(t > 0))) throw new UsageError(`world annotate: --temperatures expects two temperatures > 0 like 0.7,1.2, got "${f.str("temperatures")}"`);
  const flip = f.strOpt("flip-rate");
  const flipRate = flip === undefined ? null : f.num("flip-rate");
  if (flipRate !== null && !(flipRate >= 0 && flipRate <= 1)) throw new UsageError("world annotate: --flip-rate must be in [0, 1]");
  const r = await annotate({
    model: f.str("model"), modelB: f.strOpt("model-b") ?? null, prompts: f.str("prompts"), out: f.str("out"),
    kind: f.str("kind") as "helpful" | "safety", temperatures: [temps[0]!, temps[1]!], maxNewTokens: f.int("max-new-tokens"),
    seed: f.int("seed"), flipRate, maxPrompts: f.strOpt("max-prompts") === undefined ? null : f.int("max-prompts"), dropTies: f.bool("drop-ties"),
  });
  if (f.bool("json")) console.log(JSON.stringify({ rows: r.rows, by_rating: r.byRating, flipped: r.flipped, skipped_empty: r.skippedEmpty, dropped_ties: r.droppedTies }));
  else console.error(`wrote ${r.rows} comparisons to ${f.str("out")} (${Object.entries(r.byRating).map(([k, v]) => `${k} ${v}`).join(", ")}; ${r.flipped} flipped` +
    `${r.skippedEmpty ? `; ${r.skippedEmpty} with an empty response left out` : ""}${r.droppedTies ? `; ${r.droppedTies} exact ties dropped` : ""})`);
}
