// `llama2 bench world [--sizes small,medium,large] [--repeat R] [--json]`: wall time of
// `world generate` per size (median and spread of R runs into a temp dir, removed afterwards).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { UsageError, defineCommand, parseFlags } from "../../args.js";
import { summarize } from "../../../bench/timing.js";
import { generateWorld, SIZES, type Size } from "../../../world/generate.js";

export const command = defineCommand({
  name: "bench world",
  summary: "wall time of `world generate` per size (into a temporary directory)",
  options: {
    sizes: { type: "string", value: "LIST", default: "small,medium,large", description: "comma-separated world sizes" },
    repeat: { type: "string", value: "R", default: 3, description: "runs per size (median and spread)" },
    json: { type: "boolean", description: "print the results as JSON on stdout" },
  },
  examples: ["llama2 bench world --sizes small --repeat 5"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const sizes = f.str("sizes").split(",").map((s) => s.trim());
  for (const s of sizes) if (!(s in SIZES)) throw new UsageError(`bench world: unknown size "${s}"`);
  const repeat = f.int("repeat");
  const results: Record<string, { seconds: ReturnType<typeof summarize>; mb: number }> = {};
  for (const size of sizes) {
    const samples: number[] = [];
    let mb = 0;
    for (let i = 0; i < repeat; i++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-world-"));
      try {
        const t0 = performance.now();
        const rep = generateWorld({ out: dir, seed: "bench", size: size as Size, flipRate: 0.1 });
        samples.push((performance.now() - t0) / 1000);
        mb = rep.files.reduce((s, x) => s + x.bytes, 0) / 1e6;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    results[size] = { seconds: summarize(samples), mb };
    if (!f.bool("json")) {
      const t = results[size]!.seconds;
      console.log(`world generate --size ${size.padEnd(6)}  ${mb.toFixed(1).padStart(6)} MB  median ${t.median.toFixed(2)} s  (min ${t.min.toFixed(2)}, max ${t.max.toFixed(2)}, ${repeat} runs)`);
    }
  }
  if (f.bool("json")) console.log(JSON.stringify(results));
  return 0;
}
