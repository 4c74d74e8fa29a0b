// Every native entry point under bad arguments (test/native/fuzz-child.ts, in a child process so
// a crash fails this test instead of killing the runner): always a JavaScript TypeError /
// RangeError naming the function and an argument, never a crash; and every export has a spec.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

test("fuzzing every native entry point gives JavaScript errors naming the argument, never a crash", () => {
  const child = fileURLToPath(new URL("./fuzz-child.js", import.meta.url));
  const r = spawnSync(process.execPath, [child, "--run"], { encoding: "utf8", maxBuffer: 1 << 28, timeout: 600_000 });
  const lines = r.stdout.split("\n").filter((l) => l.length > 0);
  const lastCase = [...lines].reverse().find((l) => l.startsWith("case ")) ?? "(none)";
  assert.equal(r.signal, null, `the fuzzer crashed (${r.signal}) during: ${lastCase}\n${r.stderr.slice(-2000)}`);
  assert.equal(r.status, 0, `the fuzzer exited with ${r.status} during: ${lastCase}\n${r.stderr.slice(-2000)}`);
  const done = lines.find((l) => l.startsWith("done "));
  assert.ok(done, `the fuzzer did not finish; last: ${lastCase}`);
  const summary = JSON.parse(done.slice(5)) as { cases: number; exported: string[]; missing: string[]; bad: number };
  assert.deepEqual(summary.missing, [], `native exports without a spec in test/native/fuzz-specs.ts: ${summary.missing.join(", ")}`);
  assert.ok(summary.exported.length >= 25, `only ${summary.exported.length} exports seen`);
  const bad = lines.filter((l) => l.startsWith("bad ")).map((l) => l.slice(4));
  assert.deepEqual(bad.slice(0, 20), [], `${summary.bad} calls ended in the wrong kind of error`);
  assert.ok(summary.cases > 2000, `only ${summary.cases} cases ran`);
});
