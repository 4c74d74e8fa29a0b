// Source rules of native/ that the compilers cannot check on this machine: threads only through
// native/parallel.h (a stray `#pragma omp parallel` compiles silently to one thread without
// OpenMP), and x86 intrinsics only inside `#if LLAMA2_X86` (what lets arm64 / macOS build).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const dir = path.join(root, "native");
const files = fs.readdirSync(dir).filter((f) => /\.(cpp|h|inc)$/.test(f)).sort();

test("no kernel uses OpenMP threading directly: parallelFor / parallelRegion (native/parallel.h) instead", () => {
  assert.ok(files.length > 10);
  const bad: string[] = [];
  for (const f of files) {
    if (f === "parallel.cpp") continue;  // the OpenMP backend itself
    fs.readFileSync(path.join(dir, f), "utf8").split("\n").forEach((raw, i) => {
      const line = raw.replace(/\/\/.*$/, "");  // code, not comments
      if (/#\s*pragma\s+omp\s+(parallel|for|barrier|single|critical|task|sections)|\bomp_[a-z_]+\s*\(|#\s*include\s*<omp\.h>/.test(line))
        bad.push(`native/${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(bad, [], "use native/parallel.h (parallelFor, parallelRegion, WorkQueue)");
});

test("x86 headers and CPUID builtins appear only inside #if LLAMA2_X86", () => {
  const bad: string[] = [];
  for (const f of files) {
    if (f === "simd.h" || f === "parallel.cpp") continue;  // simd.h defines the guard; parallel.cpp's pause is arch-guarded
    let depth = 0, guarded = 0;  // #if nesting, and how many of the open #if are LLAMA2_X86
    const stack: boolean[] = [];
    fs.readFileSync(path.join(dir, f), "utf8").split("\n").forEach((line, i) => {
      const t = line.replace(/\/\/.*$/, "").trim();
      if (/^#\s*if/.test(t)) {
        const x86 = /^#\s*if\s+LLAMA2_X86\b/.test(t);
        stack.push(x86);
        depth++;
        if (x86) guarded++;
      } else if (/^#\s*endif/.test(t)) {
        if (stack.pop()) guarded--;
        depth--;
      } else if (/^#\s*(else|elif)/.test(t) && stack[stack.length - 1]) {
        stack[stack.length - 1] = false;  // the #else of #if LLAMA2_X86 is the non-x86 side
        guarded--;
      }
      if ((/#\s*include\s*<(immintrin|x86intrin|emmintrin|xmmintrin|cpuid)\.h>/.test(t) || /__builtin_cpu_(supports|init)/.test(t)) && guarded <= 0)
        bad.push(`native/${f}:${i + 1}: ${t}`);
    });
    assert.equal(depth, 0, `native/${f}: unbalanced #if/#endif`);
  }
  assert.deepEqual(bad, [], "wrap x86-only code in #if LLAMA2_X86 (native/simd.h)");
});
