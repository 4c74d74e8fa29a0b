// The project's one seeded PRNG (xoshiro128**, Blackman & Vigna, seeded through splitmix32) for
// weight init, sampling and data order. Its state is four uint32 words, so runs save it in
// trainer_state.json and restore it exactly (resume).

export class Rng {
  private s: Uint32Array;

  constructor(seed: number | number[] = 0) {
    this.s = new Uint32Array(4);
    if (Array.isArray(seed)) { this.setState(seed); return; }
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Next uint32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5, lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n) for n <= 2^32 (rejection sampling, no modulo bias). */
  int(n: number): number {
    if (!(n > 0 && n <= 4294967296)) throw new RangeError(`Rng.int: n must be in (0, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** The state, for trainer_state.json. */
  state(): number[] {
    return Array.from(this.s);
  }

  /** Restores a state saved by state(). */
  setState(state: number[]): void {
    if (!Array.isArray(state) || state.length !== 4 || state.every((v) => v === 0) || state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff))
      throw new Error(`Rng state must be 4 unsigned 32-bit words, not all zero, got ${JSON.stringify(state)}`);
    this.s.set(state);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Fisher–Yates permutation of 0..n-1 driven by `rng`. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * A 32-bit seed for an independent RNG stream keyed by `keys` (e.g. iteration, temperature index,
 * prompt index): each key is folded in with splitmix32-style mixing, so streams do not depend on
 * how work is batched or resumed. streamSeed(seed, i) is generate()'s per-prompt stream.
 */
export function streamSeed(seed: number, ...keys: number[]): number {
  let h = seed >>> 0;
  for (const k of keys) {
    h = (h ^ Math.imul(k + 1, 0x9e3779b9)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}
