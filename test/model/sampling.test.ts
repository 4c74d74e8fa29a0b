// The sampler draws from the distribution it claims: empirical frequencies of temperature, top-k and
// top-p sampling on fixed logits against the exact truncated distribution, computed here the way
// transformers' TemperatureLogitsWarper → TopKLogitsWarper → TopPLogitsWarper define it (top-p: sort
// ascending, drop tokens whose cumulative probability is <= 1 - top_p). The returned logprob is
// log softmax(logits / temperature)[id] over the whole vocabulary, before truncation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseToken, chooseTokens, type SamplingOptions } from "../../src/model/sampling.js";
import { native } from "../../src/native/addon.js";
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

// The JavaScript sampler the native one replaced (sorting candidates in JS), kept as its twin: the
// native choice must be the same token, with the same bits of log-probability, for the same uniform.
function jsChoose(logits: Float32Array, opts: SamplingOptions, rng: Rng): { id: number; logprob: number } {
  const V = logits.length;
  const weights = new Float64Array(V);
  if (opts.greedy) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
    const [max, sum] = native.temperedExp(weights, logits, V, 1);
    return { id: best, logprob: logits[best]! - max - Math.log(sum) };
  }
  const temperature = opts.temperature ?? 1;
  const k = opts.topK ?? 0, topK = k > 0 && k < V ? k : 0, topP = opts.topP ?? 1;
  const [max, all] = native.temperedExp(weights, logits, V, temperature);
  const logprobOf = (id: number): number => (logits[id]! - max) / temperature - Math.log(all);
  const pick = (r: number, order: number[]): number => {
    for (const i of order) if ((r -= weights[i]!) < 0) return i;
    return order[order.length - 1]!;
  };
  if (topK === 0 && topP >= 1) { const id = pick(rng.uniform() * all, Array.from({ length: V }, (_, i) => i)); return { id, logprob: logprobOf(id) }; }
  const candidates = (keep: (i: number) => boolean): number[] => {
    const out: number[] = [];
    for (let i = 0; i < V; i++) if (keep(i)) out.push(i);
    return out.sort((a, b) => logits[b]! - logits[a]! || a - b);
  };
  let order: number[];
  if (topK > 0) {
    const kth = Float32Array.from(logits).sort()[V - topK]!;
    order = candidates((i) => logits[i]! >= kth).slice(0, topK);
  } else {
    const cutoff = (all * (1 - topP)) / (V - 1);
    order = candidates((i) => weights[i]! >= cutoff);
  }
  let total = topK > 0 ? order.reduce((a, i) => a + weights[i]!, 0) : all;
  if (topP < 1) {
    let cum = 0, keep = 0;
    while (keep < order.length) { cum += weights[order[keep]!]! / total; keep++; if (cum >= topP) break; }
    order = order.slice(0, keep);
    total = order.reduce((a, i) => a + weights[i]!, 0);
  }
  const id = pick(rng.uniform() * total, order);
  return { id, logprob: logprobOf(id) };
}

test("the native sampler picks the JavaScript twin's token with the same logprob bits, flat and peaked 32k rows", () => {
  const r = new Rng(7);
  const row = (V: number, scale: number, quantum = 0): Float32Array => Float32Array.from({ length: V }, () => {
    const x = r.normal() * scale;
    return quantum ? Math.round(x / quantum) * quantum : x;  // quantised: many tied logits
  });
  const rows = [row(32000, 0.05), row(32000, 3), row(32000, 12), row(32000, 2, 0.5), row(10, 1), row(300, 4, 1)];
  const optsList: SamplingOptions[] = [
    { greedy: true }, {}, { temperature: 0.7 }, { topK: 40 }, { topK: 1 }, { topK: 31999 }, { topP: 0.9 }, { topP: 0.5, temperature: 1.3 },
    { topK: 50, topP: 0.95, temperature: 0.8 }, { topP: 0.999 }, { topP: 1e-6 },
  ];
  for (const [ri, logits] of rows.entries())
    for (const opts of optsList) {
      const a = new Rng(ri * 100 + 1), b = new Rng(ri * 100 + 1);
      for (let i = 0; i < 8; i++) {
        const want = jsChoose(logits, opts, a), got = chooseToken(logits, opts, b);
        assert.deepEqual(got, want, `row ${ri} ${JSON.stringify(opts)} draw ${i}`);
      }
      assert.equal(a.nextU32(), b.nextU32(), "both drew the same number of uniforms");
    }
});

test("chooseTokens on a batch of rows gives each row what chooseToken gives it alone", () => {
  const V = 32000, B = 6, r = new Rng(3);
  const logits = Float32Array.from({ length: B * V }, () => r.normal() * 4);
  const opts: SamplingOptions[] = [{ greedy: true }, { topP: 0.9 }, { topK: 40, temperature: 0.6 }, {}, { topP: 0.7, topK: 100 }, { greedy: true }];
  const got = chooseTokens(logits, B, V, opts, opts.map((_, b) => new Rng(b)));
  for (let b = 0; b < B; b++) assert.deepEqual(got[b], chooseToken(logits.subarray(b * V, (b + 1) * V), opts[b]!, new Rng(b)), `row ${b}`);
  const noLp = chooseTokens(logits, B, V, opts, opts.map((_, b) => new Rng(b)), false);
  assert.deepEqual(noLp.map((c) => c.id), got.map((c) => c.id));
  assert.ok(Number.isNaN(noLp[0]!.logprob) && noLp[1]!.logprob === got[1]!.logprob);
});

test("topLogits returns each row's largest logits in order (ties by id) and its log-sum-exp", () => {
  const logits = Float32Array.from([0.5, 2, -1, 2, 7, 0.5, 3, -0.0, 0]);
  const V = 3, B = 3, K = 2, ids = new Int32Array(B * K), lse = new Float64Array(B);
  native.topLogits(ids, lse, logits, B, V, K);
  assert.deepEqual(Array.from(ids), [1, 0, 1, 0, 0, 1]);
  for (let b = 0; b < B; b++) {
    const row = Array.from(logits.subarray(b * V, (b + 1) * V)), m = Math.max(...row);
    assert.ok(Math.abs(lse[b]! - (m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0)))) < 1e-12);
  }
  assert.throws(() => native.topLogits(ids, lse, logits, B, V, 4), /K/);
});
