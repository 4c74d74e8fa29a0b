// The committed tiny pretrained world model (test/fixtures/tiny-world/, made by
// scripts/make-tiny-world-model.ts) and the world it was pretrained on, regenerated on demand from
// the same seed (7 s, 9 MB) into a per-generator cache under the OS temp dir, so unit, resume and
// e2e tests of SFT, reward models and later stages start from a model that knows the world.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateWorld, type Size } from "../../src/world/generate.js";
import { fixture } from "./fixtures.js";
import { rewardModelFrom } from "../../src/recipes/reward.js";

/** How the fixture was made (scripts/make-tiny-world-model.ts reads these too). */
export const TINY_WORLD = {
  worldSeed: "1",
  worldSize: "small" as Size,
  vocabSize: 1024,
  steps: 600,
  pretrainSeed: 1337,
} as const;

/** The model directory (config.json, model.safetensors, tokenizer files, tiny-world.json). */
export function tinyWorldModel(): string {
  const dir = fixture("tiny-world");
  if (!fs.existsSync(path.join(dir, "model.safetensors"))) throw new Error(`${dir}: missing; run npm run make:tiny-world-model`);
  return dir;
}

/** A hash of the compiled world generator, so a changed generator gets a fresh cache. */
function generatorHash(): string {
  const worldDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/world");
  const h = crypto.createHash("sha256");
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".js")) h.update(e.name).update(fs.readFileSync(p));
    }
  };
  walk(worldDir);
  return h.digest("hex").slice(0, 12);
}

/** The world directory of the fixture (generated once per generator version; safe across processes). */
export function tinyWorld(): string {
  const dir = path.join(os.tmpdir(), `llama2-ts-world-${TINY_WORLD.worldSeed}-${TINY_WORLD.worldSize}-${generatorHash()}`);
  if (fs.existsSync(path.join(dir, "world.json"))) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    generateWorld({ out: tmp, seed: TINY_WORLD.worldSeed, size: TINY_WORLD.worldSize, flipRate: 0.1 });
    fs.renameSync(tmp, dir);
  } catch (e) {
    // Another process finished first: use theirs.
    if (!fs.existsSync(path.join(dir, "world.json"))) throw e;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Two reward models with untrained scalar heads on the fixture (seeds 1 and 2, head std 0.5), with its
 *  tokenizer files, in WORK/rm-h and WORK/rm-s: what the RLHF mechanics tests score with. */
export async function untrainedRewardModels(work: string): Promise<{ helpful: string; safety: string }> {
  const model = tinyWorldModel();
  const dirs = { helpful: path.join(work, "rm-h"), safety: path.join(work, "rm-s") };
  for (const [dir, seed] of [[dirs.helpful, 1], [dirs.safety, 2]] as const) {
    await rewardModelFrom(model, seed, 0.5).save(dir);
    for (const f of ["tokenizer.json", "tokenizer_config.json", "tokenizer.model"]) fs.copyFileSync(path.join(model, f), path.join(dir, f));
  }
  return dirs;
}
