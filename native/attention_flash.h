// Tiled attention without the T x S probability matrix (FlashAttention-2: Dao 2023, Algorithms 1
// and 2): the forward runs an online softmax over key tiles and saves only each query row's
// log-sum-exp; the backward recomputes P = exp(q k^T * scale - lse) tile by tile. Masks as
// native/attention.cpp states them (causal from pos0, keyStart, segIds); tiles that the causal
// or segment mask empties entirely are skipped, only tiles crossing a mask edge are masked.
// This header: shapes, packing and the per-family tile functions (native/attention_flash.inc,
// compiled per SIMD family by attention_flash_x86.cpp and attention_flash.cpp).
#pragma once
#include <algorithm>
#include <climits>
#include <type_traits>
#include "kernel_util.h"

namespace llama2::flash {

constexpr int64_t kBr = 64;  // query rows per tile (a multiple of 8)
constexpr int64_t kBc = 64;  // keys per tile (a multiple of 16)

// The tiles compute softmax in base 2 (K^T carries log2(e)/sqrt(D), fastExp2); lse stays natural.
constexpr float kLog2e = 1.44269504088896341f, kLn2 = 0.693147180559945309f;

inline int64_t roundUp(int64_t n) { return (n + 15) / 16 * 16; }
inline int64_t roundTile(int64_t n) { return (n + kBc - 1) / kBc * kBc; }

struct Shape {
  int64_t B, T, S, pos0, H, KH, D;
};

// Segment ids [lo, hi] of a run of positions: disjoint ranges share no id (the tile is skipped);
// one shared id means no segment masking.
struct SegRange {
  int32_t lo, hi;
  bool disjoint(const SegRange& o) const { return hi < o.lo || o.hi < lo; }
  bool uniformWith(const SegRange& o) const { return lo == hi && o.lo == o.hi && lo == o.lo; }
};
inline SegRange segRange(const int32_t* seg, int64_t j0, int64_t j1) {
  SegRange r{INT32_MAX, INT32_MIN};
  for (int64_t j = j0; j < j1; j++) r.lo = std::min(r.lo, seg[j]), r.hi = std::max(r.hi, seg[j]);
  return r;
}

// Sets masked scores of query position qpos over keys [jt, jt + nc) to -inf.
inline void maskRow(float* row, int64_t jt, int64_t nc, int64_t lo, int64_t qpos, const int32_t* seg) {
  if (!seg) {  // causal and keyStart only: two runs
    for (int64_t c = 0; c < std::min(nc, lo - jt); c++) row[c] = -INFINITY;
    for (int64_t c = std::max<int64_t>(0, qpos + 1 - jt); c < nc; c++) row[c] = -INFINITY;
    return;
  }
  for (int64_t c = 0; c < nc; c++) {
    const int64_t j = jt + c;
    if (j < lo || j > qpos || seg[j] != seg[qpos]) row[c] = -INFINITY;
  }
}

// dst[rowsPad][Dp] = src rows (stride ld) of D floats, zero-padded in both directions.
inline void packRows(float* dst, const float* src, int64_t ld, int64_t rows, int64_t D, int64_t Dp, int64_t rowsPad) {
  for (int64_t r = 0; r < rows; r++) {
    std::memcpy(dst + r * Dp, src + r * ld, sizeof(float) * D);
    std::memset(dst + r * Dp + D, 0, sizeof(float) * (Dp - D));
  }
  std::memset(dst + rows * Dp, 0, sizeof(float) * (rowsPad - rows) * Dp);
}

// dst[rowsPad/kBc][D][kBc] = scale * transpose of src rows (stride ld) of D floats, tile by
// tile of kBc rows (one tile's K^T is contiguous); rows [rows, rowsPad) zero.
inline void packTilesTransposed(float* dst, const float* src, int64_t ld, int64_t rows, int64_t D, int64_t rowsPad,
                                float scale) {
  for (int64_t j0 = 0; j0 < rowsPad; j0 += kBc) {
    float* tile = dst + j0 * D;
    const int64_t n = std::max<int64_t>(0, std::min(kBc, rows - j0));
    for (int64_t d = 0; d < D; d++) {
      float* row = tile + d * kBc;
      for (int64_t r = 0; r < n; r++) row[r] = src[(j0 + r) * ld + d] * scale;
      std::memset(row + n, 0, sizeof(float) * (kBc - n));
    }
  }
}

// Row j of a matrix stored tile-transposed ([rows/kBc][Dp][kBc], the backward's dk and dv
// accumulators), times f, into dst[D].
inline void unpackTileRow(float* dst, const float* src, int64_t j, int64_t D, int64_t Dp, float f) {
  const float* t = src + j / kBc * kBc * Dp + j % kBc;
  for (int64_t d = 0; d < D; d++) dst[d] = t[d * kBc] * f;
}

// The forward's packed K and V of one (b, kv head): K^T * log2(e)/sqrt(D) [Sp/kBc][D][kBc], V [Sp][Dp],
// Sp = roundTile(pos0 + T).
inline int64_t packedKvFloats(const Shape& s) {
  const int64_t Sp = roundTile(s.pos0 + s.T);
  return s.D * Sp + Sp * roundUp(s.D);
}
inline void packKv(const Shape& s, int64_t b, int64_t kh, const float* k, const float* v, float* dst) {
  const int64_t Sv = s.pos0 + s.T, Sp = roundTile(Sv), D = s.D, ld = s.KH * D;
  packTilesTransposed(dst, k + (b * s.S * s.KH + kh) * D, ld, Sv, D, Sp, kLog2e / std::sqrt(static_cast<float>(D)));
  packRows(dst + D * Sp, v + (b * s.S * s.KH + kh) * D, ld, Sv, D, roundUp(D), Sp);
}

// Scratch floats per thread of forwardTile and backwardHead.
inline int64_t forwardScratch(const Shape& s) { return kBr * s.D + kBr * kBc + kBr * roundUp(s.D) + 2 * kBr; }
inline int64_t backwardScratch(const Shape& s) {
  const int64_t Tp = roundTile(s.T);
  return 4 * Tp * roundUp(s.D) + 2 * s.D * Tp + 3 * kBr * kBc + Tp;
}

// The tile functions of one SIMD family (native/attention_flash.inc).
#define LLAMA2_FLASH_DECLS                                                                                      \
  void forwardTile(const Shape& s, int64_t b, int64_t h, int64_t t0, float* out, float* lse, const float* q,    \
                   const float* kv, const int32_t* keyStart, const int32_t* segIds, const SegRange* kseg,       \
                   float* scratch);                                                                             \
  void backwardHead(const Shape& s, int64_t b, int64_t h, int64_t kt0, int64_t kt1, float* dqOut, int64_t ldo,   \
                    float* dKa, float* dVa, const float* dout, const float* out, const float* lse, const float* q, \
                    const float* k, const float* v, const int32_t* segIds, float* scratch);
namespace portable { LLAMA2_FLASH_DECLS }
#if LLAMA2_X86
namespace avx2 { LLAMA2_FLASH_DECLS }
namespace avx512 { LLAMA2_FLASH_DECLS }
#endif

/** out[B,T,H,D], lse[B,H,T] or null; masks as attentionForward (native/attention.cpp). */
void forward(const Shape& s, float* out, float* lse, const float* q, const float* k, const float* v,
             const int32_t* keyStart, const int32_t* segIds);
/** Training backward (pos0 = 0, S = T): writes dq[B,T,H,D], dk/dv[B,T,KH,D]. */
void backward(const Shape& s, float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
              const float* q, const float* k, const float* v, const int32_t* segIds);

}  // namespace llama2::flash
