// SFT micro-batches (paper §3.1 "we concatenate all the prompts and answers from the training set"):
// a micro-batch is `batchSize` samples — counted in samples, not rows — either packed best-fit into
// as few rows of at most seq_len as possible (each sample its own segment: block-diagonal causal mask via segment ids,
// RoPE positions restarting at 0, never split across rows) or one sample per row padded to the
// longest (packing off). Either way every sample sees only itself, so losses and gradients agree.
import type { BatchSource, LmBatch } from "../train/lm-task.js";
import { Rng, permutation } from "../model/rng.js";
import type { ChatSample } from "./chat-data.js";

/** Segment id of padding positions (their targets are -100; they attend only to padding). */
export const PAD_SEGMENT = -1;

/**
 * Best-fit decreasing bin packing of sample lengths into rows of capacity `seqLen`: each sample,
 * longest first, goes to the fullest row it still fits in, else opens a new row. Returns the
 * sample indices of each row (in placement order). Lengths must be <= seqLen.
 */
export function bestFitRows(lengths: readonly number[], seqLen: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const rows: number[][] = [], free: number[] = [];
  for (const i of order) {
    const n = lengths[i]!;
    if (n > seqLen) throw new RangeError(`bestFitRows: sample of ${n} tokens exceeds seq_len ${seqLen}`);
    let best = -1;
    for (let r = 0; r < rows.length; r++) if (free[r]! >= n && (best < 0 || free[r]! < free[best]!)) best = r;
    if (best < 0) { rows.push([]); free.push(seqLen); best = rows.length - 1; }
    rows[best]!.push(i);
    free[best]! -= n;
  }
  return rows;
}

/**
 * Packs a micro-batch into as few rows as best-fit at seq_len needs, with the shortest row length
 * that still fits them in that many rows (the batch is [rows, T] with T the longest row, so a
 * balanced packing pads less than filling the first rows to seq_len and leaving the last short).
 */
export function packRows(lengths: readonly number[], seqLen: number): number[][] {
  const rows = bestFitRows(lengths, seqLen);
  if (rows.length <= 1) return rows;
  const total = lengths.reduce((a, n) => a + n, 0);
  const longest = Math.max(...lengths);
  for (let cap = Math.max(longest, Math.ceil(total / rows.length)); cap < seqLen; cap++) {
    const r = bestFitRows(lengths, cap);
    if (r.length <= rows.length) return r;
  }
  return rows;
}

/** A micro-batch of SFT samples; `layout` carries positions and segment ids when packed. */
export interface SftBatch extends LmBatch {
  /** Samples in the batch. */
  samples: number;
  /** Positions holding a sample token (the rest is padding). */
  realTokens: number;
}

/**
 * Lays out samples as one batch. packing: best-fit rows, T = the longest row; otherwise one row per
 * sample, T = the longest sample (right padding, which a causal mask never lets a real token see).
 */
export function buildBatch(samples: readonly ChatSample[], packing: boolean, seqLen: number): SftBatch {
  const rows = packing ? packRows(samples.map((s) => s.ids.length), seqLen) : samples.map((_, i) => [i]);
  const rowLen = rows.map((r) => r.reduce((a, i) => a + samples[i]!.ids.length, 0));
  const B = rows.length, T = Math.max(1, ...rowLen), N = B * T;
  const ids = new Int32Array(N), targets = new Int32Array(N).fill(-100);
  const pos = packing ? new Int32Array(N) : undefined, segIds = packing ? new Int32Array(N).fill(PAD_SEGMENT) : undefined;
  let real = 0;
  rows.forEach((row, b) => {
    let t = b * T;
    row.forEach((i, seg) => {
      const s = samples[i]!, n = s.ids.length;
      ids.set(s.ids, t);
      targets.set(s.targets, t);
      if (pos && segIds) for (let k = 0; k < n; k++) { pos[t + k] = k; segIds[t + k] = seg; }
      t += n;
      real += n;
    });
    if (pos) for (let k = t - b * T; k < T; k++) pos[b * T + k] = k; // padding: any in-range position
  });
  return { ids, targets, B, T, layout: pos ? { pos, segIds } : undefined, samples: samples.length, realTokens: real };
}

/** Where an SFT stream is: pass `epoch` (its permutation) and the next sample `cursor` in it. */
export interface SftPosition { epoch: number; cursor: number }

/**
 * An endless, resumable stream of SFT micro-batches: each epoch is a seeded permutation of the
 * samples (or the file order when shuffle is off); a micro-batch takes the next `batchSize`
 * samples, continuing into the next epoch at the end of one.
 */
export class SftBatchSource implements BatchSource<SftPosition> {
  private pos: SftPosition = { epoch: 0, cursor: 0 };
  private perm: Uint32Array | null = null;
  private permEpoch = -1;

  constructor(private readonly data: readonly ChatSample[],
    private readonly opts: { batchSize: number; seqLen: number; packing: boolean; seed: number; shuffle?: boolean }) {
    if (data.length === 0) throw new Error("SftBatchSource: no samples");
    if (!(opts.batchSize >= 1)) throw new Error(`batch_size must be >= 1, got ${opts.batchSize}`);
  }

  get position(): SftPosition { return { ...this.pos }; }

  seek(p: SftPosition): void {
    if (!p || !Number.isInteger(p.epoch) || !Number.isInteger(p.cursor) || p.epoch < 0 || p.cursor < 0 || p.cursor >= this.data.length)
      throw new Error(`SFT data position ${JSON.stringify(p)} is not valid for ${this.data.length} samples`);
    this.pos = { ...p };
  }

  private order(epoch: number): Uint32Array {
    if (this.permEpoch !== epoch) {
      const n = this.data.length;
      this.perm = this.opts.shuffle !== false ? permutation(n, new Rng((Math.imul(this.opts.seed, 0x9e3779b1) + epoch) >>> 0)) : Uint32Array.from({ length: n }, (_, i) => i);
      this.permEpoch = epoch;
    }
    return this.perm!;
  }

  /** The next batchSize samples (crossing into the next epoch when needed). */
  nextSamples(): ChatSample[] {
    const out: ChatSample[] = [];
    while (out.length < this.opts.batchSize) {
      out.push(this.data[this.order(this.pos.epoch)[this.pos.cursor]!]!);
      if (++this.pos.cursor >= this.data.length) this.pos = { epoch: this.pos.epoch + 1, cursor: 0 };
    }
    return out;
  }

  next(): SftBatch {
    return buildBatch(this.nextSamples(), this.opts.packing, this.opts.seqLen);
  }
}

/** Fixed-order batches over all samples once (eval, score). */
export function* passBatches(data: readonly ChatSample[], batchSize: number, packing: boolean, seqLen: number): Generator<SftBatch> {
  for (let i = 0; i < data.length; i += batchSize) yield buildBatch(data.slice(i, i + batchSize), packing, seqLen);
}
