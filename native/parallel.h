// The one way kernels use threads (every native/*.cpp goes through this; no `#pragma omp parallel`
// elsewhere — `#pragma omp simd` stays fine, it is compiled with -fopenmp-simd in every build):
//
//   parallelFor(n, chunk, parallel, body)  body(i0, i1) over chunks [i0, i1) of [0, n), `chunk` items
//                                          each, handed out dynamically (a thread that gets more CPU on
//                                          a shared machine takes more); body(0, n) once when !parallel.
//   parallelRegion(parallel, body)         body(t, T) once for each t in [0, T) (T = threadCount(),
//                                          1 when !parallel), spread over the threads; returning from
//                                          it is the barrier. Bodies must not wait for each other: a
//                                          thread that is slow to wake has its t run by another thread.
//   WorkQueue q(n); ... for (int64_t i; q.next(i);)   items of [0, n) one at a time, inside a
//                                          region (per-thread scratch allocated once per thread):
//       WorkQueue q(B * H);
//       parallelRegion(big, [&](int, int) { std::vector<float> tmp(S); for (int64_t i; q.next(i);) head(i, tmp); });
//   threadCount() / setThreadCount(n)      threads a region uses (LLAMA2_NUM_THREADS, else
//                                          OMP_NUM_THREADS, else the CPUs this process may run on).
//   inParallel()                           true inside a region: nested regions run on the calling
//                                          thread alone, so a kernel may call sgemm from its own loop.
//
// Backend, chosen at build time (binding.gyp): the default is a small std::thread pool of persistent
// workers that sleep on a condition variable whenever no region runs (they never spin while
// JavaScript runs, so no OMP_WAIT_POLICY tuning is needed); `LLAMA2_OPENMP=1 npm ci` builds on
// OpenMP instead (LLAMA2_OPENMP defined). Bodies may throw: the first exception is rethrown on the
// calling thread after every thread finished. Regions from two JavaScript threads (worker_threads)
// at once are safe: the second runs on its own thread.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <type_traits>

namespace llama2 {

/** Threads a parallel region uses (>= 1). */
int threadCount();
/** Sets the threads regions use; n <= 0 restores the default. */
void setThreadCount(int n);
/** True on a thread currently running a region body. */
bool inParallel();
/** "pool" or "openmp": the backend this addon was built with. */
const char* threadBackend();

namespace detail {
using RegionFn = void (*)(void* ctx, int t, int T);
// Runs fn(ctx, t, T) for t in [0, T) (T = threadCount(), or 1 when nested / busy), rethrowing the
// first exception a body threw.
void runRegion(RegionFn fn, void* ctx);
}  // namespace detail

template <class F>
void parallelRegion(bool parallel, F&& body) {
  if (!parallel || threadCount() <= 1 || inParallel()) {
    body(0, 1);
    return;
  }
  using Body = std::remove_reference_t<F>;
  detail::runRegion([](void* ctx, int t, int T) { (*static_cast<Body*>(ctx))(t, T); },
                    const_cast<void*>(static_cast<const void*>(&body)));
}

/** Hands out the items of [0, n) one at a time to whichever thread asks (see the top of this file). */
class WorkQueue {
 public:
  explicit WorkQueue(int64_t n) : n_(n) {}
  bool next(int64_t& i) {
    i = next_.fetch_add(1, std::memory_order_relaxed);
    return i < n_;
  }

 private:
  const int64_t n_;
  std::atomic<int64_t> next_{0};
};

template <class F>
void parallelFor(int64_t n, int64_t chunk, bool parallel, F&& body) {
  if (n <= 0) return;
  chunk = std::max<int64_t>(1, chunk);
  const int64_t chunks = (n + chunk - 1) / chunk;
  if (!parallel || chunks < 2 || threadCount() <= 1 || inParallel()) {
    body(int64_t{0}, n);
    return;
  }
  std::atomic<int64_t> next{0};
  parallelRegion(true, [&](int, int) {
    for (int64_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;)
      body(c * chunk, std::min(n, (c + 1) * chunk));
  });
}

}  // namespace llama2
