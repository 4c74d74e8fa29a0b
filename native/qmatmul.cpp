// Linear layers with bf16 or Q8_0 weights (native/qmatmul.h) and their N-API entries (matmulBf16,
// matmulQ8_0, quantizeQ8_0, dequantizeQ8_0, toBf16; src/native/addon.ts). Few rows of x (decoding,
// batched decoding) take the row kernels, which stream each weight row once per 4 rows of x; many
// rows (prefill) dequantize 64-row panels of W to float32 per thread and run the float32 GEMM on them,
// so prefill keeps sgemm's speed. Threads split the rows of W (output features).
#include "qmatmul.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

#include "gemm.h"
#include "gemm_small.h"
#include "kernel_util.h"
#include "napi_util.h"

namespace llama2::qmm {

// ---- portable family (plain C++; also the reference the SIMD families are tested against) ----
namespace portable {
// Written for the auto-vectorizer, no intrinsics (SSE2 on x86-64, NEON on arm64, whatever the target
// has): each weight row is widened 16 at a time, bf16 -> float32 by a 16-bit shift in a uint32 (exact),
// into MR x 16 float32 accumulators (16 independent lanes per row of x: no serial dependency on one sum),
// reduced pairwise at the end. Every row of W is read once for the MR rows of x. (Measured, SSE2, one
// thread: 2.5x the AVX2 kernel's time at M 1, 4.3x at M 4 — SSE2 has no FMA — against 15x scalar.)
template <int MR>
static void bf16DotRows(const float* A, int64_t K, const uint16_t* W, int64_t n0, int64_t n1, float beta, float* C,
                        int64_t ldc) {
  constexpr int kLanes = 16;
  for (int64_t n = n0; n < n1; n++) {
    const uint16_t* w = W + n * K;
    float acc[MR][kLanes] = {};
    int64_t k = 0;
    for (; k + kLanes <= K; k += kLanes) {
      uint32_t bits[kLanes];
      float wf[kLanes];
      for (int j = 0; j < kLanes; j++) bits[j] = static_cast<uint32_t>(w[k + j]) << 16;
      std::memcpy(wf, bits, sizeof wf);
      for (int m = 0; m < MR; m++) {
        const float* a = A + m * K + k;
        for (int j = 0; j < kLanes; j++) acc[m][j] += a[j] * wf[j];
      }
    }
    for (int m = 0; m < MR; m++) {
      for (int64_t kk = k; kk < K; kk++) acc[m][kk - k] += A[m * K + kk] * bf16ToF32(w[kk]);  // tail, < 16
      for (int h = kLanes / 2; h >= 1; h /= 2)
        for (int j = 0; j < h; j++) acc[m][j] += acc[m][j + h];
      float* c = C + m * ldc + n;
      *c = (beta == 0.0f ? 0.0f : beta * *c) + acc[m][0];
    }
  }
}

static void bf16Dot(int M, const float* A, const uint16_t*, int64_t K, const uint16_t* W, int64_t n0, int64_t n1,
                    float beta, float* C, int64_t ldc) {
  switch (M) {  // the row kernels take at most 4 rows of x at a time (qmatmul below)
    case 1: bf16DotRows<1>(A, K, W, n0, n1, beta, C, ldc); break;
    case 2: bf16DotRows<2>(A, K, W, n0, n1, beta, C, ldc); break;
    case 3: bf16DotRows<3>(A, K, W, n0, n1, beta, C, ldc); break;
    case 4: bf16DotRows<4>(A, K, W, n0, n1, beta, C, ldc); break;
    default:
      for (int m0 = 0; m0 < M; m0 += 4)
        bf16Dot(std::min(4, M - m0), A + m0 * K, nullptr, K, W, n0, n1, beta, C + m0 * ldc, ldc);
      break;
  }
}

static void q8Dot(int M, const float* A, int64_t K, const uint8_t* W, int64_t n0, int64_t n1, float beta, float* C,
                  int64_t ldc) {
  const int64_t nb = K / kQ8Block;
  for (int64_t n = n0; n < n1; n++) {
    for (int m = 0; m < M; m++) {
      float s = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        const uint8_t* p = W + (n * nb + b) * kQ8BlockBytes;
        uint16_t dh;
        std::memcpy(&dh, p, 2);
        const int8_t* q = reinterpret_cast<const int8_t*>(p + 2);
        const float* a = A + m * K + b * kQ8Block;
        float t = 0.0f;
        for (int j = 0; j < kQ8Block; j++) t += static_cast<float>(q[j]) * a[j];
        s += fp16ToF32(dh) * t;
      }
      float* c = C + m * ldc + n;
      *c = (beta == 0.0f ? 0.0f : beta * *c) + s;
    }
  }
}

static void bf16Dequant(const uint16_t* W, int64_t n0, int64_t n1, int64_t K, float* out) {
  for (int64_t i = n0 * K; i < n1 * K; i++) out[i - n0 * K] = bf16ToF32(W[i]);
}

static void q8Dequant(const uint8_t* W, int64_t n0, int64_t n1, int64_t K, float* out) {
  const int64_t nb = K / kQ8Block;
  for (int64_t b = n0 * nb; b < n1 * nb; b++) {
    const uint8_t* p = W + b * kQ8BlockBytes;
    uint16_t dh;
    std::memcpy(&dh, p, 2);
    const float d = fp16ToF32(dh);
    for (int j = 0; j < kQ8Block; j++)
      out[(b - n0 * nb) * kQ8Block + j] = d * static_cast<float>(reinterpret_cast<const int8_t*>(p + 2)[j]);
  }
}
}  // namespace portable

const Kernels& portableKernels() {
  static const Kernels k{"portable", 0, portable::bf16Dot, portable::q8Dot, portable::bf16Dequant,
                         portable::q8Dequant};
  return k;
}

// Whether the bf16 kernels may use vdpbf16ps (tests switch it off to run the AVX-512 FMA kernel).
static bool& dpbf16Enabled() {
  static bool on = true;
  return on;
}

static const Kernels& pick() {
  const Kernels* k = x86Kernels(simdLevel(), dpbf16Enabled());
  return k ? *k : portableKernels();
}

const Kernels& currentKernels() { return pick(); }

void splitBf16(const float* A, int64_t M, int64_t K, uint16_t* aBf) {
  const int64_t Kp = (K + 31) / 32 * 32;
  std::memset(aBf, 0, sizeof(uint16_t) * static_cast<size_t>(M * 2 * Kp));
  for (int64_t m = 0; m < M; m++)
    for (int64_t k = 0; k < K; k++) {
      const float x = A[m * K + k];
      const uint16_t hi = f32ToBf16(x);
      aBf[m * 2 * Kp + k] = hi;
      aBf[m * 2 * Kp + Kp + k] = f32ToBf16(x - bf16ToF32(hi));
    }
}

// At most this many rows of x take the row kernels; more go through dequantized panels + sgemm.
constexpr int64_t kSmallM = 16;
// Rows of W per task: a multiple of the kernels' 4-row pass; panels of the large-M path.
constexpr int64_t kRowChunk = 16, kPanel = 64;

enum class WType { Bf16, Q8_0 };

// Runs body(n0, n1) over row chunks of [0, N), on the threads when `parallel` (native/parallel.h).
template <class F>
static void forRows(int64_t N, int64_t chunk, bool parallel, F&& body) {
  parallelFor(N, chunk, parallel, body);
}

// C[M,N] = beta*C + A[M,K] · W^T, W [N,K] in `type` storage.
static void qmatmul(WType type, int64_t M, int64_t N, int64_t K, const float* A, const void* W, float beta,
                    float* C) {
  if (M <= 0 || N <= 0) return;
  const bool parallel = static_cast<double>(M) * N * K >= gemm::kParallelMinMacs;
  const Kernels& kern = pick();
  if (M <= kSmallM) {
    std::vector<uint16_t> aBf;  // [M, 2, Kp] hi/lo bf16 split of A for vdpbf16ps
    const int64_t Kp = (K + 31) / 32 * 32;
    if (type == WType::Bf16 && M <= kern.splitMaxM) {
      aBf.resize(static_cast<size_t>(M * 2 * Kp));
      splitBf16(A, M, K, aBf.data());
    }
    forRows(N, kRowChunk, parallel, [&](int64_t n0, int64_t n1) {
      for (int64_t m0 = 0; m0 < M; m0 += 4) {
        const int mb = static_cast<int>(std::min<int64_t>(4, M - m0));
        if (type == WType::Bf16)
          kern.bf16Dot(mb, A + m0 * K, aBf.empty() ? nullptr : aBf.data() + m0 * 2 * Kp, K,
                       static_cast<const uint16_t*>(W), n0, n1, beta, C + m0 * N, N);
        else
          kern.q8Dot(mb, A + m0 * K, K, static_cast<const uint8_t*>(W), n0, n1, beta, C + m0 * N, N);
      }
    });
    return;
  }
  forRows(N, kPanel, parallel, [&](int64_t n0, int64_t n1) {
    for (int64_t p0 = n0; p0 < n1; p0 += kPanel) {
      const int64_t p1 = std::min(n1, p0 + kPanel);
      static thread_local std::vector<float> panel;
      panel.resize(static_cast<size_t>((p1 - p0) * K));
      if (type == WType::Bf16) kern.bf16Dequant(static_cast<const uint16_t*>(W), p0, p1, K, panel.data());
      else kern.q8Dequant(static_cast<const uint8_t*>(W), p0, p1, K, panel.data());
      // Inside a region sgemm runs on this thread; outside (one chunk) it may use the threads itself.
      sgemm(false, true, M, p1 - p0, K, A, K, panel.data(), K, beta, C + p0, N);
    }
  });
}

// roundf(v) (half away from zero) for |v| <= 127, without roundf's libm call (7x faster here): the
// truncation's remainder v - trunc(v) is exact, so comparing it with 0.5 decides the tie as roundf does.
// (Checked against roundf for every float in [-127.5, 127.5]; only 127.5 itself differs, never reached.)
static inline int8_t roundAway(float v) {
  int i = static_cast<int>(v);
  const float rest = v - static_cast<float>(i);
  i += (rest >= 0.5f) - (rest <= -0.5f);
  return static_cast<int8_t>(i);
}

// ggml's quantize_row_q8_0_ref: per block of 32, d = max|x| / 127, q = roundf(x / d) (half away from
// zero), d stored as fp16 (round to nearest even). gguf-py's Q8_0 quantizer computes the same bytes.
static void quantizeRow(const float* x, int64_t K, uint8_t* out) {
  for (int64_t b = 0; b < K / kQ8Block; b++) {
    const float* v = x + b * kQ8Block;
    float amax = 0.0f;
    for (int j = 0; j < kQ8Block; j++) amax = std::max(amax, std::fabs(v[j]));
    const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    uint8_t* p = out + b * kQ8BlockBytes;
    const uint16_t dh = f32ToFp16(d);
    std::memcpy(p, &dh, 2);
    for (int j = 0; j < kQ8Block; j++) reinterpret_cast<int8_t*>(p + 2)[j] = roundAway(v[j] * id);
  }
}

}  // namespace llama2::qmm

namespace {
using namespace llama2;

// A typed-array argument of the given element type with at least minLen elements.
template <class T>
T* typed(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name, napi_typedarray_type type,
         const char* typeName, size_t minLen) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    fail(info, argName(fn, i, name) + " must be a " + typeName);
  auto a = v.As<Napi::TypedArray>();
  if (a.ElementLength() < minLen)
    failRange(info, argName(fn, i, name) + " has " + std::to_string(a.ElementLength()) + " elements, needs at least " +
                        std::to_string(minLen));
  return reinterpret_cast<T*>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
}

// Products of sizes: llama2::size (native/napi_util.h) refuses any above 2^53, naming the product.
size_t product(const Napi::CallbackInfo& info, const char* fn, const char* what, int64_t a, int64_t b) {
  return static_cast<size_t>(size(info, fn, what, {a, b}));
}

void needQ8K(const Napi::CallbackInfo& info, const char* fn, int64_t K) {
  if (K % qmm::kQ8Block != 0)
    failRange(info, std::string(fn) + ": K = " + std::to_string(K) + " must be a multiple of 32 for Q8_0 blocks");
}

// matmulBf16(out, x, w, M, N, K, accumulate) / matmulQ8_0(...): out[M,N] (+)= x[M,K] · W^T.
Napi::Value matmulQ(const Napi::CallbackInfo& info, const char* fn, qmm::WType type) {
  expectArgs(info, fn, 7);
  const int64_t M = dim(info, fn, 3, "M"), N = dim(info, fn, 4, "N"), K = dim(info, fn, 5, "K");
  const bool accumulate = flag(info, fn, 6, "accumulate");
  if (type == qmm::WType::Q8_0) needQ8K(info, fn, K);
  float* out = f32(info, fn, 0, "out", product(info, fn, "M*N", M, N));
  const float* x = f32(info, fn, 1, "x", product(info, fn, "M*K", M, K));
  const void* w;
  if (type == qmm::WType::Bf16) {
    w = typed<uint16_t>(info, fn, 2, "w", napi_uint16_array, "Uint16Array (bfloat16 bits)", product(info, fn, "N*K", N, K));
  } else {
    w = typed<uint8_t>(info, fn, 2, "w", napi_uint8_array, "Uint8Array (Q8_0 blocks)",
                       product(info, fn, "N*K/32*34", N, K / qmm::kQ8Block * qmm::kQ8BlockBytes));
  }
  qmm::qmatmul(type, M, N, K, x, w, accumulate ? 1.0f : 0.0f, out);
  return info.Env().Undefined();
}

Napi::Value matmulBf16(const Napi::CallbackInfo& info) { return matmulQ(info, "matmulBf16", qmm::WType::Bf16); }
Napi::Value matmulQ8_0(const Napi::CallbackInfo& info) { return matmulQ(info, "matmulQ8_0", qmm::WType::Q8_0); }

// quantizeQ8_0(dst, src, rows, K): src float32 [rows,K] or bfloat16 bits (Uint16Array) [rows,K].
Napi::Value quantizeQ8_0(const Napi::CallbackInfo& info) {
  const char* fn = "quantizeQ8_0";
  expectArgs(info, fn, 4);
  const int64_t rows = dim(info, fn, 2, "rows"), K = dim(info, fn, 3, "K");
  needQ8K(info, fn, K);
  const size_t n = product(info, fn, "rows*K", rows, K);
  uint8_t* dst = typed<uint8_t>(info, fn, 0, "dst", napi_uint8_array, "Uint8Array",
                                product(info, fn, "rows*K/32*34", rows, K / qmm::kQ8Block * qmm::kQ8BlockBytes));
  const bool isBf16 = info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array;
  const float* srcF = isBf16 ? nullptr : f32(info, fn, 1, "src", n);
  const uint16_t* srcH = isBf16 ? typed<uint16_t>(info, fn, 1, "src", napi_uint16_array, "Uint16Array", n) : nullptr;
  const int64_t rowBytes = K / qmm::kQ8Block * qmm::kQ8BlockBytes;
  auto body = [&](int64_t r0, int64_t r1) {
    std::vector<float> row(isBf16 ? static_cast<size_t>(K) : 0);
    for (int64_t r = r0; r < r1; r++) {
      const float* x = srcF ? srcF + r * K : row.data();
      if (srcH) for (int64_t k = 0; k < K; k++) row[k] = qmm::bf16ToF32(srcH[r * K + k]);
      qmm::quantizeRow(x, K, dst + r * rowBytes);
    }
  };
  qmm::forRows(rows, 64, static_cast<double>(n) >= 1 << 20, body);
  return info.Env().Undefined();
}

// dequantizeQ8_0(dst, src, rows, K): dst float32 [rows,K] = d * q.
Napi::Value dequantizeQ8_0(const Napi::CallbackInfo& info) {
  const char* fn = "dequantizeQ8_0";
  expectArgs(info, fn, 4);
  const int64_t rows = dim(info, fn, 2, "rows"), K = dim(info, fn, 3, "K");
  needQ8K(info, fn, K);
  float* dst = f32(info, fn, 0, "dst", product(info, fn, "rows*K", rows, K));
  const uint8_t* src = typed<uint8_t>(info, fn, 1, "src", napi_uint8_array, "Uint8Array",
                                      product(info, fn, "rows*K/32*34", rows, K / qmm::kQ8Block * qmm::kQ8BlockBytes));
  qmm::portableKernels().q8Dequant(src, 0, rows, K, dst);
  return info.Env().Undefined();
}

// toBf16(dst, src, n): dst[i] = bfloat16 bits of src[i], round to nearest even (torch's .to(bfloat16)).
Napi::Value toBf16(const Napi::CallbackInfo& info) {
  const char* fn = "toBf16";
  expectArgs(info, fn, 3);
  const int64_t n = dim(info, fn, 2, "n");
  uint16_t* dst = typed<uint16_t>(info, fn, 0, "dst", napi_uint16_array, "Uint16Array", static_cast<size_t>(n));
  const float* src = f32(info, fn, 1, "src", static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) dst[i] = qmm::f32ToBf16(src[i]);
  return info.Env().Undefined();
}

// qmatmulKernel(): the family the bf16/Q8_0 kernels use now ("avx512bf16" | "avx512" | "avx2" | "portable").
Napi::Value qmatmulKernel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), qmm::pick().name);
}

// useDpbf16(on): allow (default) or forbid vdpbf16ps; RangeError when asked for and the CPU lacks it.
Napi::Value useDpbf16(const Napi::CallbackInfo& info) {
  const char* fn = "useDpbf16";
  expectArgs(info, fn, 1);
  const bool on = flag(info, fn, 0, "on");
  if (on && !qmm::cpuHasAvx512Bf16()) failRange(info, "useDpbf16: argument 0 (on) is true, but this CPU (or build) has no AVX512-BF16");
  qmm::dpbf16Enabled() = on;
  return info.Env().Undefined();
}
}  // namespace

LLAMA2_EXPORT("matmulBf16", matmulBf16);
LLAMA2_EXPORT("matmulQ8_0", matmulQ8_0);
LLAMA2_EXPORT("quantizeQ8_0", quantizeQ8_0);
LLAMA2_EXPORT("dequantizeQ8_0", dequantizeQ8_0);
LLAMA2_EXPORT("toBf16", toBf16);
LLAMA2_EXPORT("qmatmulKernel", qmatmulKernel);
LLAMA2_EXPORT("useDpbf16", useDpbf16);
