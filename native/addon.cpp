// The addon's entry: exports every function the kernel files registered with LLAMA2_EXPORT,
// plus a few facts about the build (threads, SIMD level) for logs and benchmarks.
#include "napi_util.h"
#include "simd.h"
#ifdef _OPENMP
#include <omp.h>
#endif

static Napi::Value threadCount(const Napi::CallbackInfo& info) {
#ifdef _OPENMP
  return Napi::Number::New(info.Env(), omp_get_max_threads());
#else
  return Napi::Number::New(info.Env(), 1);
#endif
}
LLAMA2_EXPORT("threadCount", threadCount);

static Napi::Value setThreadCount(const Napi::CallbackInfo& info) {
  llama2::expectArgs(info, "setThreadCount", 1);
  int64_t n = llama2::dim(info, "setThreadCount", 0, "n");
#ifdef _OPENMP
  if (n > 0) omp_set_num_threads(static_cast<int>(n));
#endif
  return info.Env().Undefined();
}
LLAMA2_EXPORT("setThreadCount", setThreadCount);

static Napi::Value simdLevel(const Napi::CallbackInfo& info) {
  // The dispatch level every kernel uses now (native/simd.h; setSimdLevel() in gemm.cpp).
  return Napi::String::New(info.Env(), llama2::simdLevelName(llama2::simdLevel()));
}
LLAMA2_EXPORT("simdLevel", simdLevel);

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (auto& [name, fn] : llama2::registry()) exports.Set(name, Napi::Function::New(env, fn, name));
  return exports;
}

NODE_API_MODULE(llama2_native, Init)
