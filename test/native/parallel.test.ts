// The thread layer (native/parallel.h): results do not depend on the thread count, regions from
// several JavaScript threads at once are safe, and loading the addon leaves process.env alone
// (no OMP_WAIT_POLICY: the pool's idle workers sleep by themselves).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { native } from "../../src/native/addon.js";
import { randn, rng } from "./check.js";

function withThreads<T>(n: number, f: () => T): T {
  const before = native.threadCount();
  native.setThreadCount(n);
  try {
    return f();
  } finally {
    native.setThreadCount(before);
  }
}

test("buildInfo names the thread backend and what was compiled in", () => {
  const b = native.buildInfo();
  assert.ok(b.threads === "pool" || b.threads === "openmp");
  assert.equal(typeof b.x86Simd, "boolean");
  if (b.portable) assert.equal(b.x86Simd, false);
  if (!b.x86Simd) assert.equal(native.simdLevel(), "portable");
});

test("setThreadCount changes threadCount; 0 restores the default; more than 256 is a RangeError", () => {
  const def = native.threadCount();
  withThreads(3, () => assert.equal(native.threadCount(), 3));
  native.setThreadCount(5);
  native.setThreadCount(0);
  assert.equal(native.threadCount(), def);
  assert.throws(() => native.setThreadCount(257), RangeError);
  assert.throws(() => native.setThreadCount(-1), /setThreadCount: argument 0 \(n\)/);
});

test("kernels give bitwise the same result with 1, 2, 3 and 7 threads (GEMM, attention, sums)", () => {
  const r = rng(11);
  const M = 200, N = 160, K = 96;
  const a = randn(r, M * K), b = randn(r, N * K), big = randn(r, 1 << 19);
  const B = 2, T = 40, H = 4, KH = 2, D = 16;
  const q = randn(r, B * T * H * D), k = randn(r, B * T * KH * D), v = randn(r, B * T * KH * D);
  const run = (): { c: Float32Array; c1: Float32Array; att: Float32Array; ss: number } => {
    const c = new Float32Array(M * N), c1 = new Float32Array(4 * N);
    native.matmul(c, a, b, M, N, K, false, true, false);
    native.matmul(c1, a, b, 4, N, K, false, true, false);  // the small-M path
    const att = new Float32Array(B * T * H * D);
    native.attentionForward(att, null, q, k, v, B, T, T, 0, H, KH, D, null, null);
    return { c, c1, att, ss: native.sumSquares(big, big.length) };
  };
  const one = withThreads(1, run);
  for (const n of [2, 3, 7]) {
    const got = withThreads(n, run);
    assert.deepEqual(got.c, one.c, `matmul with ${n} threads`);
    assert.deepEqual(got.c1, one.c1, `small-M matmul with ${n} threads`);
    assert.deepEqual(got.att, one.att, `attention with ${n} threads`);
    assert.equal(got.ss, one.ss, `sumSquares with ${n} threads`);
  }
});

test("two worker threads running large GEMMs at once both get the right answer", async () => {
  const addonUrl = new URL("../../src/native/addon.js", import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(${JSON.stringify(addonUrl)}).then(({ native }) => {
      const { M, N, K, seed } = workerData;
      const a = new Float32Array(M * K), b = new Float32Array(K * N);
      for (let i = 0; i < a.length; i++) a[i] = ((i * 7 + seed) % 13) - 6;
      for (let i = 0; i < b.length; i++) b[i] = ((i * 5 + seed) % 11) - 5;
      let bad = 0;
      for (let rep = 0; rep < 6; rep++) {
        const c = new Float32Array(M * N);
        native.matmul(c, a, b, M, N, K, false, false, false);
        for (let i = 0; i < M; i += 37) for (let j = 0; j < N; j += 29) {
          let s = 0;
          for (let p = 0; p < K; p++) s += a[i * K + p] * b[p * N + j];
          if (c[i * N + j] !== s) bad++;  // small integers: exact in float32
        }
      }
      parentPort.postMessage(bad);
    });`;
  const runOne = (seed: number): Promise<number> => new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { M: 256, N: 192, K: 128, seed } });
    w.once("message", resolve);
    w.once("error", reject);
  });
  const bad = await Promise.all([runOne(1), runOne(2), runOne(3)]);
  assert.deepEqual(bad, [0, 0, 0]);
});

test("importing the library (src/index.ts) and running a kernel do not change process.env", () => {
  const index = fileURLToPath(new URL("../../src/index.js", import.meta.url));
  const script = `
    const before = JSON.stringify(process.env);
    const lib = await import(${JSON.stringify(index)});
    const { native } = await import(${JSON.stringify(fileURLToPath(new URL("../../src/native/addon.js", import.meta.url)))});
    native.matmul(new Float32Array(4), new Float32Array(4), new Float32Array(4), 2, 2, 2, false, false, false);
    process.stdout.write(JSON.stringify({ same: before === JSON.stringify(process.env), lib: typeof lib }));`;
  const env = { ...process.env };
  delete env.OMP_WAIT_POLICY;
  delete env.GOMP_SPINCOUNT;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { same: boolean; lib: string };
  assert.equal(out.lib, "object");
  assert.equal(out.same, true, "process.env changed while importing the library");
});
