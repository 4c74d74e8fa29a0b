// Helpers shared by the layer kernels (not GEMM): the size threshold below which a loop stays on
// one thread (waking the workers costs more than it saves on tiny work), a fast vectorizable
// expf for softmax / cross-entropy / SiLU, and run-time SIMD dispatch on native/simd.h's level:
// a kernel body is an always-inline function compiled three times (AVX-512, AVX2+FMA, portable;
// portable only where LLAMA2_X86 is 0). Threads: native/parallel.h (parallelFor / parallelRegion).
//   LLAMA2_SIMD_VARIANTS(fooSimd, foo, (float* x, int64_t n), (x, n))  ->  fooSimdPick()(x, n)
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include "napi_util.h"
#include "parallel.h"
#include "simd.h"

namespace llama2 {

// Work (in float elements touched) below which a kernel runs single-threaded.
constexpr int64_t kParallelMin = 1 << 15;

#define LLAMA2_INLINE inline __attribute__((always_inline))

// Defines name##Avx512, name##Avx2, name##Portable, each a copy of the always-inline `body`
// compiled for that level, and name##Pick() returning the one for the current simdLevel().
#if LLAMA2_X86
#define LLAMA2_SIMD_VARIANTS(name, body, params, args)                                   \
  LLAMA2_AVX512 void name##Avx512 params { body args; }                                   \
  LLAMA2_AVX2 void name##Avx2 params { body args; }                                       \
  void name##Portable params { body args; }                                               \
  inline decltype(&name##Portable) name##Pick() {                                         \
    switch (::llama2::simdLevel()) {                                                      \
      case ::llama2::SimdLevel::Avx512: return name##Avx512;                              \
      case ::llama2::SimdLevel::Avx2: return name##Avx2;                                  \
      default: return name##Portable;                                                     \
    }                                                                                     \
  }
#else
#define LLAMA2_SIMD_VARIANTS(name, body, params, args)                                   \
  void name##Portable params { body args; }                                               \
  inline decltype(&name##Portable) name##Pick() { return name##Portable; }
#endif

// Bit-level helpers the compiler can vectorize inside `#pragma omp simd` loops.
LLAMA2_INLINE float bitsToFloat(int32_t i) { float f; std::memcpy(&f, &i, 4); return f; }

// exp(x) for x <= ~88, accurate to ~2 ulp: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2,
// then a degree-6 polynomial for e^r (Cephes expf coefficients) and 2^n built in the exponent bits.
// Inputs below -87.3 return 0 (softmax arguments are x - max <= 0, so no overflow path is needed
// for them; large positive inputs are clamped to 88.3 so 2^n stays finite).
LLAMA2_INLINE float fastExp(float x) {
  x = x < 88.3f ? x : 88.3f;
  const bool under = x < -87.3f;
  x = under ? -87.3f : x;
  // round-to-nearest by the 1.5*2^23 trick: vectorizes on plain SSE2, unlike nearbyint (a libm call)
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;  // ln2 high part (exact in float)
  r = r - n * -2.12194440e-4f;     // ln2 low part
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float scale = bitsToFloat((static_cast<int32_t>(n) + 127) << 23);
  return under ? 0.0f : p * scale;
}

// 2^x for x <= 0 (the flash attention's exponent, base 2 so the scores carry log2(e) in their scale
// and the reduction needs no ln2 split): n = round(x), f = x - n in [-0.5, 0.5], 2^f by a degree-5
// minimax polynomial (relative error 9e-8; 1.9e-7 evaluated in float32); x <= -127 (and -inf) gives
// exactly 0. Lane-wise twins: native/attention_flash*.
constexpr float kExp2C5 = 1.3264731969684362e-3f, kExp2C4 = 9.671513922512531e-3f, kExp2C3 = 5.550733581185341e-2f,
                kExp2C2 = 2.4022242426872253e-1f, kExp2C1 = 6.931470036506653e-1f;
LLAMA2_INLINE float fastExp2(float x) {
  x = x > -127.0f ? x : -127.0f;
  const float n = (x + 12582912.0f) - 12582912.0f;  // round to nearest (1.5*2^23 trick)
  const float f = x - n;
  float p = kExp2C5;
  p = p * f + kExp2C4;
  p = p * f + kExp2C3;
  p = p * f + kExp2C2;
  p = p * f + kExp2C1;
  p = p * f + 1.0f;
  return p * bitsToFloat((static_cast<int32_t>(n) + 127) << 23);
}

}  // namespace llama2
