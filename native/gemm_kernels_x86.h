// AVX-512 and AVX2+FMA GEMM micro-kernels (see gemm_kernels.h for the contract); x86 only:
// included by gemm_kernels.h when LLAMA2_X86 (native/simd.h).
#pragma once
#include "simd.h"
#if LLAMA2_X86
#include <immintrin.h>

#include <cstdint>

namespace llama2::gemm {

// ---- AVX-512 (Zen 4 / Skylake-X): MR x 32, MR*2 zmm accumulators. ----
template <int MR>
LLAMA2_AVX512 void kernelAvx512(int64_t kc, const float* __restrict A,
                                                                   const float* __restrict B, float* C,
                                                                   int64_t ldc, float beta) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(B), b1 = _mm512_load_ps(B + 16);
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      const __m512 a = _mm512_set1_ps(A[i]);
      c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
    }
    A += MR;
    B += 32;
  }
  if (beta == 0.0f) {
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      _mm512_storeu_ps(C + i * ldc, c0[i]);
      _mm512_storeu_ps(C + i * ldc + 16, c1[i]);
    }
  } else {
    const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      _mm512_storeu_ps(C + i * ldc, _mm512_fmadd_ps(vb, _mm512_loadu_ps(C + i * ldc), c0[i]));
      _mm512_storeu_ps(C + i * ldc + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(C + i * ldc + 16), c1[i]));
    }
  }
}

// ---- AVX2 + FMA (Haswell .. Zen 3): MR x 16, MR*2 ymm accumulators (BLIS haswell 6x16). ----
template <int MR>
LLAMA2_AVX2 void kernelAvx2(int64_t kc, const float* __restrict A,
                                                    const float* __restrict B, float* C, int64_t ldc,
                                                    float beta) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(B), b1 = _mm256_load_ps(B + 8);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const __m256 a = _mm256_broadcast_ss(A + i);
      c0[i] = _mm256_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(a, b1, c1[i]);
    }
    A += MR;
    B += 16;
  }
  if (beta == 0.0f) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      _mm256_storeu_ps(C + i * ldc, c0[i]);
      _mm256_storeu_ps(C + i * ldc + 8, c1[i]);
    }
  } else {
    const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      _mm256_storeu_ps(C + i * ldc, _mm256_fmadd_ps(vb, _mm256_loadu_ps(C + i * ldc), c0[i]));
      _mm256_storeu_ps(C + i * ldc + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(C + i * ldc + 8), c1[i]));
    }
  }
}

}  // namespace llama2::gemm
#endif  // LLAMA2_X86
