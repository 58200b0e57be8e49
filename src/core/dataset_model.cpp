#include "logoscope/dataset.hpp"

#include <algorithm>
#include <cmath>

namespace logoscope {

double Box::area() const {
  const double w = x1 - x0;
  const double h = y1 - y0;
  if (!(w > 0) || !(h > 0)) return 0.0;
  return w * h;
}

int Dataset::intern_label(const std::string& name) {
  const int found = find_label(name);
  if (found >= 0) return found;
  labels.push_back(name);
  return static_cast<int>(labels.size()) - 1;
}

int Dataset::find_label(const std::string& name) const {
  const auto it = std::find(labels.begin(), labels.end(), name);
  return it == labels.end() ? -1 : static_cast<int>(it - labels.begin());
}

std::size_t Dataset::box_count() const {
  std::size_t count = 0;
  for (const auto& sample : samples) count += sample.boxes.size();
  return count;
}

namespace {
double intersection_area(const Box& a, const Box& b) {
  const double w = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  const double h = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  if (!(w > 0) || !(h > 0)) return 0.0;
  return w * h;
}
}  // namespace

double box_iou(const Box& a, const Box& b) {
  const double inter = intersection_area(a, b);
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

double box_covered_fraction(const Box& inner, const Box& outer) {
  const double area = inner.area();
  return area > 0 ? intersection_area(inner, outer) / area : 0.0;
}

}  // namespace logoscope
