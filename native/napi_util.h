// Shared N-API plumbing for every kernel file: a static registry (each .cpp registers its entry
// points with LLAMA2_EXPORT, so adding a kernel never touches addon.cpp) and argument checks that
// name the function, the argument and what was expected (STYLE.md: tfjs-node / node-llama-cpp).
#pragma once
#include <napi.h>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace llama2 {

using Callback = Napi::Value (*)(const Napi::CallbackInfo&);

inline std::vector<std::pair<const char*, Callback>>& registry() {
  static std::vector<std::pair<const char*, Callback>> entries;
  return entries;
}

struct Registrar {
  Registrar(const char* name, Callback fn) { registry().emplace_back(name, fn); }
};

#define LLAMA2_EXPORT(name, fn) static ::llama2::Registrar llama2_registrar_##fn(name, fn)

[[noreturn]] inline void fail(const Napi::CallbackInfo& info, const std::string& msg) {
  throw Napi::TypeError::New(info.Env(), msg);
}

inline void expectArgs(const Napi::CallbackInfo& info, const char* fn, size_t n) {
  if (info.Length() != n)
    fail(info, std::string(fn) + ": expected " + std::to_string(n) + " arguments, got " +
                   std::to_string(info.Length()));
}

// A Float32Array argument with at least minLen elements (0 = any length).
inline float* f32(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name,
                  size_t minLen = 0) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    fail(info, std::string(fn) + ": argument " + std::to_string(i) + " (" + name +
                   ") must be a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  if (a.ElementLength() < minLen)
    fail(info, std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") has " +
                   std::to_string(a.ElementLength()) + " elements, needs at least " +
                   std::to_string(minLen));
  return a.Data();
}

// A Float32Array argument or null (returns nullptr for null/undefined).
inline float* f32OrNull(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name,
                        size_t minLen = 0) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return f32(info, fn, i, name, minLen);
}

inline int32_t* i32(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name,
                    size_t minLen = 0) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    fail(info, std::string(fn) + ": argument " + std::to_string(i) + " (" + name +
                   ") must be an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  if (a.ElementLength() < minLen)
    fail(info, std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") has " +
                   std::to_string(a.ElementLength()) + " elements, needs at least " +
                   std::to_string(minLen));
  return a.Data();
}

inline int32_t* i32OrNull(const Napi::CallbackInfo& info, const char* fn, size_t i,
                          const char* name, size_t minLen = 0) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return i32(info, fn, i, name, minLen);
}

// A non-negative integer argument.
inline int64_t dim(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info, std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d)))
    fail(info, std::string(fn) + ": argument " + std::to_string(i) + " (" + name +
                   ") must be a non-negative integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

inline double num(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info, std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline bool flag(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) fail(info, std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

}  // namespace llama2
