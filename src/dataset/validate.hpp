// dataset/validate.hpp — check a dataset before training on it, and optionally clean it.
//
// validate_dataset opens every local image (decoding it fully by default, so truncated and
// corrupt files are caught), compares what the dataset says with what the files hold, and checks
// every box. It never throws per file: every finding becomes a Problem with the dataset file,
// line, field and value. Problem kinds it adds (see docs/dataset-validation.md):
//   missing_image, undecodable_image (error)      image_size_mismatch (warning)
//   degenerate_box (error)                        box_outside_image (warning: clipped; error when
//   duplicate_box (warning)                         entirely outside)
//   box_too_small (warning)                       duplicate_image, duplicate_entry (warning)
//   train_test_overlap (error)                    empty_dataset (error)
// With `cleaned` requested it also builds the fixed copy (--fix): unusable images, degenerate,
// outside and duplicate boxes and duplicate images removed; boxes clipped; sizes corrected.
//
// Thread safety: reentrant; uses `threads` worker threads internally.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataset/stats.hpp"
#include "logoscope/dataset.hpp"
#include "logoscope/problems.hpp"

namespace logoscope::dataset {

struct ValidateOptions {
  bool decode_images = true;      ///< full decode; false reads headers only (faster)
  double min_box_side = 8.0;      ///< px; boxes with a smaller side are flagged too small
  double duplicate_box_iou = 0.9; ///< same-label boxes overlapping this much are duplicates
  std::int64_t max_pixels = 200'000'000;
  int threads = 0;                ///< 0 = all cores
  bool progress = false;          ///< show a progress bar
  bool build_cleaned = false;     ///< fill ValidationReport::cleaned
};

struct ValidationReport {
  DatasetSummary summary;
  std::int64_t images_checked = 0;    ///< local images opened
  std::int64_t images_unreadable = 0; ///< missing or undecodable
  std::int64_t images_remote = 0;     ///< of images_checked, those read from s3://
  Problems problems;                  ///< reader problems first, then validation's, in order
  std::optional<Dataset> cleaned;     ///< when ValidateOptions::build_cleaned

  [[nodiscard]] std::int64_t error_count() const;
  [[nodiscard]] std::int64_t warning_count() const;
};

/// Validates `dataset` (read from `dataset_file`, named in messages). `reader_problems` are the
/// problems found while reading; they are merged into the report. When `other` is given (the
/// test set of a train/test pair), images present in both are reported as train_test_overlap.
ValidationReport validate_dataset(const Dataset& dataset, const std::string& dataset_file,
                                  const Problems& reader_problems, const ValidateOptions& options,
                                  const Dataset* other = nullptr,
                                  const std::string& other_file = {});

nlohmann::json problem_to_json(const Problem& problem);
nlohmann::json report_to_json(const ValidationReport& report);

/// Human summary: counts, problems grouped by kind (first few of each), and the stats table.
std::string format_report(const ValidationReport& report, std::size_t max_per_kind = 10);

}  // namespace logoscope::dataset
