// Shared benchmark helpers: time a function over warm-up and measured repeats, report the median
// and spread of wall time, and CPU time per call (the machine is shared and noisy, so medians,
// never single runs or means).
import { performance } from "node:perf_hooks";

/** Summary of repeated timings, in seconds. */
export interface Timing {
  /** Median of the measured repeats. */
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: a quick noise indicator. */
  spread: number;
  repeats: number;
  samples: number[];
  /**
   * Median process CPU seconds (user + system, all threads) per call. On a shared machine
   * work / cpuMedian measures per-core speed regardless of how much CPU the process was given.
   */
  cpuMedian: number;
}

/** The median of a non-empty list (mean of the two middle values for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median: empty list");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Summarizes samples (seconds) into median, min, max and spread. */
export function summarize(samples: readonly number[], cpuSamples: readonly number[] = samples): Timing {
  const med = median(samples);
  const min = Math.min(...samples), max = Math.max(...samples);
  return { median: med, min, max, spread: med > 0 ? (max - min) / med : 0, repeats: samples.length, samples: [...samples], cpuMedian: median(cpuSamples) };
}

export interface TimeOptions {
  /** Measured repeats (default 5). */
  repeats?: number;
  /** Untimed calls first (default 1). */
  warmup?: number;
  /** Each sample runs fn until at least this many seconds passed (default 0.05) and divides. */
  minSeconds?: number;
}

/**
 * Times fn: warm-up calls, then `repeats` samples, each the average seconds per call over a batch
 * long enough to exceed minSeconds (so microsecond kernels are still measured meaningfully).
 */
export function timeIt(fn: () => void, opts: TimeOptions = {}): Timing {
  const repeats = opts.repeats ?? 5, warmup = opts.warmup ?? 1, minSeconds = opts.minSeconds ?? 0.05;
  for (let i = 0; i < warmup; i++) fn();
  // Calibrate the batch size from one call.
  let t0 = performance.now();
  fn();
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  const batch = Math.max(1, Math.ceil(minSeconds / once));
  const samples: number[] = [], cpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    samples.push((performance.now() - t0) / 1000 / batch);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6 / batch);
  }
  return summarize(samples, cpu);
}
