// The small-M GEMM path (gemm_small.inc) compiled portably (scalar; any CPU) and the dispatch to
// it or to the AVX-512 / AVX2 compilations in gemm_small_x86.cpp, so one body serves every CPU.
#include "gemm_small.h"

#include <algorithm>
#include <vector>

#include "parallel.h"

namespace llama2::gemm::portable {
using VF = float;
constexpr int VW = 1;
static inline VF vzero() { return 0.0f; }
static inline VF vset1(float x) { return x; }
static inline VF vload(const float* p) { return *p; }
static inline VF vloadn(const float* p, int) { return *p; }
static inline void vstoren(float* p, VF v, int) { *p = v; }
static inline VF vfma(VF a, VF b, VF c) { return a * b + c; }
static inline VF vadd(VF a, VF b) { return a + b; }
static inline void vsum4(VF a, VF b, VF c, VF d, float* out) {
  out[0] = a; out[1] = b; out[2] = c; out[3] = d;
}
#include "gemm_small.inc"
}  // namespace llama2::gemm::portable

namespace llama2::gemm {

void smallMDotCols(SimdLevel level, int64_t M, int64_t K, const float* A, const float* B, int64_t ldb, float beta,
                   float* C, int64_t ldc, int64_t nb, int64_t ne) {
#if LLAMA2_X86
  if (level == SimdLevel::Avx512) return avx512::smallMCols(false, true, M, K, A, K, A, B, ldb, beta, C, ldc, nb, ne);
  if (level == SimdLevel::Avx2) return avx2::smallMCols(false, true, M, K, A, K, A, B, ldb, beta, C, ldc, nb, ne);
#else
  (void)level;
#endif
  portable::smallM(false, true, M, K, A, K, A, B, ldb, beta, C, ldc, nb, ne);
}

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
#if LLAMA2_X86
    if (level == SimdLevel::Avx512) return avx512::smallMCols(transA, transB, M, K, A, lda, Arow, B, ldb, beta, C, ldc, nb, ne);
    if (level == SimdLevel::Avx2) return avx2::smallMCols(transA, transB, M, K, A, lda, Arow, B, ldb, beta, C, ldc, nb, ne);
#else
    (void)level;
#endif
    portable::smallM(transA, transB, M, K, A, lda, Arow, B, ldb, beta, C, ldc, nb, ne);
  };
  // Split columns in multiples of 64 so no thread's share ends mid-vector; one share per thread
  // (static: the threads stream disjoint rows of B).
  const int64_t chunks = (N + 63) / 64;
  parallelRegion(static_cast<double>(M) * N * K >= kParallelMinMacs, [&](int t, int T) {
    const int64_t nb = std::min(N, t * chunks / T * 64), ne = std::min(N, (t + 1) * chunks / T * 64);
    if (nb < ne) run(nb, ne);
  });
}

}  // namespace llama2::gemm
