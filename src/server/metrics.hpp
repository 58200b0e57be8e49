// server/metrics.hpp — the server's counters in Prometheus' text exposition format (GET /metrics).
//
//   logoscope_requests_total{operation, status}     requests answered, by operation and HTTP status
//   logoscope_errors_total{operation, type}         error answers by AWS-style type
//   logoscope_request_seconds{operation}            latency histogram (receipt of the body → answer)
//   logoscope_inference_queue_depth / _running / _capacity, logoscope_model_load_seconds{model},
//   logoscope_model_running{model}
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace logoscope::server {

class Metrics {
 public:
  /// Records one answered request.
  void record(const std::string& operation, int http_status, double seconds);
  /// Records an error answer of AWS-style `type` (e.g. "ThrottlingException").
  void record_error(const std::string& operation, const std::string& type);

  struct Gauges {
    std::size_t queue_depth = 0;
    std::size_t running = 0;
    std::size_t capacity = 0;
    int workers = 0;
    std::vector<std::pair<std::string, double>> model_load_seconds;  ///< running models
    std::vector<std::pair<std::string, bool>> model_running;
    /// Connections turned away before a request was handled, by reason (http/guarded_server.hpp):
    /// head_timeout, head_too_large, per_address_cap, connection_cap.
    std::vector<std::pair<std::string, std::size_t>> connections_refused;
  };
  /// The whole exposition text.
  [[nodiscard]] std::string render(const Gauges& gauges) const;

  /// Upper bounds of the latency buckets, seconds.
  static constexpr std::array<double, 12> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                                      0.5,   1.0,  2.5,   5.0,  10.0, 30.0};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> errors_;
  std::map<std::string, Histogram> latency_;
};

}  // namespace logoscope::server
