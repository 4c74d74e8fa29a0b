// The reward-model training task (paper §3.2.2; TRL RewardTrainer): a micro-batch of P pairs is one
// forward of its 2P sequences [chosen_0..chosen_{P-1}, rejected_0..rejected_{P-1}] (TRL's
// concatenate-then-chunk) packed into one row without padding — each sequence its own segment
// (block-diagonal causal mask, RoPE positions from 0), which equals scoring each alone — the scalar
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

/** 2P sequences packed in one [1, T] row (T = their total length) and where each pair's scores are. */
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

/** Packs sequences into one row: ids, positions from 0 and a segment id per sequence, and each one's last index. */
export function packSequences(seqs: readonly Int32Array[]): { ids: Int32Array; T: number; layout: TokenLayout; lastAt: Int32Array } {
  const T = seqs.reduce((a, q) => a + q.length, 0);
  const ids = new Int32Array(T), pos = new Int32Array(T), segIds = new Int32Array(T), lastAt = new Int32Array(seqs.length);
  let t = 0;
  seqs.forEach((q, s) => {
    if (q.length === 0) throw new Error("packSequences: empty sequence");
    ids.set(q, t);
    for (let k = 0; k < q.length; k++) { pos[t + k] = k; segIds[t + k] = s; }
    t += q.length;
    lastAt[s] = t - 1;
  });
  return { ids, T, layout: { pos, segIds }, lastAt };
}

/** Packs pairs into one row: chosen_0..chosen_{P-1}, then rejected_0..rejected_{P-1}. */
export function packPairs(pairs: readonly PairTokens[], at: MixturePosition = { epoch: 0, cursor: 0 }): PairBatch {
  const P = pairs.length;
  const p = packSequences([...pairs.map((x) => x.chosen), ...pairs.map((x) => x.rejected)]);
  return {
    ids: p.ids, B: 1, T: p.T, layout: p.layout, chosenAt: p.lastAt.slice(0, P), rejectedAt: p.lastAt.slice(P),
    margins: Float64Array.from(pairs, (x) => x.margin), tokens: p.T, at,
  };
}

/** Scores at the last token of each sequence (no gradient), `batch` sequences packed per forward. */
export function scoreSequences(model: Llama, seqs: readonly Int32Array[], batch = 16): Float64Array {
  const out = new Float64Array(seqs.length), W = model.numLabels;
  for (let s = 0; s < seqs.length; s += batch) {
    const p = packSequences(seqs.slice(s, s + batch));
    const y = model.forward(p.ids, 1, p.T, p.layout);
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
    return `data position ${JSON.stringify(b.at)}, ${b.chosenAt.length} pairs, ${b.T} tokens packed`;
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
