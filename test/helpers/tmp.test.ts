// The tests clean up their temporary directories (one session of the suite once left 2,850 in /tmp):
// tempDir() removes what it made, no test makes one under the temp directory by another road, and a
// handful of representative test files (a directory per file, per test through a helper, per CLI run, the
// io helper) leave a fresh TMPDIR empty.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./tmp.js";

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/test/helpers
const root = path.resolve(here, "../../..");

/** Runs `node ARGS` with TMPDIR set to a fresh directory; returns what it left there and the exit status. */
function inFreshTmp(args: string[]): { left: string[]; status: number | null; output: string } {
  const tmp = tempDir("tmpcheck-");
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env.NODE_TEST_CONTEXT; // a nested `node --test` must run as a top-level runner, not report to us
  const r = spawnSync(process.execPath, args, { env, encoding: "utf8", timeout: 600_000 });
  return { left: fs.readdirSync(tmp), status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

test("tempDir removes its directory after the test that asked for it, and the rest when the process exits", () => {
  const hooks: (() => void)[] = [];
  const dir = tempDir("tmpself-", { after: (fn) => hooks.push(fn) });
  fs.writeFileSync(path.join(dir, "f"), "x");
  assert.ok(fs.existsSync(dir));
  for (const h of hooks) h();
  assert.ok(!fs.existsSync(dir), "removed by the test's after hook");

  const script = `import { tempDir } from ${JSON.stringify(path.join(here, "tmp.js"))};
    import fs from "node:fs";
    const d = tempDir("exit-"); fs.mkdirSync(d + "/sub"); fs.writeFileSync(d + "/sub/f", "x");`;
  const r = inFreshTmp(["--input-type=module", "-e", script]);
  assert.equal(r.status, 0, r.output);
  assert.deepEqual(r.left, [], "removed when the process exits");
});

test("no test makes a temporary directory except through test/helpers/tmp.ts", () => {
  const offenders: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { if (e.name !== "fixtures") walk(p); continue; }
      if (!e.name.endsWith(".ts") || p === path.join(root, "test", "helpers", "tmp.ts")) continue;
      fs.readFileSync(p, "utf8").split("\n").forEach((line, i) => {
        if (/mkdtemp(Sync)?\(\s*(path\.join\(\s*os\.tmpdir\(\)|os\.tmpdir\(\)|["'`]\/tmp)/.test(line)) offenders.push(`${path.relative(root, p)}:${i + 1}: ${line.trim()}`);
      });
    }
  };
  for (const d of ["test", "test-e2e", "test-package"]) walk(path.join(root, d));
  assert.deepEqual(offenders, [], "use tempDir(prefix[, t]) from test/helpers/tmp.ts");
});

test("representative test files leave a fresh TMPDIR empty (but for the shared tiny-world cache)", () => {
  const files = [
    "world/readers.test.js",   // one directory for the file, made at load
    "train/config.test.js",    // per test, through test/train/helpers.ts tmpDir
    "data/preferences.test.js", // per test, a local helper (156 left a session before)
    "io/safetensors.test.js",  // test/io/helpers.ts tempDir with its own done()
    "export/gguf-format.test.js",
  ].map((f) => path.join(here, "..", f));
  const r = inFreshTmp(["--test", "--test-concurrency=1", ...files]);
  assert.equal(r.status, 0, r.output.slice(-4000));
  // tinyWorld() keeps one generated world per generator version on purpose (test/helpers/tiny-world.ts).
  assert.deepEqual(r.left.filter((n) => !/^llama2-ts-world-[\w-]+$/.test(n)), []);
});
