// Tiled attention without the T x S probability matrix (FlashAttention-2: Dao 2023, Algorithms 1
// and 2): the forward runs an online softmax over key tiles and saves only each query row's
// log-sum-exp; the backward recomputes P = exp(q k^T * scale - lse) tile by tile. Masks as
// native/attention.cpp states them (causal from pos0, keyStart, segIds); tiles that the causal
// or segment mask empties entirely are skipped, and only tiles crossing a mask edge are masked.
// Products are native/attention_tiles.h's register-blocked four-row tiles.
#pragma once
#include <algorithm>
#include <cfloat>
#include "attention_tiles.h"

namespace llama2::flash {

using tiles::roundUp;

constexpr int64_t kBr = 64;  // query rows per tile
constexpr int64_t kBc = 64;  // keys per tile (a multiple of tiles::kW)

inline int64_t roundTile(int64_t n) { return (n + kBc - 1) / kBc * kBc; }

struct Shape {
  int64_t B, T, S, pos0, H, KH, D;
};

// Segment id range [lo, hi] of segIds over [j0, j1) (positions past `valid` are ignored).
struct SegRange {
  int32_t lo, hi;
  bool disjoint(const SegRange& o) const { return hi < o.lo || o.hi < lo; }
  bool uniformWith(const SegRange& o) const { return lo == hi && o.lo == o.hi && lo == o.lo; }
};
inline SegRange segRange(const int32_t* seg, int64_t j0, int64_t j1) {
  SegRange r{INT32_MAX, INT32_MIN};
  for (int64_t j = j0; j < j1; j++) r.lo = std::min(r.lo, seg[j]), r.hi = std::max(r.hi, seg[j]);
  return r;
}

// Packed operands of one (b, kv head) for the forward: Kt = K^T * scale [D][Sp], V [Sp][Dp]
// (Sp = roundTile(pos0 + T) keys, zero past the valid ones so whole tiles can be read).
inline int64_t packedKvFloats(const Shape& s) {
  const int64_t Sp = roundTile(s.pos0 + s.T);
  return s.D * Sp + Sp * roundUp(s.D);
}
inline void packKv(const Shape& s, int64_t b, int64_t kh, const float* k, const float* v, float* dst) {
  const int64_t Sv = s.pos0 + s.T, Sp = roundTile(Sv), D = s.D, Dp = roundUp(D), ld = s.KH * D;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  float* Kt = dst;
  float* Vp = dst + D * Sp;
  tiles::packTransposed(Kt, k + (b * s.S * s.KH + kh) * D, ld, Sv, D, Sp);
  for (int64_t i = 0; i < D * Sp; i++) Kt[i] *= scale;
  tiles::packRows(Vp, v + (b * s.S * s.KH + kh) * D, ld, Sv, D, Dp);
  std::memset(Vp + Sv * Dp, 0, sizeof(float) * (Sp - Sv) * Dp);
}

// Per-thread scratch floats of forwardTile.
inline int64_t forwardScratch(const Shape& s) {
  const int64_t Dp = roundUp(s.D);
  return kBr * s.D + kBr * kBc + kBr * Dp + 2 * kBr;
}

// Sets masked scores of row `qpos` over keys [jt, jt + nc) to -inf.
LLAMA2_INLINE void maskRow(float* row, int64_t jt, int64_t nc, int64_t lo, int64_t qpos, const int32_t* seg) {
  for (int64_t c = 0; c < nc; c++) {
    const int64_t j = jt + c;
    if (j < lo || j > qpos || (seg && seg[j] != seg[qpos])) row[c] = -INFINITY;
  }
}

// Forward of query rows [t0, t0 + kBr) of (b, h): out rows and lse (null = not saved).
// kv: packKv's block for (b, h's kv head); kseg: SegRange of every key tile of row b (or null).
LLAMA2_INLINE void forwardTile(const Shape& s, int64_t b, int64_t h, int64_t t0, float* out, float* lse,
                               const float* q, const float* kv, const int32_t* keyStart, const int32_t* segIds,
                               const SegRange* kseg, float* scratch) {
  const int64_t D = s.D, Dp = roundUp(D), Sp = roundTile(s.pos0 + s.T);
  const int64_t n = std::min(kBr, s.T - t0);
  const float* Kt = kv;
  const float* Vp = kv + D * Sp;
  float* qs = scratch;        // [kBr][D], rows >= n zero
  float* P = qs + kBr * D;    // [kBr][kBc]
  float* O = P + kBr * kBc;   // [kBr][Dp]
  float* m = O + kBr * Dp;    // [kBr] running max
  float* l = m + kBr;         // [kBr] running sum
  for (int64_t i = 0; i < n; i++) std::memcpy(qs + i * D, q + ((b * s.T + t0 + i) * s.H + h) * D, sizeof(float) * D);
  std::memset(qs + n * D, 0, sizeof(float) * (kBr - n) * D);
  std::memset(O, 0, sizeof(float) * kBr * Dp);
  for (int64_t i = 0; i < kBr; i++) m[i] = -INFINITY, l[i] = 0.0f;
  const int32_t* seg = segIds ? segIds + b * s.S : nullptr;
  const int64_t qlo = s.pos0 + t0, qhi = qlo + n;  // query positions [qlo, qhi)
  const int64_t lo = keyStart ? keyStart[b] : 0;
  const SegRange qseg = seg ? segRange(seg, qlo, qhi) : SegRange{0, 0};
  const int64_t nr4 = (n + 3) / 4 * 4;
  for (int64_t jt = lo / kBc * kBc; jt < qhi; jt += kBc) {
    const SegRange& ks = seg ? kseg[jt / kBc] : qseg;
    if (seg && ks.disjoint(qseg)) continue;
    const int64_t nc = std::min(kBc, roundUp(qhi) - jt);  // a multiple of tiles::kW
    for (int64_t r = 0; r < nr4; r += 4) tiles::scoreRows4(P + r * kBc, kBc, qs + r * D, D, Kt + jt, Sp, D, 0, nc);
    const bool needMask = jt < lo || jt + nc - 1 > qlo || (seg && !ks.uniformWith(qseg));
    for (int64_t i = 0; i < nr4; i++) {
      float* row = P + i * kBc;
      if (i >= n) { std::memset(row, 0, sizeof(float) * nc); continue; }
      if (needMask) maskRow(row, jt, nc, lo, qlo + i, seg);
      float mt = -INFINITY;
#pragma omp simd reduction(max : mt)
      for (int64_t c = 0; c < nc; c++) mt = row[c] > mt ? row[c] : mt;
      const float mNew = std::max(m[i], mt);
      if (mNew == -INFINITY) { std::memset(row, 0, sizeof(float) * nc); continue; }
      float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
      for (int64_t c = 0; c < nc; c++) {
        const float e = fastExp(row[c] - mNew);
        row[c] = e;
        sum += e;
      }
      if (mNew != m[i]) {
        const float alpha = m[i] == -INFINITY ? 0.0f : fastExp(m[i] - mNew);
        float* o = O + i * Dp;
#pragma omp simd
        for (int64_t d = 0; d < Dp; d++) o[d] *= alpha;
        l[i] *= alpha;
        m[i] = mNew;
      }
      l[i] += sum;
    }
    for (int64_t r = 0; r < nr4; r += 4) tiles::weightedRows4(O + r * Dp, true, P + r * kBc, kBc, 1, Vp + jt * Dp, Dp, 0, nc);
  }
  for (int64_t i = 0; i < n; i++) {
    float* orow = out + ((b * s.T + t0 + i) * s.H + h) * D;
    const bool any = l[i] > 0.0f;
    const float inv = any ? 1.0f / l[i] : 0.0f;  // a query with no visible key (a padding slot) outputs 0
    for (int64_t d = 0; d < D; d++) orow[d] = O[i * Dp + d] * inv;
    if (lse) lse[(b * s.H + h) * s.T + t0 + i] = any ? m[i] + std::log(l[i]) : -INFINITY;
  }
}

// Per-thread scratch floats of backwardGroup (training: pos0 = 0, S = T).
inline int64_t backwardScratch(const Shape& s) {
  const int64_t Tp = roundTile(s.T), Dp = roundUp(s.D);
  return 6 * Tp * Dp + 2 * s.D * Tp + 3 * kBr * kBc + Tp;
}

// One (batch row b, kv head kh) with its H/KH query heads, so dk/dv have a single writer.
// With P = exp(s - lse), s = q.k * scale, masked entries 0, and Di = dout_i . out_i:
//   dv_j += sum_i P_ij dout_i;  dP_ij = dout_i . v_j;  dS_ij = P_ij (dP_ij - Di) * scale;
//   dq_i += sum_j dS_ij k_j;    dk_j += sum_i dS_ij q_i.
// Key tiles outer (dk/dv tile accumulators stay in cache), query tiles inner.
LLAMA2_INLINE void backwardGroup(const Shape& s, int64_t b, int64_t kh, float* dq, float* dk, float* dv,
                                 const float* dout, const float* out, const float* lse, const float* q,
                                 const float* k, const float* v, const int32_t* segIds, float* scratch) {
  const int64_t D = s.D, T = s.T, H = s.H, group = s.H / s.KH;
  const int64_t Tp = roundTile(T), Dp = roundUp(D), nt = Tp / kBc;
  const int64_t ldkv = s.KH * D, ldq = H * D;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  float* Kp = scratch;         // [Tp][Dp]  k rows
  float* Qp = Kp + Tp * Dp;    // [Tp][Dp]  q rows of head h
  float* dOp = Qp + Tp * Dp;   // [Tp][Dp]  dout rows of head h
  float* dQa = dOp + Tp * Dp;  // [Tp][Dp]
  float* dKa = dQa + Tp * Dp;  // [Tp][Dp]
  float* dVa = dKa + Tp * Dp;  // [Tp][Dp]
  float* Kts = dVa + Tp * Dp;  // [D][Tp]   k^T * scale
  float* Vt = Kts + D * Tp;    // [D][Tp]   v^T
  float* P = Vt + D * Tp;      // [kBr][kBc]
  float* dP = P + kBr * kBc;   // [kBr][kBc]
  float* dS = dP + kBr * kBc;  // [kBr][kBc]
  float* Di = dS + kBr * kBc;  // [Tp]
  const float* kb = k + (b * T * s.KH + kh) * D;
  const float* vb = v + (b * T * s.KH + kh) * D;
  tiles::packRows(Kp, kb, ldkv, T, D, Dp);
  std::memset(Kp + T * Dp, 0, sizeof(float) * (Tp - T) * Dp);
  tiles::packTransposed(Kts, kb, ldkv, T, D, Tp);
  for (int64_t i = 0; i < D * Tp; i++) Kts[i] *= scale;
  tiles::packTransposed(Vt, vb, ldkv, T, D, Tp);
  std::memset(Qp + T * Dp, 0, sizeof(float) * (Tp - T) * Dp);
  std::memset(dOp + T * Dp, 0, sizeof(float) * (Tp - T) * Dp);
  std::memset(dKa, 0, sizeof(float) * 2 * Tp * Dp);
  const int32_t* seg = segIds ? segIds + b * T : nullptr;
  for (int64_t h = kh * group; h < (kh + 1) * group; h++) {
    tiles::packRows(Qp, q + (b * T * H + h) * D, ldq, T, D, Dp);
    tiles::packRows(dOp, dout + (b * T * H + h) * D, ldq, T, D, Dp);
    std::memset(dQa, 0, sizeof(float) * Tp * Dp);
    const float* L = lse + (b * H + h) * T;
    for (int64_t t = 0; t < T; t++) {
      const float* o = out + ((b * T + t) * H + h) * D;
      const float* g = dout + ((b * T + t) * H + h) * D;
      float acc = 0.0f;
      for (int64_t d = 0; d < D; d++) acc += o[d] * g[d];
      Di[t] = acc;
    }
    for (int64_t kt = 0; kt < nt; kt++) {
      const int64_t jt = kt * kBc, nc = kBc;
      const SegRange ks = seg ? segRange(seg, jt, std::min(jt + kBc, T)) : SegRange{0, 0};
      for (int64_t t0 = jt / kBr * kBr; t0 < T; t0 += kBr) {
        const int64_t n = std::min(kBr, T - t0), nr4 = (n + 3) / 4 * 4;
        const SegRange qs = seg ? segRange(seg, t0, t0 + n) : SegRange{0, 0};
        if (seg && ks.disjoint(qs)) continue;
        for (int64_t r = 0; r < nr4; r += 4) {
          tiles::scoreRows4(P + r * kBc, kBc, Qp + (t0 + r) * Dp, Dp, Kts + jt, Tp, D, 0, nc);
          tiles::scoreRows4(dP + r * kBc, kBc, dOp + (t0 + r) * Dp, Dp, Vt + jt, Tp, D, 0, nc);
        }
        const bool needMask = jt + nc - 1 > t0 || (seg && !ks.uniformWith(qs));
        for (int64_t i = 0; i < nr4; i++) {
          float* pr = P + i * kBc;
          float* dsr = dS + i * kBc;
          const float* dpr = dP + i * kBc;
          const int64_t t = t0 + i;
          if (i >= n || L[t] == -INFINITY) {
            std::memset(pr, 0, sizeof(float) * nc);
            std::memset(dsr, 0, sizeof(float) * nc);
            continue;
          }
          if (needMask) maskRow(pr, jt, nc, 0, t, seg);
          const float li = L[t], di = Di[t];
#pragma omp simd
          for (int64_t c = 0; c < nc; c++) {
            const float p = fastExp(pr[c] - li);
            pr[c] = p;
            dsr[c] = p * (dpr[c] - di) * scale;
          }
        }
        for (int64_t c = 0; c < nc; c += 4) {
          tiles::weightedRows4(dVa + (jt + c) * Dp, true, P + c, 1, kBc, dOp + t0 * Dp, Dp, 0, nr4);
          tiles::weightedRows4(dKa + (jt + c) * Dp, true, dS + c, 1, kBc, Qp + t0 * Dp, Dp, 0, nr4);
        }
        for (int64_t r = 0; r < nr4; r += 4)
          tiles::weightedRows4(dQa + (t0 + r) * Dp, true, dS + r * kBc, kBc, 1, Kp + jt * Dp, Dp, 0, nc);
      }
    }
    for (int64_t t = 0; t < T; t++) std::memcpy(dq + ((b * T + t) * H + h) * D, dQa + t * Dp, sizeof(float) * D);
  }
  for (int64_t j = 0; j < T; j++) {
    std::memcpy(dk + ((b * T + j) * s.KH + kh) * D, dKa + j * Dp, sizeof(float) * D);
    std::memcpy(dv + ((b * T + j) * s.KH + kh) * D, dVa + j * Dp, sizeof(float) * D);
  }
}

}  // namespace llama2::flash
