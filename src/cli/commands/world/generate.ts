// `llama2 world generate --out DIR [--seed S] [--size small|medium|large] [--flip-rate P]`:
// writes the data world (src/world/generate.ts) and prints what it wrote.
import { parseFlags, UsageError } from "../../args.js";
import { generateWorld, SIZES, type Size } from "../../../world/generate.js";

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags("world generate", argv, {
    out: { type: "string" }, seed: { type: "string" }, size: { type: "string" }, "flip-rate": { type: "string" }, json: { type: "boolean" },
  });
  const size = f.str("size", "small");
  if (!(size in SIZES)) throw new UsageError(`world generate: --size must be one of ${Object.keys(SIZES).join(", ")}, got "${size}"`);
  const flipRate = f.num("flip-rate", 0.1);
  if (flipRate < 0 || flipRate > 0.5) throw new UsageError(`world generate: --flip-rate must be in [0, 0.5], got ${flipRate}`);
  const out = f.str("out");
  const t0 = performance.now();
  const report = generateWorld({ out, seed: f.str("seed", "0"), size: size as Size, flipRate });
  const seconds = (performance.now() - t0) / 1000;
  if (f.bool("json")) console.log(JSON.stringify({ out, seconds, ...report }));
  else {
    for (const file of report.files)
      console.log(`${file.name.padEnd(26)} ${file.records !== undefined ? `${file.records} records`.padEnd(16) : "".padEnd(16)} ${(file.bytes / 1e6).toFixed(2)} MB`);
    console.log(`wrote ${report.files.length} files to ${out} in ${seconds.toFixed(1)} s`);
  }
  return 0;
}
