// AdamW step exactly as torch.optim.AdamW (torch/optim/adam.py _single_tensor_adam with
// decoupled_weight_decay=True, amsgrad=False, capturable=False): scalars in double as Python
// computes them, tensor arithmetic in float32 in torch's operation order:
//   p.mul_(1 - lr*wd); m.lerp_(g, 1 - b1); v.mul_(b2).addcmul_(g, g, 1 - b2);
//   denom = v.sqrt() / sqrt(1 - b2^step) + eps; p.addcdiv_(m, denom, -lr / (1 - b1^step)).
#include <algorithm>
#include "kernel_util.h"

using namespace llama2;

namespace {

struct Coeffs {
  float decay, w1, beta2, w2, bc2Sqrt, negStep, eps;
  bool doDecay, w1Small;
};

// torch's AVX2/AVX-512 kernels fuse `a + w * b` into one FMA (lerp_vec's fmadd, addcmul contracted);
// the FMA variant reproduces them to the last bit on such machines, the portable one within an ulp.
template <bool kFma>
LLAMA2_INLINE float madd(float a, float b, float c) {
  if constexpr (kFma) return std::fma(a, b, c);
  else return a * b + c;
}

template <bool kFma>
LLAMA2_INLINE void update(float* p, const float* g, float* m, float* v, int64_t i0, int64_t i1, const Coeffs& k) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    float pi = p[i];
    if (k.doDecay) pi = pi * k.decay;                                // p.mul_(1 - lr*wd)
    const float gi = g[i], mi = m[i];
    const float mNew = k.w1Small ? madd<kFma>(k.w1, gi - mi, mi)      // m.lerp_(g, 1 - b1)
                                 : madd<kFma>(k.w1 - 1.0f, gi - mi, gi);
    const float vNew = madd<kFma>(k.w2 * gi, gi, v[i] * k.beta2);      // v.mul_(b2).addcmul_(g, g, 1 - b2)
    const float denom = std::sqrt(vNew) / k.bc2Sqrt + k.eps;          // v.sqrt() / sqrt(bc2) + eps
    m[i] = mNew;
    v[i] = vNew;
    p[i] = pi + k.negStep * mNew / denom;                             // p.addcdiv_(m, denom, -step_size)
  }
}

[[maybe_unused]] LLAMA2_INLINE void updateFused(float* p, const float* g, float* m, float* v, int64_t i0, int64_t i1, const Coeffs& k) {
  update<true>(p, g, m, v, i0, i1, k);
}
LLAMA2_INLINE void updatePlain(float* p, const float* g, float* m, float* v, int64_t i0, int64_t i1, const Coeffs& k) {
  update<false>(p, g, m, v, i0, i1, k);
}
#if LLAMA2_X86
LLAMA2_AVX512 void updateAvx512(float* p, const float* g, float* m, float* v, int64_t i0, int64_t i1, const Coeffs& k) {
  updateFused(p, g, m, v, i0, i1, k);
}
LLAMA2_AVX2 void updateAvx2(float* p, const float* g, float* m, float* v, int64_t i0, int64_t i1, const Coeffs& k) {
  updateFused(p, g, m, v, i0, i1, k);
}
#endif
void updatePortable(float* p, const float* g, float* m, float* v, int64_t i0, int64_t i1, const Coeffs& k) {
  updatePlain(p, g, m, v, i0, i1, k);
}

}  // namespace

// param, grad, m, v [n]; m and v updated in place.
static Napi::Value adamwStep(const Napi::CallbackInfo& info) {
  const char* fn = "adamwStep";
  expectArgs(info, fn, 11);
  const int64_t n = dim(info, fn, 4, "n");
  float* p = f32(info, fn, 0, "param", n);
  const float* g = f32(info, fn, 1, "grad", n);
  float* m = f32(info, fn, 2, "m", n);
  float* v = f32(info, fn, 3, "v", n);
  const double lr = num(info, fn, 5, "lr"), b1 = num(info, fn, 6, "beta1"), b2 = num(info, fn, 7, "beta2");
  const double eps = num(info, fn, 8, "eps"), wd = num(info, fn, 9, "weightDecay");
  const int64_t step = dim(info, fn, 10, "step");
  if (step < 1) fail(info, std::string(fn) + ": argument 10 (step) must be >= 1 (steps count from 1)");
  // Scalars as Python computes them (double), then rounded to float where torch's kernels take them.
  const double bc1 = 1.0 - std::pow(b1, double(step)), bc2 = 1.0 - std::pow(b2, double(step));
  Coeffs k;
  k.decay = static_cast<float>(1.0 - lr * wd);
  k.doDecay = wd != 0.0;
  k.w1 = static_cast<float>(1.0 - b1);
  k.w1Small = std::fabs(k.w1) < 0.5f;
  k.beta2 = static_cast<float>(b2);
  k.w2 = static_cast<float>(1.0 - b2);
  k.bc2Sqrt = static_cast<float>(std::sqrt(bc2));
  k.negStep = static_cast<float>(-(lr / bc1));
  k.eps = static_cast<float>(eps);
#if LLAMA2_X86
  const SimdLevel level = simdLevel();
  const auto kernel = level == SimdLevel::Avx512 ? updateAvx512 : level == SimdLevel::Avx2 ? updateAvx2 : updatePortable;
#else
  const auto kernel = updatePortable;
#endif
  constexpr int64_t kChunk = 1 << 14;
  parallelFor(n, kChunk, n >= 4 * kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t c = i0; c < i1; c += kChunk) kernel(p, g, m, v, c, std::min(i1, c + kChunk), k);
  });
  return info.Env().Undefined();
}
LLAMA2_EXPORT("adamwStep", adamwStep);
