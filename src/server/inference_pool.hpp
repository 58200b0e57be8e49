// server/inference_pool.hpp — a fixed set of inference workers behind a bounded queue.
//
// HTTP threads parse requests and hand the detection to try_submit(); when `queue_capacity` jobs
// already wait, try_submit refuses at once (the server answers 429 / ThrottlingException) instead
// of letting latency pile up. Workers × threads per worker should not exceed the cores.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace logoscope::server {

class InferencePool {
 public:
  InferencePool(int workers, std::size_t queue_capacity);
  /// Finishes every queued job, then joins the workers.
  ~InferencePool();
  InferencePool(const InferencePool&) = delete;
  InferencePool& operator=(const InferencePool&) = delete;

  /// Queues `job` to run on a worker; false when the queue is full or the pool is shutting down.
  /// A job must not throw (exceptions are caught and dropped with a log line).
  bool try_submit(std::function<void()> job);

  /// Jobs waiting (not yet running).
  [[nodiscard]] std::size_t queued() const;
  /// Jobs running now.
  [[nodiscard]] std::size_t running() const;
  [[nodiscard]] int workers() const { return static_cast<int>(threads_.size()); }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

  /// Stops accepting, lets queued jobs finish and joins the workers. Idempotent.
  void shutdown();

 private:
  void work();

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace logoscope::server
