// src/train/losses/pairwise-margin.ts: the paper's ranking loss −log σ(r_c − r_r − m(r)) worked by hand
// (equal rewards, each rating's Table 27 margin in both tables), its gradient in the head buffer against
// central differences, the centering term, and that rows other than the pairs' get zero gradient.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pairwiseMarginLoss, negLogSigmoid } from "../../../src/train/losses/pairwise-margin.js";
import { MARGINS, RATINGS } from "../../../src/world/ratings.js";

const close = (got: number, want: number, tol = 1e-6, what = ""): void =>
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want}`);

test("equal rewards without a margin cost log 2 and push chosen up and rejected down by 1/2", () => {
  // d = r_c − r_r − m = 0.5 − 0.5 − 0 = 0; −log σ(0) = −log(1/2) = log 2 = 0.693147…
  // dL/dr_c = −σ(−d) = −1/2, dL/dr_r = +1/2.
  const out = Float32Array.from([0.5, 9, 0.5]); // rows: chosen, another position, rejected
  const r = pairwiseMarginLoss(out, 3, 1, { chosenAt: [0], rejectedAt: [2], margins: [0] }, 1, true);
  close(r.lossSum, Math.LN2, 1e-12, "loss");
  assert.equal(r.count, 1);
  assert.equal(r.correct, 0, "r_c = r_r is not a correct pair (strictly greater)");
  assert.deepEqual(Array.from(out), [-0.5, 0, 0.5]);
});

test("each rating's margin in both Table 27 tables, with equal rewards: loss = log(1 + e^m)", () => {
  // d = −m, −log σ(−m) = log(1 + e^m):
  //   small: significantly 1 → log(1 + 2.718282) = 1.313262; better 2/3 → log(1 + 1.947734) = 1.081037;
  //          slightly 1/3 → log(1 + 1.395612) = 0.873639; negligibly 0 → log 2 = 0.693147
  //   large: significantly 3 → log(1 + 20.085537) = 3.048587; better 2 → log(1 + 7.389056) = 2.126928;
  //          slightly 1 → 1.313262; negligibly 0 → 0.693147
  const want = {
    small: { significantly_better: 1.313262, better: 1.081037, slightly_better: 0.873639, negligibly_better: 0.693147 },
    large: { significantly_better: 3.048587, better: 2.126928, slightly_better: 1.313262, negligibly_better: 0.693147 },
  } as const;
  for (const table of ["small", "large"] as const) {
    for (const rating of RATINGS) {
      const m = MARGINS[table][rating];
      const out = Float32Array.from([0.25, 0.25]);
      const r = pairwiseMarginLoss(out, 2, 1, { chosenAt: [0], rejectedAt: [1], margins: [m] }, 1, true);
      close(r.lossSum, want[table][rating], 1e-6, `${table} ${rating}`);
      // dL/dr_c = −σ(m) (= −e^m/(1+e^m)); for m = 1: −0.731059.
      close(out[0]!, -1 / (1 + Math.exp(-m)), 1e-6, `${table} ${rating} dr_c`);
      close(out[1]!, 1 / (1 + Math.exp(-m)), 1e-6, `${table} ${rating} dr_r`);
    }
  }
});

test("a gap equal to the margin costs log 2 again; a wide correct gap costs almost nothing", () => {
  // significantly_better, small margin 1: r_c − r_r = 1 → d = 0 → log 2.
  const out = Float32Array.from([1.5, 0.5, 20, -20]);
  const r = pairwiseMarginLoss(out, 4, 1, { chosenAt: [0, 2], rejectedAt: [1, 3], margins: [1, 3] }, 0.5, false);
  // pair 2: d = 40 − 3 = 37, −log σ(37) = log(1 + e^−37) ≈ 8.5e-17.
  close(r.lossSum, Math.LN2 + 8.533e-17, 1e-12);
  assert.equal(r.correct, 2);
  assert.deepEqual(Array.from(out), [1.5, 0.5, 20, -20], "grad=false leaves the buffer alone");
  // −log σ(x) stays finite far out: x = −800 → 800 (log1p(e^800) would overflow).
  close(negLogSigmoid(-800), 800, 1e-9);
  close(negLogSigmoid(800), 0, 1e-300);
});

test("the gradient written into the head buffer matches central differences, centering term included", () => {
  // 3 pairs in a [N = 8, W = 2] head output (column 0 is the score): gradScale 1/3 = TRL's mean.
  const N = 8, W = 2, pairs = { chosenAt: [0, 5, 3], rejectedAt: [4, 1, 6], margins: [1, 0, 2 / 3] };
  const x = Float64Array.from([0.3, 7, -1.2, 7, 0.8, 7, 2.1, 7, -0.4, 7, 0.9, 7, -2, 7, 5, 7]);
  for (const coef of [0, 0.01]) {
    const g = Float64Array.from(x);
    pairwiseMarginLoss(g, N, W, pairs, 1 / 3, true, coef);
    const h = 1e-6;
    for (let i = 0; i < N * W; i++) {
      const xp = Float64Array.from(x), xm = Float64Array.from(x);
      xp[i] += h; xm[i] -= h;
      const num = (pairwiseMarginLoss(xp, N, W, pairs, 1, false, coef).lossSum - pairwiseMarginLoss(xm, N, W, pairs, 1, false, coef).lossSum) / (2 * h) / 3;
      close(g[i]!, num, 1e-8, `coef ${coef} d/dout[${i}]`);
    }
    // Rows 2 and 7 are no pair's and every column-1 entry is unused: zero gradient.
    for (const i of [4, 14]) assert.equal(g[i], 0);
    for (let i = 1; i < N * W; i += 2) assert.equal(g[i], 0);
  }
});

test("the centering term is c·(r_c + r_r)² per pair", () => {
  // r_c = 1, r_r = 1, m = 0: log 2 + 0.01 · (1 + 1)² = 0.693147 + 0.04.
  const out = Float32Array.from([1, 1]);
  const r = pairwiseMarginLoss(out, 2, 1, { chosenAt: [0], rejectedAt: [1], margins: [0] }, 1, true, 0.01);
  close(r.lossSum, Math.LN2 + 0.04, 1e-9);
  // dL/dr_c = −1/2 + 2·0.01·2 = −0.46; dL/dr_r = 1/2 + 0.04 = 0.54.
  close(out[0]!, -0.46, 1e-7);
  close(out[1]!, 0.54, 1e-7);
});

test("pair rows outside the buffer and mismatched lengths are errors", () => {
  const out = new Float32Array(4);
  assert.throws(() => pairwiseMarginLoss(out, 4, 1, { chosenAt: [0], rejectedAt: [4], margins: [0] }, 1, true), /outside \[0, 4\)/);
  assert.throws(() => pairwiseMarginLoss(out, 4, 1, { chosenAt: [0, 1], rejectedAt: [2], margins: [0] }, 1, true), /2 chosen rows, 1 rejected/);
});
