// The reward-model training task (paper §3.2.2; TRL RewardTrainer): a micro-batch of P pairs is one
// forward of its 2P sequences [chosen_0..chosen_{P-1}, rejected_0..rejected_{P-1}] (TRL's
// concatenate-then-chunk) packed best-fit into rows as long as the longest — each sequence its own
// segment (block-diagonal causal mask, RoPE positions from 0), which equals scoring each alone — the scalar
// head is read at each sequence's last token (its </s>), and pairwiseMarginLoss writes the gradient back.
import type { Llama } from "../model/llama.js";
import type { TokenLayout } from "../model/decoder.js";
import { pairwiseMarginLoss } from "../train/losses/pairwise-margin.js";
import type { LossSum, TrainTask } from "../train/trainer.js";
import { MixtureSampler, type MixturePosition } from "../data/preference-mixture.js";
import type { PairTokens } from "../data/preferences.js";
import { pairMetrics } from "./reward-eval.js";

/** The pad id saved in config.json (transformers scores the last token that is not pad; never </s>). */
export const PAD_ID = 0;

/** 2P sequences packed in [B, T] rows (T = the longest) and where each pair's scores are. */
export interface PairBatch {
  ids: Int32Array;
  B: number;
  T: number;
  /** Positions restarting at 0 and one segment id per sequence. */
  layout: TokenLayout;
  chosenAt: Int32Array;
  rejectedAt: Int32Array;
  margins: Float64Array;
  /** Real (unpadded) tokens. */
  tokens: number;
  at: MixturePosition;
}

/**
 * Packs sequences best-fit (longest first) into rows as long as the longest one: each sequence its own
 * segment with positions from 0, the rest of a row padding (PAD_ID, one more segment of its own). Rows
 * no longer than one sequence keep attention as cheap as a padded batch (one long row costs ~20% more).
 * Returns ids[B, T], the layout and each sequence's last index in the flat [B·T] output.
 */
export function packSequences(seqs: readonly Int32Array[]): { ids: Int32Array; B: number; T: number; layout: TokenLayout; lastAt: Int32Array } {
  const T = Math.max(1, ...seqs.map((q) => q.length));
  const order = [...seqs.keys()].sort((a, b) => seqs[b]!.length - seqs[a]!.length || a - b);
  const rows: { used: number; items: number[] }[] = [];
  for (const s of order) {
    const n = seqs[s]!.length;
    if (n === 0) throw new Error("packSequences: empty sequence");
    let best = -1;
    rows.forEach((r, k) => { if (T - r.used >= n && (best < 0 || r.used > rows[best]!.used)) best = k; });
    if (best < 0) { rows.push({ used: 0, items: [] }); best = rows.length - 1; }
    rows[best]!.items.push(s);
    rows[best]!.used += n;
  }
  const B = rows.length;
  const ids = new Int32Array(B * T).fill(PAD_ID), pos = new Int32Array(B * T), segIds = new Int32Array(B * T);
  const lastAt = new Int32Array(seqs.length);
  rows.forEach((r, b) => {
    let t = b * T, seg = 0;
    for (const s of r.items) {
      const q = seqs[s]!;
      ids.set(q, t);
      for (let k = 0; k < q.length; k++) { pos[t + k] = k; segIds[t + k] = seg; }
      t += q.length;
      lastAt[s] = t - 1;
      seg++;
    }
    for (let k = 0; t < (b + 1) * T; t++, k++) { pos[t] = k; segIds[t] = seg; } // padding: its own segment
  });
  return { ids, B, T, layout: { pos, segIds }, lastAt };
}

/** Packs a micro-batch's 2P sequences (chosen_0..chosen_{P-1}, rejected_0..rejected_{P-1}) for one forward. */
export function packPairs(pairs: readonly PairTokens[], at: MixturePosition = { epoch: 0, cursor: 0 }): PairBatch {
  const P = pairs.length;
  const p = packSequences([...pairs.map((x) => x.chosen), ...pairs.map((x) => x.rejected)]);
  return {
    ids: p.ids, B: p.B, T: p.T, layout: p.layout, chosenAt: p.lastAt.slice(0, P), rejectedAt: p.lastAt.slice(P),
    margins: Float64Array.from(pairs, (x) => x.margin), tokens: pairs.reduce((a, x) => a + x.chosen.length + x.rejected.length, 0), at,
  };
}

/** Scores at the last token of each sequence (no gradient), `batch` sequences packed per forward. */
export function scoreSequences(model: Llama, seqs: readonly Int32Array[], batch = 16): Float64Array {
  const out = new Float64Array(seqs.length), W = model.numLabels;
  for (let s = 0; s < seqs.length; s += batch) {
    const p = packSequences(seqs.slice(s, s + batch));
    const y = model.forward(p.ids, p.B, p.T, p.layout);
    p.lastAt.forEach((at, i) => { out[s + i] = y[at * W]!; });
  }
  return out;
}

/** Pairwise metrics over a set of pairs: what `reward eval` and the trainer's eval report. */
export interface PairScores {
  chosen: Float64Array;
  rejected: Float64Array;
}

/** Scores every pair (chosen and rejected in one batch per `batchPairs` pairs). */
export function scorePairs(model: Llama, pairs: readonly PairTokens[], batchPairs = 8): PairScores {
  const chosen = new Float64Array(pairs.length), rejected = new Float64Array(pairs.length);
  for (let s = 0; s < pairs.length; s += batchPairs) {
    const b = packPairs(pairs.slice(s, s + batchPairs));
    const y = model.forward(b.ids, b.B, b.T, b.layout);
    const W = model.numLabels;
    for (let i = 0; i < b.chosenAt.length; i++) {
      chosen[s + i] = y[b.chosenAt[i]! * W]!;
      rejected[s + i] = y[b.rejectedAt[i]! * W]!;
    }
  }
  return { chosen, rejected };
}

export class RewardTask implements TrainTask<PairBatch> {
  constructor(
    readonly model: Llama,
    private readonly sources: readonly (readonly PairTokens[])[],
    private readonly sampler: MixtureSampler,
    private readonly batchPairs: number,
    private readonly centerCoef: number,
    private readonly evalPairs: readonly PairTokens[] | null,
  ) {}

  nextBatch(): PairBatch {
    const at = { ...this.sampler.position };
    const pairs: PairTokens[] = [];
    for (let i = 0; i < this.batchPairs; i++) {
      const [s, r] = this.sampler.next();
      pairs.push(this.sources[s]![r]!);
    }
    return packPairs(pairs, at);
  }

  batchWeight(b: PairBatch): number {
    return b.chosenAt.length; // the step's loss is the mean over its pairs (TRL's .mean())
  }

  batchTokens(b: PairBatch): number {
    return b.tokens;
  }

  forwardBackward(b: PairBatch, gradScale: number): LossSum {
    const out = this.model.forward(b.ids, b.B, b.T, b.layout);
    const r = pairwiseMarginLoss(out, b.B * b.T, this.model.numLabels,
      { chosenAt: b.chosenAt, rejectedAt: b.rejectedAt, margins: b.margins }, gradScale, true, this.centerCoef);
    this.model.backward(out);
    return { lossSum: r.lossSum, count: r.count };
  }

  describeBatch(b: PairBatch): string {
    return `data position ${JSON.stringify(b.at)}, ${b.chosenAt.length} pairs packed in ${b.B}×${b.T} tokens`;
  }

  evaluate(): Record<string, number> {
    if (!this.evalPairs) return {};
    const m = pairMetrics(this.evalPairs, scorePairs(this.model, this.evalPairs, this.batchPairs));
    return { val_loss: m.loss, val_accuracy: m.accuracy, val_mean_margin: m.mean_margin, val_pairs: m.n };
  }

  dataState(): unknown {
    return this.sampler.position;
  }

  restoreDataState(state: unknown): void {
    this.sampler.seek(state as MixturePosition);
  }
}
