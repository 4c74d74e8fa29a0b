// Layering rules checked on the sources (STYLE.md): src/io holds generic formats and imports nothing
// from the model (or anything above it); library code outside src/cli never acts on the process, and
// importing it leaves process.env unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../src");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []);
}

test("src/io imports only node built-ins and other src/io files", () => {
  const files = sources(path.join(root, "io"));
  assert.ok(files.length >= 3);
  for (const f of files) {
    for (const m of fs.readFileSync(f, "utf8").matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gm)) {
      const spec = m[1]!;
      assert.ok(spec.startsWith("node:") || (spec.startsWith("./") && !spec.includes("/..")), `${path.relative(root, f)} imports ${spec}`);
    }
  }
});

test("library code outside src/cli never exits, installs signal handlers unasked or imports the CLI", () => {
  for (const f of sources(root)) {
    const rel = path.relative(root, f);
    if (rel.startsWith("cli" + path.sep)) continue;
    const text = fs.readFileSync(f, "utf8").replace(/^\s*\/\/.*$/gm, "");
    assert.doesNotMatch(text, /process\.exit\s*\(/, `${rel} calls process.exit`);
    assert.doesNotMatch(text, /from\s+"[^"]*\/cli\//, `${rel} imports from src/cli`);
    if (rel !== path.join("train", "trainer.ts")) assert.doesNotMatch(text, /process\.(on|once)\(\s*"SIG/, `${rel} installs a signal handler`);
  }
});

test("importing the library leaves process.env as it was, and libgomp still gets the passive wait policy", () => {
  const dist = path.resolve(root, "../dist/src");
  const modules = ["index.js", "native/addon.js", "model/llama.js", "model/generate.js", "train/trainer.js", "recipes/pretrain.js", "tokenizer/tokenizer.js"]
    .map((m) => pathToFileURL(path.join(dist, m)).href);
  const script = `const before = JSON.stringify(process.env);
    for (const m of ${JSON.stringify(modules)}) await import(m);
    process.stdout.write(JSON.stringify({ same: JSON.stringify(process.env) === before }));`;
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_DISPLAY_ENV: "true" };
  delete env.OMP_WAIT_POLICY; delete env.GOMP_SPINCOUNT;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { same: true });
  // OMP_DISPLAY_ENV makes libgomp print the settings it read at load (only an LLAMA2_OPENMP=1 build uses it).
  if (/OPENMP DISPLAY ENVIRONMENT/.test(r.stderr)) assert.match(r.stderr, /OMP_WAIT_POLICY = 'PASSIVE'/);
});
