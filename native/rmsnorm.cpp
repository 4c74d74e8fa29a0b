// RMSNorm (paper §2.2 "pre-normalization using RMSNorm"; HF LlamaRMSNorm.forward):
//   rstd = rsqrt(mean(x^2) + eps) in float32; out = w * (x * rstd).
// Backward with y_i = w_i x_i r, r = (mean(x^2)+eps)^-1/2:
//   dx_i = r w_i g_i - x_i r^3 / C * sum_j g_j w_j x_j,   dw_i = sum_rows g_i x_i r.
#include "kernel_util.h"
#include "layer_rows.h"

using namespace llama2;

float llama2::rmsnormRow(float* out, const float* x, const float* w, int64_t C, float eps) {
  double ss = 0.0;  // the mean of squares is summed in double, then rounded to float like torch's
#pragma omp simd reduction(+ : ss)
  for (int64_t c = 0; c < C; c++) ss += double(x[c]) * double(x[c]);
  const float var = static_cast<float>(ss / double(C));
  const float r = 1.0f / std::sqrt(var + eps);
#pragma omp simd
  for (int64_t c = 0; c < C; c++) out[c] = w[c] * (x[c] * r);
  return r;
}

// out[N,C], rstd[N] written; x[N,C], w[C]
static Napi::Value rmsnormForward(const Napi::CallbackInfo& info) {
  const char* fn = "rmsnormForward";
  expectArgs(info, fn, 7);
  const int64_t N = dim(info, fn, 4, "N"), C = dim(info, fn, 5, "C");
  const float eps = static_cast<float>(num(info, fn, 6, "eps"));
  if (C == 0) failRange(info, std::string(fn) + ": argument 5 (C) must be positive");
  const int64_t NC = size(info, fn, "N*C", {N, C});
  float* out = f32(info, fn, 0, "out", NC);
  float* rstd = f32(info, fn, 1, "rstd", N);
  const float* x = f32(info, fn, 2, "x", NC);
  const float* w = f32(info, fn, 3, "w", C);
  parallelFor(N, 16, N * C >= kParallelMin, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; n++) rstd[n] = rmsnormRow(out + n * C, x + n * C, w, C, eps);
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("rmsnormForward", rmsnormForward);

// dx[N,C] +=, dw[C] +=; dout[N,C], x[N,C], w[C], rstd[N]
static Napi::Value rmsnormBackward(const Napi::CallbackInfo& info) {
  const char* fn = "rmsnormBackward";
  expectArgs(info, fn, 8);
  const int64_t N = dim(info, fn, 6, "N"), C = dim(info, fn, 7, "C");
  const int64_t NC = size(info, fn, "N*C", {N, C});
  float* dx = f32(info, fn, 0, "dx", NC);
  float* dw = f32(info, fn, 1, "dw", C);
  const float* dout = f32(info, fn, 2, "dout", NC);
  const float* x = f32(info, fn, 3, "x", NC);
  const float* w = f32(info, fn, 4, "w", C);
  const float* rstd = f32(info, fn, 5, "rstd", N);
  const bool par = N * C >= kParallelMin;
  // Rows are independent for dx.
  parallelFor(N, 16, par, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; n++) {
      const float* xr = x + n * C;
      const float* gr = dout + n * C;
      float* dxr = dx + n * C;
      const float r = rstd[n];
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int64_t c = 0; c < C; c++) dot += gr[c] * w[c] * xr[c];
      const float k = dot * r * r * r / float(C);
#pragma omp simd
      for (int64_t c = 0; c < C; c++) dxr[c] += r * w[c] * gr[c] - k * xr[c];
    }
  });
  // dw sums over rows: threads own column slices so no reduction buffers are needed.
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (C + kBlock - 1) / kBlock;
  parallelFor(blocks, 1, par && blocks > 1, [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; blk++) {
      const int64_t c0 = blk * kBlock, c1 = c0 + kBlock < C ? c0 + kBlock : C;
      float acc[kBlock] = {0};
      for (int64_t n = 0; n < N; n++) {
        const float r = rstd[n];
        const float* xr = x + n * C;
        const float* gr = dout + n * C;
#pragma omp simd
        for (int64_t c = c0; c < c1; c++) acc[c - c0] += gr[c] * xr[c] * r;
      }
      for (int64_t c = c0; c < c1; c++) dw[c] += acc[c - c0];
    }
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("rmsnormBackward", rmsnormBackward);
