#include "core/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

namespace logoscope {

namespace {

// Jiffies the machine spent (all, idle) since boot, from the first line of /proc/stat.
bool cpu_jiffies(unsigned long long& total, unsigned long long& idle) {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle_time = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle_time >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return false;
  total = user + nice + system + idle_time + iowait + irq + softirq + steal;
  idle = idle_time + iowait;
  return true;
}

}  // namespace

int available_thread_count(int sample_ms, double* busy) {
  const int cores = default_thread_count();
  unsigned long long total0 = 0, idle0 = 0, total1 = 0, idle1 = 0;
  if (!cpu_jiffies(total0, idle0)) return cores;
  std::this_thread::sleep_for(std::chrono::milliseconds(sample_ms));
  if (!cpu_jiffies(total1, idle1) || total1 <= total0) return cores;
  const double busy_fraction = 1.0 - static_cast<double>(idle1 - idle0) / static_cast<double>(total1 - total0);
  const double busy_cores = busy_fraction * cores;
  if (busy != nullptr) *busy = busy_cores;
  return std::clamp(cores - static_cast<int>(std::lround(busy_cores)), 1, cores);
}

int choose_thread_count(int requested) {
  if (requested > 0) return requested;
  double busy = 0;
  const int threads = available_thread_count(100, &busy);
  if (threads < default_thread_count()) {
    spdlog::info("other work keeps {:.1f} of {} cores busy: using {} thread{} (--threads N to choose)", busy,
                 default_thread_count(), threads, threads == 1 ? "" : "s");
  }
  return threads;
}

int default_thread_count() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void parallel_for(std::size_t count, int threads, const std::function<void(std::size_t)>& fn) {
  if (count == 0) return;
  const std::size_t workers =
      std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, threads)));
  std::atomic<std::size_t> next{0};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
      }
    }
  };
  if (workers == 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
    work();
    for (auto& thread : pool) thread.join();
  }
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace logoscope
