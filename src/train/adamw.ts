// AdamW over a model's Param list (torch.optim.AdamW semantics, decoupled weight decay:
// p *= 1 - lr·wd before the Adam update), with the moment buffers the checkpoint saves.
// Weight decay applies only to params with decay = true (matrices and embeddings, not norms),
// like the usual two torch param groups. Only trainable params are optimised (frozen ones have no
// moments), and a param whose gradient was never allocated is skipped, as torch skips grad None.
// The arithmetic is native.adamwStep (native/adamw.cpp).
import { native } from "../native/addon.js";
import { trainableParams, type Param } from "../model/params.js";

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Llama 2 pretraining defaults (llama2-recipe.md §Pretraining). */
export const LLAMA2_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-5, weightDecay: 0.1 };

export class AdamW {
  /** First moments, one per param (torch "exp_avg"). */
  readonly m: Float32Array[];
  /** Second moments (torch "exp_avg_sq"). */
  readonly v: Float32Array[];
  /** Updates applied so far; the next update uses step + 1 for bias correction. */
  step = 0;

  /** The trainable params it updates (fixed at construction), in order. */
  readonly params: Param[];

  constructor(params: Param[], readonly config: AdamWConfig) {
    this.params = trainableParams(params);
    this.m = this.params.map((p) => new Float32Array(p.data.length));
    this.v = this.params.map((p) => new Float32Array(p.data.length));
  }

  /** One update of every param from its .grad at learning rate `lr`. */
  update(lr: number): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      if (!p.grad) continue;
      native.adamwStep(p.data, p.grad, this.m[i], this.v[i], p.data.length, lr, beta1, beta2, eps,
        p.decay ? weightDecay : 0, this.step);
    }
  }

  /** Named moment tensors for optimizer.safetensors ("<param>.exp_avg", "<param>.exp_avg_sq"). */
  stateTensors(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    this.params.forEach((p, i) => {
      out.set(`${p.name}.exp_avg`, { shape: p.shape, data: this.m[i] });
      out.set(`${p.name}.exp_avg_sq`, { shape: p.shape, data: this.v[i] });
    });
    return out;
  }

  /** Restores moments and step; errors name the missing or mis-sized tensor and the source. */
  loadState(step: number, tensors: Map<string, Float32Array>, source: string): void {
    this.params.forEach((p, i) => {
      for (const [suffix, dst] of [["exp_avg", this.m[i]], ["exp_avg_sq", this.v[i]]] as const) {
        const name = `${p.name}.${suffix}`;
        const t = tensors.get(name);
        if (!t) throw new Error(`${source}: missing tensor "${name}"`);
        if (t.length !== dst.length) throw new Error(`${source}: tensor "${name}" has ${t.length} values, expected ${dst.length}`);
        dst.set(t);
      }
    });
    this.step = step;
  }
}
