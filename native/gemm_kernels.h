// Register-blocked GEMM micro-kernels (BLIS design: Van Zee & van de Geijn, "BLIS: A Framework
// for Rapidly Instantiating BLAS Functionality", 2015). Each computes one MR x NR tile
//   C[MR,NR] = beta * C + sum_p Ap[p, 0:MR]^T Bp[p, 0:NR]
// from packed micro-panels (Ap: kc x MR, Bp: kc x NR, both p-major) with MR x NR/W vector
// accumulators, one broadcast of A per row per p and NR/W vector loads of B per p.
// beta == 0 writes C without reading it. The AVX-512 / AVX2 families are in gemm_kernels_x86.h
// (compiled only where LLAMA2_X86, native/simd.h); the portable one below runs everywhere.
#pragma once
#include <cstdint>

#include "simd.h"
#if LLAMA2_X86
#include "gemm_kernels_x86.h"
#endif

namespace llama2::gemm {

// ---- Portable (any CPU): plain loops the compiler vectorizes with SSE2. ----
template <int MR, int NR>
void kernelPortable(int64_t kc, const float* __restrict A, const float* __restrict B, float* C,
                    int64_t ldc, float beta) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) acc[i][j] += A[i] * B[j];
    A += MR;
    B += NR;
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++)
      C[i * ldc + j] = (beta == 0.0f ? 0.0f : beta * C[i * ldc + j]) + acc[i][j];
}

}  // namespace llama2::gemm
