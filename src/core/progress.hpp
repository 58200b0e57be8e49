// core/progress.hpp — progress reporting for long work.
//
// On a terminal: one redrawn line "label [#####.....] 412/809 51% 3.2 it/s ETA 0:02:03".
// Otherwise: a plain log line at every 10 %, so CI logs stay readable. Silent when disabled.
//
// Thread safety: advance() may be called from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace logoscope {

class Progress {
 public:
  /// `total` 0 means unknown (no ETA). `enabled` false makes every call a no-op.
  Progress(std::string label, std::int64_t total, bool enabled = true);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t steps = 1);
  /// Sets a short status shown after the counters (e.g. "loss 0.41").
  void set_status(std::string status);
  /// Draws the final state and ends the line. Called by the destructor if not called before.
  void finish();

 private:
  void draw_locked(bool final_draw);

  std::string label_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  bool enabled_;
  bool terminal_;
  bool finished_ = false;
  int last_decile_ = -1;
  std::string status_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
};

/// "1:02:03" or "2:03".
std::string format_duration(double seconds);

}  // namespace logoscope
