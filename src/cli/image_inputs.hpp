// cli/image_inputs.hpp — turn what the user typed (files, folders, globs-expanded-by-the-shell,
// list files) into a list of image paths.
#pragma once

#include <string>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope::cli {

/// True when the extension is one of the image formats logoscope decodes.
bool has_image_extension(const std::string& path);

/// Expands each input: a folder → its image files (recursive, sorted); a .txt/.list file → one
/// path per line (relative to the list's folder); anything else → itself.
/// Error kNotFound naming the first input that does not exist.
Result<std::vector<std::string>> expand_image_inputs(const std::vector<std::string>& inputs);

/// "300", "300s", "5m", "1.5h" → seconds. Error kInvalidArgument naming the text.
Result<double> parse_duration(const std::string& text);

}  // namespace logoscope::cli
