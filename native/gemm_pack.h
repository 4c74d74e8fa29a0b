// Packing of op(A) and op(B) into the micro-panel layouts the micro-kernels read (BLIS):
//   A: MR-row micro-panels, each kc x MR (element (i,p) at p*MR + i), rows past mc zero;
//   B: one NR-column micro-panel, kc x NR (element (p,j) at p*NR + j), columns past nr zero.
// The "gather" cases (A not transposed, B transposed: the forward x·W^T) read rows along k and
// write across them; the AVX-512 / AVX2 versions (gemm_pack_x86.h, only where LLAMA2_X86) do that
// with 16x16 / 8x8 in-register transposes.
#pragma once

#include <algorithm>
#include <cstdint>

namespace llama2::gemm {

// ---- generic (any MR/NR, any CPU) ----
template <int MR>
void packAGeneric(bool transA, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc,
                  float* Ap) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    float* dst = Ap + ir * kc;
    for (int64_t p = 0; p < kc; p++) {
      float* d = dst + p * MR;
      if (transA) {
        const float* src = A + (p0 + p) * lda + i0 + ir;
        for (int i = 0; i < mr; i++) d[i] = src[i];
      } else {
        const float* src = A + (i0 + ir) * lda + p0 + p;
        for (int i = 0; i < mr; i++) d[i] = src[i * lda];
      }
      for (int i = mr; i < MR; i++) d[i] = 0.0f;
    }
  }
}

template <int NR>
void packBGeneric(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int nr,
                  float* dst) {
  for (int64_t p = 0; p < kc; p++) {
    float* d = dst + p * NR;
    if (!transB) {
      const float* src = B + (p0 + p) * ldb + j0;
      for (int j = 0; j < nr; j++) d[j] = src[j];
    } else {
      const float* src = B + j0 * ldb + p0 + p;
      for (int j = 0; j < nr; j++) d[j] = src[j * ldb];
    }
    for (int j = nr; j < NR; j++) d[j] = 0.0f;
  }
}

}  // namespace llama2::gemm

#include "gemm_pack_x86.h"
