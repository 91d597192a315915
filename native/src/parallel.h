// parallel.h — the CPU backend's thread pool.
//
// parallel_for splits [0, n) into contiguous chunks run on the pool's threads and
// the caller. Calls from several application threads are serialised; a call made
// from inside a pool task runs inline, so kernels may nest without deadlock.
#pragma once

#include <cstdint>
#include <functional>

namespace reel {

int cpu_threads();
void set_cpu_threads(int threads);  // 0: all logical cores

// fn(begin, end) is called on disjoint ranges covering [0, n); grain is the
// smallest chunk worth a thread.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace reel
