// Register-blocked building blocks for native/attention.cpp: 16-wide accumulators the compiler
// keeps in SIMD registers (one zmm, two ymm or four xmm), over operands packed so the vectorized
// index is contiguous and padded to a multiple of 16 with zeros. Each is a small matrix product
// over four rows at once (four queries, or four keys), so each loaded block of M feeds four FMAs
// and four independent accumulator chains hide the FMA latency:
//   scoreRows4:    out[r][j]  = sum_d x[r][d] * Mt[d][j]   (q·K^T, dout·V^T; Mt is [D][ldm])
//   weightedRows4: acc[r][d] (+)= sum_i W[r][i] * M[i][d]  (p·V, ds·K, ds^T·Q, p^T·dout)
//   colTimes:      acc[d] += sum_t W[t][j] * M[t][d]       (one key: the tail of the 4-key loop)
#pragma once
#include "kernel_util.h"

namespace llama2::tiles {

constexpr int64_t kW = 16;  // block width; packed leading dimensions are multiples of it

inline int64_t roundUp(int64_t n) { return (n + kW - 1) / kW * kW; }

// acc[d] (+)= sum over rows r in [r0, r1) of w(r) * M[r * Dp + d], d < Dp; w(r) = W[r * ldw].
LLAMA2_INLINE void weightedRows(float* accOut, bool accumulate, const float* W, int64_t ldw, const float* M,
                                int64_t Dp, int64_t r0, int64_t r1) {
  for (int64_t db = 0; db < Dp; db += kW) {
    float a0[kW] = {0}, a1[kW] = {0}, a2[kW] = {0}, a3[kW] = {0};
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4) {
      const float w0 = W[r * ldw], w1 = W[(r + 1) * ldw], w2 = W[(r + 2) * ldw], w3 = W[(r + 3) * ldw];
      const float* m = M + r * Dp + db;
#pragma omp simd
      for (int64_t l = 0; l < kW; l++) {
        a0[l] += w0 * m[l];
        a1[l] += w1 * m[Dp + l];
        a2[l] += w2 * m[2 * Dp + l];
        a3[l] += w3 * m[3 * Dp + l];
      }
    }
    for (; r < r1; r++) {
      const float wr = W[r * ldw];
      const float* m = M + r * Dp + db;
#pragma omp simd
      for (int64_t l = 0; l < kW; l++) a0[l] += wr * m[l];
    }
    float* o = accOut + db;
    if (accumulate) {
#pragma omp simd
      for (int64_t l = 0; l < kW; l++) o[l] += (a0[l] + a1[l]) + (a2[l] + a3[l]);
    } else {
#pragma omp simd
      for (int64_t l = 0; l < kW; l++) o[l] = (a0[l] + a1[l]) + (a2[l] + a3[l]);
    }
  }
}

// acc[d] += sum over t in [t0, t1) of W[t * ldw + j] * M[t * Dp + d], for d < Dp.
LLAMA2_INLINE void colTimes(float* acc, const float* W, int64_t ldw, int64_t j, const float* M, int64_t Dp,
                            int64_t t0, int64_t t1) {
  weightedRows(acc, true, W + j, ldw, M, Dp, t0, t1);
}

// Four rows at once: out[r][j] = sum_d x[r][d] * Mt[d][j] for r < 4 (x rows ldx apart, out rows
// ldo apart), over the aligned blocks covering [j0, j1).
LLAMA2_INLINE void scoreRows4(float* out, int64_t ldo, const float* x, int64_t ldx, const float* Mt, int64_t ldm,
                              int64_t D, int64_t j0, int64_t j1) {
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  for (int64_t jb = j0 / kW * kW; jb < j1; jb += kW) {
    float a0[kW] = {0}, a1[kW] = {0}, a2[kW] = {0}, a3[kW] = {0};
    const float* m = Mt + jb;
    for (int64_t d = 0; d < D; d++, m += ldm) {
      const float c0 = x0[d], c1 = x1[d], c2 = x2[d], c3 = x3[d];
#pragma omp simd
      for (int64_t l = 0; l < kW; l++) {
        const float ml = m[l];
        a0[l] += c0 * ml;
        a1[l] += c1 * ml;
        a2[l] += c2 * ml;
        a3[l] += c3 * ml;
      }
    }
#pragma omp simd
    for (int64_t l = 0; l < kW; l++) {
      out[jb + l] = a0[l];
      out[ldo + jb + l] = a1[l];
      out[2 * ldo + jb + l] = a2[l];
      out[3 * ldo + jb + l] = a3[l];
    }
  }
}

// Four weight vectors at once: acc[r][d] (+)= sum over rows i in [i0, i1) of W[r][i] * M[i][d]
// (acc rows Dp apart, d < Dp). W's r-th weight for row i is W[r * ldr + i * ldi].
LLAMA2_INLINE void weightedRows4(float* acc, bool accumulate, const float* W, int64_t ldr, int64_t ldi,
                                 const float* M, int64_t Dp, int64_t i0, int64_t i1) {
  for (int64_t db = 0; db < Dp; db += kW) {
    float a0[kW] = {0}, a1[kW] = {0}, a2[kW] = {0}, a3[kW] = {0};
    for (int64_t i = i0; i < i1; i++) {
      const float* w = W + i * ldi;
      const float c0 = w[0], c1 = w[ldr], c2 = w[2 * ldr], c3 = w[3 * ldr];
      const float* m = M + i * Dp + db;
#pragma omp simd
      for (int64_t l = 0; l < kW; l++) {
        const float ml = m[l];
        a0[l] += c0 * ml;
        a1[l] += c1 * ml;
        a2[l] += c2 * ml;
        a3[l] += c3 * ml;
      }
    }
    float* o = acc + db;
#pragma omp simd
    for (int64_t l = 0; l < kW; l++) {
      o[l] = (accumulate ? o[l] : 0.0f) + a0[l];
      o[Dp + l] = (accumulate ? o[Dp + l] : 0.0f) + a1[l];
      o[2 * Dp + l] = (accumulate ? o[2 * Dp + l] : 0.0f) + a2[l];
      o[3 * Dp + l] = (accumulate ? o[3 * Dp + l] : 0.0f) + a3[l];
    }
  }
}

// dst[rows][Dp] = src rows (stride ld) of D floats, zero-padded to Dp.
inline void packRows(float* dst, const float* src, int64_t ld, int64_t rows, int64_t D, int64_t Dp) {
  for (int64_t r = 0; r < rows; r++) {
    std::memcpy(dst + r * Dp, src + r * ld, sizeof(float) * D);
    std::memset(dst + r * Dp + D, 0, sizeof(float) * (Dp - D));
  }
}

// dst[D][ldt] = transpose of src rows (stride ld) of D floats; columns [rows, ldt) zero.
inline void packTransposed(float* dst, const float* src, int64_t ld, int64_t rows, int64_t D, int64_t ldt) {
  for (int64_t d = 0; d < D; d++) {
    float* row = dst + d * ldt;
    for (int64_t r = 0; r < rows; r++) row[r] = src[r * ld + d];
    std::memset(row + rows, 0, sizeof(float) * (ldt - rows));
  }
}

}  // namespace llama2::tiles
