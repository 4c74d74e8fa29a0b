// `llama2 report RUN_DIR [--out FILE] [--figures DIR]`: rebuilds a demo run's report page (RUN_DIR/report.html) from what the
// run wrote — report.json, every stage's metrics.jsonl, rejection sampling's curves and samples, the answers
// (src/report/html.ts). The page is self-contained: it opens from disk with no server and no network.
import path from "node:path";
import { UsageError, defineCommand, parseFlags } from "../args.js";
import { writeReport } from "../../report/html.js";

export const command = defineCommand({
  name: "report",
  summary: "rebuild a llama2 demo run's report.html (charts, tables, sample answers) from its run directory",
  usage: "RUN_DIR [--out FILE.html] [--figures DIR]",
  positionals: "RUN_DIR",
  options: {
    out: { type: "string", value: "FILE", defaultText: "RUN_DIR/report.html", description: "where to write the page" },
    figures: { type: "string", value: "DIR", description: "also write each chart as DIR/ID.svg (rates, rm-accuracy, rs-reward-k, loss-0, ...)" },
  },
  examples: ["llama2 report runs/demo", "llama2 report runs/demo --out /tmp/demo-report.html", "llama2 report runs/demo --figures docs/demo"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const [runDir] = f.positionals;
  if (!runDir || f.positionals.length > 1) throw new UsageError("report: expected one RUN_DIR (a llama2 demo --out directory), e.g. llama2 report runs/demo");
  const figuresDir = f.strOpt("figures");
  const file = await writeReport(runDir, f.strOpt("out"), { figuresDir });
  console.error(`wrote ${path.resolve(file)}${figuresDir === undefined ? "" : ` and the charts as SVG files in ${path.resolve(figuresDir)}`}`);
  return 0;
}
