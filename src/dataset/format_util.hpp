// dataset/format_util.hpp — helpers shared by the four dataset format readers and writers.
//
// Internal to src/dataset (not installed). Defined in formats.cpp. Problem kinds reported here
// ("non_finite_coordinate", "negative_coordinate", "degenerate_box", "missing_field",
// "non_numeric_field") are documented in docs/dataset-formats.md.
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "logoscope/dataset.hpp"
#include "logoscope/problems.hpp"
#include "logoscope/result.hpp"

namespace logoscope::dataset::detail {

// ---- text ------------------------------------------------------------------------------------

std::string trim(std::string_view text);
std::string to_lower(std::string_view text);
/// Lines of `text` without their "\n" / "\r\n" terminators (a final empty line is not returned).
std::vector<std::string> split_lines(std::string_view text);
/// Shortest decimal form that reads back to the same double: "10", "2.5", "nan", "-inf".
std::string format_number(double value);
/// `text` in double quotes, cut to about 60 characters, for messages.
std::string quoted(std::string_view text);
/// Lower-case extension with the dot (".jpg"), "" when none.
std::string extension_of(const std::string& path);
/// UTC time as ISO 8601 without zone suffix, like Ground Truth writes it ("2024-05-01T12:30:00").
std::string iso8601_now();

// ---- files -----------------------------------------------------------------------------------

/// The whole file (a leading UTF-8 byte order mark removed). Errors: kNotFound (missing or a
/// folder), kIo. Messages name `path`.
Result<std::string> read_text_file(const std::string& path);
/// Creates the parent folders, writes `content` to a temporary sibling and renames it over `path`.
/// Errors: kIo naming the path.
Status write_file_atomic(const std::string& path, std::string_view content);

// ---- problems --------------------------------------------------------------------------------

/// Where a record sits: the dataset file, its 1-based line (0 when not line-based) and the image.
struct RecordRef {
  std::string file;
  int line = 0;
  std::string image;
};

void add_problem(Problems& problems, Severity severity, std::string kind, const RecordRef& ref,
                 std::string field, std::string message);

/// A named raw value from a record, e.g. {"left", 12}.
struct NamedValue {
  std::string_view name;
  double value;
};

/// Reports each non-finite value as an error "non_finite_coordinate" (field prefix + name).
/// Returns false when any was non-finite: the box cannot be represented and must be dropped.
bool check_finite(std::initializer_list<NamedValue> values, const RecordRef& ref,
                  const std::string& field_prefix, Problems& problems);
/// Reports each negative value as a warning "negative_coordinate" (the box is kept).
void check_non_negative(std::initializer_list<NamedValue> values, const RecordRef& ref,
                        const std::string& field_prefix, Problems& problems);
/// Reports a box with width or height <= 0 as an error "degenerate_box" (the box is kept).
void check_box_shape(const Box& box, const RecordRef& ref, const std::string& field, Problems& problems);

// ---- JSON (manifest and COCO) ------------------------------------------------------------------

/// Parses JSON that may hold the bare tokens NaN, Infinity and -Infinity (Python's json module
/// writes them): they become the strings "NaN", "Infinity", "-Infinity", which json_number_field
/// reports as non-finite. Errors: kParse naming `name`, the line and column.
Result<nlohmann::json> parse_json_lenient(std::string_view text, const std::string& name);

/// Reads `value` (nullptr when absent) as a number; `name` is how messages call it and `field` the
/// full field path. Reports "missing_field", "non_numeric_field" (a string, bool, …; a non-integer
/// when `integer`) or, for a non-finite value, "non_finite_coordinate" when `coordinate` else
/// "non_numeric_field". Returns nullopt after reporting.
std::optional<double> json_number(const nlohmann::json* value, std::string_view name, const RecordRef& ref,
                                  const std::string& field, bool coordinate, bool integer,
                                  Problems& problems);
/// json_number on object[key], with field = field_prefix + key.
std::optional<double> json_number_field(const nlohmann::json& object, const char* key, const RecordRef& ref,
                                        const std::string& field_prefix, bool coordinate, bool integer,
                                        Problems& problems);
/// Reads object["width"] and object["height"] as an image size. Returns nullopt when either is
/// absent or 0 (unknown: the caller probes) or unusable; an unusable value (not a non-negative
/// integer) is reported as a warning "invalid_image_size" with field = field_prefix + key.
std::optional<std::pair<int, int>> json_image_size(const nlohmann::json& object, const RecordRef& ref,
                                                   const std::string& field_prefix, Problems& problems);
/// True when object[key] is true or a nonzero number (flags such as COCO's iscrowd).
bool json_flag(const nlohmann::json& object, const char* key);
/// A JSON value shortened for messages.
std::string json_brief(const nlohmann::json& value);
/// A pixel value for writing: an integer when integral, else a double.
nlohmann::ordered_json json_pixel_value(double value);

// ---- writers ---------------------------------------------------------------------------------

/// The files a writer must never replace: every local image of the dataset and every record file
/// its samples were read from (Sample::source.file).
class InputFiles {
 public:
  explicit InputFiles(const Dataset& dataset);
  /// True when `path` (following symlinks) is one of them.
  [[nodiscard]] bool contains(const std::string& path) const;
  /// kInvalidArgument naming `path` when contains(path).
  [[nodiscard]] Status check_writable(const std::string& path) const;

 private:
  std::set<std::pair<std::uint64_t, std::uint64_t>> inodes_;  // (device, inode) of existing files
  std::set<std::string> paths_;                               // normalised absolute paths
};

/// kInvalidArgument when a box has a label outside dataset.labels or a non-finite coordinate.
Status check_dataset_for_writing(const Dataset& dataset);
/// Fills the size of every local sample that has none from its image header; unreadable images
/// keep 0 (validation reports them).
void probe_missing_sizes(Dataset& dataset);
/// The sample's size, probed from the image header when the sample has none and the image is a
/// readable local file; nullopt when still unknown.
std::optional<std::pair<int, int>> size_for_writing(const Sample& sample);
/// One file stem per sample for writers that name files after images (YOLO labels, VOC XML):
/// the image's stem, with "_1", "_2", … appended on collisions (compared case-insensitively, in
/// sample order), so the result is deterministic.
std::vector<std::string> unique_stems(const Dataset& dataset);
/// Coordinates rounded to whole pixels (VOC, manifest): corners rounded independently so that
/// integer boxes pass unchanged.
struct PixelBox {
  long long x0, y0, x1, y1;
};
PixelBox round_box(const Box& box);

}  // namespace logoscope::dataset::detail
