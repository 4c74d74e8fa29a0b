// The reward-model training task (paper §3.2.2; TRL RewardTrainer): a micro-batch of P pairs is one
// forward of 2P right-padded sequences [chosen_0..chosen_{P-1}, rejected_0..rejected_{P-1}] (TRL's
// concatenate-then-chunk), the scalar head is read at each sequence's last token (its </s>: right
// padding never reaches it under the causal mask), and pairwiseMarginLoss writes the gradient back.
import type { Llama } from "../model/llama.js";
import { pairwiseMarginLoss } from "../train/losses/pairwise-margin.js";
import type { LossSum, TrainTask } from "../train/trainer.js";
import { MixtureSampler, type MixturePosition } from "../data/preference-mixture.js";
import type { PairTokens } from "../data/preferences.js";
import { pairMetrics } from "./reward-eval.js";

/** Token id written after a sequence's end (transformers scores the last token that is not pad). */
export const PAD_ID = 0;

/** 2P sequences in one [2P, T] batch and where each pair's scores are. */
export interface PairBatch {
  ids: Int32Array;
  B: number;
  T: number;
  chosenAt: Int32Array;
  rejectedAt: Int32Array;
  margins: Float64Array;
  /** Real (unpadded) tokens. */
  tokens: number;
  at: MixturePosition;
}

/** Packs pairs into one right-padded batch: rows 0..P-1 chosen, P..2P-1 rejected. */
export function packPairs(pairs: readonly PairTokens[], at: MixturePosition = { epoch: 0, cursor: 0 }): PairBatch {
  const P = pairs.length, B = 2 * P;
  let T = 1, tokens = 0;
  for (const p of pairs) T = Math.max(T, p.chosen.length, p.rejected.length);
  const ids = new Int32Array(B * T).fill(PAD_ID);
  const chosenAt = new Int32Array(P), rejectedAt = new Int32Array(P), margins = new Float64Array(P);
  pairs.forEach((p, i) => {
    ids.set(p.chosen, i * T);
    ids.set(p.rejected, (P + i) * T);
    chosenAt[i] = i * T + p.chosen.length - 1;
    rejectedAt[i] = (P + i) * T + p.rejected.length - 1;
    margins[i] = p.margin;
    tokens += p.chosen.length + p.rejected.length;
  });
  return { ids, B, T, chosenAt, rejectedAt, margins, tokens, at };
}

/** Scores at the last token of each sequence (no gradient), in batches of `batch` sequences. */
export function scoreSequences(model: Llama, seqs: readonly Int32Array[], batch = 16): Float64Array {
  const out = new Float64Array(seqs.length);
  for (let s = 0; s < seqs.length; s += batch) {
    const part = seqs.slice(s, s + batch);
    const T = Math.max(...part.map((q) => q.length));
    const ids = new Int32Array(part.length * T).fill(PAD_ID);
    part.forEach((q, i) => ids.set(q, i * T));
    const y = model.forward(ids, part.length, T);
    const W = model.numLabels;
    part.forEach((q, i) => { out[s + i] = y[(i * T + q.length - 1) * W]!; });
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
    const y = model.forward(b.ids, b.B, b.T);
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
    const out = this.model.forward(b.ids, b.B, b.T);
    const r = pairwiseMarginLoss(out, b.B * b.T, this.model.numLabels,
      { chosenAt: b.chosenAt, rejectedAt: b.rejectedAt, margins: b.margins }, gradScale, true, this.centerCoef);
    this.model.backward(out);
    return { lossSum: r.lossSum, count: r.count };
  }

  describeBatch(b: PairBatch): string {
    return `data position ${JSON.stringify(b.at)}, ${b.chosenAt.length} pairs, ${b.B}×${b.T} tokens`;
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
