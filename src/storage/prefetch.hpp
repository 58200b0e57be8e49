// storage/prefetch.hpp — downloads objects into the object cache ahead of their use, so that a
// program walking a list of s3:// images (detect over a prefix) does not wait for each GET.
//
// A few background threads fetch the URIs in order, staying at most `window` items ahead of the
// last one the caller reported done. Local paths, failures and a disabled cache are skipped: the
// caller's own read then does the work (and reports the error). LOGOSCOPE_S3_PREFETCH sets the
// number of threads (0: none).
//
// Thread safety: done() may be called from any thread; the destructor stops and joins.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace logoscope::storage {

class Prefetcher {
 public:
  Prefetcher(std::vector<std::string> uris, std::size_t window = 32, int threads = 4);
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  /// Item `index` has been used: the window moves past it.
  void done(std::size_t index);

 private:
  void work();
  std::vector<std::string> uris_;
  std::size_t window_;
  std::atomic<std::size_t> next_{0};
  std::size_t used_ = 0;  // guarded by mutex_: one past the highest index reported done
  bool stop_ = false;     // guarded by mutex_
  std::mutex mutex_;
  std::condition_variable moved_;
  std::vector<std::thread> threads_;
};

}  // namespace logoscope::storage
