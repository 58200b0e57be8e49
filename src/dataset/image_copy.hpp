// dataset/image_copy.hpp — a dataset's images copied next to a dataset file being written, so the
// copy works without the original location (an S3 bucket, another disk).
//
// Thread safety: reentrant.
#pragma once

#include <functional>
#include <string>

#include "logoscope/dataset.hpp"
#include "logoscope/result.hpp"

namespace logoscope::dataset {

/// Copies every image `data` names (local paths or s3:// URIs) into `folder`/images/ (created)
/// under its file name (NAME_2.jpg, … when two share a name) and returns the dataset with each
/// image pointing at its copy. Each copy is written whole or not at all; a file already there
/// with the same bytes is kept. `on_copied(done, total)` is called after each image.
/// Errors: the first image that cannot be read (kNotFound, kIo, kAccessDenied, naming it) or
/// written (kIo).
Result<Dataset> copy_dataset_images(const Dataset& data, const std::string& folder,
                                    const std::function<void(std::size_t, std::size_t)>& on_copied = {});

}  // namespace logoscope::dataset
