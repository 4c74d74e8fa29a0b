// `llama2 plot RUN_DIR [--out FILE.svg|png] [--font FILE.ttf]`: loss and learning-rate curves of a
// training run from its metrics.jsonl (src/train/plot.ts). Default output: RUN_DIR/curves.svg.
import fs from "node:fs";
import path from "node:path";
import { UsageError, parseFlags } from "../args.js";
import { plotRun } from "../../train/plot.js";
import { METRICS_FILE } from "../../train/metrics-log.js";

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags("plot", argv, { out: { type: "string" }, font: { type: "string" }, title: { type: "string" } }, true);
  const [runDir] = f.positionals;
  if (!runDir || f.positionals.length > 1) throw new UsageError("plot: expected one RUN_DIR, e.g. llama2 plot runs/tiny --out curves.svg");
  const metrics = fs.existsSync(runDir) && fs.statSync(runDir).isFile() ? runDir : path.join(runDir, METRICS_FILE);
  if (!fs.existsSync(metrics)) throw new Error(`${runDir}: no ${METRICS_FILE}`);
  const out = f.str("out", path.join(path.dirname(metrics), "curves.svg"));
  await plotRun(metrics, out, f.str("title", path.basename(path.resolve(path.dirname(metrics)))), f.strOpt("font"));
  console.error(`wrote ${out}`);
  return 0;
}
