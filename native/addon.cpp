// The addon's entry: exports every function the kernel files registered with LLAMA2_EXPORT,
// plus a few facts about the build (threads, SIMD level) for logs and benchmarks.
// threadCount / setThreadCount live in parallel.cpp.
#include "napi_util.h"
#include "parallel.h"
#include "simd.h"

#include <new>
#include <stdexcept>
#include <string>
#include <vector>

static Napi::Value simdLevel(const Napi::CallbackInfo& info) {
  // The dispatch level every kernel uses now (native/simd.h; setSimdLevel() in gemm.cpp).
  llama2::expectArgs(info, "simdLevel", 0);
  return Napi::String::New(info.Env(), llama2::simdLevelName(llama2::simdLevel()));
}
LLAMA2_EXPORT("simdLevel", simdLevel);

// buildInfo() -> { threads: "pool" | "openmp", x86Simd: boolean (AVX2/AVX-512 paths compiled in),
//   portable: boolean (built with LLAMA2_PORTABLE), arch: string }
static Napi::Value buildInfo(const Napi::CallbackInfo& info) {
  llama2::expectArgs(info, "buildInfo", 0);
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("threads", Napi::String::New(env, llama2::threadBackend()));
  out.Set("x86Simd", Napi::Boolean::New(env, LLAMA2_X86 != 0));
#ifdef LLAMA2_PORTABLE
  out.Set("portable", Napi::Boolean::New(env, true));
#else
  out.Set("portable", Napi::Boolean::New(env, false));
#endif
#if defined(__x86_64__) || defined(_M_X64)
  out.Set("arch", Napi::String::New(env, "x64"));
#elif defined(__aarch64__) || defined(_M_ARM64)
  out.Set("arch", Napi::String::New(env, "arm64"));
#else
  out.Set("arch", Napi::String::New(env, "other"));
#endif
  return out;
}
LLAMA2_EXPORT("buildInfo", buildInfo);

// Every entry runs inside this wrapper: Napi errors pass through; a C++ exception (an allocation
// that failed, a std::length_error) becomes a JavaScript RangeError / Error naming the function
// instead of terminating the process.
struct Entry {
  const char* name;
  llama2::Callback fn;
};

static Napi::Value dispatch(const Napi::CallbackInfo& info) {
  const Entry* e = static_cast<const Entry*>(info.Data());
  try {
    return e->fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), std::string(e->name) + ": out of memory (the sizes are too large)");
  } catch (const std::length_error&) {
    throw Napi::RangeError::New(info.Env(), std::string(e->name) + ": a buffer size is too large");
  } catch (const std::exception& x) {
    throw Napi::Error::New(info.Env(), std::string(e->name) + ": " + x.what());
  }
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  static std::vector<Entry>* entries = [] {
    auto* v = new std::vector<Entry>();  // lives as long as the process (functions may outlive an env)
    for (auto& [name, fn] : llama2::registry()) v->push_back({name, fn});
    return v;
  }();
  for (Entry& e : *entries) exports.Set(e.name, Napi::Function::New(env, dispatch, e.name, &e));
  return exports;
}

NODE_API_MODULE(llama2_native, Init)
