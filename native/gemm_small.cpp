// The small-M GEMM path (gemm_small.inc) compiled three times: AVX-512, AVX2+FMA and portable
// scalar, each in its own namespace under #pragma GCC target, so one body serves every CPU.
#include "gemm_small.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

// _mm512_extractf64x4_pd uses _mm256_undefined_pd(): a GCC 12 false "maybe uninitialized".
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,fma")
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
}  // namespace llama2::gemm::avx512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
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
static inline void vsum4(VF a, VF b, VF c, VF d, float* out) {
  const VF t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
}
#include "gemm_small.inc"
}  // namespace llama2::gemm::avx2
#pragma GCC pop_options

namespace llama2::gemm::portable {
using VF = float;
constexpr int VW = 1;
static inline VF vzero() { return 0.0f; }
static inline VF vset1(float x) { return x; }
static inline VF vload(const float* p) { return *p; }
static inline VF vloadn(const float* p, int) { return *p; }
static inline void vstoren(float* p, VF v, int) { *p = v; }
static inline VF vfma(VF a, VF b, VF c) { return a * b + c; }
static inline void vsum4(VF a, VF b, VF c, VF d, float* out) {
  out[0] = a; out[1] = b; out[2] = c; out[3] = d;
}
#include "gemm_small.inc"
}  // namespace llama2::gemm::portable

namespace llama2::gemm {

void smallM(SimdLevel level, bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A,
            int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  // For the dot-product form, op(A) rows must be contiguous: copy (M*K floats, small).
  std::vector<float> rows;
  const float* Arow = A;
  if (transB && (transA || lda != K)) {
    rows.resize(static_cast<size_t>(M * K));
    for (int64_t m = 0; m < M; m++)
      for (int64_t k = 0; k < K; k++) rows[m * K + k] = transA ? A[k * lda + m] : A[m * lda + k];
    Arow = rows.data();
  }
  auto run = [&](int64_t nb, int64_t ne) {
    if (level == SimdLevel::Avx512) avx512::smallM(transA, transB, M, K, A, lda, Arow, B, ldb, beta, C, ldc, nb, ne);
    else if (level == SimdLevel::Avx2) avx2::smallM(transA, transB, M, K, A, lda, Arow, B, ldb, beta, C, ldc, nb, ne);
    else portable::smallM(transA, transB, M, K, A, lda, Arow, B, ldb, beta, C, ldc, nb, ne);
  };
  int nt = 1;
#ifdef _OPENMP
  if (static_cast<double>(M) * N * K >= kParallelMinMacs && !omp_in_parallel()) nt = omp_get_max_threads();
#endif
  if (nt <= 1) {
    run(0, N);
    return;
  }
  // Split columns in multiples of 64 so no thread's share ends mid-vector.
  const int64_t chunks = (N + 63) / 64;
#pragma omp parallel num_threads(nt)
  {
    int t = 0, T = 1;
#ifdef _OPENMP
    t = omp_get_thread_num();
    T = omp_get_num_threads();
#endif
    const int64_t nb = std::min(N, t * chunks / T * 64), ne = std::min(N, (t + 1) * chunks / T * 64);
    if (nb < ne) run(nb, ne);
  }
}

}  // namespace llama2::gemm
