// The causal-LM training task (pretraining; SFT reuses it with masked targets): a batch is
// ids[B,T] + targets[B,T] (already shifted, -100 = ignored); the loss is the mean cross-entropy
// over every target of the optimizer step (the trainer passes gradScale = 1 / step targets), as
// torch's F.cross_entropy(ignore_index=-100) on the concatenated step. Eval = val loss + perplexity.
import type { LossSum, TrainModel, TrainTask } from "./trainer.js";
import type { TokenLayout } from "../model/decoder.js";

/** What the task needs from a model (src/model/llama.ts's Llama). */
export interface CausalLm extends TrainModel {
  lmForwardBackward(ids: Int32Array, targets: Int32Array, B: number, T: number, gradScale: number, layout?: TokenLayout): LossSum;
  lmLoss(ids: Int32Array, targets: Int32Array, B: number, T: number, layout?: TokenLayout): LossSum;
}

export interface LmBatch {
  ids: Int32Array;
  targets: Int32Array;
  B: number;
  T: number;
  /** Positions and segment ids of packed sequences (SFT packing); absent = one sequence per row. */
  layout?: TokenLayout;
}

/** A resumable stream of batches (TokenLoader, or an SFT packer). */
export interface BatchSource<P = unknown> {
  next(): LmBatch;
  readonly position: P;
  seek(pos: P): void;
}

export class LmTask implements TrainTask<LmBatch & { at: unknown }> {
  constructor(
    readonly model: CausalLm,
    readonly train: BatchSource,
    /** Returns a fresh pass over the eval batches (the same ones every time), or null for no eval. */
    private readonly evalBatches: (() => Iterable<LmBatch>) | null = null,
  ) {}

  nextBatch(): LmBatch & { at: unknown } {
    const at = this.train.position; // where this batch came from, for error messages
    return { ...this.train.next(), at };
  }

  batchWeight(b: LmBatch): number {
    let n = 0;
    for (let i = 0; i < b.targets.length; i++) if (b.targets[i] !== -100) n++;
    return n;
  }

  batchTokens(b: LmBatch): number {
    return b.B * b.T;
  }

  forwardBackward(b: LmBatch, gradScale: number): LossSum {
    return this.model.lmForwardBackward(b.ids, b.targets, b.B, b.T, gradScale, b.layout);
  }

  describeBatch(b: LmBatch & { at: unknown }): string {
    return `data position ${JSON.stringify(b.at)}, ${b.B}×${b.T} tokens`;
  }

  evaluate(): Record<string, number> {
    if (!this.evalBatches) return {};
    let lossSum = 0;
    let count = 0;
    for (const b of this.evalBatches()) {
      const r = this.model.lmLoss(b.ids, b.targets, b.B, b.T, b.layout);
      lossSum += r.lossSum;
      count += r.count;
    }
    const val = count > 0 ? lossSum / count : NaN;
    return { val_loss: val, val_ppl: Math.exp(val), val_tokens: count };
  }

  dataState(): unknown {
    return this.train.position;
  }

  restoreDataState(state: unknown): void {
    this.train.seek(state);
  }
}
