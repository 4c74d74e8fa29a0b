// Key/value cache for incremental decoding, allocated by capacity (B rows × S slots). Each row keeps
// its own length, so rows join and leave a running batch independently (continuous batching, ragged
// rollouts): a forward appends tokens to the rows it names, at each row's own length. A row may also
// start at an offset (left padding): keyStart[b] masks the pad slots and RoPE positions count from
// the first real token, as transformers derives position_ids.
import type { LlamaConfig } from "./config.js";

export class KVCache {
  readonly B: number;        // rows
  readonly S: number;        // capacity in slots per row
  readonly k: Float32Array[]; // per layer [B, S, KH, D]
  readonly v: Float32Array[]; // per layer [B, S, KH, D]
  /** First valid slot per row (number of left-pad slots). */
  readonly keyStart: Int32Array;
  /** Slots filled per row (pad slots included); the next token of row b goes to slot lengths[b]. */
  readonly lengths: Int32Array;

  constructor(c: LlamaConfig, B: number, S: number) {
    if (!(Number.isInteger(B) && B >= 1 && Number.isInteger(S) && S >= 1)) throw new RangeError(`KVCache: rows ${B} and capacity ${S} must be integers >= 1`);
    const size = B * S * c.numKeyValueHeads * c.headDim;
    this.B = B; this.S = S;
    this.k = []; this.v = [];
    for (let l = 0; l < c.numHiddenLayers; l++) { this.k.push(new Float32Array(size)); this.v.push(new Float32Array(size)); }
    this.keyStart = new Int32Array(B);
    this.lengths = new Int32Array(B);
  }

  /** The common length when every row has the same one (lock-step use); throws otherwise. */
  get length(): number {
    const n = this.lengths[0]!;
    for (let b = 1; b < this.B; b++)
      if (this.lengths[b] !== n) throw new Error(`KVCache.length: rows differ in length (row 0 has ${n}, row ${b} has ${this.lengths[b]}); read lengths[b]`);
    return n;
  }

  /** Empties every row. */
  reset(): void {
    this.lengths.fill(0);
    this.keyStart.fill(0);
  }

  /** Empties row b so a new sequence can take it (its old keys are never read again). */
  resetRow(b: number): void {
    if (!(Number.isInteger(b) && b >= 0 && b < this.B)) throw new RangeError(`KVCache.resetRow: row ${b} is outside [0, ${this.B})`);
    this.lengths[b] = 0;
    this.keyStart[b] = 0;
  }
}
