#include "core/progress.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "core/logging.hpp"

namespace logoscope {

std::string format_duration(double seconds) {
  if (seconds < 0) seconds = 0;
  const auto total = static_cast<long long>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof(buffer), "%lld:%02lld:%02lld", total / 3600, (total / 60) % 60,
                  total % 60);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%lld:%02lld", total / 60, total % 60);
  }
  return buffer;
}

Progress::Progress(std::string label, std::int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      terminal_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::int64_t steps) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += steps;
  draw_locked(false);
}

void Progress::set_status(std::string status) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  status_ = std::move(status);
}

void Progress::finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw_locked(true);
}

void Progress::draw_locked(bool final_draw) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double fraction =
      total_ > 0 ? std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_)) : 0.0;
  std::string eta = "?";
  if (final_draw) {
    eta = format_duration(elapsed);
  } else if (rate > 0 && total_ > 0) {
    eta = format_duration(static_cast<double>(total_ - done_) / rate);
  }
  if (terminal_) {
    if (!final_draw && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 28;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '.');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld %3d%% %.1f it/s %s %s %s\x1b[K", label_.c_str(),
                 bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_),
                 static_cast<int>(fraction * 100), rate, final_draw ? "took" : "ETA", eta.c_str(),
                 status_.c_str());
    if (final_draw) std::fputc('\n', stderr);
    std::fflush(stderr);
    return;
  }
  const int decile = static_cast<int>(fraction * 10);
  if (final_draw || decile > last_decile_) {
    last_decile_ = decile;
    if (final_draw && done_ == 0) return;
    spdlog::info("{}: {}/{} ({}%) {} {} {}", label_, done_, total_, static_cast<int>(fraction * 100),
                 final_draw ? "took" : "ETA", eta, status_);
  }
}

}  // namespace logoscope
