#include "dataset/validate.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "core/paths.hpp"
#include "core/progress.hpp"
#include "core/thread_pool.hpp"
#include "imageio/image_io.hpp"

namespace logoscope::dataset {

namespace {

struct ImageCheck {
  bool remote = false;
  bool readable = false;
  std::uint64_t hash = 0;
  int width = 0;
  int height = 0;
  Error error{ErrorCode::kIo, ""};
};

ImageCheck check_image(const std::string& path, const ValidateOptions& options) {
  ImageCheck check;
  check.remote = is_s3_uri(path);  // read through storage/ like a local file
  auto bytes = imageio::read_file_bytes(path);
  if (!bytes) {
    check.error = bytes.error();
    return check;
  }
  check.hash = fnv1a64(*bytes);
  if (options.decode_images) {
    imageio::DecodeOptions decode;
    decode.max_pixels = options.max_pixels;
    auto decoded = imageio::decode_image_bytes(*bytes, path, decode);
    if (!decoded) {
      check.error = decoded.error();
      return check;
    }
    check.width = decoded->rgb.cols;
    check.height = decoded->rgb.rows;
  } else {
    auto info = imageio::probe_image_bytes(*bytes, path);
    if (!info) {
      check.error = info.error();
      return check;
    }
    if (info->pixel_count() > options.max_pixels) {
      check.error = {ErrorCode::kTooLarge,
                     fmt::format("{}: {}x{} pixels is over the limit of {} pixels", path,
                                 info->stored_width, info->stored_height, options.max_pixels)};
      return check;
    }
    check.width = info->width();
    check.height = info->height();
  }
  check.readable = true;
  return check;
}

std::string box_text(const Box& box, const Dataset& dataset) {
  const std::string label = box.label >= 0 && static_cast<std::size_t>(box.label) < dataset.labels.size()
                                ? dataset.labels[static_cast<std::size_t>(box.label)]
                                : std::to_string(box.label);
  return fmt::format("{} box [x0={:g}, y0={:g}, x1={:g}, y1={:g}] (w={:g}, h={:g})", label, box.x0,
                     box.y0, box.x1, box.y1, box.width(), box.height());
}

class Checker {
 public:
  Checker(const Dataset& dataset, const std::string& file, const ValidateOptions& options,
          ValidationReport& report)
      : dataset_(dataset), file_(file), options_(options), report_(report) {}

  void add(Severity severity, const char* kind, const Sample& sample, std::string field,
           std::string message) {
    Problem problem;
    problem.severity = severity;
    problem.kind = kind;
    problem.where = sample.source;
    if (problem.where.file.empty()) problem.where.file = file_;
    problem.field = std::move(field);
    problem.image = sample.image;
    problem.message = std::move(message);
    report_.problems.push_back(std::move(problem));
  }

  // Checks one sample's boxes against the image size; returns the boxes to keep for --fix.
  std::vector<Box> check_boxes(const Sample& sample, int width, int height, bool reader_saw_degenerate) {
    std::vector<Box> kept;
    for (std::size_t box_idx = 0; box_idx < sample.boxes.size(); ++box_idx) {
      const Box& box = sample.boxes[box_idx];
      const std::string field = fmt::format("box {}", box_idx);
      if (!(box.width() > 0) || !(box.height() > 0)) {
        if (!reader_saw_degenerate) {
          add(Severity::kError, "degenerate_box", sample, field,
              fmt::format("{} has no area", box_text(box, dataset_)));
        }
        continue;
      }
      Box fixed = box;
      if (width > 0 && height > 0) {
        const double w = width;
        const double h = height;
        if (box.x1 <= 0 || box.y1 <= 0 || box.x0 >= w || box.y0 >= h) {
          add(Severity::kError, "box_outside_image", sample, field,
              fmt::format("{} lies entirely outside the {}x{} image", box_text(box, dataset_), width, height));
          continue;
        }
        if (box.x0 < 0 || box.y0 < 0 || box.x1 > w || box.y1 > h) {
          fixed.x0 = std::clamp(box.x0, 0.0, w);
          fixed.y0 = std::clamp(box.y0, 0.0, h);
          fixed.x1 = std::clamp(box.x1, 0.0, w);
          fixed.y1 = std::clamp(box.y1, 0.0, h);
          add(Severity::kWarning, "box_outside_image", sample, field,
              fmt::format("{} extends outside the {}x{} image; clipped to [{:g}, {:g}, {:g}, {:g}]",
                          box_text(box, dataset_), width, height, fixed.x0, fixed.y0, fixed.x1, fixed.y1));
        }
      }
      if (std::min(fixed.width(), fixed.height()) < options_.min_box_side) {
        add(Severity::kWarning, "box_too_small", sample, field,
            fmt::format("{} is smaller than {:g} px on a side: too small to detect reliably",
                        box_text(fixed, dataset_), options_.min_box_side));
      }
      bool duplicate = false;
      for (std::size_t kept_idx = 0; kept_idx < kept.size(); ++kept_idx) {
        if (kept[kept_idx].label == fixed.label && box_iou(kept[kept_idx], fixed) >= options_.duplicate_box_iou) {
          add(Severity::kWarning, "duplicate_box", sample, field,
              fmt::format("{} duplicates an earlier box of the same image (IoU {:.2f})",
                          box_text(box, dataset_), box_iou(kept[kept_idx], fixed)));
          duplicate = true;
          break;
        }
      }
      if (!duplicate) kept.push_back(fixed);
    }
    return kept;
  }

 private:
  const Dataset& dataset_;
  const std::string& file_;
  const ValidateOptions& options_;
  ValidationReport& report_;
};

std::vector<ImageCheck> check_images(const Dataset& dataset, const ValidateOptions& options,
                                     const std::string& label) {
  std::vector<ImageCheck> checks(dataset.samples.size());
  Progress progress(label, static_cast<std::int64_t>(checks.size()), options.progress);
  const int threads = options.threads > 0 ? options.threads : default_thread_count();
  parallel_for(checks.size(), threads, [&](std::size_t i) {
    checks[i] = check_image(dataset.samples[i].image, options);
    progress.advance();
  });
  progress.finish();
  return checks;
}

}  // namespace

std::int64_t ValidationReport::error_count() const {
  return std::count_if(problems.begin(), problems.end(),
                       [](const Problem& p) { return p.severity == Severity::kError; });
}

std::int64_t ValidationReport::warning_count() const {
  return static_cast<std::int64_t>(problems.size()) - error_count();
}

ValidationReport validate_dataset(const Dataset& dataset, const std::string& dataset_file,
                                  const Problems& reader_problems, const ValidateOptions& options,
                                  const Dataset* other, const std::string& other_file) {
  ValidationReport report;
  report.summary = summarize_dataset(dataset);
  report.problems = reader_problems;
  Checker checker(dataset, dataset_file, options, report);

  std::set<std::string> images_with_reader_degenerate;
  for (const auto& problem : reader_problems) {
    if (problem.kind == "degenerate_box") images_with_reader_degenerate.insert(problem.image);
  }

  if (dataset.samples.empty()) {
    Problem problem;
    problem.kind = "empty_dataset";
    problem.where.file = dataset_file;
    problem.message = "the dataset has no images";
    report.problems.push_back(problem);
  }

  const auto checks = check_images(dataset, options, "checking images");
  std::unordered_map<std::uint64_t, std::size_t> first_by_hash;
  std::unordered_map<std::string, std::size_t> first_by_path;
  Dataset cleaned;
  cleaned.labels = dataset.labels;

  for (std::size_t sample_idx = 0; sample_idx < dataset.samples.size(); ++sample_idx) {
    const Sample& sample = dataset.samples[sample_idx];
    const ImageCheck& check = checks[sample_idx];
    bool keep = true;

    const auto [path_it, path_new] = first_by_path.emplace(sample.image, sample_idx);
    if (!path_new) {
      const auto& first = dataset.samples[path_it->second];
      checker.add(Severity::kWarning, "duplicate_entry", sample, "",
                  fmt::format("the image is listed again (first at line {})", first.source.line));
      keep = false;
    }

    int width = sample.width;
    int height = sample.height;
    if (check.remote) ++report.images_remote;
    ++report.images_checked;
    if (!check.readable) {
      ++report.images_unreadable;
      const bool missing = check.error.code == ErrorCode::kNotFound;
      const bool refused = check.error.code == ErrorCode::kAccessDenied;
      checker.add(Severity::kError, missing ? "missing_image" : refused ? "access_denied" : "undecodable_image", sample,
                  "", check.error.message);
      keep = false;
    } else {
      if ((sample.width > 0 && sample.width != check.width) ||
          (sample.height > 0 && sample.height != check.height)) {
        checker.add(Severity::kWarning, "image_size_mismatch", sample, "image_size",
                    fmt::format("the dataset says {}x{} but the image is {}x{} (as displayed)",
                                sample.width, sample.height, check.width, check.height));
      }
      width = check.width;
      height = check.height;
      if (path_new) {
        const auto [hash_it, hash_new] = first_by_hash.emplace(check.hash, sample_idx);
        if (!hash_new) {
          const auto& first = dataset.samples[hash_it->second];
          checker.add(Severity::kWarning, "duplicate_image", sample, "",
                      fmt::format("same content as {} (line {})", first.image, first.source.line));
          keep = false;
        }
      }
    }

    auto boxes = checker.check_boxes(sample, width, height,
                                     images_with_reader_degenerate.count(sample.image) > 0);
    if (keep && options.build_cleaned) {
      Sample fixed = sample;
      fixed.width = width;
      fixed.height = height;
      fixed.boxes = std::move(boxes);
      cleaned.samples.push_back(std::move(fixed));
    }
  }

  if (other != nullptr) {
    std::unordered_map<std::string, std::size_t> other_paths;
    for (std::size_t i = 0; i < other->samples.size(); ++i) other_paths.emplace(other->samples[i].image, i);
    ValidateOptions hash_only = options;
    hash_only.decode_images = false;
    const auto other_checks = check_images(*other, hash_only, "checking test images");
    std::unordered_map<std::uint64_t, std::size_t> other_hashes;
    for (std::size_t i = 0; i < other_checks.size(); ++i) {
      if (other_checks[i].readable) other_hashes.emplace(other_checks[i].hash, i);
    }
    for (std::size_t sample_idx = 0; sample_idx < dataset.samples.size(); ++sample_idx) {
      const Sample& sample = dataset.samples[sample_idx];
      auto found = other_paths.find(sample.image);
      std::string how = "the same file";
      if (found == other_paths.end() && checks[sample_idx].readable) {
        const auto by_hash = other_hashes.find(checks[sample_idx].hash);
        if (by_hash != other_hashes.end()) {
          found = other_paths.find(other->samples[by_hash->second].image);
          how = "the same content";
        }
      }
      if (found == other_paths.end()) continue;
      const Sample& twin = other->samples[found->second];
      checker.add(Severity::kError, "train_test_overlap", sample, "",
                  fmt::format("{} is also in the test set as {} ({}:{}): test results would be "
                              "optimistic",
                              how, twin.image, other_file, twin.source.line));
    }
  }

  if (options.build_cleaned) report.cleaned = std::move(cleaned);
  return report;
}

nlohmann::json problem_to_json(const Problem& problem) {
  nlohmann::json json = {{"severity", severity_name(problem.severity)},
                         {"kind", problem.kind},
                         {"file", problem.where.file},
                         {"message", problem.message}};
  if (problem.where.line > 0) json["line"] = problem.where.line;
  if (!problem.field.empty()) json["field"] = problem.field;
  if (!problem.image.empty()) json["image"] = problem.image;
  return json;
}

nlohmann::json report_to_json(const ValidationReport& report) {
  nlohmann::json problems = nlohmann::json::array();
  std::map<std::string, std::int64_t> by_kind;
  for (const auto& problem : report.problems) {
    problems.push_back(problem_to_json(problem));
    ++by_kind[problem.kind];
  }
  return {{"summary", summary_to_json(report.summary)},
          {"images_checked", report.images_checked},
          {"images_unreadable", report.images_unreadable},
          {"images_remote", report.images_remote},
          {"errors", report.error_count()},
          {"warnings", report.warning_count()},
          {"problems_by_kind", by_kind},
          {"problems", problems}};
}

std::string format_report(const ValidationReport& report, std::size_t max_per_kind) {
  std::ostringstream out;
  out << format_summary(report.summary);
  out << fmt::format("images opened: {} ({} unreadable){}\n", report.images_checked,
                     report.images_unreadable,
                     report.images_remote > 0 ? fmt::format(", {} of them from S3", report.images_remote) : "");
  if (report.problems.empty()) {
    out << "no problems found\n";
    return out.str();
  }
  std::map<std::string, std::vector<const Problem*>> by_kind;
  for (const auto& problem : report.problems) by_kind[problem.kind].push_back(&problem);
  out << fmt::format("{} errors, {} warnings:\n", report.error_count(), report.warning_count());
  for (const auto& [kind, problems] : by_kind) {
    out << fmt::format("  {} ({}):\n", kind, problems.size());
    for (std::size_t i = 0; i < problems.size() && i < max_per_kind; ++i) {
      out << "    " << format_problem(*problems[i]) << "\n";
    }
    if (problems.size() > max_per_kind) {
      out << fmt::format("    … and {} more (--json lists all)\n", problems.size() - max_per_kind);
    }
  }
  return out.str();
}

}  // namespace logoscope::dataset
