#include "cli/modes.hpp"

namespace logoscope::cli {

void register_dataset(CLI::App& app, RunState& state, const CommonOptions& common) {
  CLI::App* dataset_cmd = app.add_subcommand(
      "dataset", "Check, convert, split, count and merge labeled datasets (manifest, COCO, YOLO, VOC); pick the photos to label next");
  dataset_cmd->require_subcommand(1);
  register_dataset_validate(*dataset_cmd, state, common);
  register_dataset_convert(*dataset_cmd, state, common);
  register_dataset_split(*dataset_cmd, state, common);
  register_dataset_stats(*dataset_cmd, state, common);
  register_dataset_merge(*dataset_cmd, state, common);
  register_dataset_next(*dataset_cmd, state, common);
}

}  // namespace logoscope::cli
