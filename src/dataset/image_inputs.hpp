// dataset/image_inputs.hpp — turn what the user typed (files, folders, globs, list files, stdin,
// dataset files) into a list of image paths.
#pragma once

#include <iosfwd>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "logoscope/problems.hpp"
#include "logoscope/result.hpp"

namespace logoscope::dataset {

/// True when the extension is one of the image formats logoscope decodes.
bool has_image_extension(const std::string& path);

/// A folder's image files (recursive, sorted) and what was left out: files with other extensions,
/// grouped by extension with the reason ("2 .heic files (HEIC (convert …))"). Hidden files
/// (.DS_Store, markers) are neither.
struct FolderScan {
  std::vector<std::string> images;
  std::vector<std::string> skipped;  ///< one line per extension
  std::size_t skipped_count = 0;
};
FolderScan scan_image_folder(const std::string& folder);

/// "N files that are not read as images: …"; empty when nothing was skipped.
std::string describe_skipped(const FolderScan& scan);

/// Expands each input: a folder → its image files (recursive, sorted; what it skipped is logged as
/// a warning); a .txt/.list file → one path per line (relative to the list's folder); anything
/// else → itself.
/// Error kNotFound naming the first input that does not exist, or a folder with no image in it
/// (saying what it holds instead).
Result<std::vector<std::string>> expand_image_inputs(const std::vector<std::string>& inputs);

/// One image to detect in: a path or URI, or the error for an input that names no image.
struct ImageInput {
  std::string path;            ///< as given (list entries resolved against the list's folder)
  std::optional<Error> error;  ///< kNotFound: the input names no file, folder or glob match
};

/// Expands `logoscope detect`'s inputs, in order:
///   "-"                      one path per line read from `stdin_stream` (blank and # lines skipped)
///   a folder                 its image files, recursively, sorted (skipped files logged; a folder
///                            with no image becomes an ImageInput with error kNotFound)
///   a .txt / .list file      one path per line, relative to the list's folder
///   a dataset file           its images in dataset order: Ground Truth manifest (.manifest,
///                            .jsonl; an input manifest's lines without labels too, as in
///                            frames.manifest), COCO (.json), YOLO data.yaml (.yaml/.yml), VOC (.xml)
///   a pattern with * ? [     that names no existing file: its matches (glob(3), sorted); folders
///                            among them are expanded, files kept when they have an image extension
///   s3:// URIs, other files  themselves
/// An input that names nothing becomes an ImageInput with error kNotFound (the run goes on).
/// Records a dataset reader could not use are appended to `problems`.
/// Errors (the whole input is unusable): a list or dataset file that cannot be read or parsed.
Result<std::vector<ImageInput>> expand_detect_inputs(const std::vector<std::string>& inputs,
                                                     std::istream& stdin_stream, Problems& problems);

/// "300", "300s", "5m", "1.5h" → seconds. Error kInvalidArgument naming the text.
Result<double> parse_duration(const std::string& text);

}  // namespace logoscope::dataset
