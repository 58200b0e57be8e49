#include "infer/intra_op_threads.hpp"

#include <ATen/Parallel.h>
#include <omp.h>

namespace logoscope::infer {

ScopedIntraOpThreads::ScopedIntraOpThreads(int threads) {
  if (threads <= 0) return;
  // libtorch initialises a thread's count from the process default on its first parallel call;
  // do that now so that it cannot overwrite the count set here later.
  at::internal::lazy_init_num_threads();
  previous_ = omp_get_max_threads();
  omp_set_num_threads(threads);
}

ScopedIntraOpThreads::~ScopedIntraOpThreads() {
  if (previous_ > 0) omp_set_num_threads(previous_);
}

int intra_op_threads() {
  at::internal::lazy_init_num_threads();
  return omp_get_max_threads();
}

}  // namespace logoscope::infer
