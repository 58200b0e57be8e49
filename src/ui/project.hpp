// ui/project.hpp — a labeling project: one folder the web UI (`logoscope ui`) works in.
//
//   PROJECT_DIR/project.json      {"format": "logoscope-project", "version": 1, "name", "labels", "served"}
//   PROJECT_DIR/train.manifest    the training set, a Ground Truth manifest (what `train --train` takes)
//   PROJECT_DIR/test.manifest     the test set
//   PROJECT_DIR/images/           images imported through the UI (copied; names kept when free)
//   PROJECT_DIR/models/vN/        model versions (`train --out`), each with evaluation/ (`evaluate --out`)
//
// Every file is an ordinary logoscope file: the CLI trains, evaluates and detects on the project
// without the UI. Image references are paths relative to the project folder ("images/a.jpg").
//
// Edits: each image has a revision; an edit names the revision it was made on and is refused
// (a conflict, with the current boxes) when another edit came first, so two browser tabs never
// overwrite each other silently. Each accepted edit rewrites the manifest atomically before it
// returns. Revisions start from the clock at open, so a tab left open across restarts conflicts
// instead of winning.
//
// Thread safety: every member may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "logoscope/dataset.hpp"
#include "logoscope/result.hpp"

namespace logoscope::ui {

/// A box with its label's name. Coordinates: xyxy, pixels of the image as displayed.
struct NamedBox {
  double x0 = 0;
  double y0 = 0;
  double x1 = 0;
  double y1 = 0;
  std::string label;
};

struct ImageEntry {
  std::string ref;  ///< relative to the project folder
  int width = 0;
  int height = 0;
  std::vector<NamedBox> boxes;
  std::int64_t revision = 0;
};

struct DatasetCounts {
  std::size_t images = 0;
  std::size_t labeled = 0;  ///< images with at least one box
  std::size_t boxes = 0;
};

/// The result of an edit: applied, or refused because the image changed since `revision`.
struct EditOutcome {
  bool conflict = false;
  ImageEntry current;  ///< the image after the edit, or as it stands (on conflict)
};

class Project {
 public:
  static constexpr const char* kDatasets[] = {"train", "test"};

  /// Opens PROJECT_DIR, creating the folder and its files when absent. A folder that holds other
  /// files but no project.json is refused (kInvalidArgument) so that nothing is mixed into it.
  /// Errors: those of reading the manifests (naming file and line), kIo.
  static Result<std::unique_ptr<Project>> open(const std::string& dir);

  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  [[nodiscard]] std::string name() const;
  [[nodiscard]] std::vector<std::string> labels() const;
  [[nodiscard]] std::optional<std::string> served() const;
  [[nodiscard]] std::string manifest_path(const std::string& dataset) const;
  static bool is_dataset(const std::string& name);

  /// Adds a label (kInvalidArgument: empty, over 100 characters or with control characters); an
  /// existing name is not an error. Returns the list.
  Result<std::vector<std::string>> add_label(const std::string& name);
  Status set_served(const std::string& model);

  [[nodiscard]] std::vector<ImageEntry> images(const std::string& dataset) const;
  [[nodiscard]] std::optional<ImageEntry> image(const std::string& dataset, const std::string& ref) const;
  [[nodiscard]] DatasetCounts counts(const std::string& dataset) const;

  /// Replaces an image's boxes when `revision` is its current one. Unknown labels are created.
  /// Boxes are kept as the manifest stores them: clipped to the image, in whole pixels.
  /// Errors: kNotFound (no such image), kInvalidValue (a box outside the image, inverted, not
  /// finite, under 1×1 px once rounded; an empty label), kIo (the manifest could not be written;
  /// the edit is undone).
  Result<EditOutcome> set_boxes(const std::string& dataset, const std::string& ref,
                                const std::vector<NamedBox>& boxes, std::int64_t revision);

  /// Copies an uploaded image into images/ (its name kept when free, else "-2", "-3"…) and adds
  /// it unlabeled. The bytes are probed as an image first: kUnsupportedFormat / kCorrupt /
  /// kTruncated name `file_name`. Returns the new ref.
  Result<std::string> import_image(const std::string& dataset, const std::string& file_name,
                                   const std::string& bytes);
  /// Adds images already written under images/ (e.g. video frames), unlabeled.
  Result<std::vector<std::string>> add_images(const std::string& dataset,
                                              const std::vector<std::string>& refs);

  /// A new, empty folder under images/ for `stem` (e.g. a video's frames), created here so two
  /// uploads of one name never share it. Errors: kIo.
  Result<std::string> fresh_image_folder(const std::string& stem) const;

  /// Moves a seeded `fraction` of train's labeled images to the empty test set, as Rekognition's
  /// "split training dataset". Returns how many moved. kInvalidArgument with fewer than 2.
  Result<std::size_t> split_test_from_train(double fraction, std::uint64_t seed);

  /// The name the next model version gets: v1, v2… (one more than the highest in models/).
  [[nodiscard]] std::string next_model_name() const;
  [[nodiscard]] std::filesystem::path models_dir() const { return root_ / "models"; }

  /// A path inside the project for `relative` (a URL path or a ref), or an error when it is
  /// absolute, climbs out with "..", or leads outside through a symbolic link (kAccessDenied), or
  /// does not exist (kNotFound).
  Result<std::filesystem::path> resolve_inside(const std::string& relative) const;

 private:
  struct Set {
    Dataset data;
    std::vector<std::int64_t> revisions;
  };
  explicit Project(std::filesystem::path root);
  Status load();
  Status save_settings_locked() const;
  Status save_dataset_locked(const std::string& dataset) const;
  Set& set_locked(const std::string& dataset);
  [[nodiscard]] const Set& set_locked(const std::string& dataset) const;
  int intern_label_locked(const std::string& name);
  [[nodiscard]] ImageEntry entry_locked(const Set& set, std::size_t index) const;
  [[nodiscard]] std::optional<std::size_t> find_locked(const Set& set, const std::string& ref) const;
  std::string ref_of(const std::string& image_path) const;

  std::filesystem::path root_;
  mutable std::mutex mutex_;
  std::string name_;
  std::vector<std::string> labels_;
  std::optional<std::string> served_;
  Set train_;
  Set test_;
  std::int64_t next_revision_ = 1;
};

}  // namespace logoscope::ui
