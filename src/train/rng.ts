// A small seedable PRNG whose whole state is four 32-bit words, so it can be saved in
// trainer_state.json and restored exactly (xoshiro128**, Blackman & Vigna; seeded by splitmix32).

/** Deterministic random numbers with a serialisable state. */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number | number[]) {
    if (Array.isArray(seed)) {
      if (seed.length !== 4 || seed.every((x) => x === 0)) throw new Error("Rng state must be 4 words, not all zero");
      this.s = Uint32Array.from(seed);
      return;
    }
    this.s = new Uint32Array(4);
    let x = (Math.trunc(seed) >>> 0) ^ 0x9e3779b9;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /** The next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n) for n <= 2^32 (rejection sampling, no modulo bias). */
  int(n: number): number {
    if (!(n > 0 && n <= 4294967296)) throw new Error(`Rng.int: n must be in (0, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** The state, for trainer_state.json. */
  state(): number[] {
    return Array.from(this.s);
  }

  /** Restores a state saved by state(). */
  setState(words: number[]): void {
    if (!Array.isArray(words) || words.length !== 4 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff))
      throw new Error(`Rng state must be 4 unsigned 32-bit words, got ${JSON.stringify(words)}`);
    this.s = Uint32Array.from(words);
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
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
