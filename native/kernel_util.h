// Helpers shared by the layer kernels (not GEMM): the size threshold below which a loop stays on
// one thread (forking the OpenMP team costs more than it saves on tiny work), a fast vectorizable
// expf for softmax / cross-entropy / SiLU, and run-time SIMD dispatch on native/simd.h's level:
// a kernel body is an always-inline function compiled three times (AVX-512, AVX2+FMA, portable).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include "napi_util.h"
#include "simd.h"

namespace llama2 {

// Work (in float elements touched) below which a kernel runs single-threaded.
constexpr int64_t kParallelMin = 1 << 15;

#define LLAMA2_INLINE inline __attribute__((always_inline))
// Only ISA flags, never arch=: GCC inlines plain functions into these (same arch, ISA superset).
#define LLAMA2_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define LLAMA2_AVX2 __attribute__((target("avx2,fma")))

// Defines name##Avx512, name##Avx2, name##Portable, each a copy of the always-inline `body`
// compiled for that level, and name##Pick() returning the one for the current simdLevel().
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

inline std::string argName(const char* fn, size_t i, const char* name) {
  return std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ")";
}

[[noreturn]] inline void failRange(const Napi::CallbackInfo& info, const std::string& msg) {
  throw Napi::RangeError::New(info.Env(), msg);
}

}  // namespace llama2
