// Shared paths and small helpers for the io tests (not a test file itself).
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir as sharedTempDir } from "../helpers/tmp.js";

/** test/fixtures/models in the source tree (tests run from dist/test/io). */
export const MODELS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/models");

/** A fresh temporary directory, removed by the returned cleanup (or at exit, by test/helpers/tmp.ts). */
export function tempDir(prefix = "llama2-io-"): { dir: string; done: () => void } {
  const dir = sharedTempDir(prefix);
  return { dir, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Largest |a[i] - b[i]|. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
