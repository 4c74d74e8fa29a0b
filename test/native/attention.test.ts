// native/attention.cpp (FlashAttention-2 tiles): causal GQA attention against the float64 twin
// (forward out and log-sum-exp; the backward's dq/dk/dv by central differences at small sizes and
// by the twin's analytic backward across many 64-wide tiles, segments and GQA), plus the
// invariants the model relies on: cached one-token decoding equals the full forward, keyStart
// masking equals the unpadded row alone, segIds equal separate sequences.
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";
import { attentionRef, attentionBackwardRef, type AttnShape } from "./reference.js";
import { numericGrad, randn, rng, maxAbsDiff, maxAbs, logMaxErr, atEverySimdLevel } from "./check.js";

type Masks = { keyStart?: Int32Array | null; segIds?: Int32Array | null };

function forward(q: Float32Array, k: Float32Array, v: Float32Array, s: AttnShape & Masks) {
  const out = new Float32Array(s.B * s.T * s.H * s.D);
  const lse = new Float32Array(s.B * s.H * s.T);
  native.attentionForward(out, lse, q, k, v, s.B, s.T, s.S, s.pos0, s.H, s.KH, s.D, s.keyStart ?? null, s.segIds ?? null);
  return { out, lse };
}

function backward(q: Float32Array, k: Float32Array, v: Float32Array, dout: Float32Array, s: AttnShape & Masks) {
  const { out, lse } = forward(q, k, v, s);
  const nq = s.B * s.T * s.H * s.D, nk = s.B * s.T * s.KH * s.D;
  const r = rng(99);
  const dq = randn(r, nq), dk = randn(r, nk), dv = randn(r, nk); // garbage: the backward writes
  native.attentionBackward(dq, dk, dv, dout, out, lse, q, k, v, s.B, s.T, s.H, s.KH, s.D, s.segIds ?? null);
  return { dq, dk, dv };
}

/** Packed segments of the given lengths, as segIds[T]. */
function segments(lens: number[]): Int32Array {
  return Int32Array.from(lens.flatMap((l, i) => Array(l).fill(i) as number[]));
}

test("attentionForward's out and lse match the float64 twin with GQA, keyStart and segIds", () => {
  atEverySimdLevel((level) => {
    const r = rng(50);
    const cases: (AttnShape & Masks)[] = [
      { B: 2, T: 7, S: 7, pos0: 0, H: 4, KH: 2, D: 8 },
      { B: 1, T: 5, S: 9, pos0: 3, H: 3, KH: 1, D: 5 },
      { B: 3, T: 6, S: 6, pos0: 0, H: 2, KH: 2, D: 4, keyStart: Int32Array.from([0, 2, 5]) },
      { B: 2, T: 9, S: 9, pos0: 0, H: 4, KH: 2, D: 6, segIds: Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 5, 5, 5, 5, 5, 5, 5, 7, 7]) },
      // T >= 16 takes the packed (tiled) path: with a cache offset, left padding and segments
      { B: 2, T: 20, S: 29, pos0: 5, H: 4, KH: 2, D: 17, keyStart: Int32Array.from([0, 7]),
        segIds: Int32Array.from({ length: 58 }, (_, i) => Math.floor((i % 29) / 6)) },
      { B: 1, T: 33, S: 33, pos0: 0, H: 2, KH: 1, D: 16 },
      // several 64-wide query and key tiles: diagonal, skipped and segment-edge tiles, a cache offset
      { B: 2, T: 150, S: 150, pos0: 0, H: 4, KH: 2, D: 24,
        segIds: Int32Array.from([...segments([70, 3, 60, 17]), ...segments([150]).map((x) => x + 9)]) },
      { B: 2, T: 70, S: 200, pos0: 100, H: 2, KH: 1, D: 7, keyStart: Int32Array.from([0, 90]) },
    ];
    for (const s of cases) {
      const q = randn(r, s.B * s.T * s.H * s.D, 2), k = randn(r, s.B * s.S * s.KH * s.D, 2), v = randn(r, s.B * s.S * s.KH * s.D);
      const got = forward(q, k, v, s);
      const want = attentionRef(q, k, v, s);
      const eo = maxAbsDiff(got.out, want.out);
      let el = 0;
      for (let i = 0; i < want.lse.length; i++) {
        if (want.lse[i] === -Infinity) assert.equal(got.lse[i], -Infinity, `lse[${i}] of a row that sees no key`);
        else el = Math.max(el, Math.abs(got.lse[i]! - want.lse[i]!));
      }
      logMaxErr(`[${level}] attentionForward B=${s.B} T=${s.T} out`, eo);
      logMaxErr(`[${level}] attentionForward B=${s.B} T=${s.T} lse`, el);
      assert.ok(eo < 1e-5 && el < 1e-5, `[${level}] T=${s.T} out ${eo} lse ${el}`);
    }
  });
});

test("attentionBackward's dq, dk, dv equal central differences of the twin (GQA, packed segIds, odd D)", () => {
  atEverySimdLevel((level) => {
    const r = rng(51);
    const cases: (AttnShape & Masks)[] = [
      { B: 2, T: 5, S: 5, pos0: 0, H: 4, KH: 2, D: 3 },
      { B: 1, T: 6, S: 6, pos0: 0, H: 2, KH: 1, D: 4, segIds: Int32Array.from([3, 3, 4, 4, 4, 9]) },
      { B: 1, T: 17, S: 17, pos0: 0, H: 2, KH: 1, D: 3, segIds: Int32Array.from({ length: 17 }, (_, i) => (i < 10 ? 0 : 1)) },
    ];
    for (const s of cases) {
      const nq = s.B * s.T * s.H * s.D, nk = s.B * s.T * s.KH * s.D;
      const q = randn(r, nq, 1.5), k = randn(r, nk, 1.5), v = randn(r, nk), dout = randn(r, nq);
      const { dq, dk, dv } = backward(q, k, v, dout, s);
      const twin = attentionBackwardRef(q, k, v, dout, s);
      const nqg = numericGrad((x) => attentionRef(x, k, v, s).out, q, dout);
      const nkg = numericGrad((x) => attentionRef(q, x, v, s).out, k, dout);
      const nvg = numericGrad((x) => attentionRef(q, k, x, s).out, v, dout);
      for (const [name, got, num] of [["dq", dq, nqg], ["dk", dk, nkg], ["dv", dv, nvg]] as const) {
        const err = maxAbsDiff(got, num) / Math.max(1, maxAbs(num));
        logMaxErr(`[${level}] attentionBackward T=${s.T} ${name} segIds=${!!s.segIds}`, err);
        assert.ok(err < 1e-5, `[${level}] ${name} err ${err}`);
      }
      // the analytic twin used below at sizes central differences cannot afford
      for (const [name, got, num] of [["dq", twin.dq, nqg], ["dk", twin.dk, nkg], ["dv", twin.dv, nvg]] as const)
        assert.ok(maxAbsDiff(got, num) / Math.max(1, maxAbs(num)) < 1e-6, `twin ${name}`);
    }
  });
});

test("attentionBackward matches the twin's analytic backward across many tiles (causal, segments, GQA)", () => {
  atEverySimdLevel((level) => {
    const r = rng(56);
    const cases: (AttnShape & Masks)[] = [
      { B: 1, T: 200, S: 200, pos0: 0, H: 4, KH: 2, D: 16 },
      { B: 2, T: 150, S: 150, pos0: 0, H: 2, KH: 1, D: 9,
        segIds: Int32Array.from([...segments([64, 1, 20, 65]), ...segments([10, 140]).map((x) => x + 4)]) },
    ];
    for (const s of cases) {
      const nq = s.B * s.T * s.H * s.D, nk = s.B * s.T * s.KH * s.D;
      const q = randn(r, nq, 1.5), k = randn(r, nk, 1.5), v = randn(r, nk), dout = randn(r, nq);
      const got = backward(q, k, v, dout, s);
      const want = attentionBackwardRef(q, k, v, dout, s);
      for (const name of ["dq", "dk", "dv"] as const) {
        const err = maxAbsDiff(got[name], want[name]) / Math.max(1, maxAbs(want[name]));
        logMaxErr(`[${level}] attentionBackward T=${s.T} B=${s.B} ${name} (twin)`, err);
        assert.ok(err < 1e-5, `[${level}] T=${s.T} ${name} err ${err}`);
      }
    }
  });
});

test("decoding one token at a time into a KV cache of capacity S equals the full forward", () => {
  const r = rng(52);
  const [B, T, S, H, KH, D] = [2, 18, 24, 4, 2, 8]; // full forward tiled (T >= 16), decoding direct
  const q = randn(r, B * T * H * D), k = randn(r, B * T * KH * D), v = randn(r, B * T * KH * D);
  const full = forward(q, k, v, { B, T, S: T, pos0: 0, H, KH, D }).out;
  // The cache starts as NaN: any read of a slot not yet written would poison the output.
  const kc = new Float32Array(B * S * KH * D).fill(NaN), vc = new Float32Array(B * S * KH * D).fill(NaN);
  const row = H * D, krow = KH * D;
  for (let t = 0; t < T; t++) {
    const qt = new Float32Array(B * row);
    for (let b = 0; b < B; b++) {
      qt.set(q.subarray((b * T + t) * row, (b * T + t + 1) * row), b * row);
      kc.set(k.subarray((b * T + t) * krow, (b * T + t + 1) * krow), (b * S + t) * krow);
      vc.set(v.subarray((b * T + t) * krow, (b * T + t + 1) * krow), (b * S + t) * krow);
    }
    const out = new Float32Array(B * row);
    native.attentionForward(out, null, qt, kc, vc, B, 1, S, t, H, KH, D, null, null);
    for (let b = 0; b < B; b++) {
      const err = maxAbsDiff(out.subarray(b * row, (b + 1) * row), full.subarray((b * T + t) * row, (b * T + t + 1) * row));
      assert.ok(err < 1e-6, `b=${b} t=${t} err ${err}`);
    }
  }
});

test("keyStart masking of a left-padded row equals running the unpadded row alone", () => {
  const r = rng(53);
  const [T, H, KH, D, pad] = [7, 2, 1, 4, 3];
  const L = T - pad;
  const q = randn(r, 2 * T * H * D), k = randn(r, 2 * T * KH * D), v = randn(r, 2 * T * KH * D);
  for (let i = 0; i < pad * KH * D; i++) { k[i] = 1e3; v[i] = 1e3; } // padded keys of row 0: must be ignored
  const batched = forward(q, k, v, { B: 2, T, S: T, pos0: 0, H, KH, D, keyStart: Int32Array.from([pad, 0]) });
  const alone = forward(q.subarray(pad * H * D, T * H * D), k.subarray(pad * KH * D, T * KH * D), v.subarray(pad * KH * D, T * KH * D),
    { B: 1, T: L, S: L, pos0: 0, H, KH, D });
  assert.ok(maxAbsDiff(batched.out.subarray(pad * H * D, T * H * D), alone.out) < 1e-6);
  const row1 = forward(q.subarray(T * H * D), k.subarray(T * KH * D), v.subarray(T * KH * D), { B: 1, T, S: T, pos0: 0, H, KH, D });
  assert.ok(maxAbsDiff(batched.out.subarray(T * H * D), row1.out) < 1e-6);
  // queries sitting on padding see no key at all: output 0, lse -Infinity
  for (let i = 0; i < pad * H * D; i++) assert.equal(batched.out[i], 0);
});

test("packed sequences with segIds equal the sequences run separately, forward and backward", () => {
  const r = rng(54);
  const [H, KH, D] = [4, 2, 5];
  const lens = [3, 5, 1];
  const T = lens.reduce((a, b) => a + b, 0);
  const seg = segments(lens);
  const q = randn(r, T * H * D), k = randn(r, T * KH * D), v = randn(r, T * KH * D), dout = randn(r, T * H * D);
  const ps = { B: 1, T, S: T, pos0: 0, H, KH, D, segIds: seg };
  const packed = forward(q, k, v, ps);
  const { dq: pdq, dk: pdk, dv: pdv } = backward(q, k, v, dout, ps);
  let t0 = 0;
  for (const L of lens) {
    const sl = (a: Float32Array, w: number) => a.subarray(t0 * w, (t0 + L) * w);
    const os = { B: 1, T: L, S: L, pos0: 0, H, KH, D };
    const one = forward(sl(q, H * D), sl(k, KH * D), sl(v, KH * D), os);
    assert.ok(maxAbsDiff(sl(packed.out, H * D), one.out) < 1e-6);
    const { dq, dk, dv } = backward(sl(q, H * D), sl(k, KH * D), sl(v, KH * D), sl(dout, H * D), os);
    assert.ok(maxAbsDiff(sl(pdq, H * D), dq) < 1e-6);
    assert.ok(maxAbsDiff(sl(pdk, KH * D), dk) < 1e-6);
    assert.ok(maxAbsDiff(sl(pdv, KH * D), dv) < 1e-6);
    t0 += L;
  }
});

test("a threaded size (B=4, T=64, H=6) matches the twin", () => {
  atEverySimdLevel((level) => {
    const r = rng(55);
    const s = { B: 4, T: 64, S: 64, pos0: 0, H: 6, KH: 3, D: 16 };
    const q = randn(r, s.B * s.T * s.H * s.D), k = randn(r, s.B * s.T * s.KH * s.D), v = randn(r, s.B * s.T * s.KH * s.D);
    const got = forward(q, k, v, s);
    const err = maxAbsDiff(got.out, attentionRef(q, k, v, s).out);
    logMaxErr(`[${level}] attentionForward threaded`, err);
    assert.ok(err < 1e-5, `[${level}] err ${err}`);
  });
});

test("attention kernels validate shapes, capacity and keyStart", () => {
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => native.attentionForward(f(24), null, f(24), f(24), f(24), 1, 2, 2, 1, 3, 2, 4, null, null),
    /attentionForward: H \(3\) must be a positive multiple of KH \(2\)/);
  assert.throws(() => native.attentionForward(f(8), null, f(8), f(8), f(8), 1, 2, 2, 1, 1, 1, 4, null, null),
    /attentionForward: pos0 \+ T \(3\) exceeds the capacity S \(2\)/);
  assert.throws(() => native.attentionForward(f(8), f(1), f(8), f(8), f(8), 1, 2, 2, 0, 1, 1, 4, null, null),
    /argument 1 \(lse\) has 1 elements, needs at least 2/);
  assert.throws(() => native.attentionForward(f(8), null, f(8), f(8), f(8), 1, 2, 2, 0, 1, 1, 4, Int32Array.from([3]), null),
    (e: unknown) => e instanceof RangeError && /keyStart\[0\] = 3 is outside \[0, S\]/.test(e.message));
  assert.throws(() => native.attentionForward(f(8), null, f(8), f(8), f(8), 1, 2, 2, 0, 1, 1, 4, null, new Int32Array(1)),
    /argument 13 \(segIds\) has 1 elements, needs at least 2/);
  assert.throws(() => native.attentionBackward(f(8), f(8), f(7), f(8), f(8), f(2), f(8), f(8), f(8), 1, 2, 1, 1, 4, null),
    /attentionBackward: argument 2 \(dv\) has 7 elements, needs at least 8/);
  assert.throws(() => native.attentionBackward(f(8), f(8), f(8), f(8), f(8), f(1), f(8), f(8), f(8), 1, 2, 1, 1, 4, null),
    /attentionBackward: argument 5 \(lse\) has 1 elements, needs at least 2/);
  assert.throws(() => native.attentionBackward(f(8), f(8), f(8), f(8), f(8), f(2), f(8), f(8), f(8), 1, 2, 1, 1, 4, new Int32Array(1)),
    /argument 14 \(segIds\) has 1 elements, needs at least 2/);
});
