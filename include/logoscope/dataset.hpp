// logoscope/dataset.hpp — the one in-memory model of a labeled detection dataset.
//
// Every reader (Ground Truth manifest, COCO, YOLO, Pascal VOC) converts into this model and every
// writer converts out of it; nothing else in logoscope knows a file format's conventions.
//
// Box convention inside logoscope: xyxy in pixels of the image as displayed (after EXIF
// orientation), continuous coordinates with (0,0) at the top-left corner of the top-left pixel,
// so a box covering pixel columns 10..19 has x0 = 10, x1 = 20.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace logoscope {

/// An axis-aligned box with a label. Coordinates: xyxy, pixels (see file comment).
struct Box {
  double x0 = 0;
  double y0 = 0;
  double x1 = 0;
  double y1 = 0;
  int label = 0;            ///< index into Dataset::labels
  bool ignore = false;      ///< counts neither as a hit nor a miss in evaluation (COCO iscrowd)
  bool difficult = false;   ///< Pascal VOC "difficult"; evaluation treats it like ignore

  [[nodiscard]] double width() const { return x1 - x0; }
  [[nodiscard]] double height() const { return y1 - y0; }
  [[nodiscard]] double area() const;  ///< 0 for degenerate or inverted boxes
};

/// Where an item came from, for messages: a file and (1-based) line, 0 when not line-based.
struct SourceLocation {
  std::string file;
  int line = 0;
};

/// One image and its boxes.
struct Sample {
  std::string image;   ///< local path (resolved against the dataset file's folder) or s3:// URI
  int width = 0;       ///< pixels as displayed; 0 when the format did not say and nobody probed
  int height = 0;
  std::vector<Box> boxes;
  SourceLocation source;  ///< the record this sample was read from
};

/// A dataset: label names and samples. Box::label indexes `labels`.
struct Dataset {
  std::vector<std::string> labels;
  std::vector<Sample> samples;

  /// Index of `name` in labels, adding it when absent.
  int intern_label(const std::string& name);
  /// Index of `name` in labels, or -1.
  [[nodiscard]] int find_label(const std::string& name) const;
  /// Total number of boxes.
  [[nodiscard]] std::size_t box_count() const;
};

/// Intersection over union of two boxes (0 when either is degenerate).
double box_iou(const Box& a, const Box& b);
/// Fraction of `inner`'s area covered by `outer` (0 when inner is degenerate).
double box_covered_fraction(const Box& inner, const Box& outer);

}  // namespace logoscope
