#include "server/inference_pool.hpp"

#include <exception>

#include <spdlog/spdlog.h>

namespace logoscope::server {

InferencePool::InferencePool(int workers, std::size_t queue_capacity) : capacity_(queue_capacity) {
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { work(); });
}

InferencePool::~InferencePool() {
  shutdown();
}

bool InferencePool::try_submit(std::function<void()> job) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ || jobs_.size() >= capacity_) return false;
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

std::size_t InferencePool::queued() const {
  const std::lock_guard lock(mutex_);
  return jobs_.size();
}

std::size_t InferencePool::running() const {
  const std::lock_guard lock(mutex_);
  return running_;
}

void InferencePool::shutdown() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void InferencePool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++running_;
    }
    try {
      job();
    } catch (const std::exception& error) {
      spdlog::error("inference job failed: {}", error.what());
    } catch (...) {
      spdlog::error("inference job failed");
    }
    const std::lock_guard lock(mutex_);
    --running_;
  }
}

}  // namespace logoscope::server
