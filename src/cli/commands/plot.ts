// `llama2 plot RUN_DIR [--out FILE.svg|png] [--font FILE.ttf]`: loss and learning-rate curves of a
// training run from its metrics.jsonl (src/train/plot.ts). Default output: RUN_DIR/curves.svg.
import fs from "node:fs";
import path from "node:path";
import { UsageError, defineCommand, parseFlags } from "../args.js";
import { plotRun } from "../../train/plot.js";
import { METRICS_FILE } from "../../train/metrics-log.js";

export const command = defineCommand({
  name: "plot",
  summary: "loss and learning-rate curves of a training run (SVG or PNG) from its metrics.jsonl",
  usage: "RUN_DIR [--out FILE.svg|FILE.png] [--title STR] [--font FILE.ttf]",
  positionals: "RUN_DIR",
  options: {
    out: { type: "string", value: "FILE", defaultText: "RUN_DIR/curves.svg", description: "output image; .png renders with the bundled rasterizer" },
    title: { type: "string", value: "STR", defaultText: "the run directory's name", description: "plot title" },
    font: { type: "string", value: "FILE", description: "TrueType font for PNG text" },
  },
  examples: ["llama2 plot runs/demo/pretrain --out curves.png"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const [runDir] = f.positionals;
  if (!runDir || f.positionals.length > 1) throw new UsageError("plot: expected one RUN_DIR, e.g. llama2 plot runs/tiny --out curves.svg");
  const metrics = fs.existsSync(runDir) && fs.statSync(runDir).isFile() ? runDir : path.join(runDir, METRICS_FILE);
  if (!fs.existsSync(metrics)) throw new Error(`${runDir}: no ${METRICS_FILE}`);
  const out = f.str("out", path.join(path.dirname(metrics), "curves.svg"));
  await plotRun(metrics, out, f.str("title", path.basename(path.resolve(path.dirname(metrics)))), f.strOpt("font"));
  console.error(`wrote ${out}`);
  return 0;
}
