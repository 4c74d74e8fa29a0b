// Token embedding lookup (llama.py `self.tok_embeddings(tokens)`, HF `embed_tokens`) and its
// backward, a scatter-add of the output gradient into the rows of the table that were read.
#include "kernel_util.h"

using namespace llama2;

// Throws RangeError naming the first id outside [0, V) and its index (every id is checked).
static void checkIds(const Napi::CallbackInfo& info, const char* fn, size_t arg, const int32_t* ids, int64_t N, int64_t V) {
  for (int64_t n = 0; n < N; n++)
    if (ids[n] < 0 || ids[n] >= V)
      failRange(info, argLabel(fn, arg, "ids") + ": token id " + std::to_string(ids[n]) + " at index " +
                          std::to_string(n) + " is outside the vocabulary [0, " + std::to_string(V) + ")");
}

// out[N,C] = table[ids[n], :]; table [V,C]
static Napi::Value embeddingForward(const Napi::CallbackInfo& info) {
  const char* fn = "embeddingForward";
  expectArgs(info, fn, 6);
  const int64_t N = dim(info, fn, 3, "N"), C = dim(info, fn, 4, "C"), V = dim(info, fn, 5, "V");
  float* out = f32(info, fn, 0, "out", size(info, fn, "N*C", {N, C}));
  const int32_t* ids = i32(info, fn, 1, "ids", N);
  const float* table = f32(info, fn, 2, "table", size(info, fn, "V*C", {V, C}));
  checkIds(info, fn, 1, ids, N, V);
  parallelFor(N, 64, N * C >= kParallelMin, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; n++) std::memcpy(out + n * C, table + int64_t(ids[n]) * C, sizeof(float) * C);
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("embeddingForward", embeddingForward);

// dtable[ids[n], :] += dout[n, :]. V is the table's length / C. Repeated ids make a row-parallel
// scatter racy, so threads split the columns instead: each owns a column slice of every row.
static Napi::Value embeddingBackward(const Napi::CallbackInfo& info) {
  const char* fn = "embeddingBackward";
  expectArgs(info, fn, 5);
  const int64_t N = dim(info, fn, 3, "N"), C = dim(info, fn, 4, "C");
  float* dtable = f32(info, fn, 0, "dtable", C);
  const float* dout = f32(info, fn, 1, "dout", size(info, fn, "N*C", {N, C}));
  const int32_t* ids = i32(info, fn, 2, "ids", N);
  const int64_t V = C > 0 ? static_cast<int64_t>(info[0].As<Napi::Float32Array>().ElementLength()) / C : 0;
  checkIds(info, fn, 2, ids, N, V);
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (C + kBlock - 1) / kBlock;
  parallelFor(blocks, 1, N * C >= kParallelMin && blocks > 1, [&](int64_t b0, int64_t b1) {
    const int64_t c0 = b0 * kBlock, c1 = b1 * kBlock < C ? b1 * kBlock : C;
    for (int64_t n = 0; n < N; n++) {
      float* dst = dtable + int64_t(ids[n]) * C;
      const float* src = dout + n * C;
#pragma omp simd
      for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
    }
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("embeddingBackward", embeddingBackward);
