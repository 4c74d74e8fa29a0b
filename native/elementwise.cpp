// Elementwise kernels on flat float32 buffers: residual adds (x += f(x), llama.py `h = x + attn`),
// gradient scaling (clipping, accumulation averaging) and the sum of squares for the global grad
// norm (torch.nn.utils.clip_grad_norm_), accumulated in double.
#include <algorithm>
#include <vector>
#include "kernel_util.h"

using namespace llama2;

// Threads split the arrays in fixed chunks (native/parallel.h); sumSquares adds per-chunk partial
// sums in chunk order, so its result does not depend on the thread count.

namespace {
constexpr int64_t kChunk = 1 << 16;
}

// a[n] += b[n]
static Napi::Value addInPlace(const Napi::CallbackInfo& info) {
  const char* fn = "addInPlace";
  expectArgs(info, fn, 3);
  const int64_t n = dim(info, fn, 2, "n");
  float* a = f32(info, fn, 0, "a", n);
  const float* b = f32(info, fn, 1, "b", n);
  parallelFor(n, kChunk, n >= 8 * kParallelMin, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) a[i] += b[i];
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("addInPlace", addInPlace);

// x[n] *= s
static Napi::Value scaleInPlace(const Napi::CallbackInfo& info) {
  const char* fn = "scaleInPlace";
  expectArgs(info, fn, 3);
  const float s = static_cast<float>(num(info, fn, 1, "s"));
  const int64_t n = dim(info, fn, 2, "n");
  float* x = f32(info, fn, 0, "x", n);
  parallelFor(n, kChunk, n >= 8 * kParallelMin, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) x[i] *= s;
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("scaleInPlace", scaleInPlace);

// sum_i x[i]^2 in double (each product is exact in double, so only the additions round).
static Napi::Value sumSquares(const Napi::CallbackInfo& info) {
  const char* fn = "sumSquares";
  expectArgs(info, fn, 2);
  const int64_t n = dim(info, fn, 1, "n");
  const float* x = f32(info, fn, 0, "x", n);
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  parallelFor(n, kChunk, n >= 8 * kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t c0 = i0; c0 < i1; c0 += kChunk) {
      const int64_t c1 = std::min(i1, c0 + kChunk);
      double acc = 0.0;
#pragma omp simd reduction(+ : acc)
      for (int64_t i = c0; i < c1; i++) {
        const double xi = x[i];
        acc += xi * xi;
      }
      partial[static_cast<size_t>(c0 / kChunk)] = acc;
    }
  });
  double acc = 0.0;
  for (const double p : partial) acc += p;
  return Napi::Number::New(info.Env(), acc);
}
LLAMA2_EXPORT("sumSquares", sumSquares);
