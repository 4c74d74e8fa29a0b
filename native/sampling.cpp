// The exp pass of token sampling (src/model/sampling.ts): for one row of logits, weights[i] =
// exp((logits[i] - max) / temperature) in double, with their max and sum — the unnormalised
// tempered distribution the sampler walks and the normaliser of the log-probability it returns.
// In JavaScript this pass (32k Math.exp per token) cost as much as a batched decode step per row.
#include <cfloat>
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
