// Paths of committed fixtures, from compiled tests (dist/test/...) or sources (test/...).
import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Absolute path of test/fixtures/<parts...> in the package. */
export function fixture(...parts: string[]): string {
  for (let dir = here, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, "test", "fixtures");
    if (fs.existsSync(candidate)) return path.join(candidate, ...parts);
  }
  throw new Error(`test/fixtures not found above ${here}`);
}

/** max |a - b| over the first n elements. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** max |a - b| / max |b|: the error relative to the tensor's scale. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  return maxAbsDiff(a, b) / (scale || 1);
}
