#include "render/annotate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

namespace logoscope::render {

cv::Scalar label_colour(int label) {
  static const cv::Scalar kPalette[] = {{230, 25, 75},  {60, 180, 75},  {255, 225, 25}, {0, 130, 200},
                                        {245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230},
                                        {210, 245, 60}, {250, 190, 212}, {0, 128, 128}, {170, 110, 40}};
  const auto count = static_cast<int>(std::size(kPalette));
  return kPalette[((label % count) + count) % count];
}

cv::Mat draw_detections(const cv::Mat& rgb, const std::vector<Detection>& detections,
                        const std::vector<std::string>& label_names) {
  cv::Mat out = rgb.clone();
  const int thickness = std::max(2, static_cast<int>(std::lround(std::max(out.cols, out.rows) / 400.0)));
  const double font_scale = std::max(0.45, std::max(out.cols, out.rows) / 1200.0);
  for (const auto& det : detections) {
    const cv::Scalar colour = label_colour(det.label);
    const cv::Point p0(static_cast<int>(det.x0), static_cast<int>(det.y0));
    const cv::Point p1(static_cast<int>(det.x1), static_cast<int>(det.y1));
    cv::rectangle(out, p0, p1, colour, thickness, cv::LINE_AA);
    const std::string name = det.label >= 0 && static_cast<std::size_t>(det.label) < label_names.size()
                                 ? label_names[static_cast<std::size_t>(det.label)] : std::to_string(det.label);
    const std::string text = fmt::format("{} {:.0f}%", name, det.score * 100.0);
    int baseline = 0;
    const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font_scale, 1, &baseline);
    const int top = std::max(0, p0.y - size.height - baseline - 2);
    cv::rectangle(out, cv::Point(p0.x, top), cv::Point(p0.x + size.width + 4, top + size.height + baseline + 2), colour,
                  cv::FILLED);
    cv::putText(out, text, cv::Point(p0.x + 2, top + size.height), cv::FONT_HERSHEY_SIMPLEX, font_scale,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  return out;
}

}  // namespace logoscope::render
