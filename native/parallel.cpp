// Backends of native/parallel.h: a std::thread pool (default) or OpenMP (built with LLAMA2_OPENMP),
// and the addon's thread entry points (threadCount, setThreadCount, threadBackend).
// The pool: workers sleep on a condition variable; a region bumps a generation counter, wakes
// them, and the caller and the workers claim its T tasks (see Pool); the caller waits (a short
// spin, then the condition variable) until every task is done. One region at a time: a second caller (another JavaScript thread) that
// finds the pool busy runs its region alone. The pool is never destroyed (its threads sleep until
// the process exits), so no static destructor can race a worker.
#include "parallel.h"

#include <chrono>
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

// A region is T tasks body(t, T). Threads claim tasks from one 64-bit word (generation << 32 |
// next task), so a worker that wakes late — after every task was claimed, or after a newer region
// started — claims nothing and never touches a finished region. The caller claims tasks too and
// then waits only for tasks other threads actually took: on a loaded machine a descheduled worker
// that has not woken yet never holds a kernel up (its tasks run on the caller instead).
class Pool {
 public:
  // Runs the region's T tasks; false (nothing run) when another region holds the pool.
  bool run(int T, detail::RegionFn fn, void* ctx) {
    std::unique_lock<std::mutex> busy(runLock_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    ErrorSlot errors;
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lk(m_);
      while (static_cast<int>(workers_.size()) < T - 1) {
        workers_.emplace_back([this] { loop(); });
        workers_.back().detach();
      }
      gen = ++gen_;
      genSeen_.store(gen, std::memory_order_release);
      fn_ = fn;
      ctx_ = ctx;
      T_ = T;
      errors_ = &errors;
      done_.store(0, std::memory_order_relaxed);
      claim_.store(gen << 32, std::memory_order_release);
    }
    wake_.notify_all();
    int mine = 0;
    for (int t; (t = claimTask(gen, T)) >= 0; mine++) runTask(errors, fn, ctx, t, T);
    finish(mine, T);
    // Every task is claimed; wait for the ones other threads are running: a short spin, then sleep.
    for (int i = 0; i < 4000 && done_.load(std::memory_order_acquire) != T; i++) cpuRelax();
    if (done_.load(std::memory_order_acquire) != T) {
      std::unique_lock<std::mutex> lk(m_);
      allDone_.wait(lk, [&] { return done_.load(std::memory_order_acquire) == T; });
    }
    if (errors.first) std::rethrow_exception(errors.first);
    return true;
  }

 private:
  // The next task of region `gen`, or -1 when it has none left (or a newer region replaced it).
  int claimTask(uint64_t gen, int T) {
    uint64_t c = claim_.load(std::memory_order_acquire);
    for (;;) {
      if ((c >> 32) != gen || static_cast<int>(c & 0xffffffffu) >= T) return -1;
      if (claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) return static_cast<int>(c & 0xffffffffu);
    }
  }

  static void runTask(ErrorSlot& errors, detail::RegionFn fn, void* ctx, int t, int T) {
    tlsInRegion = true;
    errors.run(fn, ctx, t, T);
    tlsInRegion = false;
  }

  // Counts n finished tasks; the thread finishing the last one wakes the caller.
  void finish(int n, int T) {
    if (n == 0) return;
    if (done_.fetch_add(n, std::memory_order_acq_rel) + n == T) {
      std::lock_guard<std::mutex> lk(m_);
      allDone_.notify_one();
    }
  }

  void loop() {
    uint64_t seen = 0;
    for (;;) {
      uint64_t gen;
      detail::RegionFn fn;
      void* ctx;
      int T;
      ErrorSlot* errors;
      spinForRegion(seen);
      {
        std::unique_lock<std::mutex> lk(m_);
        wake_.wait(lk, [&] { return gen_ != seen; });
        seen = gen = gen_;
        fn = fn_;
        ctx = ctx_;
        T = T_;
        errors = errors_;
      }
      // fn, ctx and errors stay valid while this thread holds a claimed, unfinished task of gen.
      int mine = 0;
      for (int t; (t = claimTask(gen, T)) >= 0; mine++) runTask(*errors, fn, ctx, t, T);
      finish(mine, T);
    }
  }

  // A worker that finished its tasks watches for the next region for up to kSpinAfterRegion before
  // sleeping on the condition variable. Batch-1 decoding runs one region per token with ~50 µs of
  // JavaScript (sampling) between them: a worker asleep in that gap has to be woken for every token,
  // and waking an idle vCPU (it halts at once: no guest halt polling on this VM) costs tens of µs of the
  // ~1.3 ms token on two threads. OpenMP (llama2.c's run.c) spins far longer (libgomp: ~300k spins,
  // milliseconds); the short bound keeps an idle process from holding a core on a shared machine.
  static constexpr auto kSpinAfterRegion = std::chrono::microseconds(200);
  void spinForRegion(uint64_t seen) {
    const auto until = std::chrono::steady_clock::now() + kSpinAfterRegion;
    for (int i = 1; genSeen_.load(std::memory_order_acquire) == seen; i++) {
      cpuRelax();
      if ((i & 63) == 0 && std::chrono::steady_clock::now() >= until) return;
    }
  }

  std::mutex runLock_;  // held for a whole region
  std::mutex m_;        // guards the job fields and the condition variables
  std::condition_variable wake_, allDone_;
  std::vector<std::thread> workers_;
  uint64_t gen_ = 0;
  detail::RegionFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int T_ = 1;
  ErrorSlot* errors_ = nullptr;
  std::atomic<uint64_t> genSeen_{0};  // gen_, readable without the lock (spinForRegion)
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> done_{0};
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
