// core/thread_pool.hpp — run independent work items on all cores.
#pragma once

#include <cstddef>
#include <functional>

namespace logoscope {

/// Number of worker threads to use when the user did not say: the hardware concurrency (≥ 1).
int default_thread_count();

/// Threads for libtorch's convolutions when the user did not say: every core minus the cores other
/// processes keep busy right now (sampled from /proc/stat over `sample_ms`), at least 1. libtorch's
/// OpenMP threads spin-wait on each other, so a thread on an already busy core costs far more than
/// it gives (issue measurement: 1,383 ms per photo with 2 threads on 2 busy cores, 80 ms with 1).
/// Writes the busy-core estimate to `busy` when given.
int available_thread_count(int sample_ms = 100, double* busy = nullptr);

/// `requested` when > 0; else available_thread_count(), logging when cores are left out because
/// other work keeps them busy.
int choose_thread_count(int requested);

/// Calls fn(i) for every i in [0, count) on up to `threads` threads (work stealing by an atomic
/// counter, so uneven items balance). Blocks until all are done. `fn` must not throw; exceptions
/// are caught, and the first is rethrown after all threads joined.
void parallel_for(std::size_t count, int threads, const std::function<void(std::size_t)>& fn);

}  // namespace logoscope
