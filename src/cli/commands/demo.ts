// `llama2 demo [--out DIR] [--seed S] [--size tiny|small] [--world-size small|medium|large] [--steps N] [--budget K=V,...] [--overwrite]`:
// the Llama 2 recipe end to end on the generated world (src/recipes/demo.ts runDemo: world → tokenizer → shards →
// pretraining → SFT → both RMs → rejection sampling → fresh oracle-labelled comparisons and retrained RMs → PPO →
// GAtt → every stage judged on the held-out split), with one progress display, Ctrl-C as a clean stop, the
// held-out table on stdout and OUT/report.json + OUT/report.html. Re-running with the same --out resumes.
import fs from "node:fs";
import { defineCommand, parseFlags, UsageError } from "../args.js";
import { DEMO_BUDGETS, demoBudget, runDemo, type DemoSize } from "../../recipes/demo.js";
import type { Size as WorldSize } from "../../world/generate.js";
import type { EvalReport } from "../../recipes/eval.js";
import { trainProgress } from "../progress.js";

export const command = defineCommand({
  name: "demo",
  summary: "the whole Llama 2 recipe on the generated world: pretraining, SFT, reward models, rejection sampling, PPO, GAtt, report",
  options: {
    out: { type: "string", value: "DIR", default: "runs/demo", description: "directory for every stage's output (re-running resumes)" },
    seed: { type: "string", value: "S", default: "1", description: "seed of the world, the models and the samples" },
    size: { type: "string", value: "SIZE", default: "tiny", choices: ["tiny", "small", "smoke"], description: "the pipeline's budget (tiny: minutes on two cores; smoke: every stage for a few steps, for tests)" },
    "world-size": { type: "string", value: "SIZE", default: "small", choices: ["small", "medium", "large"], description: "size of the generated world" },
    steps: { type: "string", value: "N", defaultText: "configs/pretrain-tiny.yaml max_steps", description: "pretraining steps" },
    budget: { type: "string", value: "K=V,...", description: `replace keys of the size's budget (${Object.keys(DEMO_BUDGETS.tiny).join(", ")}), e.g. rmSteps=40,sftEpochs=2` },
    "vocab-size": { type: "string", value: "N", default: 1024, description: "tokenizer vocabulary" },
    overwrite: { type: "boolean", description: "delete OUT first and start again" },
    quiet: { type: "boolean", description: "no live progress lines" },
  },
  examples: ["llama2 demo --out runs/demo", "llama2 demo --out runs/demo --overwrite --steps 200"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const size = f.str("size") as DemoSize;
  if (!(size in DEMO_BUDGETS)) throw new UsageError(`demo: --size must be one of ${Object.keys(DEMO_BUDGETS).join(", ")}`);
  // The training stages stop on Ctrl-C themselves (handleSignals); PPO checks this flag after each iteration.
  let stop = false;
  const onSigint = (): void => { stop = true; };
  const r = await runDemo({
    out: f.str("out"), seed: f.int("seed"), size, worldSize: f.str("world-size") as WorldSize,
    steps: f.strOpt("steps") === undefined ? undefined : f.int("steps"), budget: parseBudget(f.strOpt("budget")), vocabSize: f.int("vocab-size"), overwrite: f.bool("overwrite"),
    progress: f.bool("quiet") ? false : trainProgress(), log: (s) => console.error(s), handleSignals: true,
    shouldStop: () => stop,
    onStage: (name, phase) => {
      if (name !== "ppo") return;
      if (phase === "start") process.once("SIGINT", onSigint); else process.removeListener("SIGINT", onSigint);
    },
  });
  if (r.stopped) { console.error(`demo: stopped; run the same command again to resume`); return 130; }
  printSummary(r.out + "/report.json", r.seconds);
  console.log(`report: ${r.reportHtml}`);
  return 0;
}

/** `--budget rmSteps=40,sftEpochs=2` as key → value (the values are checked by demoBudget). */
function parseBudget(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (s ?? "").split(",").filter((x) => x.trim() !== "")) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`demo: --budget ${kv}: expected KEY=VALUE (keys: ${Object.keys(DEMO_BUDGETS.tiny).join(", ")})`);
    out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  try { demoBudget("tiny", out); } catch (e) { throw new UsageError((e as Error).message); }
  return out;
}

function printSummary(file: string, seconds: number): void {
  const r = JSON.parse(fs.readFileSync(file, "utf8")) as { stages: Record<string, EvalReport>; reward_models: Record<string, { accuracy: number; by_rating: Record<string, { accuracy: number }> }> };
  const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "  n/a" : `${(100 * x).toFixed(1)}%`.padStart(6));
  const num = (x: number | null | undefined): string => (x === null || x === undefined ? "   n/a" : x.toFixed(3).padStart(7));
  console.log(`\nLlama 2 recipe on the world — held-out split (${seconds.toFixed(0)} s); full numbers in ${file}`);
  console.log("stage               helpfulness  violations  false refusals  RM helpful  RM safety");
  for (const [name, s] of Object.entries(r.stages))
    console.log(`${name.padEnd(20)}${num(s.helpfulness)}      ${pct(s.safety_violation_rate)}      ${pct(s.false_refusal_rate)}       ${num(s.reward_helpful)}    ${num(s.reward_safety)}`);
  for (const [name, m] of Object.entries(r.reward_models))
    console.log(`RM ${name}: accuracy ${pct(m.accuracy)}; by rating ${Object.entries(m.by_rating).map(([k, v]) => `${k} ${pct(v.accuracy)}`).join(", ")}`);
}
