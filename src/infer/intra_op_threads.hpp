// infer/intra_op_threads.hpp — libtorch's intra-op thread count for the calling thread only.
//
// libtorch (OpenMP build) and oneDNN size every parallel region from the calling thread's OpenMP
// thread count (omp_get_max_threads), which OpenMP keeps per thread. torch::set_num_threads sets
// it for the caller and also records a process-wide default that new threads pick up on their first
// parallel call. ScopedIntraOpThreads sets the caller's count for a scope and restores it, without
// touching the process default, so that two inference workers can run with 1 thread each while a
// third caller uses 4 (library sessions, server workers).
//
// Thread safety: affects the calling thread only.
#pragma once

namespace logoscope::infer {

class ScopedIntraOpThreads {
 public:
  /// threads ≤ 0: leaves the calling thread's count as it is.
  explicit ScopedIntraOpThreads(int threads);
  ~ScopedIntraOpThreads();
  ScopedIntraOpThreads(const ScopedIntraOpThreads&) = delete;
  ScopedIntraOpThreads& operator=(const ScopedIntraOpThreads&) = delete;

 private:
  int previous_ = 0;  ///< 0: nothing to restore
};

/// The calling thread's intra-op thread count (what its next forward pass will use).
int intra_op_threads();

}  // namespace logoscope::infer
