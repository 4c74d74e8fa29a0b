// Small-M GEMM (native/gemm_small.cpp): C[M,N] = beta*C + op(A)·op(B) for few rows (decoding),
// reading B in place instead of packing it. Same contract as llama2::sgemm (gemm.h).
#pragma once
#include <cstdint>

#include "simd.h"

namespace llama2::gemm {

// Products below this many multiply-adds run on one thread: waking a sleeping OpenMP worker
// (futex, passive wait policy) costs tens of microseconds, about what 2M MACs take on one core.
constexpr double kParallelMinMacs = 2e6;

#if LLAMA2_X86
// Columns [nb, ne) of C for all M rows (gemm_small_x86.cpp); Arow is op(A) as contiguous [M,K].
namespace avx512 {
void smallMCols(bool transA, bool transB, int64_t M, int64_t K, const float* A, int64_t lda, const float* Arow,
                const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int64_t nb, int64_t ne);
}
namespace avx2 {
void smallMCols(bool transA, bool transB, int64_t M, int64_t K, const float* A, int64_t lda, const float* Arow,
                const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int64_t nb, int64_t ne);
}
#endif

/**
 * Columns [nb, ne) of C[M, N] = beta*C + A[M,K] · B^T (B [N,K], row stride ldb; A contiguous rows)
 * on the calling thread: the per-element sums smallM computes for the same call, whatever the
 * column range (the fused decoding step, native/decode.cpp, splits columns over its threads).
 */
void smallMDotCols(SimdLevel level, int64_t M, int64_t K, const float* A, const float* B, int64_t ldb, float beta,
                   float* C, int64_t ldc, int64_t nb, int64_t ne);

void smallM(SimdLevel level, bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A,
            int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace llama2::gemm
