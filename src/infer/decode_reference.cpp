#include "infer/decode_reference.hpp"

#include <algorithm>
#include <cmath>

namespace logoscope::infer {

std::vector<Detection> decode_reference(const HeadOutputView& head, float min_score, int top_k,
                                        double scale_x, double scale_y, int image_w, int image_h) {
  struct Candidate {
    std::size_t location;
    int label;
    float score;
  };
  auto sigmoid = [](float x) { return 1.0F / (1.0F + std::exp(-x)); };
  std::vector<Candidate> candidates;
  for (std::size_t loc = 0; loc < head.locations; ++loc) {
    const float centerness = sigmoid(head.ctr[loc]);
    for (int label = 0; label < head.labels; ++label) {
      const float score = std::sqrt(
          sigmoid(head.cls[loc * static_cast<std::size_t>(head.labels) + static_cast<std::size_t>(label)]) *
          centerness);
      if (score >= min_score) candidates.push_back({loc, label, score});
    }
  }
  if (top_k >= 0 && candidates.size() > static_cast<std::size_t>(top_k)) {
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    candidates.resize(static_cast<std::size_t>(top_k));
  }
  std::vector<Detection> detections;
  for (const Candidate& c : candidates) {
    const float cx = head.centres[2 * c.location];
    const float cy = head.centres[2 * c.location + 1];
    const float* b = head.box + 4 * c.location;
    Detection d;
    d.x0 = std::clamp((cx - b[0]) / scale_x, 0.0, static_cast<double>(image_w));
    d.y0 = std::clamp((cy - b[1]) / scale_y, 0.0, static_cast<double>(image_h));
    d.x1 = std::clamp((cx + b[2]) / scale_x, 0.0, static_cast<double>(image_w));
    d.y1 = std::clamp((cy + b[3]) / scale_y, 0.0, static_cast<double>(image_h));
    d.label = c.label;
    d.score = c.score;
    if (d.x1 > d.x0 && d.y1 > d.y0) detections.push_back(d);
  }
  return detections;
}

}  // namespace logoscope::infer
