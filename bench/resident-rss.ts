// Resident memory of frozen models (issue 8 Build 1 / Measure): (a) peak RSS while loading one HF
// directory against its weight bytes (loading adopts the read buffers: goal <= 1.3x); (b) a PPO-sized
// set resident at once — policy, reference, value, two reward models — at a preset's shape, after a
// forward of each, against the sum of their weight bytes. Each measurement runs in a fresh process
// (maxRSS is per process). Random weights, saved once to a temp dir.
//   node dist/bench/resident-rss.js [--preset stories42M] [--json]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Llama } from "../src/model/llama.js";
import { preset } from "../src/model/presets.js";
import { generate } from "../src/model/generate.js";

const MB = 1024 * 1024;
const rssMb = (): number => process.memoryUsage().rss / MB;
const peakMb = (): number => process.resourceUsage().maxRSS / 1024;
const weightMb = (m: Llama): number => m.params.reduce((a, p) => a + p.data.byteLength, 0) / MB;

async function child(mode: string, dirs: string[]): Promise<void> {
  const base = rssMb();
  if (mode === "load") {
    const m = await Llama.load(dirs[0]!, { trainable: false });
    console.log(JSON.stringify({ base_rss_mb: base, peak_rss_mb: peakMb(), rss_mb: rssMb(), weight_mb: weightMb(m) }));
    return;
  }
  // PPO set: policy (trainable, but no backward here), reference (frozen), value and two RMs (score heads).
  const models = [
    await Llama.load(dirs[0]!), await Llama.load(dirs[0]!, { trainable: false }),
    await Llama.load(dirs[1]!, { trainable: false }), await Llama.load(dirs[1]!, { trainable: false }),
    await Llama.load(dirs[1]!, { trainable: false }),
  ];
  const afterLoad = rssMb();
  const ids = Int32Array.from({ length: 64 }, (_, i) => 1 + ((i * 7919) % 31000));
  for (const m of models) {
    if (m.head === "lm") generate(m, [[1, 5, 9, 13]], { maxNewTokens: 16, greedy: true, eosId: null });
    m.forward(ids, 1, 64);
  }
  const w = models.reduce((a, m) => a + weightMb(m), 0);
  const grads = models.reduce((a, m) => a + m.params.filter((p) => p.grad).length, 0);
  console.log(JSON.stringify({ base_rss_mb: base, rss_after_load_mb: afterLoad, rss_mb: rssMb(), peak_rss_mb: peakMb(), weight_mb: w, grad_buffers: grads }));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--child") return child(argv[1]!, argv.slice(2));
  const name = argv.includes("--preset") ? argv[argv.indexOf("--preset") + 1]! : "stories42M";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "resident-rss-"));
  try {
    const c = preset(name);
    const lm = path.join(dir, "lm"), rm = path.join(dir, "rm");
    await new Llama(c).initRandom(1).save(lm);
    await new Llama(c, { head: "score" }).initRandom(2).save(rm);
    const self = fileURLToPath(import.meta.url);
    const run = (mode: string): Record<string, number> =>
      JSON.parse(execFileSync(process.execPath, [self, "--child", mode, lm, rm], { encoding: "utf8" }));
    const load = run("load"), ppo = run("ppo");
    const result = {
      preset: name,
      load: { ...load, peak_over_weights: (load.peak_rss_mb! - load.base_rss_mb!) / load.weight_mb! },
      ppo_set: { ...ppo, resident_over_weights: (ppo.rss_mb! - ppo.base_rss_mb!) / ppo.weight_mb! },
    };
    if (argv.includes("--json")) console.log(JSON.stringify(result));
    else {
      console.log(`${name}: load peak ${(load.peak_rss_mb! - load.base_rss_mb!).toFixed(0)} MB above base for ${load.weight_mb!.toFixed(0)} MB of weights (${result.load.peak_over_weights.toFixed(2)}x)`);
      console.log(`PPO set (policy, reference, value, 2 RMs): ${(ppo.rss_mb! - ppo.base_rss_mb!).toFixed(0)} MB above base after a forward each, ` +
        `${ppo.weight_mb!.toFixed(0)} MB of weights (${result.ppo_set.resident_over_weights.toFixed(2)}x), peak ${ppo.peak_rss_mb!.toFixed(0)} MB, gradient buffers ${ppo.grad_buffers}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
