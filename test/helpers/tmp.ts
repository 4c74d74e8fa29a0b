// Temporary directories for tests, all made here and all removed: after the test that asks for one (when it
// passes its TestContext) and in any case when the test file's process exits. Before this helper one session
// of the suite left 2,850 directories in /tmp. test/helpers/tmp.test.ts guards it (no mkdtemp under the temp
// directory elsewhere in the tests; a few test files leave TMPDIR empty).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const made = new Set<string>();
let hooked = false;

function remove(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    // A test that took permissions away (fs-errors-real) may leave a directory rm cannot enter: say which.
    process.stderr.write(`tempDir: could not remove ${dir}: ${(e as Error).message}\n`);
  }
  made.delete(dir);
}

/** A fresh directory `os.tmpdir()/PREFIXxxxxxx`, removed after test `t` when given, else when this process exits. */
export function tempDir(prefix: string, t?: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.on("exit", () => { for (const d of [...made]) remove(d); });
  }
  t?.after(() => remove(dir));
  return dir;
}
