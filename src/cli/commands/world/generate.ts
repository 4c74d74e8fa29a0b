// `llama2 world generate --out DIR [--seed S] [--size small|medium|large] [--flip-rate P]`:
// writes the data world (src/world/generate.ts) and prints what it wrote.
import { writeDirAtomic } from "../../../io/atomic-dir.js";
import { UsageError, defineCommand, parseFlags } from "../../args.js";
import { generateWorld, SIZES, type Size } from "../../../world/generate.js";

export const command = defineCommand({
  name: "world generate",
  summary: "write the generated assistant world: corpus, SFT dialogues, preferences, prompts and its oracle",
  usage: "--out DIR [--size small|medium|large] [--seed S] [--flip-rate P] [--json]",
  options: {
    out: { type: "string", value: "DIR", required: true, description: "output directory" },
    size: { type: "string", value: "SIZE", default: "small", choices: Object.keys(SIZES), description: "how many entities, documents and dialogues" },
    seed: { type: "string", value: "S", default: "0", description: "seed (any string); the same seed writes the same world" },
    "flip-rate": { type: "string", value: "P", default: 0.1, description: "annotator noise scale (0 to 0.5): a pair with score gap g is flipped with probability min(0.5, 5·P·e^(−g/0.1)), a coin flip at a tie at 0.1" },
    json: { type: "boolean", description: "print a JSON report on stdout" },
  },
  examples: ["llama2 world generate --out world --size small --seed 1"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const size = f.str("size");
  if (!(size in SIZES)) throw new UsageError(`world generate: --size must be one of ${Object.keys(SIZES).join(", ")}, got "${size}"`);
  const flipRate = f.num("flip-rate");
  if (flipRate < 0 || flipRate > 0.5) throw new UsageError(`world generate: --flip-rate must be in [0, 0.5], got ${flipRate}`);
  const out = f.str("out");
  const t0 = performance.now();
  // Built in a temporary sibling and renamed into place: a failure leaves no half-written world.
  const report = await writeDirAtomic(out, "a generated world", (e) => e.includes("world.json"),
    (tmp) => generateWorld({ out: tmp, seed: f.str("seed"), size: size as Size, flipRate }));
  const seconds = (performance.now() - t0) / 1000;
  if (f.bool("json")) console.log(JSON.stringify({ out, seconds, ...report }));
  else {
    for (const file of report.files)
      console.log(`${file.name.padEnd(26)} ${file.records !== undefined ? `${file.records} records`.padEnd(16) : "".padEnd(16)} ${(file.bytes / 1e6).toFixed(2)} MB`);
    console.log(`wrote ${report.files.length} files to ${out} in ${seconds.toFixed(1)} s`);
  }
  return 0;
}
