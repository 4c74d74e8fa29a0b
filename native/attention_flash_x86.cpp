// The AVX-512 and AVX2+FMA families of native/attention_flash.inc (x86 only; other CPUs build
// the portable family in attention_flash.cpp). Register blocking: AVX-512 (32 zmm) scores 4 rows
// x 64 keys (16 accumulators: 4 broadcasts per 16 FMAs; 8 x 32 was 10% slower on Zen 4), weighted
// sums 8 rows x 48 (24) and the backward's dk^T / dv^T 4 x 64; AVX2 (16 ymm) 4 x 24 (12) both.
#include "simd.h"
#if LLAMA2_X86
#include <immintrin.h>
#include "attention_flash.h"

// _mm512_reduce_* use _mm256_undefined_ps(): a GCC 12 false "maybe uninitialized".
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

// Every function of a block is compiled for its ISA: GCC's target pragma, clang's attribute pragma.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx2,fma")
#endif
namespace llama2::flash::avx512 {
using VF = __m512;
constexpr int VW = 16;
constexpr int kScoreMR = 4, kScoreNV = 4, kAccNV = 4;
constexpr int accMR(int nv) { return nv >= 4 ? 4 : 8; }
static inline VF vzero() { return _mm512_setzero_ps(); }
static inline VF vset1(float x) { return _mm512_set1_ps(x); }
static inline VF vload(const float* p) { return _mm512_loadu_ps(p); }
static inline void vstore(float* p, VF v) { _mm512_storeu_ps(p, v); }
static inline VF vfma(VF a, VF b, VF c) { return _mm512_fmadd_ps(a, b, c); }
static inline VF vadd(VF a, VF b) { return _mm512_add_ps(a, b); }
static inline VF vsub(VF a, VF b) { return _mm512_sub_ps(a, b); }
static inline VF vmul(VF a, VF b) { return _mm512_mul_ps(a, b); }
static inline VF vmax(VF a, VF b) { return _mm512_max_ps(a, b); }
static inline float vhmax(VF v) { return _mm512_reduce_max_ps(v); }
static inline float vhsum(VF v) { return _mm512_reduce_add_ps(v); }
// fastExp2 (native/kernel_util.h) on 16 lanes: same rounding, polynomial and underflow to 0.
static inline VF vexp2(VF x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-127.0f));
  const __m512i n = _mm512_cvtps_epi32(x);  // round to nearest
  const VF f = _mm512_sub_ps(x, _mm512_cvtepi32_ps(n));
  VF p = _mm512_set1_ps(kExp2C5);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kExp2C4));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kExp2C3));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kExp2C2));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kExp2C1));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  return _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23)));
}
#include "attention_flash.inc"
}  // namespace llama2::flash::avx512
#if defined(__clang__)
#pragma clang attribute pop
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
namespace llama2::flash::avx2 {
using VF = __m256;
constexpr int VW = 8;
constexpr int kScoreMR = 4, kScoreNV = 3, kAccNV = 3;
constexpr int accMR(int nv) { return nv >= 2 ? 4 : 8; }
static inline VF vzero() { return _mm256_setzero_ps(); }
static inline VF vset1(float x) { return _mm256_set1_ps(x); }
static inline VF vload(const float* p) { return _mm256_loadu_ps(p); }
static inline void vstore(float* p, VF v) { _mm256_storeu_ps(p, v); }
static inline VF vfma(VF a, VF b, VF c) { return _mm256_fmadd_ps(a, b, c); }
static inline VF vadd(VF a, VF b) { return _mm256_add_ps(a, b); }
static inline VF vsub(VF a, VF b) { return _mm256_sub_ps(a, b); }
static inline VF vmul(VF a, VF b) { return _mm256_mul_ps(a, b); }
static inline VF vmax(VF a, VF b) { return _mm256_max_ps(a, b); }
static inline float vhmax(VF v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}
static inline float vhsum(VF v) {
  __m128 m = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_add_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_add_ss(m, _mm_movehdup_ps(m)));
}
// fastExp2 (native/kernel_util.h) on 8 lanes: same rounding, polynomial and underflow to 0.
static inline VF vexp2(VF x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-127.0f));
  const __m256i n = _mm256_cvtps_epi32(x);  // round to nearest
  const VF f = _mm256_sub_ps(x, _mm256_cvtepi32_ps(n));
  VF p = _mm256_set1_ps(kExp2C5);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kExp2C4));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kExp2C3));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kExp2C2));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kExp2C1));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23)));
}
#include "attention_flash.inc"
}  // namespace llama2::flash::avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif  // LLAMA2_X86
