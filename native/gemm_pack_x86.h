// AVX-512 / AVX2 packing (gemm_pack.h has the layouts and the generic versions); x86 only.
#pragma once
#include "gemm_pack.h"
#include "simd.h"
#if LLAMA2_X86
#include <immintrin.h>

namespace llama2::gemm {

// ---- AVX-512 ----
// c[j] = column j of the 16x16 matrix whose rows are r[0..15].
LLAMA2_AVX512 inline void transpose16(const __m512 r[16], __m512 c[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int g = 0; g < 4; g++) {  // rows 4g..4g+3: u[4g+q] holds column q (+4, +8, +12 per lane)
    const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d c2 = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
    u[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c2));
    u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c2));
    u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int q = 0; q < 4; q++) {  // lanes of u[4g+q] are columns q, q+4, q+8, q+12
    const __m512 v0 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x88);       // cols q, q+8 (rows 0-7)
    const __m512 v1 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xdd);       // cols q+4, q+12
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x88);  // cols q, q+8 (rows 8-15)
    const __m512 v3 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xdd);
    c[q] = _mm512_shuffle_f32x4(v0, v2, 0x88);
    c[q + 8] = _mm512_shuffle_f32x4(v0, v2, 0xdd);
    c[q + 4] = _mm512_shuffle_f32x4(v1, v3, 0x88);
    c[q + 12] = _mm512_shuffle_f32x4(v1, v3, 0xdd);
  }
}

// Rows src[0..rows) (stride ld) x 16-deep strips of k, transposed: column p goes to dst + p*dstStride
// (lanes [0, width) stored). rows <= 16, width <= 16.
LLAMA2_AVX512 inline void gatherPanel(const float* src, int64_t ld, int rows, int64_t kc, float* dst,
                                      int64_t dstStride, int width) {
  const __mmask16 wmask = static_cast<__mmask16>((1u << width) - 1u);
  __m512 r[16], c[16];
  for (int i = rows; i < 16; i++) r[i] = _mm512_setzero_ps();
  for (int64_t pb = 0; pb < kc; pb += 16) {
    const int n = static_cast<int>(std::min<int64_t>(16, kc - pb));
    const __mmask16 kmask = static_cast<__mmask16>((1u << n) - 1u);
    for (int i = 0; i < rows; i++) r[i] = _mm512_maskz_loadu_ps(kmask, src + i * ld + pb);
    transpose16(r, c);
    for (int p = 0; p < n; p++) _mm512_mask_storeu_ps(dst + (pb + p) * dstStride, wmask, c[p]);
  }
}

template <int MR>
LLAMA2_AVX512 void packAAvx512(bool transA, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                               int64_t kc, float* Ap) {
  static_assert(MR <= 16, "one transpose covers at most 16 rows");
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    float* dst = Ap + ir * kc;
    if (transA) {
      const __mmask16 load = static_cast<__mmask16>((1u << mr) - 1u), store = static_cast<__mmask16>((1u << MR) - 1u);
      for (int64_t p = 0; p < kc; p++)
        _mm512_mask_storeu_ps(dst + p * MR, store, _mm512_maskz_loadu_ps(load, A + (p0 + p) * lda + i0 + ir));
    } else {
      gatherPanel(A + (i0 + ir) * lda + p0, lda, mr, kc, dst, MR, MR);
    }
  }
}

LLAMA2_AVX512 inline void packB32Avx512(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t j0,
                                        int64_t kc, int nr, float* dst) {
  if (!transB) {
    const __mmask16 m0 = static_cast<__mmask16>(nr >= 16 ? 0xffffu : (1u << nr) - 1u);
    const __mmask16 m1 = static_cast<__mmask16>(nr >= 32 ? 0xffffu : nr <= 16 ? 0u : (1u << (nr - 16)) - 1u);
    for (int64_t p = 0; p < kc; p++) {
      const float* src = B + (p0 + p) * ldb + j0;
      _mm512_store_ps(dst + p * 32, _mm512_maskz_loadu_ps(m0, src));
      _mm512_store_ps(dst + p * 32 + 16, _mm512_maskz_loadu_ps(m1, src + 16));
    }
  } else {
    const float* src = B + j0 * ldb + p0;
    gatherPanel(src, ldb, std::min(nr, 16), kc, dst, 32, 16);
    gatherPanel(src + 16 * ldb, ldb, std::max(nr - 16, 0), kc, dst + 16, 32, 16);
  }
}

// ---- AVX2 ----
// c[j] = column j of the 8x8 matrix whose rows are r[0..7].
LLAMA2_AVX2 inline void transpose8(const __m256 r[8], __m256 c[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int g = 0; g < 2; g++) {
    u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int q = 0; q < 4; q++) {
    c[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
    c[q + 4] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
  }
}

LLAMA2_AVX2 inline __m256i lanesBelow(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Rows src[0..rows) (stride ld), 8-deep strips of k, transposed: column p to dst + p*dstStride,
// lanes [0, width) stored. rows <= 8, width <= 8.
LLAMA2_AVX2 inline void gatherPanel8(const float* src, int64_t ld, int rows, int64_t kc, float* dst,
                                     int64_t dstStride, int width) {
  const __m256i wmask = lanesBelow(width);
  __m256 r[8], c[8];
  for (int i = rows; i < 8; i++) r[i] = _mm256_setzero_ps();
  for (int64_t pb = 0; pb < kc; pb += 8) {
    const int n = static_cast<int>(std::min<int64_t>(8, kc - pb));
    if (n == 8)
      for (int i = 0; i < rows; i++) r[i] = _mm256_loadu_ps(src + i * ld + pb);
    else
      for (int i = 0; i < rows; i++) r[i] = _mm256_maskload_ps(src + i * ld + pb, lanesBelow(n));
    transpose8(r, c);
    for (int p = 0; p < n; p++) _mm256_maskstore_ps(dst + (pb + p) * dstStride, wmask, c[p]);
  }
}

template <int MR>
LLAMA2_AVX2 void packAAvx2(bool transA, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                           int64_t kc, float* Ap) {
  static_assert(MR <= 8, "one transpose covers at most 8 rows");
  if (transA) {
    packAGeneric<MR>(transA, A, lda, i0, p0, mc, kc, Ap);
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    gatherPanel8(A + (i0 + ir) * lda + p0, lda, mr, kc, Ap + ir * kc, MR, MR);
  }
}

LLAMA2_AVX2 inline void packB16Avx2(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t j0,
                                    int64_t kc, int nr, float* dst) {
  if (!transB) {
    packBGeneric<16>(transB, B, ldb, p0, j0, kc, nr, dst);
    return;
  }
  const float* src = B + j0 * ldb + p0;
  gatherPanel8(src, ldb, std::min(nr, 8), kc, dst, 16, 8);
  gatherPanel8(src + 8 * ldb, ldb, std::max(nr - 8, 0), kc, dst + 8, 16, 8);
}

}  // namespace llama2::gemm
#endif  // LLAMA2_X86
