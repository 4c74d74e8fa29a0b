// Key/value cache for incremental decoding, allocated by capacity (B rows × S positions).
// Rows of a batch may start at different offsets (left padding): keyStart[b] masks the pad keys
// and RoPE positions count from the first real token, as transformers derives position_ids.
import type { LlamaConfig } from "./config.js";

export class KVCache {
  readonly B: number;        // rows
  readonly S: number;        // capacity in positions
  readonly k: Float32Array[]; // per layer [B, S, KH, D]
  readonly v: Float32Array[]; // per layer [B, S, KH, D]
  /** First valid key per row (number of left-pad slots). */
  readonly keyStart: Int32Array;
  /** Positions filled so far (same for every row). */
  length = 0;

  constructor(c: LlamaConfig, B: number, S: number) {
    const size = B * S * c.numKeyValueHeads * c.headDim;
    this.B = B; this.S = S;
    this.k = []; this.v = [];
    for (let l = 0; l < c.numHiddenLayers; l++) { this.k.push(new Float32Array(size)); this.v.push(new Float32Array(size)); }
    this.keyStart = new Int32Array(B);
  }

  reset(): void {
    this.length = 0;
    this.keyStart.fill(0);
  }
}
