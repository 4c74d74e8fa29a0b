// Single-precision GEMM callable from every kernel file (native/gemm.cpp):
//   C[M,N] = beta * C + op(A)[M,K] · op(B)[K,N], row-major with leading dimensions.
// op(A) = A^T when transA (A stored [K,M], lda >= M), else A stored [M,K] (lda >= K);
// op(B) = B^T when transB (B stored [N,K], ldb >= K), else B stored [K,N] (ldb >= N).
// beta is 0 (C is written, never read: it may hold NaN) or 1 (accumulate); others scale C.
// Threads: uses threadCount() threads (native/parallel.h) when the product is large enough; called
// from inside a parallel region it runs on the calling thread alone, so kernels may call it per
// head / per batch row from their own parallel loops. Reentrant (per-thread scratch).
#pragma once
#include <cstdint>

namespace llama2 {

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace llama2
