// Register-blocked building blocks for native/attention.cpp: 16-wide accumulators the compiler
// keeps in SIMD registers (one zmm, two ymm or four xmm), over operands packed so the vectorized
// index is contiguous and padded to a multiple of 16 with zeros. Each is a small matrix product:
//   scoreRow:  out[j]  = sum_d x[d] * Mt[d][j]         (q·K^T, dout·V^T; Mt is [D][ldm])
//   rowTimes:  out[d]  = sum_j w[j] * M[j][d]          (p·V, ds·K; M is [rows][Dp])
//   colTimes:  acc[d] += sum_t W[t][j] * M[t][d]       (ds^T·Q, p^T·dout for key j)
#pragma once
#include "kernel_util.h"

namespace llama2::tiles {

constexpr int64_t kW = 16;  // block width; packed leading dimensions are multiples of it

inline int64_t roundUp(int64_t n) { return (n + kW - 1) / kW * kW; }

// Each tile keeps four 16-wide accumulators over interleaved terms of its sum: one accumulator
// would chain every FMA on the previous one (4-cycle latency); four let them overlap.

// out[j] for j in [j0, j1), computed over whole aligned blocks from j0 rounded down to 16 (so
// out must have room up to roundUp(j1); Mt's padding columns are zero).
LLAMA2_INLINE void scoreRow(float* out, const float* x, const float* Mt, int64_t ldm, int64_t D, int64_t j0,
                            int64_t j1) {
  for (int64_t jb = j0 / kW * kW; jb < j1; jb += kW) {
    float a0[kW] = {0}, a1[kW] = {0}, a2[kW] = {0}, a3[kW] = {0};
    const float* m = Mt + jb;
    int64_t d = 0;
    for (; d + 4 <= D; d += 4, m += 4 * ldm) {
      const float x0 = x[d], x1 = x[d + 1], x2 = x[d + 2], x3 = x[d + 3];
#pragma omp simd
      for (int64_t l = 0; l < kW; l++) {
        a0[l] += x0 * m[l];
        a1[l] += x1 * m[ldm + l];
        a2[l] += x2 * m[2 * ldm + l];
        a3[l] += x3 * m[3 * ldm + l];
      }
    }
    for (; d < D; d++, m += ldm) {
      const float xd = x[d];
#pragma omp simd
      for (int64_t l = 0; l < kW; l++) a0[l] += xd * m[l];
    }
#pragma omp simd
    for (int64_t l = 0; l < kW; l++) out[jb + l] = (a0[l] + a1[l]) + (a2[l] + a3[l]);
  }
}

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

// out[d] for d < Dp (Dp a multiple of 16): sum over j in [j0, j1) of w[j] * M[j * Dp + d].
LLAMA2_INLINE void rowTimes(float* out, const float* w, const float* M, int64_t Dp, int64_t j0, int64_t j1) {
  weightedRows(out, false, w, 1, M, Dp, j0, j1);
}

// acc[d] += sum over t in [t0, t1) of W[t * ldw + j] * M[t * Dp + d], for d < Dp.
LLAMA2_INLINE void colTimes(float* acc, const float* W, int64_t ldw, int64_t j, const float* M, int64_t Dp,
                            int64_t t0, int64_t t1) {
  weightedRows(acc, true, W + j, ldw, M, Dp, t0, t1);
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
