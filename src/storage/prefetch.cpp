#include "storage/prefetch.hpp"

#include <algorithm>
#include <cstdlib>

#include "storage/storage.hpp"

namespace logoscope::storage {

Prefetcher::Prefetcher(std::vector<std::string> uris, std::size_t window, int threads)
    : uris_(std::move(uris)), window_(std::max<std::size_t>(1, window)) {
  const bool any_remote = std::any_of(uris_.begin(), uris_.end(), [](const std::string& uri) { return is_remote(uri); });
  if (!any_remote || !object_cache_enabled()) return;
  if (const char* set = std::getenv("LOGOSCOPE_S3_PREFETCH"); set != nullptr && *set != '\0') {
    threads = std::clamp(std::atoi(set), 0, 64);
  }
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  moved_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void Prefetcher::done(std::size_t index) {
  {
    std::lock_guard lock(mutex_);
    used_ = std::max(used_, index + 1);
  }
  moved_.notify_all();
}

void Prefetcher::work() {
  for (;;) {
    const std::size_t index = next_.fetch_add(1);
    if (index >= uris_.size()) return;
    {
      std::unique_lock lock(mutex_);
      moved_.wait(lock, [&] { return stop_ || index < used_ + window_; });
      if (stop_) return;
    }
    if (is_remote(uris_[index])) (void)local_path(uris_[index]);  // errors: the reader reports them
  }
}

}  // namespace logoscope::storage
