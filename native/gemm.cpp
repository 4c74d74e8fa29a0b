// Single-precision matrix multiply (see gemm.h) and its N-API entry `matmul` (src/native/addon.ts).
// First landed version: straightforward row-parallel loops; the packed, cache-blocked SIMD
// version replaces the body of sgemm() without changing its contract.
#include "gemm.h"

#include <algorithm>
#include <vector>

#include "napi_util.h"
#include "simd.h"

namespace llama2 {

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
#pragma omp parallel for schedule(static)
  for (int64_t m = 0; m < M; m++) {
    float* c = C + m * ldc;
    std::vector<float> acc(static_cast<size_t>(N), 0.0f);
    for (int64_t k = 0; k < K; k++) {
      const float a = transA ? A[k * lda + m] : A[m * lda + k];
      if (!transB) {
        const float* b = B + k * ldb;
        for (int64_t n = 0; n < N; n++) acc[n] += a * b[n];
      } else {
        for (int64_t n = 0; n < N; n++) acc[n] += a * B[n * ldb + k];
      }
    }
    for (int64_t n = 0; n < N; n++) c[n] = (beta == 0.0f ? 0.0f : beta * c[n]) + acc[n];
  }
}

}  // namespace llama2

// matmul(out, a, b, M, N, K, transA, transB, accumulate)
static Napi::Value matmul(const Napi::CallbackInfo& info) {
  const char* fn = "matmul";
  llama2::expectArgs(info, fn, 9);
  const int64_t M = llama2::dim(info, fn, 3, "M");
  const int64_t N = llama2::dim(info, fn, 4, "N");
  const int64_t K = llama2::dim(info, fn, 5, "K");
  const bool transA = llama2::flag(info, fn, 6, "transA");
  const bool transB = llama2::flag(info, fn, 7, "transB");
  const bool accumulate = llama2::flag(info, fn, 8, "accumulate");
  float* out = llama2::f32(info, fn, 0, "out", static_cast<size_t>(M * N));
  const float* a = llama2::f32(info, fn, 1, "a", static_cast<size_t>(M * K));
  const float* b = llama2::f32(info, fn, 2, "b", static_cast<size_t>(K * N));
  llama2::sgemm(transA, transB, M, N, K, a, transA ? M : K, b, transB ? K : N,
                accumulate ? 1.0f : 0.0f, out, N);
  return info.Env().Undefined();
}
LLAMA2_EXPORT("matmul", matmul);

// setSimdLevel("portable" | "avx2" | "avx512"): selects the micro-kernel family for every kernel.
static Napi::Value setSimdLevel(const Napi::CallbackInfo& info) {
  const char* fn = "setSimdLevel";
  llama2::expectArgs(info, fn, 1);
  if (!info[0].IsString()) llama2::fail(info, "setSimdLevel: argument 0 (level) must be a string");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  llama2::SimdLevel level;
  if (name == "portable") level = llama2::SimdLevel::Portable;
  else if (name == "avx2") level = llama2::SimdLevel::Avx2;
  else if (name == "avx512") level = llama2::SimdLevel::Avx512;
  else llama2::fail(info, "setSimdLevel: argument 0 (level) must be \"portable\", \"avx2\" or \"avx512\", got \"" + name + "\"");
  if (!llama2::setSimdLevel(level))
    throw Napi::RangeError::New(info.Env(), "setSimdLevel: this CPU does not support \"" + name + "\"");
  return info.Env().Undefined();
}
LLAMA2_EXPORT("setSimdLevel", setSimdLevel);
