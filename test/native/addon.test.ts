import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";

test("the addon loads and reports its thread count and SIMD level", () => {
  assert.ok(native.threadCount() >= 1);
  assert.ok(["avx512", "avx2", "portable"].includes(native.simdLevel()));
});
