// core/paths.hpp — paths and URIs as users write them.
#pragma once

#include <string>

namespace logoscope {

/// True for "s3://bucket/key".
bool is_s3_uri(const std::string& ref);

/// Resolves a reference found inside a dataset file: URIs and absolute paths are returned as
/// they are; relative paths are joined to `base_dir` (the dataset file's folder) and normalised.
std::string resolve_ref(const std::string& ref, const std::string& base_dir);

/// The form to write into a dataset file stored in `out_dir`: relative to out_dir when `path`
/// lies under it, else absolute. URIs are returned as they are.
std::string ref_for_writing(const std::string& path, const std::string& out_dir);

/// Folder holding `file` ("." when none).
std::string parent_dir(const std::string& file);

/// A short key that is the same for every spelling of one image's location (relative, absolute,
/// through symbolic links; URIs as they are): 16 hex digits. model.json lists the keys of the
/// training images so that `evaluate` can tell when it is scoring a model on them.
std::string image_key(const std::string& ref);

/// True when both name the same existing file (or the same normalised path when absent).
bool same_file(const std::string& a, const std::string& b);

}  // namespace logoscope
