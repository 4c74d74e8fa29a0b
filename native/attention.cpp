// Causal scaled-dot-product attention with GQA (paper §2.2 / Table 1 "GQA"; llama.py Attention:
// repeat_kv, scores = q k^T / sqrt(D), mask, softmax in float32, out = p v), with the masks the
// later stages need: a KV cache of capacity S filled up to pos0 + T, keyStart[b] for left-padded
// batched decoding, and segIds[B,S] for packed sequences (block-diagonal causal mask).
// Backward (training, pos0 = 0, S = T) from the saved probabilities. Parallel over (b, head);
// the inner products are native/attention_tiles.h's register-blocked tiles (no GEMM call).
#include <algorithm>
#include <cfloat>
#include <vector>
#include "attention_tiles.h"

using namespace llama2;

namespace {

using tiles::roundUp;

struct Shape {
  int64_t B, T, S, pos0, H, KH, D;
};

// Below this many queries (decoding) the forward reads K and V in place, one dot product per key;
// from it on it packs K^T and V per head and runs the register-blocked tiles.
constexpr int64_t kTiledMinT = 16;

LLAMA2_INLINE float dot(const float* a, const float* b, int64_t D) {
  float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
  for (int64_t d = 0; d < D; d++) acc += a[d] * b[d];
  return acc;
}

LLAMA2_INLINE void axpy(float* y, float a, const float* x, int64_t D) {
#pragma omp simd
  for (int64_t d = 0; d < D; d++) y[d] += a * x[d];
}

// Softmax in place over sc[j0, j1) (masked entries already -inf, they become exactly 0); returns
// false when every key is masked.
LLAMA2_INLINE bool softmaxRange(float* sc, int64_t j0, int64_t j1) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = j0; j < j1; j++) mx = sc[j] > mx ? sc[j] : mx;
  if (mx == -INFINITY) return false;
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = j0; j < j1; j++) {
    const float e = fastExp(sc[j] - mx);
    sc[j] = e;
    sum += e;
  }
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int64_t j = j0; j < j1; j++) sc[j] *= inv;
  return true;
}

// Scores of query t against keys [j0, j1) are in sc (scaled); masks, softmax, probs row, out row.
LLAMA2_INLINE bool finishRow(float* sc, const int32_t* seg, int64_t qpos, int64_t j0, int64_t j1, float* prow,
                             int64_t S) {
  if (seg) {
    const int32_t qseg = seg[qpos];
    for (int64_t j = j0; j < j1; j++)
      if (seg[j] != qseg) sc[j] = -INFINITY;
  }
  const bool any = j0 < j1 && softmaxRange(sc, j0, j1);
  if (prow) {
    std::memset(prow, 0, sizeof(float) * S);
    if (any) std::memcpy(prow + j0, sc + j0, sizeof(float) * (j1 - j0));
  }
  return any;
}

// Decoding path for one (b, h): K and V read in place. scratch: S floats.
LLAMA2_INLINE void forwardHeadDirect(const Shape& s, int64_t b, int64_t h, float* out, float* probs, const float* q,
                                     const float* k, const float* v, const int32_t* keyStart, const int32_t* segIds,
                                     float* sc) {
  const int64_t D = s.D, kh = h / (s.H / s.KH), ld = s.KH * D;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const int64_t lo = keyStart ? keyStart[b] : 0;
  const float* kb = k + (b * s.S * s.KH + kh) * D;
  const float* vb = v + (b * s.S * s.KH + kh) * D;
  for (int64_t t = 0; t < s.T; t++) {
    const int64_t qpos = s.pos0 + t, j0 = lo, j1 = qpos + 1;
    const float* qr = q + ((b * s.T + t) * s.H + h) * D;
    float* orow = out + ((b * s.T + t) * s.H + h) * D;
    for (int64_t j = j0; j < j1; j++) sc[j] = dot(qr, kb + j * ld, D) * scale;
    float* prow = probs ? probs + ((b * s.H + h) * s.T + t) * s.S : nullptr;
    std::memset(orow, 0, sizeof(float) * D);
    if (!finishRow(sc, segIds ? segIds + b * s.S : nullptr, qpos, j0, j1, prow, s.S)) continue;
    for (int64_t j = j0; j < j1; j++)
      if (sc[j] != 0.0f) axpy(orow, sc[j], vb + j * ld, D);
  }
}

// Floats of scratch forwardHeadTiled needs.
int64_t forwardScratch(const Shape& s) {
  const int64_t Sv = s.pos0 + s.T, Sp = roundUp(Sv), Dp = roundUp(s.D);
  return s.D * Sp + Sv * Dp + 4 * (Sp + s.D + Dp);
}

// Prefill / training path for one (b, h): K^T [D][Sp] and V [Sv][Dp] packed, then four queries
// at a time through the tiles (each K^T / V block loaded once for the four).
LLAMA2_INLINE void forwardHeadTiled(const Shape& s, int64_t b, int64_t h, float* out, float* probs, const float* q,
                                    const float* k, const float* v, const int32_t* keyStart, const int32_t* segIds,
                                    float* scratch) {
  const int64_t D = s.D, kh = h / (s.H / s.KH), ld = s.KH * D;
  const int64_t Sv = s.pos0 + s.T, Sp = roundUp(Sv), Dp = roundUp(D);
  float* Kt = scratch;         // [D][Sp]
  float* Vp = Kt + D * Sp;     // [Sv][Dp]
  float* sc = Vp + Sv * Dp;    // [4][Sp]
  float* qs = sc + 4 * Sp;     // [4][D]
  float* ob = qs + 4 * D;      // [4][Dp]
  tiles::packTransposed(Kt, k + (b * s.S * s.KH + kh) * D, ld, Sv, D, Sp);
  tiles::packRows(Vp, v + (b * s.S * s.KH + kh) * D, ld, Sv, D, Dp);
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const int64_t j0 = keyStart ? keyStart[b] : 0;
  const int32_t* seg = segIds ? segIds + b * s.S : nullptr;
  for (int64_t t0 = 0; t0 < s.T; t0 += 4) {
    const int64_t n = std::min<int64_t>(4, s.T - t0), jEnd = s.pos0 + t0 + n;  // keys of the last query
    for (int64_t i = 0; i < n; i++) {
      const float* qr = q + ((b * s.T + t0 + i) * s.H + h) * D;
#pragma omp simd
      for (int64_t d = 0; d < D; d++) qs[i * D + d] = qr[d] * scale;
    }
    std::memset(qs + n * D, 0, sizeof(float) * (4 - n) * D);
    if (j0 < jEnd) tiles::scoreRows4(sc, Sp, qs, D, Kt, Sp, D, j0, jEnd);
    bool any[4] = {false, false, false, false};
    for (int64_t i = 0; i < 4; i++) {
      float* si = sc + i * Sp;
      const int64_t qpos = s.pos0 + t0 + i, j1 = std::min(qpos + 1, jEnd);
      if (i < n) {
        float* prow = probs ? probs + ((b * s.H + h) * s.T + t0 + i) * s.S : nullptr;
        any[i] = finishRow(si, seg, qpos, j0, j1, prow, s.S);
      }
      // keys this query may not see (later positions, or all when it sees none) weigh 0 in p·V
      for (int64_t j = any[i] ? j1 : j0; j < jEnd; j++) si[j] = 0.0f;
    }
    if (j0 < jEnd) tiles::weightedRows4(ob, false, sc, Sp, 1, Vp, Dp, j0, jEnd);
    for (int64_t i = 0; i < n; i++) {
      float* orow = out + ((b * s.T + t0 + i) * s.H + h) * D;
      if (any[i]) std::memcpy(orow, ob + i * Dp, sizeof(float) * D);
      else std::memset(orow, 0, sizeof(float) * D);  // a query with no visible key (a padding slot) outputs 0
    }
  }
}

LLAMA2_INLINE void forwardHead(const Shape& s, int64_t b, int64_t h, float* out, float* probs, const float* q,
                               const float* k, const float* v, const int32_t* keyStart, const int32_t* segIds,
                               float* scratch) {
  if (s.T < kTiledMinT) forwardHeadDirect(s, b, h, out, probs, q, k, v, keyStart, segIds, scratch);
  else forwardHeadTiled(s, b, h, out, probs, q, k, v, keyStart, segIds, scratch);
}
LLAMA2_SIMD_VARIANTS(forwardHeadSimd, forwardHead,
                     (const Shape& s, int64_t b, int64_t h, float* out, float* probs, const float* q, const float* k,
                      const float* v, const int32_t* keyStart, const int32_t* segIds, float* scratch),
                     (s, b, h, out, probs, q, k, v, keyStart, segIds, scratch))

// Floats of scratch backwardGroup needs (row counts rounded up to 4 for the 4-row tiles).
int64_t backwardScratch(const Shape& s) {
  const int64_t Tr = (s.T + 3) / 4 * 4, Tp = roundUp(s.T), Dp = roundUp(s.D);
  return 5 * Tr * Dp + s.D * Tp + Tr * Tp + 4 * Tp + 4 * Dp;
}

// One (batch row b, kv head kh) with its H/KH query heads, so dk/dv have a single writer.
//   dP[t][j] = dout_t . v_j;  ds[t][j] = p (dP - sum_j p dP) * scale;  dq_t = sum_j ds[t][j] k_j;
//   dk_j += sum_t ds[t][j] q_t;  dv_j += sum_t p[t][j] dout_t  (t >= j: causal).
LLAMA2_INLINE void backwardGroup(const Shape& s, int64_t b, int64_t kh, float* dq, float* dk, float* dv,
                                 const float* dout, const float* probs, const float* q, const float* k,
                                 const float* v, float* scratch) {
  const int64_t D = s.D, T = s.T, H = s.H, group = s.H / s.KH;
  const int64_t Tr = (T + 3) / 4 * 4, Tp = roundUp(T), Dp = roundUp(D);
  const int64_t ldkv = s.KH * D, ldq = H * D;
  float* Kp = scratch;         // [Tr][Dp]
  float* Qp = Kp + Tr * Dp;    // [Tr][Dp], rows >= T zero
  float* dOp = Qp + Tr * Dp;   // [Tr][Dp], rows >= T zero
  float* dKa = dOp + Tr * Dp;  // [Tr][Dp]
  float* dVa = dKa + Tr * Dp;  // [Tr][Dp]
  float* Vt = dVa + Tr * Dp;   // [D][Tp]
  float* dS = Vt + D * Tp;     // [Tr][Tp]: row t holds ds[t][j] for j <= t, zeros after
  float* dP = dS + Tr * Tp;    // [4][Tp]
  float* dqb = dP + 4 * Tp;    // [4][Dp]
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  tiles::packRows(Kp, k + (b * T * s.KH + kh) * D, ldkv, T, D, Dp);
  tiles::packTransposed(Vt, v + (b * T * s.KH + kh) * D, ldkv, T, D, Tp);
  std::memset(Qp + T * Dp, 0, sizeof(float) * (Tr - T) * Dp);
  std::memset(dOp + T * Dp, 0, sizeof(float) * (Tr - T) * Dp);
  std::memset(dKa, 0, sizeof(float) * 2 * Tr * Dp);
  std::memset(dS + T * Tp, 0, sizeof(float) * (Tr - T) * Tp);
  for (int64_t h = kh * group; h < (kh + 1) * group; h++) {
    tiles::packRows(Qp, q + (b * T * H + h) * D, ldq, T, D, Dp);
    tiles::packRows(dOp, dout + (b * T * H + h) * D, ldq, T, D, Dp);
    const float* P = probs + (b * H + h) * T * T;
    for (int64_t t0 = 0; t0 < T; t0 += 4) {
      const int64_t n = std::min<int64_t>(4, T - t0), jEnd = t0 + n;
      tiles::scoreRows4(dP, Tp, dOp + t0 * Dp, Dp, Vt, Tp, D, 0, jEnd);
      for (int64_t i = 0; i < n; i++) {
        const int64_t t = t0 + i;
        const float* prow = P + t * T;
        const float* dpr = dP + i * Tp;
        float* dsr = dS + t * Tp;
        float pdp = 0.0f;
#pragma omp simd reduction(+ : pdp)
        for (int64_t j = 0; j <= t; j++) pdp += prow[j] * dpr[j];
#pragma omp simd
        for (int64_t j = 0; j <= t; j++) dsr[j] = prow[j] * (dpr[j] - pdp) * scale;
        std::memset(dsr + t + 1, 0, sizeof(float) * (Tp - t - 1));
      }
      tiles::weightedRows4(dqb, false, dS + t0 * Tp, Tp, 1, Kp, Dp, 0, jEnd);
      for (int64_t i = 0; i < n; i++) std::memcpy(dq + ((b * T + t0 + i) * H + h) * D, dqb + i * Dp, sizeof(float) * D);
    }
    // keys four at a time: dK[j..j+3] += dS[t][j..j+3] q_t, dV[j..j+3] += P[t][j..j+3] dout_t, t >= j
    int64_t j = 0;
    for (; j + 4 <= T; j += 4) {
      tiles::weightedRows4(dKa + j * Dp, true, dS + j, 1, Tp, Qp, Dp, j, T);
      tiles::weightedRows4(dVa + j * Dp, true, P + j, 1, T, dOp, Dp, j, T);
    }
    for (; j < T; j++) {
      tiles::colTimes(dKa + j * Dp, dS, Tp, j, Qp, Dp, j, T);
      tiles::colTimes(dVa + j * Dp, P, T, j, dOp, Dp, j, T);
    }
  }
  for (int64_t j = 0; j < T; j++) {
    std::memcpy(dk + ((b * T + j) * s.KH + kh) * D, dKa + j * Dp, sizeof(float) * D);
    std::memcpy(dv + ((b * T + j) * s.KH + kh) * D, dVa + j * Dp, sizeof(float) * D);
  }
}
LLAMA2_SIMD_VARIANTS(backwardGroupSimd, backwardGroup,
                     (const Shape& s, int64_t b, int64_t kh, float* dq, float* dk, float* dv, const float* dout,
                      const float* probs, const float* q, const float* k, const float* v, float* scratch),
                     (s, b, kh, dq, dk, dv, dout, probs, q, k, v, scratch))

}  // namespace

// out[B,T,H,D] written, probs[B,H,T,S] written or null; q[B,T,H,D]; k,v[B,S,KH,D];
// keyStart[B] or null; segIds[B,S] or null.
static Napi::Value attentionForward(const Napi::CallbackInfo& info) {
  const char* fn = "attentionForward";
  expectArgs(info, fn, 14);
  Shape s{dim(info, fn, 5, "B"), dim(info, fn, 6, "T"), dim(info, fn, 7, "S"), dim(info, fn, 8, "pos0"),
          dim(info, fn, 9, "H"), dim(info, fn, 10, "KH"), dim(info, fn, 11, "D")};
  if (s.KH == 0 || s.H % s.KH != 0)
    fail(info, std::string(fn) + ": H (" + std::to_string(s.H) + ") must be a positive multiple of KH (" +
                   std::to_string(s.KH) + ")");
  if (s.pos0 + s.T > s.S)
    fail(info, std::string(fn) + ": pos0 + T (" + std::to_string(s.pos0 + s.T) + ") exceeds the capacity S (" +
                   std::to_string(s.S) + ")");
  float* out = f32(info, fn, 0, "out", s.B * s.T * s.H * s.D);
  float* probs = f32OrNull(info, fn, 1, "probs", s.B * s.H * s.T * s.S);
  const float* q = f32(info, fn, 2, "q", s.B * s.T * s.H * s.D);
  const float* k = f32(info, fn, 3, "k", s.B * s.S * s.KH * s.D);
  const float* v = f32(info, fn, 4, "v", s.B * s.S * s.KH * s.D);
  const int32_t* keyStart = i32OrNull(info, fn, 12, "keyStart", s.B);
  const int32_t* segIds = i32OrNull(info, fn, 13, "segIds", s.B * s.S);
  if (keyStart)
    for (int64_t b = 0; b < s.B; b++)
      if (keyStart[b] < 0 || keyStart[b] > s.S)
        failRange(info, std::string(fn) + ": keyStart[" + std::to_string(b) + "] = " + std::to_string(keyStart[b]) +
                            " is outside [0, S]");
  const int64_t work = s.B * s.H * s.T * (s.pos0 + s.T) * s.D;
  const auto head = forwardHeadSimdPick();
#pragma omp parallel if (work >= kParallelMin && s.B * s.H > 1)
  {
    std::vector<float> scratch(s.T < kTiledMinT ? s.S : forwardScratch(s));
#pragma omp for collapse(2) schedule(dynamic, 1)
    for (int64_t b = 0; b < s.B; b++)
      for (int64_t h = 0; h < s.H; h++) head(s, b, h, out, probs, q, k, v, keyStart, segIds, scratch.data());
  }
  return info.Env().Undefined();
}
LLAMA2_EXPORT("attentionForward", attentionForward);

// dq[B,T,H,D], dk/dv[B,T,KH,D] written; dout[B,T,H,D]; probs[B,H,T,T]; q[B,T,H,D]; k,v[B,T,KH,D].
static Napi::Value attentionBackward(const Napi::CallbackInfo& info) {
  const char* fn = "attentionBackward";
  expectArgs(info, fn, 13);
  const int64_t B = dim(info, fn, 8, "B"), T = dim(info, fn, 9, "T"), H = dim(info, fn, 10, "H"),
                KH = dim(info, fn, 11, "KH"), D = dim(info, fn, 12, "D");
  if (KH == 0 || H % KH != 0)
    fail(info, std::string(fn) + ": H (" + std::to_string(H) + ") must be a positive multiple of KH (" +
                   std::to_string(KH) + ")");
  Shape s{B, T, T, 0, H, KH, D};
  float* dq = f32(info, fn, 0, "dq", B * T * H * D);
  float* dk = f32(info, fn, 1, "dk", B * T * KH * D);
  float* dv = f32(info, fn, 2, "dv", B * T * KH * D);
  const float* dout = f32(info, fn, 3, "dout", B * T * H * D);
  const float* probs = f32(info, fn, 4, "probs", B * H * T * T);
  const float* q = f32(info, fn, 5, "q", B * T * H * D);
  const float* k = f32(info, fn, 6, "k", B * T * KH * D);
  const float* v = f32(info, fn, 7, "v", B * T * KH * D);
  const int64_t work = B * H * T * T * D;
  const auto group = backwardGroupSimdPick();
#pragma omp parallel if (work >= kParallelMin && B * KH > 1)
  {
    std::vector<float> scratch(backwardScratch(s));
#pragma omp for collapse(2) schedule(dynamic, 1)
    for (int64_t b = 0; b < B; b++)
      for (int64_t kh = 0; kh < KH; kh++) group(s, b, kh, dq, dk, dv, dout, probs, q, k, v, scratch.data());
  }
  return info.Env().Undefined();
}
LLAMA2_EXPORT("attentionBackward", attentionBackward);
