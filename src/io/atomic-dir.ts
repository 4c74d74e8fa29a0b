// Directory outputs written whole or not at all (issue 10 item 7): `world generate`, `tokenizer
// train` and `data prepare` build their output in a hidden temporary sibling and rename it into
// place, so a failure (bad input, disk full, Ctrl-C) leaves the previous output, or none, and never
// a half-written directory. An existing output is replaced as a whole, but only if it looks like
// one this command made: a directory of someone else's files is refused rather than deleted.
import fs from "node:fs";
import path from "node:path";
import { fsyncDir } from "./atomic-file.js";
import { mkdirpOrExplain, toFsOpError } from "./fs-errors.js";

/** The hidden sibling `build` writes into: DIR/../.NAME.tmp-PID. */
export function tempDirFor(out: string): string {
  return path.join(path.dirname(path.resolve(out)), `.${path.basename(path.resolve(out))}.tmp-${process.pid}`);
}

/**
 * Runs `build(tmp)` on a fresh temporary sibling of `out`, then renames it to `out` (replacing an
 * existing `out` for which `isOurs(entries)` holds, or an empty one). On failure the temporary
 * directory is removed and `out` is untouched.
 */
export async function writeDirAtomic<T>(out: string, what: string, isOurs: (entries: string[]) => boolean,
  build: (tmp: string) => Promise<T> | T): Promise<T> {
  const abs = path.resolve(out);
  if (fs.existsSync(abs)) {
    if (!fs.statSync(abs).isDirectory()) throw new Error(`${out}: exists and is not a directory`);
    const entries = fs.readdirSync(abs);
    if (entries.length > 0 && !isOurs(entries))
      throw new Error(`${out}: the directory holds files that are not ${what} (${entries.slice(0, 4).join(", ")}${entries.length > 4 ? ", …" : ""}); ` +
        "choose a new or empty directory for --out");
  }
  mkdirpOrExplain(path.dirname(abs), `create the parent of ${out}`);
  const tmp = tempDirFor(abs);
  fs.rmSync(tmp, { recursive: true, force: true });
  let result: T;
  try {
    mkdirpOrExplain(tmp, `create a temporary directory for ${out}`);
    result = await build(tmp);
    fsyncDir(tmp);
    if (fs.existsSync(abs)) {
      const old = `${tmp}.old`;
      fs.renameSync(abs, old);
      fs.renameSync(tmp, abs);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, abs);
    }
    fsyncDir(path.dirname(abs));
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw toFsOpError(e, `write ${what} to`, out);
  }
  return result;
}
