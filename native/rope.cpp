// Rotary position embedding (paper §2.2 "RoPE"; HF modeling_llama.apply_rotary_pos_emb with
// rotate_half: dims i and i + D/2 form a pair). inv_freq = 1 / theta^(arange(0, D, 2) / D) and
// angle = pos * inv_freq are computed in float32 exactly as LlamaRotaryEmbedding (default type):
//   out_i = x_i cos - x_{i+D/2} sin,   out_{i+D/2} = x_{i+D/2} cos + x_i sin.
// The backward applies the transpose (rotation by -angle).
#include <vector>
#include "kernel_util.h"
#include "layer_rows.h"

// inv_freq[D/2] in float32: base ** (arange(0, D, 2, float) / D), then 1.0 / that.
std::vector<float> llama2::ropeInvFreq(float theta, int64_t D) {
  std::vector<float> f(D / 2);
  for (int64_t i = 0; i < D / 2; i++) {
    const float e = static_cast<float>(2 * i) / static_cast<float>(D);
    f[i] = 1.0f / std::pow(theta, e);
  }
  return f;
}

void llama2::ropeAngles(int64_t pos, const float* inv, int64_t half, float sign, float* cs, float* sn) {
  const float pf = static_cast<float>(pos);
  for (int64_t i = 0; i < half; i++) {
    const float a = pf * inv[i];
    cs[i] = std::cos(a);
    sn[i] = sign * std::sin(a);
  }
}

void llama2::ropeHead(float* x, int64_t half, const float* cs, const float* sn) {
  float* x1 = x;
  float* x2 = x + half;
#pragma omp simd
  for (int64_t i = 0; i < half; i++) {
    const float a = x1[i], b = x2[i];
    x1[i] = a * cs[i] - b * sn[i];
    x2[i] = b * cs[i] + a * sn[i];
  }
}

using namespace llama2;

namespace {


// x[N, nHeads, D] rotated in place by +angle (sign = 1) or -angle (sign = -1).
Napi::Value rope(const Napi::CallbackInfo& info, const char* fn, float sign) {
  expectArgs(info, fn, 6);
  const int64_t N = dim(info, fn, 2, "N"), nHeads = dim(info, fn, 3, "nHeads"), D = dim(info, fn, 4, "D");
  const double theta = num(info, fn, 5, "theta");
  float* x = f32(info, fn, 0, "x", size(info, fn, "N*nHeads*D", {N, nHeads, D}));
  const int32_t* pos = i32(info, fn, 1, "pos", N);
  if (D % 2 != 0) failRange(info, std::string(fn) + ": D must be even, got " + std::to_string(D));
  if (!(theta > 0) || !std::isfinite(theta)) failRange(info, std::string(fn) + ": theta must be positive and finite");
  if (N == 0 || nHeads == 0) return info.Env().Undefined();  // nothing to rotate (and D is bounded by x from here)
  const int64_t half = D / 2;
  const std::vector<float> inv = ropeInvFreq(static_cast<float>(theta), D);
  // Training batches repeat positions (B rows of 0..T-1): when the position range is no longer
  // than N, cos/sin are computed once per distinct position into a table; decoding rows (few
  // tokens at scattered positions) compute their own. Same float arithmetic either way.
  int64_t pmin = 0, pmax = -1;
  for (int64_t n = 0; n < N; n++) {
    if (n == 0 || pos[n] < pmin) pmin = pos[n];
    if (n == 0 || pos[n] > pmax) pmax = pos[n];
  }
  const int64_t P = pmax - pmin + 1;
  const bool tabled = N > 1 && P <= N;
  std::vector<float> tab(tabled ? 2 * P * half : 0);  // [P][cos half | sin half]
  const auto angles = [&](int64_t p, float* cs, float* sn) { ropeAngles(p, inv.data(), half, sign, cs, sn); };
  const bool par = N * nHeads * D >= kParallelMin;
  if (tabled)
    parallelFor(P, 16, par, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; p++) angles(pmin + p, tab.data() + 2 * p * half, tab.data() + (2 * p + 1) * half);
    });
  parallelFor(N, 16, par, [&](int64_t n0, int64_t n1) {
    std::vector<float> own(tabled ? 0 : 2 * half);
    for (int64_t n = n0; n < n1; n++) {
      const float* cs;
      const float* sn;
      if (tabled) {
        cs = tab.data() + 2 * (pos[n] - pmin) * half;
        sn = cs + half;
      } else {
        angles(pos[n], own.data(), own.data() + half);
        cs = own.data();
        sn = own.data() + half;
      }
      for (int64_t h = 0; h < nHeads; h++) ropeHead(x + (n * nHeads + h) * D, half, cs, sn);
    }
  });
  return info.Env().Undefined();
}

}  // namespace

// x[N,nHeads,D] in place; pos[N]
static Napi::Value ropeForward(const Napi::CallbackInfo& info) { return rope(info, "ropeForward", 1.0f); }
LLAMA2_EXPORT("ropeForward", ropeForward);

// dx[N,nHeads,D] in place: dx = R(-angle) dx
static Napi::Value ropeBackward(const Napi::CallbackInfo& info) { return rope(info, "ropeBackward", -1.0f); }
LLAMA2_EXPORT("ropeBackward", ropeBackward);
