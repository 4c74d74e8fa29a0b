// Single-precision matrix multiply (see gemm.h) and its N-API entry `matmul` (src/native/addon.ts).
// BLIS-style (Goto / Van Zee): B packed in KC x NC blocks shared by the threads, A packed per
// thread in MC x KC blocks, register-blocked micro-kernels (gemm_kernels.h) per SIMD level; few
// rows go to the unpacked small-M path (gemm_small.cpp). Design and measurements: bench/gemm.md.
#include "gemm.h"

// AVX-512 intrinsics built on _mm512_undefined_*(): GCC 12 reports a false "maybe uninitialized".
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <algorithm>
#include <cstdlib>
#include <new>

#include "napi_util.h"
#include "parallel.h"
#include "gemm_kernels.h"
#include "gemm_pack.h"
#include "gemm_small.h"
#include "simd.h"

namespace llama2 {
namespace gemm {

// At most this many rows go to the unpacked small-M path (gemm_small.cpp): measured crossover
// with the packed path on Zen 4 (dot-product form with transposed B stays ahead longer).
constexpr int64_t kSmallMTransB = 32, kSmallM = 8;

using Kernel = void (*)(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, float beta);
using PackA = void (*)(bool transA, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                       int64_t kc, float* Ap);
using PackB = void (*)(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int nr,
                       float* dst);

// One micro-kernel family and its cache blocking: KC (depth of a packed panel), MC (rows of A
// packed per thread block, L2-resident), NC (columns of B packed and shared by all threads).
struct Config {
  int MR, NR;
  int64_t KC, MC, NC;
  Kernel kernel;
  PackA packA;
  PackB packB;
};

static int64_t envInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

static const Config& config(SimdLevel level) {
  static const Config portable{4, 16, 256, 128, 2048, kernelPortable<4, 16>, packAGeneric<4>,
                               packBGeneric<16>};
#if LLAMA2_X86
  // LLAMA2_GEMM_KC/MC/NC override the blocking (tuning experiments only).
  static const Config avx512{12, 32, envInt("LLAMA2_GEMM_KC", 512), envInt("LLAMA2_GEMM_MC", 144),
                             envInt("LLAMA2_GEMM_NC", 4096), kernelAvx512<12>,
                             packAAvx512<12>, packB32Avx512};
  static const Config avx2{6, 16, 256, 120, 2048, kernelAvx2<6>, packAAvx2<6>, packB16Avx2};
  if (level == SimdLevel::Avx512) return avx512;
  if (level == SimdLevel::Avx2) return avx2;
#else
  (void)level;
  (void)envInt;
#endif
  return portable;
}

// A per-thread, 64-byte aligned scratch buffer that only grows (pool / OpenMP threads persist).
static float* scratch(size_t floats, int which) {
  struct Buf {
    float* p = nullptr;
    size_t n = 0;
    ~Buf() { std::free(p); }
  };
  static thread_local Buf bufs[2];
  Buf& b = bufs[which];
  if (b.n < floats) {
    std::free(b.p);
    b.n = (floats + 15) & ~size_t{15};
    b.p = static_cast<float*>(std::aligned_alloc(64, b.n * sizeof(float)));
    if (!b.p) throw std::bad_alloc();
  }
  return b.p;
}

// C[mr,nr] tile from packed panels; edge tiles go through an aligned temporary.
static inline void tile(const Config& cf, int64_t kc, const float* Ap, const float* Bp, float* C,
                        int64_t ldc, float beta, int mr, int nr) {
  if (mr == cf.MR && nr == cf.NR) {
    cf.kernel(kc, Ap, Bp, C, ldc, beta);
    return;
  }
  alignas(64) float t[16 * 64];
  cf.kernel(kc, Ap, Bp, t, cf.NR, 0.0f);
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++)
      C[i * ldc + j] = (beta == 0.0f ? 0.0f : beta * C[i * ldc + j]) + t[i * cf.NR + j];
}

// Computes rows [i0, i0+mc) x micro-panels [jrBegin, jrEnd) of the current packed B block.
static void macroBlock(const Config& cf, bool transA, const float* A, int64_t lda, int64_t i0,
                       int64_t mc, int64_t p0, int64_t kc, const float* Bp, int64_t j0, int64_t nc,
                       int64_t jrBegin, int64_t jrEnd, float beta, float* C, int64_t ldc) {
  float* Ap = scratch(static_cast<size_t>(((mc + cf.MR - 1) / cf.MR) * cf.MR * kc), 0);
  cf.packA(transA, A, lda, i0, p0, mc, kc, Ap);
  for (int64_t jp = jrBegin; jp < jrEnd; jp++) {
    const int64_t jr = jp * cf.NR;
    const int nr = static_cast<int>(std::min<int64_t>(cf.NR, nc - jr));
    for (int64_t ir = 0; ir < mc; ir += cf.MR) {
      const int mr = static_cast<int>(std::min<int64_t>(cf.MR, mc - ir));
      tile(cf, kc, Ap + ir * kc, Bp + jp * cf.NR * kc, C + (i0 + ir) * ldc + j0 + jr, ldc, beta, mr, nr);
    }
  }
}

static void packed(const Config& cf, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                   const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                   int64_t ldc) {
  // Inside another kernel's parallel region: run on the calling thread (no nested regions).
  int nt = inParallel() ? 1 : threadCount();
  if (static_cast<double>(M) * N * K < kParallelMinMacs) nt = 1;
  const bool par = nt > 1;
  // Equal K blocks of at most cf.KC (K = 288 is one block of 288, not 256 + 32).
  const int64_t kBlocks = (K + cf.KC - 1) / cf.KC;
  const int64_t KC = ((K + kBlocks - 1) / kBlocks + 7) / 8 * 8, NC = std::min<int64_t>(cf.NC, ((N + cf.NR - 1) / cf.NR) * cf.NR);
  // M blocks: whole MR units spread evenly over a multiple of nt blocks of at most MC rows.
  const int64_t units = (M + cf.MR - 1) / cf.MR;
  int64_t nb = std::max<int64_t>(1, (M + cf.MC - 1) / cf.MC);
  const bool splitM = units >= 4 * nt;
  if (splitM) nb = ((nb + nt - 1) / nt) * nt;
  float* Bp = scratch(static_cast<size_t>(KC * NC), 1);
  for (int64_t j0 = 0; j0 < N; j0 += NC) {
    const int64_t nc = std::min<int64_t>(NC, N - j0);
    const int64_t panels = (nc + cf.NR - 1) / cf.NR;
    for (int64_t p0 = 0; p0 < K; p0 += KC) {
      const int64_t kc = std::min<int64_t>(KC, K - p0);
      const float b = p0 == 0 ? beta : 1.0f;
      parallelFor(panels, 4, par, [&](int64_t jp0, int64_t jp1) {
        for (int64_t jp = jp0; jp < jp1; jp++)
          cf.packB(transB, B, ldb, p0, j0 + jp * cf.NR, kc,
                   static_cast<int>(std::min<int64_t>(cf.NR, nc - jp * cf.NR)), Bp + jp * cf.NR * kc);
      });
      if (splitM) {  // dynamic: a thread that gets more CPU (shared machine) takes more blocks
        parallelFor(nb, 1, par, [&](int64_t b0, int64_t b1) {
          for (int64_t blk = b0; blk < b1; blk++) {
            const int64_t u0 = blk * units / nb, u1 = (blk + 1) * units / nb;
            const int64_t i0 = u0 * cf.MR, mc = std::min<int64_t>(M, u1 * cf.MR) - i0;
            if (mc > 0) macroBlock(cf, transA, A, lda, i0, mc, p0, kc, Bp, j0, nc, 0, panels, b, C, ldc);
          }
        });
      } else {  // few rows: every thread packs the (small) A and takes a share of the panels
        parallelRegion(par, [&](int t, int T) {
          const int64_t jb = t * panels / T, je = (t + 1) * panels / T;
          for (int64_t blk = 0; blk < nb && jb < je; blk++) {
            const int64_t i0 = blk * M / nb, mc = (blk + 1) * M / nb - i0;
            macroBlock(cf, transA, A, lda, i0, mc, p0, kc, Bp, j0, nc, jb, je, b, C, ldc);
          }
        });
      }
    }
  }
}

}  // namespace gemm

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // empty sum: C = beta * C
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) C[m * ldc + n] = beta == 0.0f ? 0.0f : beta * C[m * ldc + n];
    return;
  }
  const SimdLevel level = simdLevel();
  if (M <= (transB ? gemm::kSmallMTransB : gemm::kSmallM)) {
    gemm::smallM(level, transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  gemm::packed(gemm::config(level), transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace llama2

// matmul(out, a, b, M, N, K, transA, transB, accumulate)
static Napi::Value matmul(const Napi::CallbackInfo& info) {
  const char* fn = "matmul";
  llama2::expectArgs(info, fn, 9);
  const int64_t M = llama2::dim(info, fn, 3, "M");
  const int64_t N = llama2::dim(info, fn, 4, "N");
  const int64_t K = llama2::dim(info, fn, 5, "K");
  const bool transA = llama2::flag(info, fn, 6, "transA");
  const bool transB = llama2::flag(info, fn, 7, "transB");
  const bool accumulate = llama2::flag(info, fn, 8, "accumulate");
  float* out = llama2::f32(info, fn, 0, "out", llama2::size(info, fn, "M*N", {M, N}));
  const float* a = llama2::f32(info, fn, 1, "a", llama2::size(info, fn, "M*K", {M, K}));
  const float* b = llama2::f32(info, fn, 2, "b", llama2::size(info, fn, "K*N", {K, N}));
  llama2::sgemm(transA, transB, M, N, K, a, transA ? M : K, b, transB ? K : N,
                accumulate ? 1.0f : 0.0f, out, N);
  return info.Env().Undefined();
}
LLAMA2_EXPORT("matmul", matmul);

// setSimdLevel("portable" | "avx2" | "avx512"): selects the micro-kernel family for every kernel.
static Napi::Value setSimdLevel(const Napi::CallbackInfo& info) {
  const char* fn = "setSimdLevel";
  llama2::expectArgs(info, fn, 1);
  if (!info[0].IsString()) llama2::fail(info, "setSimdLevel: argument 0 (level) must be a string");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  llama2::SimdLevel level;
  if (name == "portable") level = llama2::SimdLevel::Portable;
  else if (name == "avx2") level = llama2::SimdLevel::Avx2;
  else if (name == "avx512") level = llama2::SimdLevel::Avx512;
  else llama2::fail(info, "setSimdLevel: argument 0 (level) must be \"portable\", \"avx2\" or \"avx512\", got \"" + name + "\"");
  if (!llama2::setSimdLevel(level))
    throw Napi::RangeError::New(info.Env(), "setSimdLevel: this CPU does not support \"" + name + "\"");
  return info.Env().Undefined();
}
LLAMA2_EXPORT("setSimdLevel", setSimdLevel);
