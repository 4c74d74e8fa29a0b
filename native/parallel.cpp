// Backends of native/parallel.h: a std::thread pool (default) or OpenMP (built with LLAMA2_OPENMP),
// and the addon's thread entry points (threadCount, setThreadCount, threadBackend).
// The pool: workers 1..T-1 sleep on a condition variable; a region bumps a generation counter,
// wakes them, runs t = 0 on the caller and waits (a short spin, then the condition variable) until
// every worker is done. One region at a time: a second caller (another JavaScript thread) that
// finds the pool busy runs its region alone. The pool is never destroyed (its threads sleep until
// the process exits), so no static destructor can race a worker.
#include "parallel.h"

#include <cstdlib>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#ifdef __linux__
#include <sched.h>
#endif
#ifdef LLAMA2_OPENMP
#include <omp.h>
#endif

#include "napi_util.h"

namespace llama2 {
namespace {

thread_local bool tlsInRegion = false;

int envThreads(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  const long n = std::strtol(v, nullptr, 10);  // "4,2" (OpenMP nesting lists) reads as 4
  return n > 0 && n < 4096 ? static_cast<int>(n) : 0;
}

int defaultThreads() {
  if (int n = envThreads("LLAMA2_NUM_THREADS")) return n;
  if (int n = envThreads("OMP_NUM_THREADS")) return n;
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
  const unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

std::atomic<int>& threadsVar() {
  static std::atomic<int> n{defaultThreads()};
  return n;
}

// Runs one thread's share, keeping the first exception.
struct ErrorSlot {
  std::mutex m;
  std::exception_ptr first;
  void run(detail::RegionFn fn, void* ctx, int t, int T) {
    try {
      fn(ctx, t, T);
    } catch (...) {
      std::lock_guard<std::mutex> lk(m);
      if (!first) first = std::current_exception();
    }
  }
};

#ifndef LLAMA2_OPENMP
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class Pool {
 public:
  // Runs the region on T threads; false (nothing run) when another region holds the pool.
  bool run(int T, detail::RegionFn fn, void* ctx) {
    std::unique_lock<std::mutex> busy(runLock_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    ErrorSlot errors;
    {
      std::lock_guard<std::mutex> lk(m_);
      while (static_cast<int>(workers_.size()) < T - 1) {
        const int id = static_cast<int>(workers_.size()) + 1;
        workers_.emplace_back([this, id] { loop(id); });
        workers_.back().detach();
      }
      fn_ = fn;
      ctx_ = ctx;
      T_ = T;
      errors_ = &errors;
      pending_.store(T - 1, std::memory_order_relaxed);
      gen_++;
    }
    wake_.notify_all();
    tlsInRegion = true;
    errors.run(fn, ctx, 0, T);
    tlsInRegion = false;
    // The caller's own share is done: a short spin catches workers finishing about now, then sleep.
    for (int i = 0; i < 2000 && pending_.load(std::memory_order_acquire) != 0; i++) cpuRelax();
    if (pending_.load(std::memory_order_acquire) != 0) {
      std::unique_lock<std::mutex> lk(m_);
      done_.wait(lk, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    if (errors.first) std::rethrow_exception(errors.first);
    return true;
  }

 private:
  void loop(int id) {
    uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lk(m_);
      seen = gen_ - 1;  // started by a region that already bumped gen_: take part in it
    }
    for (;;) {
      detail::RegionFn fn;
      void* ctx;
      int T;
      ErrorSlot* errors;
      {
        std::unique_lock<std::mutex> lk(m_);
        wake_.wait(lk, [&] { return gen_ != seen; });
        seen = gen_;
        if (id >= T_) continue;  // not part of this (smaller) region
        fn = fn_;
        ctx = ctx_;
        T = T_;
        errors = errors_;
      }
      tlsInRegion = true;
      errors->run(fn, ctx, id, T);
      tlsInRegion = false;
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(m_);
        done_.notify_one();
      }
    }
  }

  std::mutex runLock_;  // held for a whole region
  std::mutex m_;        // guards the fields below and the condition variables
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  uint64_t gen_ = 0;
  detail::RegionFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int T_ = 1;
  ErrorSlot* errors_ = nullptr;
  std::atomic<int> pending_{0};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached workers may outlive static destructors
  return *p;
}
#endif

}  // namespace

int threadCount() { return threadsVar().load(std::memory_order_relaxed); }

void setThreadCount(int n) {
  threadsVar().store(n > 0 ? n : defaultThreads(), std::memory_order_relaxed);
}

bool inParallel() {
#ifdef LLAMA2_OPENMP
  if (omp_in_parallel()) return true;
#endif
  return tlsInRegion;
}

const char* threadBackend() {
#ifdef LLAMA2_OPENMP
  return "openmp";
#else
  return "pool";
#endif
}

namespace detail {

void runRegion(RegionFn fn, void* ctx) {
  const int T = threadCount();
#ifdef LLAMA2_OPENMP
  ErrorSlot errors;
#pragma omp parallel num_threads(T)
  {
    tlsInRegion = true;
    errors.run(fn, ctx, omp_get_thread_num(), omp_get_num_threads());
    tlsInRegion = false;
  }
  if (errors.first) std::rethrow_exception(errors.first);
#else
  if (T <= 1 || !pool().run(T, fn, ctx)) {
    ErrorSlot errors;
    tlsInRegion = true;
    errors.run(fn, ctx, 0, 1);
    tlsInRegion = false;
    if (errors.first) std::rethrow_exception(errors.first);
  }
#endif
}

}  // namespace detail
}  // namespace llama2

static Napi::Value threadCountEntry(const Napi::CallbackInfo& info) {
  llama2::expectArgs(info, "threadCount", 0);
  return Napi::Number::New(info.Env(), llama2::threadCount());
}
LLAMA2_EXPORT("threadCount", threadCountEntry);

// setThreadCount(n): threads every kernel uses from now on; 0 restores the default.
static Napi::Value setThreadCountEntry(const Napi::CallbackInfo& info) {
  const char* fn = "setThreadCount";
  llama2::expectArgs(info, fn, 1);
  const int64_t n = llama2::dim(info, fn, 0, "n");
  if (n > 256) throw Napi::RangeError::New(info.Env(), std::string(fn) + ": argument 0 (n) must be at most 256, got " + std::to_string(n));
  llama2::setThreadCount(static_cast<int>(n));
  return info.Env().Undefined();
}
LLAMA2_EXPORT("setThreadCount", setThreadCountEntry);
