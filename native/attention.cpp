// Causal scaled-dot-product attention with GQA (paper §2.2 / Table 1 "GQA"; llama.py Attention:
// repeat_kv, scores = q k^T / sqrt(D), mask, softmax in float32, out = p v), with the masks the
// later stages need: a KV cache of capacity S filled up to pos0 + T, keyStart[b] for left-padded
// batched decoding, and segIds[B,S] for packed sequences (block-diagonal causal mask).
// Backward (training, pos0 = 0, S = T) from the saved probabilities:
//   dv_j += p_j dout; dp_j = dout . v_j; ds_j = p_j (dp_j - sum_k p_k dp_k);
//   dq = scale sum_j ds_j k_j; dk_j += scale ds_j q.
#include <cfloat>
#include <vector>
#include "kernel_util.h"

using namespace llama2;

namespace {

struct Shape {
  int64_t B, T, S, pos0, H, KH, D;
};

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

// One (batch row b, query head h): all T queries. scores is scratch of length S.
LLAMA2_INLINE void forwardHead(const Shape& s, int64_t b, int64_t h, float* out, float* probs, const float* q,
                               const float* k, const float* v, const int32_t* keyStart, const int32_t* segIds,
                               float* scores) {
  const int64_t D = s.D, kh = h / (s.H / s.KH);
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const int64_t lo = keyStart ? keyStart[b] : 0;
  for (int64_t t = 0; t < s.T; t++) {
    const int64_t qpos = s.pos0 + t;
    const float* qr = q + ((b * s.T + t) * s.H + h) * D;
    float* orow = out + ((b * s.T + t) * s.H + h) * D;
    const int32_t* seg = segIds ? segIds + b * s.S : nullptr;
    const int32_t qseg = seg ? seg[qpos] : 0;
    float mx = -FLT_MAX;
    bool any = false;
    for (int64_t j = lo; j <= qpos; j++) {
      if (seg && seg[j] != qseg) continue;
      const float sc = dot(qr, k + ((b * s.S + j) * s.KH + kh) * D, D) * scale;
      scores[j] = sc;
      mx = sc > mx ? sc : mx;
      any = true;
    }
    float* prow = probs ? probs + ((b * s.H + h) * s.T + t) * s.S : nullptr;
    if (prow) std::memset(prow, 0, sizeof(float) * s.S);
    std::memset(orow, 0, sizeof(float) * D);
    if (!any) continue;  // a query with no visible key (a padding slot) outputs 0
    float sum = 0.0f;
    for (int64_t j = lo; j <= qpos; j++) {
      if (seg && seg[j] != qseg) { scores[j] = 0.0f; continue; }
      const float e = fastExp(scores[j] - mx);
      scores[j] = e;
      sum += e;
    }
    const float inv = 1.0f / sum;
    for (int64_t j = lo; j <= qpos; j++) {
      const float p = scores[j] * inv;
      if (prow) prow[j] = p;
      if (p != 0.0f) axpy(orow, p, v + ((b * s.S + j) * s.KH + kh) * D, D);
    }
  }
}

LLAMA2_SIMD_VARIANTS(forwardHeadSimd, forwardHead,
                     (const Shape& s, int64_t b, int64_t h, float* out, float* probs, const float* q, const float* k,
                      const float* v, const int32_t* keyStart, const int32_t* segIds, float* scores),
                     (s, b, h, out, probs, q, k, v, keyStart, segIds, scores))

// One (batch row b, kv head kh) with its H/KH query heads, so dk/dv have a single writer.
LLAMA2_INLINE void backwardGroup(const Shape& s, int64_t b, int64_t kh, float* dq, float* dk, float* dv,
                                 const float* dout, const float* probs, const float* q, const float* k,
                                 const float* v, float* dp) {
  const int64_t D = s.D, T = s.T, group = s.H / s.KH;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  for (int64_t j = 0; j < T; j++) {
    std::memset(dk + ((b * T + j) * s.KH + kh) * D, 0, sizeof(float) * D);
    std::memset(dv + ((b * T + j) * s.KH + kh) * D, 0, sizeof(float) * D);
  }
  for (int64_t h = kh * group; h < (kh + 1) * group; h++) {
    for (int64_t t = 0; t < T; t++) {
      const float* prow = probs + ((b * s.H + h) * T + t) * T;
      const float* go = dout + ((b * T + t) * s.H + h) * D;
      const float* qr = q + ((b * T + t) * s.H + h) * D;
      float* dqr = dq + ((b * T + t) * s.H + h) * D;
      std::memset(dqr, 0, sizeof(float) * D);
      float pdp = 0.0f;
      for (int64_t j = 0; j <= t; j++) {
        const float p = prow[j];
        if (p == 0.0f) { dp[j] = 0.0f; continue; }
        const int64_t kv = ((b * T + j) * s.KH + kh) * D;
        dp[j] = dot(go, v + kv, D);
        pdp += p * dp[j];
        axpy(dv + kv, p, go, D);
      }
      for (int64_t j = 0; j <= t; j++) {
        const float p = prow[j];
        if (p == 0.0f) continue;
        const int64_t kv = ((b * T + j) * s.KH + kh) * D;
        const float ds = p * (dp[j] - pdp) * scale;
        axpy(dqr, ds, k + kv, D);
        axpy(dk + kv, ds, qr, D);
      }
    }
  }
}

LLAMA2_SIMD_VARIANTS(backwardGroupSimd, backwardGroup,
                     (const Shape& s, int64_t b, int64_t kh, float* dq, float* dk, float* dv, const float* dout,
                      const float* probs, const float* q, const float* k, const float* v, float* dp),
                     (s, b, kh, dq, dk, dv, dout, probs, q, k, v, dp))

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
    std::vector<float> scores(s.S);
#pragma omp for collapse(2) schedule(dynamic, 1)
    for (int64_t b = 0; b < s.B; b++)
      for (int64_t h = 0; h < s.H; h++) head(s, b, h, out, probs, q, k, v, keyStart, segIds, scores.data());
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
    std::vector<float> dp(T);
#pragma omp for collapse(2) schedule(dynamic, 1)
    for (int64_t b = 0; b < B; b++)
      for (int64_t kh = 0; kh < KH; kh++) group(s, b, kh, dq, dk, dv, dout, probs, q, k, v, dp.data());
  }
  return info.Env().Undefined();
}
LLAMA2_EXPORT("attentionBackward", attentionBackward);
