// Test utilities for the native kernel suites: a seeded PRNG, float32 buffers of random values,
// max-abs-error measurement, a central-difference gradient of a float64 twin, fixture loading.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { native } from "../../src/native/addon.js";
import { Rng } from "../../src/model/rng.js";

/** A seeded uniform [0, 1) stream (the project's Rng) so every run checks the same cases. */
export function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.uniform();
}

/** n uniform values in [-scale, scale) as float32. */
export function randn(r: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

/** max |a[i] - b[i]| over i < n (n defaults to a.length). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** max |a[i]| */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/**
 * d/dx of L = sum_i f(x)_i * dout_i by float64 central differences, one element of x at a time
 * (x is copied to float64; f must read its input only through the passed array).
 */
export function numericGrad(f: (x: Float64Array) => ArrayLike<number>, x: ArrayLike<number>, dout: ArrayLike<number>,
  h = 1e-5): Float64Array {
  const xx = Float64Array.from(x);
  const g = new Float64Array(xx.length);
  const loss = (): number => {
    const y = f(xx);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * dout[i]!;
    return s;
  };
  for (let i = 0; i < xx.length; i++) {
    const x0 = xx[i]!;
    xx[i] = x0 + h;
    const lp = loss();
    xx[i] = x0 - h;
    const lm = loss();
    xx[i] = x0;
    g[i] = (lp - lm) / (2 * h);
  }
  return g;
}

/** Records the largest error each suite saw, printed once at exit for the report. */
export function logMaxErr(label: string, err: number): void {
  if (process.env.LLAMA2_KERNEL_ERRS) console.log(`maxerr ${label}: ${err.toExponential(2)}`);
}

/** Reads a committed fixture test/fixtures/<rel> (works from src and from dist/). */
export function readFixture<T>(rel: string): T {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, "test", "fixtures", rel);
    if (fs.existsSync(p)) return JSON.parse(fs.readFileSync(p, "utf8")) as T;
    dir = path.dirname(dir);
  }
  throw new Error(`fixture test/fixtures/${rel} not found`);
}

type SimdLevelName = "portable" | "avx2" | "avx512";

/** The SIMD levels this CPU supports, lowest first (probing setSimdLevel). */
export function simdLevels(): SimdLevelName[] {
  const original = native.simdLevel() as SimdLevelName;
  const ok: SimdLevelName[] = [];
  for (const l of ["portable", "avx2", "avx512"] as const) {
    try { native.setSimdLevel(l); ok.push(l); } catch { /* not on this CPU */ }
  }
  native.setSimdLevel(original);
  return ok;
}

/** Runs fn once at every supported SIMD level (kernels dispatch on it), restoring the level after. */
export function atEverySimdLevel(fn: (level: SimdLevelName) => void): void {
  const original = native.simdLevel() as SimdLevelName;
  try {
    for (const l of simdLevels()) {
      native.setSimdLevel(l);
      fn(l);
    }
  } finally {
    native.setSimdLevel(original);
  }
}
