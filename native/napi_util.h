// Shared N-API plumbing for every kernel file: a static registry (each .cpp registers its entry
// points with LLAMA2_EXPORT, so adding a kernel never touches addon.cpp) and argument checks that
// name the function, the argument and what was expected (STYLE.md: tfjs-node / node-llama-cpp).
// Rules every entry point follows (test/native/fuzz.test.ts calls each with bad arguments):
//   - a wrong type or argument count is a TypeError, a bad value or a too-short array a RangeError,
//     each message starting "fn: argument i (name)";
//   - sizes are dim() (integers in [0, 2^53]); a product of sizes is size(...), which refuses to
//     overflow, BEFORE it is compared with an array length or allocated;
//   - index arrays (ids, targets, positions, run starts) are checked element by element, all of
//     them, before any is used;
//   - external handles carry a napi_type_tag (External<T> from wrapTagged / unwrapTagged);
//   - everything allocated before a check can throw is owned (std::vector, unique_ptr): no leak.
// The registry wraps every entry so a std::bad_alloc or other C++ exception becomes a JS error.
#pragma once
#include <napi.h>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
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

/** Largest size or index accepted: 2^53, the largest integer a Number holds exactly. */
constexpr int64_t kMaxSize = int64_t{1} << 53;

inline std::string argLabel(const char* fn, size_t i, const char* name) {
  return std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ")";
}

/** The same label under its older name (kernel files written before argLabel). */
inline std::string argName(const char* fn, size_t i, const char* name) { return argLabel(fn, i, name); }

inline std::string numText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == std::floor(d) && std::fabs(d) < 1e18) return std::to_string(static_cast<int64_t>(d));
  return std::to_string(d);
}

inline const char* typeName(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsTypedArray()) return "another typed array";
  if (v.IsArray()) return "an array";
  if (v.IsFunction()) return "a function";
  if (v.IsExternal()) return "an external";
  return "an object";
}

[[noreturn]] inline void fail(const Napi::CallbackInfo& info, const std::string& msg) {
  throw Napi::TypeError::New(info.Env(), msg);
}

[[noreturn]] inline void failRange(const Napi::CallbackInfo& info, const std::string& msg) {
  throw Napi::RangeError::New(info.Env(), msg);
}

inline void expectArgs(const Napi::CallbackInfo& info, const char* fn, size_t n) {
  if (info.Length() != n)
    fail(info, std::string(fn) + ": expected " + std::to_string(n) + " arguments, got " +
                   std::to_string(info.Length()));
}

// A typed array argument of the given type with at least minLen elements (0 = any length).
template <typename T, napi_typedarray_type kType>
inline T* typed(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name, int64_t minLen,
                const char* typeLabel, size_t* length = nullptr) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != kType)
    fail(info, argLabel(fn, i, name) + " must be " + typeLabel + ", got " + typeName(v));
  auto a = v.As<Napi::TypedArrayOf<T>>();
  const size_t n = a.ElementLength();
  if (minLen < 0 || static_cast<uint64_t>(n) < static_cast<uint64_t>(minLen))
    failRange(info, argLabel(fn, i, name) + " has " + std::to_string(n) + " elements, needs at least " +
                        std::to_string(minLen));
  if (length) *length = n;
  return a.Data();
}

/** A Float32Array argument with at least minLen elements (0 = any length). */
inline float* f32(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name, int64_t minLen = 0,
                  size_t* length = nullptr) {
  return typed<float, napi_float32_array>(info, fn, i, name, minLen, "a Float32Array", length);
}

/** A Float32Array argument or null (returns nullptr for null/undefined). */
inline float* f32OrNull(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name,
                        int64_t minLen = 0) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return f32(info, fn, i, name, minLen);
}

inline int32_t* i32(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name, int64_t minLen = 0,
                    size_t* length = nullptr) {
  return typed<int32_t, napi_int32_array>(info, fn, i, name, minLen, "an Int32Array", length);
}

inline int32_t* i32OrNull(const Napi::CallbackInfo& info, const char* fn, size_t i,
                          const char* name, int64_t minLen = 0) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return i32(info, fn, i, name, minLen);
}

/** An integer argument in [0, max] (max <= 2^53): TypeError when not a number, RangeError otherwise. */
inline int64_t dim(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name,
                   int64_t max = kMaxSize) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info, argLabel(fn, i, name) + " must be a number, got " + typeName(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d))
    failRange(info, argLabel(fn, i, name) + " must be a non-negative integer, got " + numText(d));
  if (d > static_cast<double>(max))
    failRange(info, argLabel(fn, i, name) + " must be at most " + std::to_string(max) + ", got " + numText(d));
  return static_cast<int64_t>(d);
}

/** A number argument (NaN and infinities pass: scalars only scale values, they never index memory). */
inline double num(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info, argLabel(fn, i, name) + " must be a number, got " + typeName(v));
  return v.As<Napi::Number>().DoubleValue();
}

inline bool flag(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) fail(info, argLabel(fn, i, name) + " must be a boolean, got " + typeName(v));
  return v.As<Napi::Boolean>().Value();
}

/**
 * The product of sizes (each in [0, 2^53]), or a RangeError naming it (`what`, e.g. "B*T*H*D") when
 * it exceeds 2^53 — checked before the product is compared with an array length or allocated.
 * A zero factor makes the product 0 whatever the others are.
 */
inline int64_t size(const Napi::CallbackInfo& info, const char* fn, const char* what, std::initializer_list<int64_t> dims) {
  for (const int64_t d : dims)
    if (d == 0) return 0;
  int64_t p = 1;
  for (const int64_t d : dims) {
    if (d < 0 || d > kMaxSize / p)
      failRange(info, std::string(fn) + ": " + what + " is larger than 2^53 (the sizes are too large)");
    p *= d;
  }
  return p;
}

// ---- type-tagged external handles ----

/** Wraps an owned pointer as an External tagged with `tag`; the GC deletes it. */
template <typename T>
Napi::External<T> wrapTagged(Napi::Env env, std::unique_ptr<T> p, const napi_type_tag& tag) {
  auto ext = Napi::External<T>::New(env, p.get(), [](Napi::Env, T* q) { delete q; });
  p.release();  // owned by the External from here (its finalizer deletes it)
  ext.TypeTag(&tag);
  return ext;
}

/** The T inside argument i when it is an External tagged with `tag`; TypeError otherwise. */
template <typename T>
T* unwrapTagged(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name, const napi_type_tag& tag,
                const char* what) {
  Napi::Value v = info[i];
  if (!v.IsExternal() || !v.As<Napi::External<T>>().CheckTypeTag(&tag))
    fail(info, argLabel(fn, i, name) + " must be " + what + ", got " + typeName(v));
  return v.As<Napi::External<T>>().Data();
}

}  // namespace llama2
