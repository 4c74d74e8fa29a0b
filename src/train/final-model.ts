// RUN_DIR/final: the model of a finished run as a complete Hugging Face model directory (weights,
// config, tokenizer files), so `llama2 generate --chat`, transformers and the next stage load it as it
// is. Written under a temp name and renamed into place, replacing an older final only once complete.
import fs from "node:fs";
import path from "node:path";
import { fsyncDir } from "../io/atomic-file.js";
import type { SavableModel } from "./checkpoint.js";

export const FINAL_DIR = "final";

/** Saves `model` (float32) and copies `extraFiles` into RUN_DIR/final atomically; returns its path. */
export async function saveFinalModel(runDir: string, model: SavableModel, extraFiles: readonly string[] = []): Promise<string> {
  const final = path.join(runDir, FINAL_DIR);
  const tmp = path.join(runDir, `.final.partial-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  await model.save(tmp, { dtype: "float32" });
  for (const f of extraFiles) fs.copyFileSync(f, path.join(tmp, path.basename(f)));
  fsyncDir(tmp);
  if (fs.existsSync(final)) {
    const old = path.join(runDir, `.final.old-${process.pid}`);
    fs.renameSync(final, old);
    fs.renameSync(tmp, final);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, final);
  }
  fsyncDir(runDir);
  return final;
}
