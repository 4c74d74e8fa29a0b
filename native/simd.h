// Run-time SIMD dispatch level shared by every kernel: detected once from CPUID
// (__builtin_cpu_supports), overridable with setSimdLevel() so tests can run the AVX2 and
// portable paths on an AVX-512 machine. The addon is built without -march flags; each SIMD
// function carries its own __attribute__((target(...))).
//
// Compile-time guard: x86 code (immintrin.h, target attributes, CPUID) is compiled only when
// LLAMA2_X86 is 1 — an x86-64 / i386 compiler and no LLAMA2_PORTABLE (the portable build, which
// proves on this machine that everything compiles without it). Write x86 kernels as
//   #if LLAMA2_X86
//   #include <immintrin.h>
//   LLAMA2_AVX512 void fooAvx512(...) { ... }
//   #endif
// in their own file (or section), with a portable C++ version of every kernel outside the guard.
// Elsewhere (arm64, ...) simdLevel() is always Portable.
#pragma once
#include <atomic>

#if (defined(__x86_64__) || defined(_M_X64) || defined(__i386__)) && !defined(LLAMA2_PORTABLE)
#define LLAMA2_X86 1
// Only ISA flags, never arch=: GCC inlines plain functions into these (same arch, ISA superset).
#define LLAMA2_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define LLAMA2_AVX2 __attribute__((target("avx2,fma")))
#else
#define LLAMA2_X86 0
#endif

namespace llama2 {

enum class SimdLevel : int { Portable = 0, Avx2 = 1, Avx512 = 2 };

/** The best level this CPU supports (AVX-512 needs F+VL, AVX2 needs FMA too). */
inline SimdLevel detectSimdLevel() {
#if LLAMA2_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("fma"))
    return SimdLevel::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::Avx2;
#endif
  return SimdLevel::Portable;
}

inline std::atomic<int>& simdLevelVar() {
  static std::atomic<int> level{static_cast<int>(detectSimdLevel())};
  return level;
}

/** The level kernels dispatch on now. */
inline SimdLevel simdLevel() { return static_cast<SimdLevel>(simdLevelVar().load(std::memory_order_relaxed)); }

/** Selects a level; returns false (and changes nothing) when the CPU lacks it. */
inline bool setSimdLevel(SimdLevel level) {
  if (static_cast<int>(level) > static_cast<int>(detectSimdLevel())) return false;
  simdLevelVar().store(static_cast<int>(level), std::memory_order_relaxed);
  return true;
}

inline const char* simdLevelName(SimdLevel level) {
  return level == SimdLevel::Avx512 ? "avx512" : level == SimdLevel::Avx2 ? "avx2" : "portable";
}

}  // namespace llama2
