#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "core/thread_pool.hpp"

namespace logoscope {
namespace {

TEST(ParallelFor, VisitsEveryIndexExactlyOnce) {
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(hits.size(), 4, [&](std::size_t i) { hits[i]++; });
  for (const auto& hit : hits) EXPECT_EQ(hit.load(), 1);
}

TEST(ParallelFor, RethrowsTheFirstExceptionAfterJoining) {
  std::atomic<int> done{0};
  EXPECT_THROW(parallel_for(100, 3,
                            [&](std::size_t i) {
                              done++;
                              if (i == 50) throw std::runtime_error("boom");
                            }),
               std::runtime_error);
  EXPECT_EQ(done.load(), 100);
}

}  // namespace
}  // namespace logoscope
