// x86 kernels of native/qmatmul.h: the row kernels (qmatmul_x86.inc) compiled for AVX2+FMA+F16C
// and for AVX-512, plus a bf16 kernel on vdpbf16ps (AVX512-BF16: 32 bf16 products per instruction,
// float32 accumulate), all chosen at run time. The whole file is empty on other architectures.
#include "qmatmul.h"

#if LLAMA2_X86
#include <cpuid.h>
#include <immintrin.h>

// AVX-512 intrinsics built on _mm512_undefined_*(): GCC 12 reports a false "maybe uninitialized".
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
// Each block's functions are compiled for its ISA: GCC's target pragma, clang's attribute pragma.

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif
namespace llama2::qmm::avx2 {
using VF = __m256;
constexpr int VW = 8;
static inline VF vzero() { return _mm256_setzero_ps(); }
static inline VF vset1(float x) { return _mm256_set1_ps(x); }
static inline VF vload(const float* p) { return _mm256_loadu_ps(p); }
static inline void vstore(float* p, VF v) { _mm256_storeu_ps(p, v); }
static inline VF vfma(VF a, VF b, VF c) { return _mm256_fmadd_ps(a, b, c); }
static inline VF vmul(VF a, VF b) { return _mm256_mul_ps(a, b); }
static inline float hsum(VF v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline VF vloadBf16(const uint16_t* p) {
  const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}
static inline VF vloadQ8(const int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
static inline float fp16(uint16_t h) { return _cvtsh_ss(h); }
#include "qmatmul_x86.inc"
}  // namespace llama2::qmm::avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx2,fma,f16c")
#endif
namespace llama2::qmm::avx512 {
using VF = __m512;
constexpr int VW = 16;
static inline VF vzero() { return _mm512_setzero_ps(); }
static inline VF vset1(float x) { return _mm512_set1_ps(x); }
static inline VF vload(const float* p) { return _mm512_loadu_ps(p); }
static inline void vstore(float* p, VF v) { _mm512_storeu_ps(p, v); }
static inline VF vfma(VF a, VF b, VF c) { return _mm512_fmadd_ps(a, b, c); }
static inline VF vmul(VF a, VF b) { return _mm512_mul_ps(a, b); }
static inline float hsum(VF v) { return _mm512_reduce_add_ps(v); }
static inline VF vloadBf16(const uint16_t* p) {
  const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
}
static inline VF vloadQ8(const int8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}
static inline float fp16(uint16_t h) { return _cvtsh_ss(h); }
#include "qmatmul_x86.inc"
}  // namespace llama2::qmm::avx512
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512bf16,avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512bf16,avx2,fma,f16c")
#endif
namespace llama2::qmm::avx512bf16 {
// R rows of W x MB rows of A with vdpbf16ps: acc[i][j] += W_j · hi_i + W_j · lo_i, 32 pairs a step
// (pf: elements ahead of each load to prefetch; default R rows, the same line of the next pass's rows).
// aBf rows are zero padded to Kp, so the masked W load of the tail multiplies zeros only.
template <int MB, int R>
static void dpBlock(const uint16_t* aBf, int64_t K, int64_t Kp, const uint16_t* W, int64_t n0, int nn, float beta,
                    float* C, int64_t ldc, int64_t pf = -1) {
  if (pf < 0) pf = R * K;
  const uint16_t* w[R];
  for (int j = 0; j < R; j++) w[j] = W + (n0 + (j < nn ? j : 0)) * K;
  __m512 acc[MB][R];
  for (int i = 0; i < MB; i++)
    for (int j = 0; j < R; j++) acc[i][j] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; k += 32) {
    const __mmask32 mask = K - k >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << (K - k)) - 1u);
    __m512i b[R];
    for (int j = 0; j < R; j++) _mm_prefetch(reinterpret_cast<const char*>(w[j] + k + pf), _MM_HINT_T0);  // as in the .inc
    for (int j = 0; j < R; j++) b[j] = _mm512_maskz_loadu_epi16(mask, w[j] + k);
    for (int i = 0; i < MB; i++) {
      const __m512i hi = _mm512_loadu_si512(aBf + i * 2 * Kp + k);
      const __m512i lo = _mm512_loadu_si512(aBf + i * 2 * Kp + Kp + k);
      for (int j = 0; j < R; j++) {
        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)b[j], (__m512bh)hi);
        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)b[j], (__m512bh)lo);
      }
    }
  }
  for (int i = 0; i < MB; i++)
    for (int j = 0; j < nn; j++) {
      float* c = C + i * ldc + n0 + j;
      *c = (beta == 0.0f ? 0.0f : beta * *c) + _mm512_reduce_add_ps(acc[i][j]);
    }
}

// Products of more than one row (aBf null, see kDpMaxM) take the AVX-512 FMA kernel.
static void bf16Dot(int M, const float* A, const uint16_t* aBf, int64_t K, const uint16_t* W, int64_t n0, int64_t n1,
                    float beta, float* C, int64_t ldc) {
  if (!aBf) return avx512::bf16Dot(M, A, nullptr, K, W, n0, n1, beta, C, ldc);
  const int64_t Kp = (K + 31) / 32 * 32;
  if (M == 1) {  // one row at a time, as the FMA families (avx512::kOneRowAhead, qmatmul_x86.inc)
    for (int64_t n = n0; n < n1; n++) dpBlock<1, 1>(aBf, K, Kp, W, n, 1, beta, C, ldc, avx512::kOneRowAhead / 2);
    return;
  }
  for (int64_t n = n0; n < n1; n += 4) {
    const int nn = static_cast<int>(n1 - n < 4 ? n1 - n : 4);
    switch (M) {
      case 1: dpBlock<1, 4>(aBf, K, Kp, W, n, nn, beta, C, ldc); break;
      case 2: dpBlock<2, 4>(aBf, K, Kp, W, n, nn, beta, C, ldc); break;
      case 3: dpBlock<3, 4>(aBf, K, Kp, W, n, nn, beta, C, ldc); break;
      default: dpBlock<4, 4>(aBf, K, Kp, W, n, nn, beta, C, ldc); break;
    }
  }
}
}  // namespace llama2::qmm::avx512bf16
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace llama2::qmm {

// F16C from CPUID leaf 1 (ECX bit 29): clang before 16 has no "f16c" for __builtin_cpu_supports.
static bool cpuHasF16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
}

bool cpuHasAvx512Bf16() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16") && cpuHasF16c();
}

const Kernels* x86Kernels(SimdLevel level, bool dpbf16) {
  static const bool f16c = (__builtin_cpu_init(), cpuHasF16c());
  static const bool bw = __builtin_cpu_supports("avx512bw");
  static const bool bf16 = cpuHasAvx512Bf16();
  // vdpbf16ps only for one-row products (decoding): with A as bf16 hi + lo it takes two vdpbf16ps per
  // 32 weights, and this CPU class (AMD Zen 4) issues a zmm vdpbf16ps at about the rate of a zmm FMA,
  // so it is no faster than the FMA kernel where compute binds. Measured one thread, CPU time per call
  // (bench/bf16-kernels.mjs, bench/bf16.md): M 1 0.95-1.11x the FMA kernel, M 2 0.93x, M 4 0.65x, M 16 0.67x.
  constexpr int64_t kDpMaxM = 1;
  static const Kernels a2{"avx2", 0, avx2::bf16Dot, avx2::q8Dot, avx2::bf16Dequant, avx2::q8Dequant};
  static const Kernels a5{"avx512", 0, avx512::bf16Dot, avx512::q8Dot, avx512::bf16Dequant, avx512::q8Dequant};
  static const Kernels a5bf{"avx512bf16", kDpMaxM, avx512bf16::bf16Dot, avx512::q8Dot, avx512::bf16Dequant,
                            avx512::q8Dequant};
  if (!f16c) return nullptr;
  if (level == SimdLevel::Avx512 && bw) return dpbf16 && bf16 ? &a5bf : &a5;
  if (level == SimdLevel::Avx512 || level == SimdLevel::Avx2) return &a2;
  return nullptr;
}

}  // namespace llama2::qmm

#else  // not x86: the portable family only

namespace llama2::qmm {
bool cpuHasAvx512Bf16() { return false; }
const Kernels* x86Kernels(SimdLevel, bool) { return nullptr; }
}  // namespace llama2::qmm

#endif
