// Softmax cross-entropy fused with its gradient (llm.c crossentropy_softmax_backward; torch
// F.cross_entropy(ignore_index=-100, reduction="none")), and row-wise log_softmax for scoring.
// Per row: m = max x, s = sum exp(x - m), loss = log s - (x[target] - m);
// dlogits = (exp(x - m) / s - onehot(target)) * gradScale. Ignored rows (-100): loss 0, grad 0.
#include <cfloat>
#include "kernel_util.h"

using namespace llama2;

namespace {

constexpr int32_t kIgnore = -100;

LLAMA2_INLINE float rowMax(const float* x, int64_t V) {
  float m = -FLT_MAX;
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < V; i++) m = x[i] > m ? x[i] : m;
  return m;
}

// sum exp(x - m), optionally storing each exp into e (e may alias x). Blocks of 256 are summed in
// float SIMD lanes and the block sums in double: a plain float sum over V = 32000 terms drifts by
// ~3e-5 relative, this stays near 1e-7.
LLAMA2_INLINE double expSum(float* e, const float* x, float m, int64_t V) {
  constexpr int64_t kBlock = 256;
  double total = 0.0;
  for (int64_t i0 = 0; i0 < V; i0 += kBlock) {
    const int64_t i1 = i0 + kBlock < V ? i0 + kBlock : V;
    float s = 0.0f;
    if (e) {
#pragma omp simd reduction(+ : s)
      for (int64_t i = i0; i < i1; i++) {
        const float ei = fastExp(x[i] - m);
        e[i] = ei;
        s += ei;
      }
    } else {
#pragma omp simd reduction(+ : s)
      for (int64_t i = i0; i < i1; i++) s += fastExp(x[i] - m);
    }
    total += s;
  }
  return total;
}

// One trained row: loss, and when d is not null the gradient (d may alias x).
LLAMA2_INLINE void ceRow(const float* x, float* d, int32_t tgt, float* loss, double gradScale, int64_t V) {
  const float m = rowMax(x, V);
  const float xt = x[tgt];  // read before an in-place gradient overwrites the row
  const double s = expSum(d, x, m, V);
  *loss = static_cast<float>(std::log(s) - double(xt - m));
  if (!d) return;
  const float a = static_cast<float>(gradScale / s);
#pragma omp simd
  for (int64_t i = 0; i < V; i++) d[i] *= a;
  d[tgt] -= static_cast<float>(gradScale);
}
LLAMA2_SIMD_VARIANTS(ceRowSimd, ceRow, (const float* x, float* d, int32_t tgt, float* loss, double gradScale, int64_t V),
                     (x, d, tgt, loss, gradScale, V))

// out = x - (m + log sum exp(x - m)); out may alias x.
LLAMA2_INLINE void logSoftmaxRow(float* out, const float* x, int64_t V) {
  const float m = rowMax(x, V);
  const float c = static_cast<float>(double(m) + std::log(expSum(nullptr, x, m, V)));
#pragma omp simd
  for (int64_t i = 0; i < V; i++) out[i] = x[i] - c;
}
LLAMA2_SIMD_VARIANTS(logSoftmaxRowSimd, logSoftmaxRow, (float* out, const float* x, int64_t V), (out, x, V))

}  // namespace

// logits[N,V]; targets[N]; losses[N] written; dlogits[N,V] written or null (may alias logits).
static Napi::Value crossEntropy(const Napi::CallbackInfo& info) {
  const char* fn = "crossEntropy";
  expectArgs(info, fn, 7);
  const int64_t N = dim(info, fn, 4, "N"), V = dim(info, fn, 5, "V");
  const double gradScale = num(info, fn, 6, "gradScale");
  const int64_t NV = size(info, fn, "N*V", {N, V});
  float* logits = f32(info, fn, 0, "logits", NV);
  const int32_t* targets = i32(info, fn, 1, "targets", N);
  float* losses = f32(info, fn, 2, "losses", N);
  float* dlogits = f32OrNull(info, fn, 3, "dlogits", NV);
  int64_t trained = 0;
  for (int64_t n = 0; n < N; n++) {
    if (targets[n] == kIgnore) continue;
    if (targets[n] < 0 || targets[n] >= V)
      failRange(info, argLabel(fn, 1, "targets") + ": target " + std::to_string(targets[n]) + " at index " + std::to_string(n) +
                          " is outside [0, " + std::to_string(V) + ") and is not the ignore index -100");
    trained++;
  }
  const auto row = ceRowSimdPick();
  parallelFor(N, 1, N * V >= kParallelMin, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; n++) {
      float* d = dlogits ? dlogits + n * V : nullptr;
      if (targets[n] == kIgnore) {
        losses[n] = 0.0f;
        if (d) std::memset(d, 0, sizeof(float) * V);
      } else {
        row(logits + n * V, d, targets[n], losses + n, gradScale, V);
      }
    }
  });
  return Napi::Number::New(info.Env(), static_cast<double>(trained));
}
LLAMA2_EXPORT("crossEntropy", crossEntropy);

// out[N,V] = logits - m - log(sum exp(logits - m)) row-wise; out may alias logits.
static Napi::Value logSoftmax(const Napi::CallbackInfo& info) {
  const char* fn = "logSoftmax";
  expectArgs(info, fn, 4);
  const int64_t N = dim(info, fn, 2, "N"), V = dim(info, fn, 3, "V");
  const int64_t NV = size(info, fn, "N*V", {N, V});
  float* out = f32(info, fn, 0, "out", NV);
  const float* logits = f32(info, fn, 1, "logits", NV);
  const auto row = logSoftmaxRowSimdPick();
  parallelFor(N, 1, N * V >= kParallelMin, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; n++) row(out + n * V, logits + n * V, V);
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("logSoftmax", logSoftmax);
