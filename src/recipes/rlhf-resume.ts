// Resuming a rejection-sampling or PPO run as `--resume DIR` does, for the CLI and the library alike: the saved
// config (RS: RUN_DIR/config.yaml; PPO: the checkpoint's) with the caller's changes on top — `--set`s or an object
// of keys, a change to a fixed key refused naming both values — continued in the run's own directory or in a new,
// empty `out` (rejection sampling copies the run there first; PPO brings its logs along itself).
import fs from "node:fs";
import path from "node:path";
import { mergeResumeObject, type ConfigValues } from "../train/config.js";
import { loadCheckpointConfig, resolveResume } from "../train/checkpoint.js";
import { LOCK_FILE, assertRunDirFree } from "../train/run-dir.js";
import { RS_SCHEMA, type RsConfig } from "./rejection-sampling-config.js";
import { PPO_SCHEMA, type PpoConfig } from "./ppo-config.js";

/** What a resume changes: `--set key=value`s (the CLI) and/or an object of keys (`config` of the library call `via`). */
export interface ResumeChanges { sets?: string[]; config?: object; via?: string }

/** Refuses resuming `runDir` into an `out` elsewhere that holds files, or while another process writes `runDir`. */
function assertResumeTarget(runDir: string, out: string): void {
  if (path.resolve(out) === path.resolve(runDir)) return;
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw new Error(`${out}: exists and is not empty; resume into a new directory`);
  assertRunDirFree(runDir, "resume"); // its files are read (RS: copied) now: not while another process writes them
}

/** The config to continue the rejection-sampling run in `runDir` with; into another `out`, the run is copied there. */
export function resumeRejectionSampling(runDir: string, changes: ResumeChanges = {}): RsConfig {
  const cfg = loadCheckpointConfig<RsConfig>(RS_SCHEMA, runDir, [`out=${path.resolve(runDir)}`, ...(changes.sets ?? [])]);
  if (changes.config) mergeResumeObject(RS_SCHEMA, cfg as unknown as ConfigValues, changes.config, changes.via ?? "config", runDir);
  assertResumeTarget(runDir, cfg.out);
  if (path.resolve(cfg.out) !== path.resolve(runDir))
    fs.cpSync(runDir, cfg.out, { recursive: true, filter: (src) => path.basename(src) !== LOCK_FILE });
  return cfg;
}

/** The config and checkpoint to continue a PPO run from (`resume`: its run directory, newest checkpoint, or one checkpoint-N). */
export function resumePpo(resume: string, changes: ResumeChanges = {}): { cfg: PpoConfig; resumeFrom: string } {
  const { checkpoint, runDir } = resolveResume(resume);
  const cfg = loadCheckpointConfig<PpoConfig>(PPO_SCHEMA, checkpoint, [`out=${path.resolve(runDir)}`, ...(changes.sets ?? [])]);
  if (changes.config) mergeResumeObject(PPO_SCHEMA, cfg as unknown as ConfigValues, changes.config, changes.via ?? "config", checkpoint);
  assertResumeTarget(runDir, cfg.out);
  return { cfg, resumeFrom: checkpoint };
}
