// The sampler draws from the distribution it claims: empirical frequencies of temperature, top-k and
// top-p sampling on fixed logits against the exact truncated distribution, computed here the way
// transformers' TemperatureLogitsWarper → TopKLogitsWarper → TopPLogitsWarper define it (top-p: sort
// ascending, drop tokens whose cumulative probability is <= 1 - top_p). The returned logprob is
// log softmax(logits / temperature)[id] over the whole vocabulary, before truncation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseToken, type SamplingOptions } from "../../src/model/sampling.js";
import { Rng } from "../../src/model/rng.js";

const logits = Float32Array.from([1.0, 2.5, -0.5, 2.5, 0.3, 1.7, -2.0, 0.9, 3.1, 0.0]);

/** The exact distribution of transformers' warpers (float64). */
function exact(opts: SamplingOptions): number[] {
  const T = opts.temperature ?? 1, V = logits.length;
  let s = Array.from(logits, (l) => l / T);
  const k = opts.topK ?? 0;
  if (k > 0 && k < V) {
    const kth = [...s].sort((a, b) => b - a)[k - 1]!;
    s = s.map((x) => (x < kth ? -Infinity : x));
  }
  const softmax = (x: number[]): number[] => {
    const m = Math.max(...x), e = x.map((v) => Math.exp(v - m)), z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  };
  const p = opts.topP ?? 1;
  if (p < 1) {
    const probs = softmax(s);
    const asc = probs.map((q, i) => [q, i] as const).sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let cum = 0;
    asc.forEach(([q, i], j) => {
      cum += q;
      if (cum <= 1 - p && j < asc.length - 1) s[i] = -Infinity;
    });
  }
  return softmax(s);
}

const cases: SamplingOptions[] = [
  {}, { temperature: 0.7 }, { temperature: 1.8 }, { topK: 3 }, { topP: 0.8 }, { topP: 0.5, temperature: 1.5 },
  { topK: 5, topP: 0.9, temperature: 0.8 },
];

for (const opts of cases) {
  test(`sampling ${JSON.stringify(opts)} matches the exact truncated distribution`, () => {
    const want = exact(opts), n = 40_000, counts = new Array<number>(logits.length).fill(0);
    const rng = new Rng(1234);
    for (let i = 0; i < n; i++) {
      const c = chooseToken(logits, opts, rng);
      counts[c.id]++;
      if (i < 50) {  // the logprob is the tempered full-vocabulary log-softmax of the chosen id
        const T = opts.temperature ?? 1, m = Math.max(...logits) / T;
        const lse = m + Math.log(Array.from(logits).reduce((a, l) => a + Math.exp(l / T - m), 0));
        assert.ok(Math.abs(c.logprob - (logits[c.id]! / T - lse)) < 1e-9);
      }
    }
    for (let i = 0; i < logits.length; i++) {
      const p = want[i]!, f = counts[i]! / n;
      if (p === 0) { assert.equal(counts[i], 0, `token ${i} is outside the truncation but was drawn`); continue; }
      const sigma = Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs(f - p) < 5 * sigma + 1e-12, `token ${i}: frequency ${f.toFixed(4)} vs exact ${p.toFixed(4)} (5σ = ${(5 * sigma).toFixed(4)})`);
    }
  });
}

test("top-k keeps exactly k tokens and top-p the smallest set reaching p", () => {
  assert.equal(exact({ topK: 3 }).filter((p) => p > 0).length, 3);
  // Softmax probabilities sorted: the 0.8 nucleus needs several tokens, and the sampler never leaves it.
  const kept = exact({ topP: 0.8 }).filter((p) => p > 0).length;
  assert.ok(kept > 1 && kept < logits.length);
  const rng = new Rng(5);
  const seen = new Set<number>();
  for (let i = 0; i < 5000; i++) seen.add(chooseToken(logits, { topP: 0.8 }, rng).id);
  assert.equal(seen.size, kept);
});

test("greedy returns the first maximal index with its untempered log-probability", () => {
  const c = chooseToken(logits, { greedy: true, temperature: 0.1 }, new Rng(0));
  assert.equal(c.id, 8);
  const m = 3.1, lse = m + Math.log(Array.from(logits).reduce((a, l) => a + Math.exp(l - m), 0));
  assert.ok(Math.abs(c.logprob - (3.1 - lse)) < 1e-6);
  assert.equal(chooseToken(Float32Array.from([0, 4, 4, 1]), { greedy: true }, new Rng(0)).id, 1);
});
