// Learning-rate schedule of Llama 2 pretraining (llama2-recipe.md §Pretraining, §2.2): linear
// warm-up, then cosine decay to a floor of 10% of the peak. Step s (0-based) is the s-th optimizer
// update; warm-up reaches the peak at s = warmup-1 (llm.c: lr * (step+1) / warmup_iterations), the
// cosine runs from s = warmup to s = maxSteps and stays at the floor afterwards. Written as a
// multiplier of the peak so it can be a torch LambdaLR lambda (scripts/reference/trainer_fixture.py).

export interface ScheduleConfig {
  /** Peak learning rate. */
  lr: number;
  /** Warm-up steps (0 = start at the peak). */
  warmup: number;
  /** Total optimizer steps; the cosine ends here. */
  maxSteps: number;
  /** Floor as a fraction of the peak (0.1 in the paper). */
  minLrRatio: number;
  /** "cosine" (paper) or "constant" (after warm-up; used by small fine-tunes and tests). */
  kind?: "cosine" | "constant";
}

/** lr(step) / peak. */
export function lrMultiplier(step: number, c: ScheduleConfig): number {
  if (c.warmup > 0 && step < c.warmup) return (step + 1) / c.warmup;
  if (c.kind === "constant") return 1;
  const span = Math.max(1, c.maxSteps - c.warmup);
  const progress = Math.min(1, (step - c.warmup) / span);
  return c.minLrRatio + (1 - c.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** The learning rate of optimizer step `step` (0-based). */
export function learningRate(step: number, c: ScheduleConfig): number {
  return c.lr * lrMultiplier(step, c);
}
