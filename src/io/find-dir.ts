// A directory named inside a file (a PEFT adapter's base_model_name_or_path): tried against several
// starting points in order, the first that holds a marker file wins.
import fs from "node:fs";
import path from "node:path";

/** Where `given` resolves: each of `from` (directories) in order, the first holding one of `markers`; else null. */
export function findDir(given: string, from: readonly string[], markers: readonly string[]): { found: string | null; tried: string[] } {
  const tried = [...new Set(from.map((f) => path.resolve(f, given)))];
  return { found: tried.find((d) => markers.some((m) => fs.existsSync(path.join(d, m)))) ?? null, tried };
}
