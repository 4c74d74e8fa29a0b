// Elementwise kernels on flat float32 buffers: residual adds (x += f(x), llama.py `h = x + attn`),
// gradient scaling (clipping, accumulation averaging) and the sum of squares for the global grad
// norm (torch.nn.utils.clip_grad_norm_), accumulated in double.
#include "kernel_util.h"

using namespace llama2;

// `if (parallel : ...)`, not a bare `if`: on a combined `parallel for simd` a bare if clause also
// applies to the simd construct (OpenMP 5.0), and when false it turns vectorization off.

// a[n] += b[n]
static Napi::Value addInPlace(const Napi::CallbackInfo& info) {
  const char* fn = "addInPlace";
  expectArgs(info, fn, 3);
  const int64_t n = dim(info, fn, 2, "n");
  float* a = f32(info, fn, 0, "a", n);
  const float* b = f32(info, fn, 1, "b", n);
#pragma omp parallel for simd if (parallel : n >= 8 * kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; i++) a[i] += b[i];
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
#pragma omp parallel for simd if (parallel : n >= 8 * kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; i++) x[i] *= s;
  return info.Env().Undefined();
}
LLAMA2_EXPORT("scaleInPlace", scaleInPlace);

// sum_i x[i]^2 in double (each product is exact in double, so only the additions round).
static Napi::Value sumSquares(const Napi::CallbackInfo& info) {
  const char* fn = "sumSquares";
  expectArgs(info, fn, 2);
  const int64_t n = dim(info, fn, 1, "n");
  const float* x = f32(info, fn, 0, "x", n);
  double acc = 0.0;
#pragma omp parallel for simd reduction(+ : acc) if (parallel : n >= 8 * kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const double xi = x[i];
    acc += xi * xi;
  }
  return Napi::Number::New(info.Env(), acc);
}
LLAMA2_EXPORT("sumSquares", sumSquares);
