// Weight-only low-precision linear layers for frozen models (inference): y[M,N] = beta*y + x[M,K]·W^T
// with W [N,K] stored as bfloat16 (the top 16 bits of a float32, HF/PyTorch bf16) or as ggml's Q8_0
// (per row, K/32 blocks of {fp16 d; int8 qs[32]}, 34 bytes, value = d * q — ggml-common.h block_q8_0,
// so a GGUF writer copies the bytes as they are). Activations and accumulation stay float32.
// Kernels per SIMD level: portable (qmatmul.cpp), AVX2 / AVX-512 / AVX-512-BF16 (qmatmul_x86.cpp).
#pragma once
#include <cstdint>
#include <cstring>

#include "simd.h"

namespace llama2::qmm {

constexpr int64_t kQ8Block = 32;       // weights per Q8_0 block (ggml QK8_0)
constexpr int64_t kQ8BlockBytes = 34;  // sizeof(block_q8_0): fp16 d, then int8 qs[32]

/** IEEE half bits -> float (exact). */
inline float fp16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) bits = sign | 0x7f800000u | (mant << 13);
  else if (exp != 0) bits = sign | ((exp + 112) << 23) | (mant << 13);
  else if (mant == 0) bits = sign;
  else {  // subnormal half: normalise
    int e = -1;
    uint32_t m = mant;
    do { e++; m <<= 1; } while (!(m & 0x400u));
    bits = sign | static_cast<uint32_t>(112 - e) << 23 | ((m & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/** float -> IEEE half bits, round-to-nearest-even (what _cvtss_sh(x, 0) and numpy's astype do). */
inline uint16_t f32ToFp16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t exp = (bits >> 23) & 0xffu;
  uint32_t mant = bits & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0));
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const int shift = 14 - e;
    const uint32_t half = 1u << (shift - 1), rest = mant & ((1u << shift) - 1);
    uint32_t h = mant >> shift;
    if (rest > half || (rest == half && (h & 1u))) h++;
    return static_cast<uint16_t>(sign | h);
  }
  const uint32_t rest = mant & 0x1fffu;
  uint32_t h = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
  return static_cast<uint16_t>(sign | h);
}

/** float -> bfloat16 bits, round-to-nearest-even (torch's .to(torch.bfloat16)). */
inline uint16_t f32ToBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

inline float bf16ToF32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/**
 * One SIMD family's row kernels. Each computes C[m, n] = beta*C[m, n] + dot(A[m, :], W[n, :]) for
 * m < M (M <= 4) and n in [n0, n1), reading each W row once for all M rows. A [M,K] contiguous;
 * C row m at C + m*ldc. bf16Dot additionally receives aBf [M, 2, Kp] (Kp = K rounded up to 32, zero
 * padded) when the product has at most splitMaxM rows: each A row split into bf16 hi + lo parts
 * (hi + lo = A to ~16 mantissa bits) for the vdpbf16ps kernel; otherwise aBf is null and that family
 * runs its FMA kernel. Other families ignore it. dequant* write W rows [n0, n1) as float32 [n1-n0, K].
 */
struct Kernels {
  const char* name;
  int64_t splitMaxM;  // bf16Dot reads aBf (AVX512-BF16) for products of at most this many rows; 0: never
  void (*bf16Dot)(int M, const float* A, const uint16_t* aBf, int64_t K, const uint16_t* W, int64_t n0,
                  int64_t n1, float beta, float* C, int64_t ldc);
  void (*q8Dot)(int M, const float* A, int64_t K, const uint8_t* W, int64_t n0, int64_t n1, float beta,
                float* C, int64_t ldc);
  void (*bf16Dequant)(const uint16_t* W, int64_t n0, int64_t n1, int64_t K, float* out);
  void (*q8Dequant)(const uint8_t* W, int64_t n0, int64_t n1, int64_t K, float* out);
};

/** The portable C++ family (qmatmul.cpp): correct on every CPU. */
const Kernels& portableKernels();

/**
 * The x86 family for a level (qmatmul_x86.cpp), or nullptr when this build or CPU has none (non-x86,
 * or the CPU lacks F16C for the AVX2 family). dpbf16: use vdpbf16ps when the CPU has AVX512-BF16.
 */
const Kernels* x86Kernels(SimdLevel level, bool dpbf16);

/** Whether the CPU has AVX512-BF16 (+BW) on top of the AVX-512 level. */
bool cpuHasAvx512Bf16();

/** The family the bf16 / Q8_0 entries use now (SIMD level, vdpbf16ps allowed or not). */
const Kernels& currentKernels();

/** aBf [M, 2, Kp] (Kp = K rounded up to 32, zero padded) for Kernels::bf16Dot when M <= splitMaxM. */
void splitBf16(const float* A, int64_t M, int64_t K, uint16_t* aBf);

}  // namespace llama2::qmm
