// One decoding step of the whole model in one native call (issue 13 item 4): B cache rows get one new
// token each (T = 1) — embedding, then per layer rmsnorm → q/k/v + RoPE + cache append → attention →
// o_proj + residual → rmsnorm → gate/up + SwiGLU → down_proj + residual, then the final norm and the
// head: llama2.c run.c's forward, src/model/layer.ts read top to bottom. It runs the per-row kernels the
// op-by-op path runs (layer_rows.h, gemm_small.h, qmatmul.h), so its outputs carry the same bits.
//
// Threads: ONE parallel region per token instead of a fork/join per op. The step is a chain of stages;
// each hands out its items (a head, a block of weight rows) through an atomic counter, and a thread
// goes on to the next stage once every item of this one is done. On a shared machine a thread can be
// descheduled for milliseconds in the middle of an item, so a thread that has waited ~30 µs for an item
// computes it again itself: every item is a pure function of buffers no later stage of the token
// overwrites (per-layer activations), computes into the thread's own scratch and then stores final
// values only, so a second run of it — or the first one finishing late — stores the same bits again.
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "gemm_small.h"
#include "kernel_util.h"
#include "layer_rows.h"
#include "qmatmul.h"

using namespace llama2;

namespace {

enum class WKind { F32, Bf16, Q8 };

// A weight [rows, cols] (PyTorch nn.Linear layout) in one of the storages of src/model/weight-storage.ts.
struct Mat {
  WKind kind = WKind::F32;
  const void* p = nullptr;
  int64_t rows = 0, cols = 0;
};

struct Layer {
  const float* inNorm;  // [C]
  Mat q, k, v, o;       // [HD,C] [KD,C] [KD,C] [C,HD]
  const float* postNorm;
  Mat gate, up, down;   // [F,C] [F,C] [C,F]
  float* kc;            // [rows, S, KD] this layer's key cache
  float* vc;
};

struct Dims {
  int64_t B, C, F, H, KH, D, HD, KD, S, W, V, L, rows;
  float eps;
};

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins a waiting thread gives the others before it computes their unfinished items itself
// (tests set 0: every wait recomputes, stressing the "same bits stored twice" rule).
std::atomic<int> stealSpins{1000};

// A stage: items claimed through `next`; `flags[i]` set once item i is done (by whichever thread got
// there first), `done` counts the set flags. Separate cache lines for the two counters.
struct Stage {
  alignas(64) std::atomic<int64_t> next{0};
  alignas(64) std::atomic<int64_t> done{0};
  int64_t n = 0;
  int64_t rows = 0;  // weight rows per item (row-block stages)
  std::atomic<uint8_t>* flags = nullptr;

  bool claim(int64_t& i) {
    if (next.load(std::memory_order_relaxed) >= n) return false;
    i = next.fetch_add(1, std::memory_order_relaxed);
    return i < n;
  }
  void finish(int64_t i) {
    if (flags[i].exchange(1, std::memory_order_acq_rel) == 0) done.fetch_add(1, std::memory_order_release);
  }
  bool complete() const { return done.load(std::memory_order_acquire) >= n; }

  // Claims and runs items; then waits for the others' items, computing those still missing after
  // ~30 µs itself (see the top of this file), so a descheduled thread never holds the token up.
  template <class F>
  void run(F&& item) {
    for (int64_t i; claim(i);) {
      item(i);
      finish(i);
    }
    const int patience = stealSpins.load(std::memory_order_relaxed);
    for (int spins = 0; !complete(); spins++) {
      if (spins < patience) {
        cpuRelax();
        continue;
      }
      for (int64_t i = 0; i < n; i++)
        if (!flags[i].load(std::memory_order_acquire)) {
          item(i);
          finish(i);
        }
    }
  }
};

// Rows of W per item: an eighth of a thread's share (so threads that get unequal CPU still balance),
// at most `budget` bytes of weights (a claim is a contended atomic, ~100 ns), a multiple of 8, at least 8.
int64_t rowsPerItem(const Mat& w, int threads, double budget = 131072.0) {
  const double rowBytes = w.kind == WKind::F32 ? 4.0 * w.cols : w.kind == WKind::Bf16 ? 2.0 * w.cols
                                                                                      : w.cols / 32 * 34.0;
  const int64_t byShare = w.rows / (8 * std::max(1, threads));
  const int64_t byBytes = static_cast<int64_t>(budget / rowBytes);
  return std::max<int64_t>(8, std::min(byShare, byBytes) / 8 * 8);
}

// C[m, n] = A[m,:]·W[n,:] for m < M, n in [n0, n1), stored at C + m*ldc + (n - n0); A [M, K] contiguous;
// aBf its bf16 split when the bf16 kernel wants one (else null). Each element is stored once, final.
void matRows(const Mat& w, int64_t M, const float* A, const uint16_t* aBf, float* C, int64_t ldc, int64_t n0,
             int64_t n1, SimdLevel level, const qmm::Kernels& qk) {
  const int64_t K = w.cols;
  float* c0 = C - n0;  // the kernels index columns absolutely
  if (w.kind == WKind::F32) {
    gemm::smallMDotCols(level, M, K, A, static_cast<const float*>(w.p), K, 0.0f, c0, ldc, n0, n1);
    return;
  }
  const int64_t Kp = (K + 31) / 32 * 32;
  for (int64_t m0 = 0; m0 < M; m0 += 4) {
    const int mb = static_cast<int>(std::min<int64_t>(4, M - m0));
    if (w.kind == WKind::Bf16)
      qk.bf16Dot(mb, A + m0 * K, aBf ? aBf + m0 * 2 * Kp : nullptr, K, static_cast<const uint16_t*>(w.p), n0, n1, 0.0f,
                 c0 + m0 * ldc, ldc);
    else
      qk.q8Dot(mb, A + m0 * K, K, static_cast<const uint8_t*>(w.p), n0, n1, 0.0f, c0 + m0 * ldc, ldc);
  }
}

template <class T>
T* grow(std::vector<T>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

// Per-thread scratch, grown once (pool threads persist): the normed input of a stage, its bf16 split,
// an item's results before they are stored, attention scores.
struct ThreadScratch {
  std::vector<float> ln, tmp, tmp2, sc;
  std::vector<uint16_t> aBf;
};
ThreadScratch& threadScratch() {
  static thread_local ThreadScratch s;
  return s;
}

// Activations of one step, per layer (items of a stage never overwrite what an earlier stage read):
// x [L+1][B,C] residual entering each layer (x[0] the embedding, x[L] the final), xm [L][B,C] after
// attention, q [L][B,HD], att [L][B,HD], h [L][B,F]; cs, sn [B, D/2] each row's RoPE angles.
struct StepBuffers {
  std::vector<float> x, xm, q, att, h, cs, sn;
  std::vector<std::atomic<uint8_t>> flags;
};
StepBuffers& stepBuffers() {
  static thread_local StepBuffers s;
  return s;
}

struct Step {
  const Dims& d;
  const std::vector<Layer>& layers;
  const Mat& head;
  const float* finalNorm;
  const int32_t* slots;    // [B] cache rows
  const int32_t* lengths;  // [rows] slots filled before this token (the new one goes there)
  const int32_t* keyStart; // [rows]
  float* out;              // [B, W]
  StepBuffers& sb;
  std::vector<Stage>& stages;  // 5 per layer, then the head
  SimdLevel level;
  const qmm::Kernels& qk;

  // The calling thread's part of the step; every thread runs all stages in order.
  void run() const {
    const int64_t B = d.B, C = d.C, F = d.F, H = d.H, KH = d.KH, D = d.D, HD = d.HD, KD = d.KD, S = d.S, half = D / 2;
    ThreadScratch& ts = threadScratch();
    int64_t tmpCols = D;  // widest item: a head, or a block of weight rows
    for (const Stage& s : stages) tmpCols = std::max(tmpCols, s.rows);
    float* ln = grow(ts.ln, B * C);
    float* sc = grow(ts.sc, S);
    uint16_t* aBf = grow(ts.aBf, B * 2 * ((std::max({C, HD, F}) + 31) / 32 * 32));
    float* tmp = grow(ts.tmp, B * tmpCols);
    float* tmp2 = grow(ts.tmp2, B * tmpCols);
    const bool wantsSplit = B <= qk.splitMaxM;  // as qmatmul: vdpbf16ps for one-row products only
    const uint16_t* aArg = wantsSplit ? aBf : nullptr;
    // The stage's input normed (and split) on this thread before its first item (the same bits on every thread).
    const float* prepared = nullptr;
    auto norm = [&](const float* x, const float* w) {
      if (prepared == x) return;
      for (int64_t b = 0; b < B; b++) rmsnormRow(ln + b * C, x + b * C, w, C, d.eps);
      if (wantsSplit) qmm::splitBf16(ln, B, C, aBf);
      prepared = x;
    };
    auto split = [&](const float* a, int64_t K) {
      if (prepared == a) return;
      if (wantsSplit) qmm::splitBf16(a, B, K, aBf);
      prepared = a;
    };
    for (int64_t l = 0; l < d.L; l++) {
      const Layer& ly = layers[static_cast<size_t>(l)];
      Stage* st = &stages[static_cast<size_t>(l * 5)];
      const float* x = sb.x.data() + l * B * C;
      float* xm = sb.xm.data() + l * B * C;
      float* xNext = sb.x.data() + (l + 1) * B * C;
      float* q = sb.q.data() + l * B * HD;
      float* att = sb.att.data() + l * B * HD;
      float* h = sb.h.data() + l * B * F;
      // 1. q, k, v by heads (D rows each); RoPE; q stored, k and v appended to the cache.
      st[0].run([&](int64_t i) {
        norm(x, ly.inNorm);
        const int kind = i < H ? 0 : i < H + KH ? 1 : 2;  // q, k, v
        const int64_t hh = kind == 0 ? i : kind == 1 ? i - H : i - H - KH;
        matRows(kind == 0 ? ly.q : kind == 1 ? ly.k : ly.v, B, ln, aArg, tmp, D, hh * D, (hh + 1) * D, level, qk);
        for (int64_t b = 0; b < B; b++) {
          float* row = tmp + b * D;
          if (kind < 2) ropeHead(row, half, sb.cs.data() + b * half, sb.sn.data() + b * half);
          float* dst = kind == 0 ? q + b * HD + hh * D
                                 : (kind == 1 ? ly.kc : ly.vc) + (static_cast<int64_t>(slots[b]) * S + lengths[slots[b]]) * KD + hh * D;
          std::memcpy(dst, row, sizeof(float) * D);
        }
      });
      // 2. attention, one (row, head) per item, over the row's cache.
      st[1].run([&](int64_t i) {
        const int64_t b = i / H, hh = i % H, r = slots[b];
        attentionDecodeHead(S, lengths[r], H, KH, D, hh, tmp - hh * D, q + b * HD, ly.kc + r * S * KD, ly.vc + r * S * KD,
                            keyStart + r, sc);
        std::memcpy(att + b * HD + hh * D, tmp, sizeof(float) * D);
      });
      // 3. xm = x + o_proj(att), row blocks of Wo.
      st[2].run([&](int64_t i) {
        split(att, HD);
        const int64_t r = st[2].rows, n0 = i * r, n1 = std::min(C, n0 + r);
        matRows(ly.o, B, att, aArg, tmp, r, n0, n1, level, qk);
        for (int64_t b = 0; b < B; b++)
          for (int64_t j = n0; j < n1; j++) xm[b * C + j] = x[b * C + j] + tmp[b * r + j - n0];
      });
      // 4. h = silu(gate_proj(ln2)) * up_proj(ln2), row blocks of W1 and W3 together.
      st[3].run([&](int64_t i) {
        norm(xm, ly.postNorm);
        const int64_t r = st[3].rows, n0 = i * r, n1 = std::min(F, n0 + r);
        matRows(ly.gate, B, ln, aArg, tmp, r, n0, n1, level, qk);
        matRows(ly.up, B, ln, aArg, tmp2, r, n0, n1, level, qk);
        for (int64_t b = 0; b < B; b++) swigluRange(h + b * F, tmp + b * r - n0, tmp2 + b * r - n0, n0, n1);
      });
      // 5. x' = xm + down_proj(h), row blocks of W2.
      st[4].run([&](int64_t i) {
        split(h, F);
        const int64_t r = st[4].rows, n0 = i * r, n1 = std::min(C, n0 + r);
        matRows(ly.down, B, h, aArg, tmp, r, n0, n1, level, qk);
        for (int64_t b = 0; b < B; b++)
          for (int64_t j = n0; j < n1; j++) xNext[b * C + j] = xm[b * C + j] + tmp[b * r + j - n0];
      });
    }
    // Final norm and head, row blocks of the head's weight (stored straight into out: one final store each).
    const float* xL = sb.x.data() + d.L * B * C;
    stages.back().run([&](int64_t i) {
      norm(xL, finalNorm);
      const int64_t r = stages.back().rows, n0 = i * r, n1 = std::min(d.W, n0 + r);
      matRows(head, B, ln, aArg, out + n0, d.W, n0, n1, level, qk);
    });
  }
};

// Items per stage of a layer (see Step::run) and of the head; flags from sb.flags, all cleared.
void sizeStages(std::vector<Stage>& stages, const Dims& d, const std::vector<Layer>& layers, const Mat& head,
                StepBuffers& sb, int threads) {
  auto blocks = [](Stage& s, int64_t n, int64_t r) { s.rows = r; s.n = (n + r - 1) / r; };
  for (int64_t l = 0; l < d.L; l++) {
    const Layer& ly = layers[static_cast<size_t>(l)];
    Stage* st = &stages[static_cast<size_t>(l * 5)];
    st[0].n = d.H + 2 * d.KH;
    st[1].n = d.B * d.H;
    blocks(st[2], d.C, rowsPerItem(ly.o, threads));
    blocks(st[3], d.F, rowsPerItem(ly.gate, threads, 65536.0));  // W1 and W3 rows: two weights per item
    blocks(st[4], d.C, rowsPerItem(ly.down, threads));
  }
  blocks(stages.back(), d.W, rowsPerItem(head, threads));
  int64_t total = 0;
  for (const Stage& s : stages) total += s.n;
  if (static_cast<int64_t>(sb.flags.size()) < total) sb.flags = std::vector<std::atomic<uint8_t>>(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; i++) sb.flags[static_cast<size_t>(i)].store(0, std::memory_order_relaxed);
  total = 0;
  for (Stage& s : stages) {
    s.flags = sb.flags.data() + total;
    total += s.n;
  }
}

// ---- the N-API entry ----

const char* const kFn = "decodeStep";

// A weight argument: Float32Array (f32), Uint16Array (bf16 bits) or Uint8Array (Q8_0 blocks) [rows, cols].
Mat weightArg(const Napi::CallbackInfo& info, Napi::Value v, const std::string& what, int64_t rows, int64_t cols,
              bool f32Only) {
  Mat m;
  m.rows = rows;
  m.cols = cols;
  const int64_t n = size(info, kFn, "rows*cols", {rows, cols});
  if (!v.IsTypedArray()) fail(info, what + " must be a Float32Array" + (f32Only ? "" : ", Uint16Array or Uint8Array") + ", got " + typeName(v));
  auto a = v.As<Napi::TypedArray>();
  const napi_typedarray_type t = a.TypedArrayType();
  int64_t need = n;
  if (t == napi_float32_array) m.kind = WKind::F32;
  else if (!f32Only && t == napi_uint16_array) m.kind = WKind::Bf16;
  else if (!f32Only && t == napi_uint8_array) {
    m.kind = WKind::Q8;
    if (cols % qmm::kQ8Block != 0) failRange(info, what + ": Q8_0 blocks need the input size " + std::to_string(cols) + " to be a multiple of 32");
    need = n / qmm::kQ8Block * qmm::kQ8BlockBytes;
  } else {
    fail(info, what + " must be a Float32Array" + (f32Only ? "" : ", Uint16Array or Uint8Array") + ", got " + typeName(v));
  }
  if (static_cast<int64_t>(a.ElementLength()) < need)
    failRange(info, what + " has " + std::to_string(a.ElementLength()) + " elements, needs at least " + std::to_string(need));
  m.p = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  return m;
}

Napi::Array arrayArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t n) {
  if (!info[i].IsArray()) fail(info, argLabel(kFn, i, name) + " must be an array, got " + typeName(info[i]));
  auto a = info[i].As<Napi::Array>();
  if (static_cast<int64_t>(a.Length()) != n)
    failRange(info, argLabel(kFn, i, name) + " has " + std::to_string(a.Length()) + " elements, expected " + std::to_string(n));
  return a;
}

std::string elem(size_t i, const char* name, int64_t j) { return argLabel(kFn, i, name) + " element " + std::to_string(j); }

// decodeStep(out, ids, slots, B, weights, cacheK, cacheV, lengths, keyStart, rows, S, L, C, F, H, KH, D, W, V, eps, theta)
//   out [B, W] written: the head's output for each row's new token; ids [B] the new tokens; slots [B] their
//   cache rows (distinct); weights: [embed [V,C], finalNorm [C], head [W,C], then per layer inputNorm [C],
//   q [H*D,C], k [KH*D,C], v [KH*D,C], o [C,H*D], postNorm [C], gate [F,C], up [F,C], down [C,F]] (matrices
//   f32 / bf16 / Q8_0, the rest Float32Array); cacheK/cacheV: L arrays [rows, S, KH*D]; lengths, keyStart
//   [rows]: the cache's (lengths are not advanced here). RoPE position = lengths - keyStart.
Napi::Value decodeStep(const Napi::CallbackInfo& info) {
  expectArgs(info, kFn, 21);
  Dims d{};
  d.B = dim(info, kFn, 3, "B");
  d.rows = dim(info, kFn, 9, "rows");
  d.S = dim(info, kFn, 10, "S");
  d.L = dim(info, kFn, 11, "L");
  d.C = dim(info, kFn, 12, "C");
  d.F = dim(info, kFn, 13, "F");
  d.H = dim(info, kFn, 14, "H");
  d.KH = dim(info, kFn, 15, "KH");
  d.D = dim(info, kFn, 16, "D");
  d.W = dim(info, kFn, 17, "W");
  d.V = dim(info, kFn, 18, "V");
  d.eps = static_cast<float>(num(info, kFn, 19, "eps"));
  const double theta = num(info, kFn, 20, "theta");
  if (d.C == 0) failRange(info, argLabel(kFn, 12, "C") + " must be positive");
  if (d.KH == 0 || d.H % d.KH != 0)
    failRange(info, std::string(kFn) + ": H (" + std::to_string(d.H) + ") must be a positive multiple of KH (" + std::to_string(d.KH) + ")");
  if (d.D == 0 || d.D % 2 != 0) failRange(info, argLabel(kFn, 16, "D") + " must be positive and even, got " + std::to_string(d.D));
  if (!(theta > 0) || !std::isfinite(theta)) failRange(info, argLabel(kFn, 20, "theta") + " must be positive and finite");
  d.HD = size(info, kFn, "H*D", {d.H, d.D});
  d.KD = size(info, kFn, "KH*D", {d.KH, d.D});
  float* out = f32(info, kFn, 0, "out", size(info, kFn, "B*W", {d.B, d.W}));
  const int32_t* ids = i32(info, kFn, 1, "ids", d.B);
  const int32_t* slots = i32(info, kFn, 2, "slots", d.B);
  const int32_t* lengths = i32(info, kFn, 7, "lengths", d.rows);
  const int32_t* keyStart = i32(info, kFn, 8, "keyStart", d.rows);
  for (int64_t r = 0; r < d.rows; r++) {
    if (lengths[r] < 0 || lengths[r] > d.S)
      failRange(info, elem(7, "lengths", r) + " = " + std::to_string(lengths[r]) + " is outside [0, S = " + std::to_string(d.S) + "]");
    if (keyStart[r] < 0 || keyStart[r] > d.S)
      failRange(info, elem(8, "keyStart", r) + " = " + std::to_string(keyStart[r]) + " is outside [0, S = " + std::to_string(d.S) + "]");
  }
  for (int64_t b = 0; b < d.B; b++) {
    if (ids[b] < 0 || ids[b] >= d.V)
      failRange(info, elem(1, "ids", b) + ": token id " + std::to_string(ids[b]) + " is outside the vocabulary [0, " + std::to_string(d.V) + ")");
    if (slots[b] < 0 || slots[b] >= d.rows)
      failRange(info, elem(2, "slots", b) + " = " + std::to_string(slots[b]) + " is outside [0, rows = " + std::to_string(d.rows) + ")");
    if (lengths[slots[b]] >= d.S)
      failRange(info, elem(2, "slots", b) + ": cache row " + std::to_string(slots[b]) + " is full (" + std::to_string(d.S) + " slots)");
    for (int64_t c = 0; c < b; c++)
      if (slots[c] == slots[b]) failRange(info, elem(2, "slots", b) + ": cache row " + std::to_string(slots[b]) + " appears twice");
  }
  const int64_t kvLen = size(info, kFn, "rows*S*KH*D", {d.rows, d.S, d.KH, d.D});
  auto weights = arrayArg(info, 4, "weights", size(info, kFn, "3+9*L", {d.L, 9}) + 3);
  auto cacheK = arrayArg(info, 5, "cacheK", d.L), cacheV = arrayArg(info, 6, "cacheV", d.L);
  auto w = [&](int64_t j, int64_t rows, int64_t cols, bool f32Only) {
    return weightArg(info, weights.Get(static_cast<uint32_t>(j)), elem(4, "weights", j), rows, cols, f32Only);
  };
  auto vec = [&](int64_t j, int64_t n) { return static_cast<const float*>(w(j, 1, n, true).p); };
  auto cache = [&](Napi::Array& a, size_t i, const char* name, int64_t l) {
    Napi::Value v = a.Get(static_cast<uint32_t>(l));
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      fail(info, elem(i, name, l) + " must be a Float32Array, got " + typeName(v));
    auto t = v.As<Napi::Float32Array>();
    if (static_cast<int64_t>(t.ElementLength()) < kvLen)
      failRange(info, elem(i, name, l) + " has " + std::to_string(t.ElementLength()) + " elements, needs rows*S*KH*D = " + std::to_string(kvLen));
    return t.Data();
  };
  const float* embed = static_cast<const float*>(w(0, d.V, d.C, true).p);
  const float* finalNorm = vec(1, d.C);
  const Mat head = w(2, d.W, d.C, false);
  std::vector<Layer> layers(static_cast<size_t>(d.L));
  for (int64_t l = 0; l < d.L; l++) {
    const int64_t j = 3 + 9 * l;
    Layer& ly = layers[static_cast<size_t>(l)];
    ly.inNorm = vec(j, d.C);
    ly.q = w(j + 1, d.HD, d.C, false);
    ly.k = w(j + 2, d.KD, d.C, false);
    ly.v = w(j + 3, d.KD, d.C, false);
    ly.o = w(j + 4, d.C, d.HD, false);
    ly.postNorm = vec(j + 5, d.C);
    ly.gate = w(j + 6, d.F, d.C, false);
    ly.up = w(j + 7, d.F, d.C, false);
    ly.down = w(j + 8, d.C, d.F, false);
    ly.kc = cache(cacheK, 5, "cacheK", l);
    ly.vc = cache(cacheV, 6, "cacheV", l);
  }
  if (d.B == 0 || d.W == 0) return info.Env().Undefined();

  // Shared buffers, the embedding and each row's RoPE angles (position = slot - keyStart, as infer.ts).
  const int64_t half = d.D / 2;
  StepBuffers& sb = stepBuffers();
  grow(sb.x, (d.L + 1) * d.B * d.C); grow(sb.xm, d.L * d.B * d.C); grow(sb.q, d.L * d.B * d.HD);
  grow(sb.att, d.L * d.B * d.HD); grow(sb.h, d.L * d.B * d.F); grow(sb.cs, d.B * half); grow(sb.sn, d.B * half);
  const std::vector<float> inv = ropeInvFreq(static_cast<float>(theta), d.D);
  for (int64_t b = 0; b < d.B; b++) {
    std::memcpy(sb.x.data() + b * d.C, embed + static_cast<int64_t>(ids[b]) * d.C, sizeof(float) * d.C);
    const int32_t r = slots[b];
    ropeAngles(std::max(0, lengths[r] - keyStart[r]), inv.data(), half, 1.0f, sb.cs.data() + b * half, sb.sn.data() + b * half);
  }
  std::vector<Stage> stages(static_cast<size_t>(d.L * 5 + 1));
  sizeStages(stages, d, layers, head, sb, threadCount());
  const Step step{d, layers, head, finalNorm, slots, lengths, keyStart, out, sb, stages, simdLevel(), qmm::currentKernels()};
  // Multiply-adds per token: below ~1M one thread is faster than waking another.
  const double macs = static_cast<double>(d.B) *
                      (static_cast<double>(d.L) * (d.C * (2.0 * d.HD + 2.0 * d.KD) + 3.0 * d.C * d.F) + d.W * d.C);
  parallelRegion(macs >= 1e6, [&](int, int) { step.run(); });
  return info.Env().Undefined();
}

// _decodeStealSpins(n): test hook, sets the spins before a waiting thread recomputes missing items
// (default 1000); returns the previous value.
Napi::Value decodeStealSpins(const Napi::CallbackInfo& info) {
  expectArgs(info, "_decodeStealSpins", 1);
  const int64_t n = dim(info, "_decodeStealSpins", 0, "spins", 1 << 30);
  return Napi::Number::New(info.Env(), stealSpins.exchange(static_cast<int>(n)));
}
}  // namespace

LLAMA2_EXPORT("decodeStep", decodeStep);
LLAMA2_EXPORT("_decodeStealSpins", decodeStealSpins);
