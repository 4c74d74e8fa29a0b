// The small-M GEMM path (gemm_small.inc) compiled for AVX-512 and AVX2+FMA, each in its own
// namespace under #pragma GCC target; x86 only (LLAMA2_X86, native/simd.h). The portable
// compilation and the dispatch are in gemm_small.cpp.
#include "gemm_small.h"
#if LLAMA2_X86
#include <immintrin.h>

// _mm512_extractf64x4_pd uses _mm256_undefined_pd(): a GCC 12 false "maybe uninitialized".
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
// Every function of a block is compiled for its ISA: GCC's target pragma, clang's attribute pragma.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,fma")
#endif
namespace llama2::gemm::avx512 {
using VF = __m512;
constexpr int VW = 16;
static inline VF vzero() { return _mm512_setzero_ps(); }
static inline VF vset1(float x) { return _mm512_set1_ps(x); }
static inline VF vload(const float* p) { return _mm512_loadu_ps(p); }
static inline __mmask16 vmask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
static inline VF vloadn(const float* p, int n) { return _mm512_maskz_loadu_ps(vmask(n), p); }
static inline void vstoren(float* p, VF v, int n) {
  if (n == VW) _mm512_storeu_ps(p, v);
  else _mm512_mask_storeu_ps(p, vmask(n), v);
}
static inline VF vfma(VF a, VF b, VF c) { return _mm512_fmadd_ps(a, b, c); }
static inline VF vadd(VF a, VF b) { return _mm512_add_ps(a, b); }
// Four horizontal sums at once: pairwise unpack-and-add, then fold the 128-bit lanes.
static inline void vsum4(VF a, VF b, VF c, VF d, float* out) {
  const VF ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
  const VF cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
  const __m512d abd = _mm512_castps_pd(ab), cdd = _mm512_castps_pd(cd);
  const VF t = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(abd, cdd)),
                             _mm512_castpd_ps(_mm512_unpackhi_pd(abd, cdd)));
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(t),
                                 _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1)));
  _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
}
#include "gemm_small.inc"
void smallMCols(bool transA, bool transB, int64_t M, int64_t K, const float* A, int64_t lda, const float* Arow,
                const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int64_t nb, int64_t ne) {
  smallM(transA, transB, M, K, A, lda, Arow, B, ldb, beta, C, ldc, nb, ne);
}
}  // namespace llama2::gemm::avx512
#if defined(__clang__)
#pragma clang attribute pop
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
namespace llama2::gemm::avx2 {
using VF = __m256;
constexpr int VW = 8;
static inline VF vzero() { return _mm256_setzero_ps(); }
static inline VF vset1(float x) { return _mm256_set1_ps(x); }
static inline VF vload(const float* p) { return _mm256_loadu_ps(p); }
static inline __m256i vmask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline VF vloadn(const float* p, int n) { return _mm256_maskload_ps(p, vmask(n)); }
static inline void vstoren(float* p, VF v, int n) {
  if (n == VW) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, vmask(n), v);
}
static inline VF vfma(VF a, VF b, VF c) { return _mm256_fmadd_ps(a, b, c); }
static inline VF vadd(VF a, VF b) { return _mm256_add_ps(a, b); }
static inline void vsum4(VF a, VF b, VF c, VF d, float* out) {
  const VF t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
}
#include "gemm_small.inc"
void smallMCols(bool transA, bool transB, int64_t M, int64_t K, const float* A, int64_t lda, const float* Arow,
                const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int64_t nb, int64_t ne) {
  smallM(transA, transB, M, K, A, lda, Arow, B, ldb, beta, C, ldc, nb, ne);
}
}  // namespace llama2::gemm::avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif  // LLAMA2_X86
