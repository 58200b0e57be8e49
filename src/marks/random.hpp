// marks/random.hpp — the seeded random numbers behind every generated pixel (internal).
//
// Only std::mt19937_64 (whose output the C++ standard fixes) and arithmetic written here are
// used: std::uniform_*_distribution and std::normal_distribution are implementation-defined,
// and OpenCV's cv::theRNG() is per-thread global state, so neither may decide a sample.
//
// Thread safety: an Rng is used by one thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"

namespace logoscope::marks {

/// splitmix64's finaliser (Steele, Lea, Flood, OOPSLA 2014): a well-mixed 64-bit value.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t bits() { return engine_(); }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * (static_cast<double>(engine_() >> 11) / 9007199254740992.0);
  }
  /// Uniform integer in [lo, hi] (inclusive). Requires lo <= hi.
  int uniform_int(int lo, int hi) {
    LOGOSCOPE_CHECK(lo <= hi);
    return lo + static_cast<int>(engine_() % (static_cast<std::uint64_t>(hi - lo) + 1));
  }
  bool chance(double p) { return uniform(0, 1) < p; }
  /// exp(uniform(log lo, log hi)). Requires 0 < lo <= hi.
  double log_uniform(double lo, double hi) { return std::exp(uniform(std::log(lo), std::log(hi))); }
  /// Gaussian (Box–Muller).
  double normal(double mean, double sigma) {
    const double u1 = uniform(1e-12, 1.0);
    const double u2 = uniform(0.0, 1.0);
    return mean + sigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * CV_PI * u2);
  }
  /// Index drawn with probability proportional to weights[i]. Requires a positive sum.
  std::size_t weighted(const std::vector<double>& weights) {
    double total = 0;
    for (const double w : weights) total += w;
    LOGOSCOPE_CHECK(total > 0);
    double pick = uniform(0, total);
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (pick < weights[i]) return i;
      pick -= weights[i];
    }
    return weights.size() - 1;
  }
  /// A fresh seed for an OpenCV cv::RNG (whose fill() is deterministic for a given state).
  cv::RNG cv_rng() { return cv::RNG(engine_() | 1U); }

  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

/// Sets this thread's cv::theRNG() to a known state for its lifetime and restores it after, so
/// that library code drawing from it (cv::randn in synth and augment) is deterministic.
class ScopedOpenCvRng {
 public:
  explicit ScopedOpenCvRng(std::uint64_t seed) : saved_(cv::theRNG().state) {
    cv::theRNG().state = seed | 1U;
  }
  ~ScopedOpenCvRng() { cv::theRNG().state = saved_; }
  ScopedOpenCvRng(const ScopedOpenCvRng&) = delete;
  ScopedOpenCvRng& operator=(const ScopedOpenCvRng&) = delete;

 private:
  std::uint64_t saved_;
};

}  // namespace logoscope::marks
