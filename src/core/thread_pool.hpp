// core/thread_pool.hpp — run independent work items on all cores.
#pragma once

#include <cstddef>
#include <functional>

namespace logoscope {

/// Number of worker threads to use when the user did not say: the hardware concurrency (≥ 1).
int default_thread_count();

/// Calls fn(i) for every i in [0, count) on up to `threads` threads (work stealing by an atomic
/// counter, so uneven items balance). Blocks until all are done. `fn` must not throw; exceptions
/// are caught, and the first is rethrown after all threads joined.
void parallel_for(std::size_t count, int threads, const std::function<void(std::size_t)>& fn);

}  // namespace logoscope
