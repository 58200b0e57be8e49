// dataset/formats.hpp — readers and writers for every dataset format logoscope speaks.
//
// Formats and their box conventions (converted to logoscope's xyxy pixels at this boundary):
//   * manifest — SageMaker Ground Truth object-detection JSON Lines, exactly as Amazon Rekognition
//                Custom Labels imports them: `source-ref`, a free attribute name `<attr>` holding
//                `image_size` + `annotations` (left/top/width/height, pixels, class_id) and its
//                required `<attr>-metadata` twin with `class-map` and `objects`. Relative
//                `source-ref` resolves against the manifest's folder; s3:// refs stay URIs.
//   * coco     — COCO JSON; bbox = [x, y, w, h] pixels; iscrowd=1 → Box::ignore.
//   * yolo     — a folder with images/ and labels/ (or a data.yaml); one `class cx cy w h` line
//                per box, normalised to the image size; names from data.yaml, classes.txt or
//                obj.names.
//   * voc      — Pascal VOC XML (a folder with Annotations/, a folder of .xml, or one .xml);
//                1-based inclusive pixel corners: x0 = xmin - 1, x1 = xmax.
//
// Readers never throw on bad records: a bad line, an unknown class id or a NaN coordinate becomes
// a Problem naming the file, line and field, and reading goes on. They fail (Result error) only
// when the input as a whole is unusable (missing, unreadable, not this format at all).
// Degenerate boxes are kept (and reported) so that a conversion never drops data silently;
// boxes with non-finite coordinates cannot be represented and are dropped with an error.
// Writers never modify the input files; they refuse to write over an input file.
//
// Thread safety: reentrant.
#pragma once

#include <optional>
#include <string>

#include "logoscope/dataset.hpp"
#include "logoscope/problems.hpp"
#include "logoscope/result.hpp"

namespace logoscope::dataset {

enum class DatasetFormat { kManifest, kCoco, kYolo, kVoc };

const char* dataset_format_name(DatasetFormat format);
/// "manifest" | "gt" | "coco" | "yolo" | "voc" (case-insensitive).
Result<DatasetFormat> parse_dataset_format(const std::string& name);
/// From the path: *.manifest|*.jsonl → manifest, *.json → coco, *.yaml|*.yml → yolo, *.xml → voc;
/// a folder with Annotations/ or *.xml → voc, with labels/ → yolo.
Result<DatasetFormat> detect_dataset_format(const std::string& path);

/// From the extension alone (the path need not exist): the file rules of detect_dataset_format.
Result<DatasetFormat> format_from_extension(const std::string& path);

struct ReadOptions {
  /// Probe image headers for missing sizes (YOLO always needs them to de-normalise).
  bool probe_missing_sizes = true;
  /// The caller wants the images, not their labels (detect's and dataset next's inputs): a
  /// manifest line with a source-ref and no `X-metadata` key — a Ground Truth input manifest, or
  /// `logoscope frames`'s frames.manifest — is an image without boxes instead of a problem.
  bool images_only = false;
};

struct WriteOptions {
  std::string manifest_attribute = "bounding-box";  ///< `<attr>` name in manifests
  std::string job_name = "logoscope";               ///< manifest metadata job-name
  /// YOLO: how images appear under OUT/images/: symlinks (default) or copies.
  bool copy_images = false;
};

/// Reads a dataset in `format` (detected from the path when absent). Problems are appended.
Result<Dataset> read_dataset(const std::string& path, std::optional<DatasetFormat> format,
                             Problems& problems, const ReadOptions& options = {});

/// Writes `dataset` to `path` in `format`. For yolo and voc `path` is a folder.
/// Image paths are written relative to the output's folder when the image lies under it,
/// else absolute; s3:// URIs are written as they are.
Status write_dataset(const Dataset& dataset, const std::string& path, DatasetFormat format,
                     const WriteOptions& options = {});

// Per-format entry points (read_dataset/write_dataset dispatch to these).
Result<Dataset> read_manifest(const std::string& path, Problems& problems, const ReadOptions& options);
Status write_manifest(const Dataset& dataset, const std::string& path, const WriteOptions& options);
Result<Dataset> read_coco(const std::string& path, Problems& problems, const ReadOptions& options);
Status write_coco(const Dataset& dataset, const std::string& path, const WriteOptions& options);
Result<Dataset> read_yolo(const std::string& path, Problems& problems, const ReadOptions& options);
Status write_yolo(const Dataset& dataset, const std::string& path, const WriteOptions& options);
Result<Dataset> read_voc(const std::string& path, Problems& problems, const ReadOptions& options);
Status write_voc(const Dataset& dataset, const std::string& path, const WriteOptions& options);

}  // namespace logoscope::dataset
