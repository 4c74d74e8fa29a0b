// SwiGLU gate (paper §2.2; llama.py FeedForward `w2(F.silu(w1(x)) * w3(x))`, HF
// `act_fn(gate_proj(x)) * up_proj(x)`): out = silu(gate) * up with silu(g) = g * sigmoid(g).
// Backward: dup = dout * silu(g); dgate = dout * up * sigmoid(g) * (1 + g * (1 - sigmoid(g))).
#include "kernel_util.h"

using namespace llama2;

// out[count] written; gate[count], up[count]
static Napi::Value swigluForward(const Napi::CallbackInfo& info) {
  const char* fn = "swigluForward";
  expectArgs(info, fn, 4);
  const int64_t n = dim(info, fn, 3, "count");
  float* out = f32(info, fn, 0, "out", n);
  const float* gate = f32(info, fn, 1, "gate", n);
  const float* up = f32(info, fn, 2, "up", n);
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float g = gate[i];
    out[i] = g / (1.0f + fastExp(-g)) * up[i];  // torch's silu: x / (1 + exp(-x))
  }
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
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float g = gate[i], d = dout[i];
    const float s = 1.0f / (1.0f + fastExp(-g));
    dup[i] = d * g * s;
    dgate[i] = d * up[i] * s * (1.0f + g * (1.0f - s));
  }
  return info.Env().Undefined();
}
LLAMA2_EXPORT("swigluBackward", swigluBackward);
