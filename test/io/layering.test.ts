// Layering rules checked on the sources (STYLE.md): src/io holds generic formats and imports nothing
// from the model (or anything above it); library code outside src/cli never acts on the process.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
