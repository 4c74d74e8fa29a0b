// SwiGLU gate (paper §2.2; llama.py FeedForward `w2(F.silu(w1(x)) * w3(x))`, HF
// `act_fn(gate_proj(x)) * up_proj(x)`): out = silu(gate) * up with silu(g) = g * sigmoid(g).
// Backward: dup = dout * silu(g); dgate = dout * up * sigmoid(g) * (1 + g * (1 - sigmoid(g))).
#include <algorithm>
#include "kernel_util.h"
#include "layer_rows.h"

using namespace llama2;

namespace {

constexpr int64_t kChunk = 1 << 14;

LLAMA2_INLINE void fwd(float* out, const float* gate, const float* up, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float g = gate[i];
    out[i] = g / (1.0f + fastExp(-g)) * up[i];  // torch's silu: x / (1 + exp(-x))
  }
}
LLAMA2_SIMD_VARIANTS(fwdSimd, fwd, (float* out, const float* gate, const float* up, int64_t i0, int64_t i1),
                     (out, gate, up, i0, i1))

LLAMA2_INLINE void bwd(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t i0,
                       int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float g = gate[i], d = dout[i];
    const float s = 1.0f / (1.0f + fastExp(-g));
    dup[i] = d * g * s;
    dgate[i] = d * up[i] * s * (1.0f + g * (1.0f - s));
  }
}
LLAMA2_SIMD_VARIANTS(bwdSimd, bwd,
                     (float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t i0,
                      int64_t i1),
                     (dgate, dup, dout, gate, up, i0, i1))

}  // namespace

void llama2::swigluRange(float* out, const float* gate, const float* up, int64_t i0, int64_t i1) {
  fwdSimdPick()(out, gate, up, i0, i1);
}

// out[count] written; gate[count], up[count]
static Napi::Value swigluForward(const Napi::CallbackInfo& info) {
  const char* fn = "swigluForward";
  expectArgs(info, fn, 4);
  const int64_t n = dim(info, fn, 3, "count");
  float* out = f32(info, fn, 0, "out", n);
  const float* gate = f32(info, fn, 1, "gate", n);
  const float* up = f32(info, fn, 2, "up", n);
  const auto kernel = fwdSimdPick();
  parallelFor(n, kChunk, n >= kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t c = i0; c < i1; c += kChunk) kernel(out, gate, up, c, std::min(i1, c + kChunk));
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("swigluForward", swigluForward);

// dgate[count], dup[count] written; dout, gate, up [count]
static Napi::Value swigluBackward(const Napi::CallbackInfo& info) {
  const char* fn = "swigluBackward";
  expectArgs(info, fn, 6);
  const int64_t n = dim(info, fn, 5, "count");
  float* dgate = f32(info, fn, 0, "dgate", n);
  float* dup = f32(info, fn, 1, "dup", n);
  const float* dout = f32(info, fn, 2, "dout", n);
  const float* gate = f32(info, fn, 3, "gate", n);
  const float* up = f32(info, fn, 4, "up", n);
  const auto kernel = bwdSimdPick();
  parallelFor(n, kChunk, n >= kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t c = i0; c < i1; c += kChunk) kernel(dgate, dup, dout, gate, up, c, std::min(i1, c + kChunk));
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("swigluBackward", swigluBackward);
