// Token sampling (src/model/sampling.ts): the exp pass — for one row of logits, weights[i] =
// exp((logits[i] - max) / temperature) in double, with their max and sum, the unnormalised tempered
// distribution the sampler walks and the normaliser of the log-probability it returns — and the whole
// choice for a batch of rows (sampleRows: greedy, temperature, top-k, top-p) and the top alternatives
// OpenAI's top_logprobs report (topLogits). In JavaScript the exp pass (32k Math.exp per token) cost as
// much as a batched decode step per row, and top-k / top-p sorted the 32k vocabulary (~10 ms a token).
#include <algorithm>
#include <cfloat>
#include <vector>
#include "kernel_util.h"

using namespace llama2;

namespace {

LLAMA2_INLINE double bitsToDouble(int64_t i) { double d; std::memcpy(&d, &i, 8); return d; }
LLAMA2_INLINE int64_t doubleToBits(double d) { int64_t i; std::memcpy(&i, &d, 8); return i; }

// exp(x) for x <= 0 in double, within ~2 ulp: Cody-Waite reduction x = n ln2 + r (|r| <= ln2/2, fdlibm's
// ln2 split), e^r by its Taylor series to r^13 (truncation < 1e-17 relative), 2^n built in the exponent
// bits. n is read from the bits of x·log2(e) + 1.5·2^52 (round to nearest, no double → int64 conversion,
// so AVX2 vectorizes it too). Inputs below -708 return 0 (weights < 1e-307 of the max never matter).
LLAMA2_INLINE double expNonPositive(double x) {
  const bool under = x < -708.0;
  x = under ? -708.0 : x;
  constexpr double kShift = 6755399441055744.0;  // 1.5 * 2^52
  const double t = x * 1.4426950408889634 + kShift;
  const double n = t - kShift;
  const int64_t k = doubleToBits(t) - doubleToBits(kShift);
  double r = x - n * 6.93147180369123816490e-01;
  r = r - n * 1.90821492927058770002e-10;
  double p = 1.0 / 6227020800.0;       // 1/13!
  p = p * r + 1.0 / 479001600.0;       // 1/12!
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const double scale = bitsToDouble((k + 1023) << 52);
  return under ? 0.0 : p * scale;
}

LLAMA2_INLINE void temperedExpRow(double* w, const float* x, int64_t V, double invT, double* outMax, double* outSum) {
  float m = -FLT_MAX;
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < V; i++) m = x[i] > m ? x[i] : m;
  const double md = m;
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < V; i++) {
    const double e = expNonPositive((double(x[i]) - md) * invT);
    w[i] = e;
    s += e;
  }
  *outMax = md;
  *outSum = s;
}
LLAMA2_SIMD_VARIANTS(temperedExpSimd, temperedExpRow, (double* w, const float* x, int64_t V, double invT, double* outMax, double* outSum),
                     (w, x, V, invT, outMax, outSum))

}  // namespace

// weights[V] = exp((logits - max) / temperature); returns [max, sum of weights].
static Napi::Value temperedExp(const Napi::CallbackInfo& info) {
  const char* fn = "temperedExp";
  expectArgs(info, fn, 4);
  const int64_t V = dim(info, fn, 2, "V");
  const double temperature = num(info, fn, 3, "temperature");
  double* weights = typed<double, napi_float64_array>(info, fn, 0, "weights", V, "a Float64Array");
  const float* logits = f32(info, fn, 1, "logits", V);
  if (!(temperature > 0) || !std::isfinite(temperature))
    failRange(info, argLabel(fn, 3, "temperature") + " must be a finite number > 0, got " + numText(temperature));
  if (V < 1) failRange(info, argLabel(fn, 2, "V") + " must be >= 1, got 0");
  double m = 0, s = 0;
  temperedExpSimdPick()(weights, logits, V, 1.0 / temperature, &m, &s);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(uint32_t{0}, Napi::Number::New(info.Env(), m));
  out.Set(uint32_t{1}, Napi::Number::New(info.Env(), s));
  return out;
}
LLAMA2_EXPORT("temperedExp", temperedExp);

// ---- sampleRows: chooseToken (src/model/sampling.ts) for a batch of rows in one call ----
// Greedy, or temperature → top-k → top-p (transformers' warpers in that order), with the semantics the
// JavaScript sampler had, token for token: candidates ordered by logit descending, ties by id; top-k
// keeps the first k; top-p the shortest prefix whose mass (summed in that order) reaches p; the draw
// walks the kept candidates in that order subtracting weights from u·total. Nothing is fully sorted:
// the order is produced a block at a time (nth_element, then a sort of the block), as far as the walks
// reach — a peaked distribution needs one block, a flat one about a sort's work. Rows run in parallel;
// each row's result depends on its own logits and uniform only.
namespace {

// A key whose ascending order is (logit descending, id ascending); -0 counts as +0 (JS compares them equal).
LLAMA2_INLINE uint64_t orderKey(float x, int64_t id) {
  x = x + 0.0f;
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);  // float order as unsigned order
  return (static_cast<uint64_t>(~u) << 32) | static_cast<uint32_t>(id);
}

// LSD radix sort of keys [0, n) (unique, so any correct sort gives the same order), 8-bit digits over
// the id's bits (idBits) and the 32 logit bits; tmp holds n keys.
void radixSort(uint64_t* k, int64_t n, uint64_t* tmp, int idBits) {
  uint64_t* src = k;
  uint64_t* dst = tmp;
  auto pass = [&](int shift) {
    int64_t count[257] = {0};
    for (int64_t i = 0; i < n; i++) count[((src[i] >> shift) & 0xff) + 1]++;
    for (int d = 0; d < 256; d++) count[d + 1] += count[d];
    for (int64_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 0xff]++] = src[i];
    std::swap(src, dst);
  };
  for (int shift = 0; shift < idBits; shift += 8) pass(shift);
  for (int shift = 32; shift < 64; shift += 8) pass(shift);
  if (src != k) std::memcpy(k, src, sizeof(uint64_t) * static_cast<size_t>(n));
}

// Candidate keys, sorted on demand: keys[0, sorted) are the smallest, in order. The first blocks come
// from nth_element (a peaked distribution stops there); a walk that goes further radix-sorts the rest.
struct Ordered {
  uint64_t* k;
  int64_t n;
  uint64_t* tmp;  // n keys of scratch
  int idBits;
  int64_t sorted = 0;
  int64_t at(int64_t j) {
    while (j >= sorted) {
      if (sorted >= 256 && n - sorted > 1024) {
        radixSort(k + sorted, n - sorted, tmp, idBits);
        sorted = n;
        break;
      }
      const int64_t b = std::min(n, std::max<int64_t>(2 * sorted, sorted + 128));
      if (b < n) std::nth_element(k + sorted, k + b, k + n);
      std::sort(k + sorted, k + b);
      sorted = b;
    }
    return static_cast<int64_t>(k[j] & 0xffffffffu);
  }
};

struct RowScratch {
  std::vector<double> w;
  std::vector<uint64_t> keys, tmp;
};

// The first index of the largest value (torch.argmax's tie rule): a vectorized max, then a scan for it.
LLAMA2_INLINE int64_t argmaxRow(const float* x, int64_t V) {
  float m = x[0];
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < V; i++) m = x[i] > m ? x[i] : m;
  for (int64_t i = 0; i < V; i++)
    if (x[i] == m) return i;
  return 0;  // NaN logits: as the scalar loop's `x[i] > x[best]`, nothing beats index 0
}
LLAMA2_INLINE void argmaxInto(const float* x, int64_t V, int64_t* out) { *out = argmaxRow(x, V); }
LLAMA2_SIMD_VARIANTS(argmaxSimd, argmaxInto, (const float* x, int64_t V, int64_t* out), (x, V, out))
int64_t argmaxFirst(const float* x, int64_t V) {
  int64_t best = 0;
  argmaxSimdPick()(x, V, &best);
  return best;
}

// One row: returns the chosen id; stats = [max, sum] of its tempered exp pass (T = 1 for greedy, only
// when wantStats), from which the caller forms the log-probability (logit - max)/T - log(sum).
int64_t sampleRow(const float* x, int64_t V, const double* p, RowScratch& s, double* stats) {
  const double temperature = p[0], topKIn = p[1], topP = p[2], u = p[3];
  double* w = s.w.data();
  if (!(temperature > 0)) {
    const int64_t best = argmaxFirst(x, V);
    if (p[4] != 0) temperedExpSimdPick()(w, x, V, 1.0, &stats[0], &stats[1]);
    return best;
  }
  double all = 0;
  temperedExpSimdPick()(w, x, V, 1.0 / temperature, &stats[0], &all);
  stats[1] = all;
  const int64_t topK = topKIn > 0 && topKIn < static_cast<double>(V) ? static_cast<int64_t>(topKIn) : 0;
  if (topK == 0 && topP >= 1) {  // no truncation: walk every id
    double r = u * all;
    for (int64_t j = 0; j < V; j++)
      if ((r -= w[j]) < 0) return j;
    return V - 1;
  }
  uint64_t* keys = s.keys.data();
  int64_t n = 0;
  double total = all;
  if (topK > 0) {
    for (int64_t i = 0; i < V; i++) keys[i] = orderKey(x[i], i);
    n = V;
  } else {  // top-p alone: only weights >= all·(1−p)/(V−1) can be in the nucleus (llama2.c's sample_topp)
    const double cutoff = (all * (1 - topP)) / static_cast<double>(V - 1);
    for (int64_t i = 0; i < V; i++)
      if (w[i] >= cutoff) keys[n++] = orderKey(x[i], i);
  }
  int idBits = 0;
  while (idBits < 32 && (int64_t{1} << idBits) < V) idBits++;
  Ordered o{keys, n, s.tmp.data(), idBits};
  if (topK > 0) {
    n = topK;
    o.n = V;
    total = 0;
    for (int64_t j = 0; j < n; j++) total += w[o.at(j)];
  }
  if (n == 0) return argmaxFirst(x, V);  // nothing passed (a one-token vocabulary)
  if (topP < 1) {
    double cum = 0;
    int64_t keep = 0;
    while (keep < n) {  // the shortest prefix whose mass reaches topP (at least one)
      cum += w[o.at(keep)] / total;
      keep++;
      if (cum >= topP) break;
    }
    n = keep;
    total = 0;
    for (int64_t j = 0; j < n; j++) total += w[o.at(j)];
  }
  double r = u * total;
  for (int64_t j = 0; j < n; j++) {
    const int64_t id = o.at(j);
    r -= w[id];
    if (r < 0) return id;
  }
  return o.at(n - 1);
}

RowScratch& rowScratch(int64_t V) {
  static thread_local RowScratch s;
  if (static_cast<int64_t>(s.w.size()) < V) {
    s.w.resize(static_cast<size_t>(V));
    s.keys.resize(static_cast<size_t>(V));
    s.tmp.resize(static_cast<size_t>(V));
  }
  return s;
}

}  // namespace

// ids[b] = the token chosen for row b of logits [B, V]; stats [B, 2] = (max, sum) of its exp pass;
// params [B, 5] = (temperature (<= 0: greedy), top_k (0 = off), top_p (1 = off), uniform in [0,1),
// greedy rows: 1 to fill stats).
static Napi::Value sampleRows(const Napi::CallbackInfo& info) {
  const char* fn = "sampleRows";
  expectArgs(info, fn, 6);
  const int64_t B = dim(info, fn, 3, "B");
  const int64_t V = dim(info, fn, 4, "V");
  if (V < 1) failRange(info, argLabel(fn, 4, "V") + " must be >= 1, got 0");
  if (V > 0x7fffffff) failRange(info, argLabel(fn, 4, "V") + " must fit in int32, got " + std::to_string(V));
  int32_t* ids = i32(info, fn, 0, "ids", B);
  double* stats = typed<double, napi_float64_array>(info, fn, 1, "stats", 2 * B, "a Float64Array");
  const float* logits = f32(info, fn, 2, "logits", size(info, fn, "B*V", {B, V}));
  const double* params = typed<double, napi_float64_array>(info, fn, 5, "params", 5 * B, "a Float64Array");
  for (int64_t b = 0; b < B; b++) {
    const double* p = params + 5 * b;
    if (p[0] > 0 && !std::isfinite(p[0])) failRange(info, argLabel(fn, 5, "params") + ": row " + std::to_string(b) + " temperature must be finite, got " + numText(p[0]));
    if (p[0] > 0 && !(p[2] > 0 && p[2] <= 1)) failRange(info, argLabel(fn, 5, "params") + ": row " + std::to_string(b) + " top_p must be in (0, 1], got " + numText(p[2]));
    if (!(p[3] >= 0 && p[3] < 1)) failRange(info, argLabel(fn, 5, "params") + ": row " + std::to_string(b) + " uniform must be in [0, 1), got " + numText(p[3]));
  }
  parallelFor(B, 1, B > 1 && B * V >= kParallelMin, [&](int64_t b0, int64_t b1) {
    RowScratch& s = rowScratch(V);
    for (int64_t b = b0; b < b1; b++) ids[b] = static_cast<int32_t>(sampleRow(logits + b * V, V, params + 5 * b, s, stats + 2 * b));
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("sampleRows", sampleRows);

// ---- topLogits: the K largest logits of each row (OpenAI's top_logprobs) and its log-sum-exp ----
// ids [B, K] in order (logit descending, id ascending); lse[b] = max + log(sum exp(x - max)).
static Napi::Value topLogits(const Napi::CallbackInfo& info) {
  const char* fn = "topLogits";
  expectArgs(info, fn, 6);
  const int64_t B = dim(info, fn, 3, "B");
  const int64_t V = dim(info, fn, 4, "V");
  const int64_t K = dim(info, fn, 5, "K");
  if (V < 1) failRange(info, argLabel(fn, 4, "V") + " must be >= 1, got 0");
  if (K > V) failRange(info, argLabel(fn, 5, "K") + " must be <= V (" + std::to_string(V) + "), got " + std::to_string(K));
  int32_t* ids = i32(info, fn, 0, "ids", size(info, fn, "B*K", {B, K}));
  double* lse = typed<double, napi_float64_array>(info, fn, 1, "lse", B, "a Float64Array");
  const float* logits = f32(info, fn, 2, "logits", size(info, fn, "B*V", {B, V}));
  parallelFor(B, 1, B > 1 && B * V >= kParallelMin, [&](int64_t b0, int64_t b1) {
    RowScratch& s = rowScratch(V);
    for (int64_t b = b0; b < b1; b++) {
      const float* x = logits + b * V;
      double m = 0, sum = 0;
      temperedExpSimdPick()(s.w.data(), x, V, 1.0, &m, &sum);
      lse[b] = m + std::log(sum);
      if (K == 0) continue;
      uint64_t* keys = s.keys.data();
      for (int64_t i = 0; i < V; i++) keys[i] = orderKey(x[i], i);
      if (K < V) std::nth_element(keys, keys + K, keys + V);
      std::sort(keys, keys + K);
      for (int64_t j = 0; j < K; j++) ids[b * K + j] = static_cast<int32_t>(keys[j] & 0xffffffffu);
    }
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("topLogits", topLogits);
