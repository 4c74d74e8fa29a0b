// Causal scaled-dot-product attention with GQA (paper §2.2 / Table 1 "GQA"; llama.py Attention:
// repeat_kv, scores = q k^T / sqrt(D), mask, softmax in float32, out = p v), with the masks the
// later stages need: a KV cache of capacity S filled up to pos0 + T, keyStart[b] for left-padded
// batched decoding, and segIds[B,S] for packed sequences (block-diagonal causal mask).
// Prefill and training run native/attention_flash.h (FlashAttention-2 tiles, parallel over
// (b, head, query tile)); the forward saves the per-row log-sum-exp, never the T x S probabilities,
// and the backward recomputes them per tile (parallel over (b, head)). Decoding (T < 16, no lse)
// reads K and V in place, one dot product per key.
#include <vector>
#include "attention_flash.h"
#include "layer_rows.h"

using namespace llama2;
using flash::Shape;

namespace {

// Below this many queries an inference forward reads K and V in place (no packing).
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

// Decoding path for one (b, h): K and V read in place. sc: S floats of scratch.
LLAMA2_INLINE void forwardHeadDirect(const Shape& s, int64_t b, int64_t h, float* out, const float* q, const float* k,
                                     const float* v, const int32_t* keyStart, const int32_t* segIds, float* sc) {
  const int64_t D = s.D, kh = h / (s.H / s.KH), ld = s.KH * D;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const int64_t j0 = keyStart ? keyStart[b] : 0;
  const float* kb = k + (b * s.S * s.KH + kh) * D;
  const float* vb = v + (b * s.S * s.KH + kh) * D;
  const int32_t* seg = segIds ? segIds + b * s.S : nullptr;
  for (int64_t t = 0; t < s.T; t++) {
    const int64_t qpos = s.pos0 + t, j1 = qpos + 1;
    const float* qr = q + ((b * s.T + t) * s.H + h) * D;
    float* orow = out + ((b * s.T + t) * s.H + h) * D;
    std::memset(orow, 0, sizeof(float) * D);
    float mx = -INFINITY;
    for (int64_t j = j0; j < j1; j++) {
      sc[j] = seg && seg[j] != seg[qpos] ? -INFINITY : dot(qr, kb + j * ld, D) * scale;
      mx = std::max(mx, sc[j]);
    }
    if (mx == -INFINITY) continue;  // a query with no visible key (a padding slot) outputs 0
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = j0; j < j1; j++) {
      const float e = fastExp(sc[j] - mx);
      sc[j] = e;
      sum += e;
    }
    const float inv = 1.0f / sum;
    for (int64_t j = j0; j < j1; j++)
      if (sc[j] != 0.0f) axpy(orow, sc[j] * inv, vb + j * ld, D);
  }
}
LLAMA2_SIMD_VARIANTS(forwardDirectSimd, forwardHeadDirect,
                     (const Shape& s, int64_t b, int64_t h, float* out, const float* q, const float* k, const float* v,
                      const int32_t* keyStart, const int32_t* segIds, float* sc),
                     (s, b, h, out, q, k, v, keyStart, segIds, sc))

}  // namespace

void llama2::attentionDecodeHead(int64_t S, int64_t pos0, int64_t H, int64_t KH, int64_t D, int64_t h, float* out,
                                 const float* q, const float* k, const float* v, const int32_t* keyStart, float* sc) {
  forwardDirectSimdPick()(Shape{1, 1, S, pos0, H, KH, D}, 0, h, out, q, k, v, keyStart, nullptr, sc);
}

// out[B,T,H,D] written, lse[B,H,T] written or null; q[B,T,H,D]; k,v[B,S,KH,D];
// keyStart[B] or null; segIds[B,S] or null.
static Napi::Value attentionForward(const Napi::CallbackInfo& info) {
  const char* fn = "attentionForward";
  expectArgs(info, fn, 14);
  Shape s{dim(info, fn, 5, "B"), dim(info, fn, 6, "T"), dim(info, fn, 7, "S"), dim(info, fn, 8, "pos0"),
          dim(info, fn, 9, "H"), dim(info, fn, 10, "KH"), dim(info, fn, 11, "D")};
  if (s.KH == 0 || s.H % s.KH != 0)
    failRange(info, std::string(fn) + ": H (" + std::to_string(s.H) + ") must be a positive multiple of KH (" +
                        std::to_string(s.KH) + ")");
  if (s.D == 0) failRange(info, std::string(fn) + ": argument 11 (D) must be positive");
  if (s.pos0 + s.T > s.S)
    failRange(info, std::string(fn) + ": pos0 + T (" + std::to_string(s.pos0 + s.T) + ") exceeds the capacity S (" +
                        std::to_string(s.S) + ")");
  const int64_t nq = size(info, fn, "B*T*H*D", {s.B, s.T, s.H, s.D});
  const int64_t nkv = size(info, fn, "B*S*KH*D", {s.B, s.S, s.KH, s.D});
  float* out = f32(info, fn, 0, "out", nq);
  float* lse = f32OrNull(info, fn, 1, "lse", size(info, fn, "B*H*T", {s.B, s.H, s.T}));
  const float* q = f32(info, fn, 2, "q", nq);
  const float* k = f32(info, fn, 3, "k", nkv);
  const float* v = f32(info, fn, 4, "v", nkv);
  const int32_t* keyStart = i32OrNull(info, fn, 12, "keyStart", s.B);
  const int32_t* segIds = i32OrNull(info, fn, 13, "segIds", size(info, fn, "B*S", {s.B, s.S}));
  if (keyStart)
    for (int64_t b = 0; b < s.B; b++)
      if (keyStart[b] < 0 || keyStart[b] > s.S)
        failRange(info, std::string(fn) + ": keyStart[" + std::to_string(b) + "] = " + std::to_string(keyStart[b]) +
                            " is outside [0, S]");
  // Nothing to compute: return before any scratch is sized (from here S and D are bounded by k's length).
  if (s.B == 0 || s.T == 0 || s.H == 0) return info.Env().Undefined();
  if (lse || s.T >= kTiledMinT) {
    flash::forward(s, out, lse, q, k, v, keyStart, segIds);
    return info.Env().Undefined();
  }
  const double work = static_cast<double>(nq) * static_cast<double>(s.pos0 + s.T);
  const auto head = forwardDirectSimdPick();
  WorkQueue heads(s.B * s.H);
  parallelRegion(work >= kParallelMin && s.B * s.H > 1, [&](int, int) {
    std::vector<float> sc(s.S);
    for (int64_t i; heads.next(i);) head(s, i / s.H, i % s.H, out, q, k, v, keyStart, segIds, sc.data());
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("attentionForward", attentionForward);

// dq[B,T,H,D], dk/dv[B,T,KH,D] written; dout, out[B,T,H,D]; lse[B,H,T]; q[B,T,H,D]; k,v[B,T,KH,D];
// segIds[B,T] or null.
static Napi::Value attentionBackward(const Napi::CallbackInfo& info) {
  const char* fn = "attentionBackward";
  expectArgs(info, fn, 15);
  const int64_t B = dim(info, fn, 9, "B"), T = dim(info, fn, 10, "T"), H = dim(info, fn, 11, "H"),
                KH = dim(info, fn, 12, "KH"), D = dim(info, fn, 13, "D");
  if (KH == 0 || H % KH != 0)
    failRange(info, std::string(fn) + ": H (" + std::to_string(H) + ") must be a positive multiple of KH (" +
                        std::to_string(KH) + ")");
  if (D == 0) failRange(info, std::string(fn) + ": argument 13 (D) must be positive");
  Shape s{B, T, T, 0, H, KH, D};
  const int64_t nq = size(info, fn, "B*T*H*D", {B, T, H, D}), nkv = size(info, fn, "B*T*KH*D", {B, T, KH, D});
  float* dq = f32(info, fn, 0, "dq", nq);
  float* dk = f32(info, fn, 1, "dk", nkv);
  float* dv = f32(info, fn, 2, "dv", nkv);
  const float* dout = f32(info, fn, 3, "dout", nq);
  const float* out = f32(info, fn, 4, "out", nq);
  const float* lse = f32(info, fn, 5, "lse", size(info, fn, "B*H*T", {B, H, T}));
  const float* q = f32(info, fn, 6, "q", nq);
  const float* k = f32(info, fn, 7, "k", nkv);
  const float* v = f32(info, fn, 8, "v", nkv);
  const int32_t* segIds = i32OrNull(info, fn, 14, "segIds", size(info, fn, "B*T", {B, T}));
  if (B == 0 || T == 0 || H == 0) return info.Env().Undefined();
  flash::backward(s, dq, dk, dv, dout, out, lse, q, k, v, segIds);
  return info.Env().Undefined();
}
LLAMA2_EXPORT("attentionBackward", attentionBackward);
