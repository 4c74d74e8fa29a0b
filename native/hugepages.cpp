// Weights that decoding streams every token, backed by 2 MiB pages (transparent huge pages) where the
// OS allows it. Batch-1 decoding reads every weight once a token, so with 4 KiB pages each 4 KiB of
// weights costs a TLB miss (a nested page walk under a hypervisor): measured on the 2-core EPYC VM, one
// core streams a stories15M's 61 MB in 4.1 ms of CPU from 4 KiB pages and 2.2 ms from 2 MiB pages
// (README, Benchmarks). The typed arrays stay where V8 put them: madvise(MADV_HUGEPAGE) marks the 2 MiB-aligned
// interior of each, and MADV_COLLAPSE (Linux >= 6.1) moves its already-touched pages into huge pages now
// rather than when khugepaged gets there. Contents, addresses and results are unchanged; elsewhere
// (or when the kernel refuses: THP off, no free 2 MiB frames) this does nothing. Weights smaller than a
// huge page (every layer of a small model) go instead into one buffer from allocHugePages: 2 MiB-aligned
// memory marked MADV_HUGEPAGE before its first touch, so its pages are huge from the start.
#include "kernel_util.h"

#include <algorithm>

#include <sys/mman.h>  // POSIX (Linux, macOS): the addon's platforms

using namespace llama2;

namespace {

constexpr uintptr_t kHuge = uintptr_t{1} << 21;  // 2 MiB

// Bytes of [p, p + n) now in huge pages (0 where the kernel refused or the range holds no aligned 2 MiB).
int64_t advise(void* p, size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t a = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + n) & ~(kHuge - 1);
  if (b <= a) return 0;
  void* start = reinterpret_cast<void*>(a);
  if (madvise(start, b - a, MADV_HUGEPAGE) != 0) return 0;
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25  // Linux 6.1 uapi; older headers lack it, older kernels answer EINVAL
#endif
  if (madvise(start, b - a, MADV_COLLAPSE) != 0) return 0;
  return static_cast<int64_t>(b - a);
#else
  (void)p;
  (void)n;
  return 0;
#endif
}

// adviseHugePages(arrays): asks for huge pages under each typed array (see the top of this file);
// returns the bytes now backed by them (0 off Linux, with THP disabled, or below 2 MiB per array).
Napi::Value adviseHugePages(const Napi::CallbackInfo& info) {
  const char* fn = "adviseHugePages";
  expectArgs(info, fn, 1);
  if (!info[0].IsArray()) fail(info, argLabel(fn, 0, "arrays") + " must be an array of typed arrays, got " + typeName(info[0]));
  auto arrays = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < arrays.Length(); i++)
    if (!arrays.Get(i).IsTypedArray())
      fail(info, argLabel(fn, 0, "arrays") + " element " + std::to_string(i) + " must be a typed array, got " + typeName(arrays.Get(i)));
  int64_t total = 0;
  for (uint32_t i = 0; i < arrays.Length(); i++) {
    auto a = arrays.Get(i).As<Napi::TypedArray>();
    total += advise(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset(), a.ByteLength());
  }
  return Napi::Number::New(info.Env(), static_cast<double>(total));
}

// 2 MiB-aligned anonymous memory of cap bytes (a multiple of kHuge): zero and uncommitted until touched.
void* mapAligned(size_t cap) {
  // Map one huge page more than needed, then unmap the unaligned head and the tail.
  uint8_t* raw = static_cast<uint8_t*>(mmap(nullptr, cap + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (raw == MAP_FAILED) return nullptr;
  uint8_t* p = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) & ~(kHuge - 1));
  if (p > raw) munmap(raw, static_cast<size_t>(p - raw));
  if (p + cap < raw + cap + kHuge) munmap(p + cap, static_cast<size_t>(raw + cap + kHuge - (p + cap)));
#if defined(MADV_HUGEPAGE)
  madvise(p, cap, MADV_HUGEPAGE);  // before the first touch; a refusal leaves ordinary pages (still correct)
#endif
  return p;
}

// allocHugePages(bytes): a zeroed ArrayBuffer of `bytes` at a 2 MiB-aligned address, its pages huge where
// the OS allows; unmapped when the buffer is collected.
Napi::Value allocHugePages(const Napi::CallbackInfo& info) {
  const char* fn = "allocHugePages";
  expectArgs(info, fn, 1);
  const int64_t bytes = dim(info, fn, 0, "bytes", int64_t{1} << 40);
  const size_t len = static_cast<size_t>(bytes), cap = (std::max<size_t>(len, 1) + kHuge - 1) & ~(kHuge - 1);
  void* p = mapAligned(cap);
  if (!p) failRange(info, std::string(fn) + ": cannot map " + std::to_string(bytes) + " bytes");
  Napi::Env env = info.Env();
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(cap));
  return Napi::ArrayBuffer::New(env, p, len, [cap](Napi::Env e, void* data) {
    munmap(data, cap);
    Napi::MemoryManagement::AdjustExternalMemory(e, -static_cast<int64_t>(cap));
  });
}

}  // namespace

LLAMA2_EXPORT("adviseHugePages", adviseHugePages);
LLAMA2_EXPORT("allocHugePages", allocHugePages);
