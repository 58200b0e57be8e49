#include "server/metrics.hpp"

#include <fmt/format.h>

namespace logoscope::server {

namespace {

// Prometheus label values escape backslash, double quote and line feed.
std::string label_value(const std::string& text) {
  std::string escaped;
  for (const char c : text) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

}  // namespace

void Metrics::record(const std::string& operation, int http_status, double seconds) {
  const std::lock_guard lock(mutex_);
  ++requests_[{operation, http_status}];
  auto& histogram = latency_[operation];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++histogram.counts[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::record_error(const std::string& operation, const std::string& type) {
  const std::lock_guard lock(mutex_);
  ++errors_[{operation, type}];
}

std::string Metrics::render(const Gauges& gauges) const {
  const std::lock_guard lock(mutex_);
  std::string text;
  text += "# HELP logoscope_requests_total Requests answered, by operation and HTTP status.\n";
  text += "# TYPE logoscope_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    text += fmt::format("logoscope_requests_total{{operation=\"{}\",status=\"{}\"}} {}\n",
                        label_value(key.first), key.second, count);
  }
  text += "# HELP logoscope_errors_total Error answers, by operation and error type.\n";
  text += "# TYPE logoscope_errors_total counter\n";
  for (const auto& [key, count] : errors_) {
    text += fmt::format("logoscope_errors_total{{operation=\"{}\",type=\"{}\"}} {}\n", label_value(key.first),
                        label_value(key.second), count);
  }
  text += "# HELP logoscope_request_seconds Time from a request's body received to its answer.\n";
  text += "# TYPE logoscope_request_seconds histogram\n";
  for (const auto& [operation, histogram] : latency_) {
    const std::string name = label_value(operation);
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      text += fmt::format("logoscope_request_seconds_bucket{{operation=\"{}\",le=\"{}\"}} {}\n", name,
                          kBuckets[i], histogram.counts[i]);
    }
    text += fmt::format("logoscope_request_seconds_bucket{{operation=\"{}\",le=\"+Inf\"}} {}\n", name,
                        histogram.count);
    text += fmt::format("logoscope_request_seconds_sum{{operation=\"{}\"}} {}\n", name, histogram.sum);
    text += fmt::format("logoscope_request_seconds_count{{operation=\"{}\"}} {}\n", name, histogram.count);
  }
  text += "# HELP logoscope_inference_queue_depth Detections waiting for a worker.\n";
  text += "# TYPE logoscope_inference_queue_depth gauge\n";
  text += fmt::format("logoscope_inference_queue_depth {}\n", gauges.queue_depth);
  text += "# HELP logoscope_inference_running Detections running on a worker now.\n";
  text += "# TYPE logoscope_inference_running gauge\n";
  text += fmt::format("logoscope_inference_running {}\n", gauges.running);
  text += "# HELP logoscope_inference_queue_capacity Waiting detections beyond which requests get 429.\n";
  text += "# TYPE logoscope_inference_queue_capacity gauge\n";
  text += fmt::format("logoscope_inference_queue_capacity {}\n", gauges.capacity);
  text += "# HELP logoscope_inference_workers Inference workers.\n";
  text += "# TYPE logoscope_inference_workers gauge\n";
  text += fmt::format("logoscope_inference_workers {}\n", gauges.workers);
  text += "# HELP logoscope_model_load_seconds How long the model took to load.\n";
  text += "# TYPE logoscope_model_load_seconds gauge\n";
  for (const auto& [model, seconds] : gauges.model_load_seconds) {
    text += fmt::format("logoscope_model_load_seconds{{model=\"{}\"}} {}\n", label_value(model), seconds);
  }
  text += "# HELP logoscope_model_running 1 when the model answers requests.\n";
  text += "# TYPE logoscope_model_running gauge\n";
  for (const auto& [model, running] : gauges.model_running) {
    text += fmt::format("logoscope_model_running{{model=\"{}\"}} {}\n", label_value(model), running ? 1 : 0);
  }
  text += "# HELP logoscope_connections_refused_total Connections turned away before a request was handled.\n";
  text += "# TYPE logoscope_connections_refused_total counter\n";
  for (const auto& [reason, count] : gauges.connections_refused) {
    text += fmt::format("logoscope_connections_refused_total{{reason=\"{}\"}} {}\n", label_value(reason), count);
  }
  return text;
}

}  // namespace logoscope::server
