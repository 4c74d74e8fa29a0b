// The portable family of native/attention_flash.inc (GCC vector extensions, 4 lanes: SSE2 on x86,
// NEON on arm64, scalar elsewhere) and the run-time dispatch plus threading of the tiled
// attention: the forward is parallel over (b, head, query tile), heaviest tiles first; the
// backward over (b, head, chunk of key tiles), dq shares summed over the chunks and each head's
// dk/dv share over its GQA group afterwards.
#include <vector>
#include "attention_flash.h"

namespace llama2::flash::portable {
typedef float VF __attribute__((vector_size(16)));
constexpr int VW = 4;
constexpr int kScoreMR = 4, kScoreNV = 2, kAccNV = 3;
constexpr int accMR(int nv) { return nv >= 2 ? 4 : 8; }
static inline VF vzero() { return VF{0.0f, 0.0f, 0.0f, 0.0f}; }
static inline VF vset1(float x) { return VF{x, x, x, x}; }
static inline VF vload(const float* p) { VF v; std::memcpy(&v, p, sizeof v); return v; }
static inline void vstore(float* p, VF v) { std::memcpy(p, &v, sizeof v); }
static inline VF vfma(VF a, VF b, VF c) { return a * b + c; }
static inline VF vadd(VF a, VF b) { return a + b; }
static inline VF vsub(VF a, VF b) { return a - b; }
static inline VF vmul(VF a, VF b) { return a * b; }
static inline VF vmax(VF a, VF b) {
  VF r;
  for (int i = 0; i < VW; i++) r[i] = a[i] > b[i] ? a[i] : b[i];
  return r;
}
static inline float vhmax(VF v) { return std::max(std::max(v[0], v[1]), std::max(v[2], v[3])); }
static inline float vhsum(VF v) { return (v[0] + v[1]) + (v[2] + v[3]); }
static inline VF vexp2(VF x) {
  VF r;
  for (int i = 0; i < VW; i++) r[i] = fastExp2(x[i]);
  return r;
}
#include "attention_flash.inc"
}  // namespace llama2::flash::portable

namespace llama2::flash {

namespace {

int64_t regionThreads() { return inParallel() ? 1 : threadCount(); }  // threads a region would use

// A grow-only float buffer of this thread (pool threads persist), held while in scope: no zero fill
// and no fresh pages on every call. The large ones (T 4096: packed K/V 9 MB, dq shares 14 MB, 6.5 MB
// of tile scratch a thread) were std::vectors per call: zeroed, and on the pool's threads mmap-ed and
// faulted in each time. A buffer above kKeepFloats is freed when its scope ends, so a server's one
// long prefill does not stay resident. Every user writes what it reads (see forwardTile, backwardHead).
enum Buffer { kScratch, kPacked, kDqPart, kKvPart, kBuffers };
constexpr size_t kKeepFloats = size_t{16} << 20;  // 64 MB
std::vector<float>& threadVector(Buffer which) {
  static thread_local std::vector<float> bufs[kBuffers];
  return bufs[which];
}
struct ThreadBuffer {
  Buffer which;
  float* data;
  ThreadBuffer(Buffer w, int64_t n) : which(w) {
    std::vector<float>& b = threadVector(w);
    if (b.size() < static_cast<size_t>(n)) {
      b.clear();
      b.shrink_to_fit();
      b.resize(static_cast<size_t>(n));
    }
    data = b.data();
  }
  ~ThreadBuffer() {
    std::vector<float>& b = threadVector(which);
    if (b.size() > kKeepFloats) std::vector<float>().swap(b);
  }
  ThreadBuffer(const ThreadBuffer&) = delete;
  ThreadBuffer& operator=(const ThreadBuffer&) = delete;
};

struct Family {
  decltype(&portable::forwardTile) forwardTile;
  decltype(&portable::backwardHead) backwardHead;
};

Family pick() {
#if LLAMA2_X86
  switch (simdLevel()) {
    case SimdLevel::Avx512: return {avx512::forwardTile, avx512::backwardHead};
    case SimdLevel::Avx2: return {avx2::forwardTile, avx2::backwardHead};
    default: break;
  }
#endif
  return {portable::forwardTile, portable::backwardHead};
}

}  // namespace

void forward(const Shape& s, float* out, float* lse, const float* q, const float* k, const float* v,
             const int32_t* keyStart, const int32_t* segIds) {
  const int64_t Sv = s.pos0 + s.T, nkt = roundTile(Sv) / kBc, nqt = (s.T + kBr - 1) / kBr;
  const int64_t kvFloats = packedKvFloats(s), groups = s.B * s.KH, group = s.H / s.KH;
  ThreadBuffer packedBuf(kPacked, groups * kvFloats);
  float* packed = packedBuf.data;
  std::vector<SegRange> kseg(segIds ? s.B * nkt : 0);
  for (int64_t b = 0; b < (segIds ? s.B : 0); b++)
    for (int64_t kt = 0; kt < nkt; kt++)
      kseg[b * nkt + kt] = segRange(segIds + b * s.S, kt * kBc, std::min((kt + 1) * kBc, Sv));
  const Family f = pick();
  const int64_t items = s.B * s.H * nqt;
  const double work = static_cast<double>(s.B * s.H * s.T) * static_cast<double>(Sv) * static_cast<double>(s.D);
  const bool par = work >= kParallelMin && items > 1;
  parallelFor(groups, 1, par, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; g++) packKv(s, g / s.KH, g % s.KH, k, v, packed + g * kvFloats);
  });
  // heaviest (last) query tiles first, so the causal triangle balances across threads
  WorkQueue tiles(items);
  parallelRegion(par, [&](int, int) {
    ThreadBuffer scratchBuf(kScratch, forwardScratch(s));
    float* scratch = scratchBuf.data;
    for (int64_t it; tiles.next(it);) {
      const int64_t qt = nqt - 1 - it / (s.B * s.H), bh = it % (s.B * s.H), b = bh / s.H, h = bh % s.H;
      const float* kv = packed + (b * s.KH + h / group) * kvFloats;
      f.forwardTile(s, b, h, qt * kBr, out, lse, q, kv, keyStart, segIds, segIds ? kseg.data() + b * nkt : nullptr,
                    scratch);
    }
  });
}

void backward(const Shape& s, float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
              const float* q, const float* k, const float* v, const int32_t* segIds) {
  const int64_t B = s.B, T = s.T, H = s.H, KH = s.KH, D = s.D, group = H / KH;
  const int64_t Tp = roundTile(T), Dp = roundUp(D), nt = Tp / kBc;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const double work = static_cast<double>(B * H * T) * static_cast<double>(T) * static_cast<double>(D);
  const bool parallel = work >= kParallelMin && B * H * nt > 1;
  // Each head's key tiles in C chunks of equal causal work (tile kt meets nt - kt query tiles),
  // so a loaded machine's threads still get >= 8 items each; chunk c's dq share covers rows >= its
  // first key and is summed below.
  const int64_t threads = parallel ? regionThreads() : 1;
  const int64_t C = std::min(nt, std::max<int64_t>(1, (8 * threads + B * H - 1) / (B * H)));
  std::vector<int64_t> bound(C + 1, nt);
  for (int64_t c = 0, kt = 0, acc = 0; c < C; c++) {
    bound[c] = kt;
    const int64_t goal = nt * (nt + 1) / 2 * (c + 1) / C;
    while (kt < nt && acc + (nt - kt) <= goal) acc += nt - kt++;
    if (kt == bound[c] && kt < nt) acc += nt - kt++;  // at least one tile per chunk
  }
  ThreadBuffer dqBuf(kDqPart, C > 1 ? B * H * C * T * D : 0);
  float* dqPart = dqBuf.data;
  // GQA: each query head's dk/dv share [2][B][H][T][D], summed over the group below
  ThreadBuffer kvBuf(kKvPart, group > 1 ? 2 * B * H * T * D : 0);
  float* kvPart = kvBuf.data;
  const Family f = pick();
  WorkQueue items(B * H * C);
  parallelRegion(parallel, [&](int, int) {
    ThreadBuffer scratchBuf(kScratch, backwardScratch(s) + 2 * Tp * Dp);
    float* scratch = scratchBuf.data;
    float* dKa = scratch + backwardScratch(s);
    float* dVa = dKa + Tp * Dp;
    for (int64_t it; items.next(it);) {
      const int64_t c = it % C, bh = it / C, b = bh / H, h = bh % H, kh = h / group;
      const int64_t kt0 = bound[c], kt1 = bound[c + 1];
      if (kt0 >= kt1) continue;
      float* dqOut = C > 1 ? dqPart + it * T * D : dq + (b * T * H + h) * D;
      f.backwardHead(s, b, h, kt0, kt1, dqOut, C > 1 ? D : H * D, dKa, dVa, dout, out, lse, q, k, v, segIds,
                     scratch);
      for (int64_t j = kt0 * kBc; j < std::min(kt1 * kBc, T); j++) {
        float* kd = group > 1 ? kvPart + (bh * T + j) * D : dk + ((b * T + j) * KH + kh) * D;
        float* vd = group > 1 ? kvPart + ((B * H + bh) * T + j) * D : dv + ((b * T + j) * KH + kh) * D;
        unpackTileRow(kd, dKa, j, D, Dp, scale);
        unpackTileRow(vd, dVa, j, D, Dp, 1.0f);
      }
    }
  });
  if (C > 1)
    parallelFor(B * T * H, 64, parallel, [&](int64_t r0, int64_t r1) {
      for (int64_t row = r0; row < r1; row++) {
        const int64_t b = row / (T * H), t = row / H % T, h = row % H, bh = b * H + h;
        float* o = dq + row * D;
        std::memset(o, 0, sizeof(float) * D);
        for (int64_t c = 0; c < C && bound[c] * kBc <= t; c++) {
          if (bound[c] >= bound[c + 1]) continue;
          const float* p = dqPart + ((bh * C + c) * T + t) * D;
          for (int64_t d = 0; d < D; d++) o[d] += p[d];
        }
      }
    });
  if (group > 1)
    parallelFor(B * T * KH, 64, parallel, [&](int64_t r0, int64_t r1) {
      for (int64_t row = r0; row < r1; row++) {
        const int64_t b = row / (T * KH), j = row / KH % T, kh = row % KH;
        float* kd = dk + row * D;
        float* vd = dv + row * D;
        std::memset(kd, 0, sizeof(float) * D);
        std::memset(vd, 0, sizeof(float) * D);
        for (int64_t h = kh * group; h < (kh + 1) * group; h++) {
          const float* pk = kvPart + ((b * H + h) * T + j) * D;
          const float* pv = kvPart + ((B * H + b * H + h) * T + j) * D;
          for (int64_t d = 0; d < D; d++) kd[d] += pk[d], vd[d] += pv[d];
        }
      }
    });
}

}  // namespace llama2::flash
