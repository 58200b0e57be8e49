// dataset/merge.hpp — apply a reviewed patch (e.g. `evaluate`'s suggested-labels.manifest) to a
// dataset: the patch's boxes are added to the same images of the base.
//
// Images are matched by reference (the same resolved path or URI, or the same existing file).
// A patch box is skipped when the base already has a box of the same label overlapping it with
// IoU ≥ `duplicate_iou`, so applying a patch twice changes nothing. Labels the base lacks are
// added. Patch images the base does not have are reported and skipped (a patch adds labels, not
// images). Neither input is modified.
//
// Thread safety: pure function.
#pragma once

#include <cstddef>

#include "logoscope/dataset.hpp"
#include "logoscope/problems.hpp"

namespace logoscope::dataset {

struct MergeSummary {
  std::size_t images_changed = 0;
  std::size_t boxes_added = 0;
  std::size_t boxes_already_present = 0;
  std::size_t images_not_in_base = 0;
};

/// Returns base with the patch applied; problems name the patch lines that were skipped.
Dataset merge_datasets(const Dataset& base, const Dataset& patch, MergeSummary& summary, Problems& problems,
                       double duplicate_iou = 0.5);

}  // namespace logoscope::dataset
