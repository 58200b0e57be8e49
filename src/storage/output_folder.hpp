// storage/output_folder.hpp — an output folder that may be an s3:// prefix.
//
// Programs write into path(), a local folder, as always. For a local destination that is the
// destination itself. For s3://bucket/prefix it is a fresh staging folder: publish() uploads
// every file in it (each object whole, by single or multipart upload; the files named in
// `last` after all others, so a reader that waits for model.json finds a complete folder),
// then removes the staging folder. Nothing is uploaded when the work fails before publish(),
// and the staging folder is removed either way.
//
// Thread safety: one object per output; not shared between threads.
#pragma once

#include <string>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope::storage {

class OutputFolder {
 public:
  /// Errors: kIo when no staging folder can be made; kInvalidArgument for a malformed s3:// URI.
  static Result<OutputFolder> open(const std::string& destination);

  OutputFolder(OutputFolder&& other) noexcept;
  OutputFolder& operator=(OutputFolder&&) = delete;
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;
  ~OutputFolder();

  /// Where to write (a local folder).
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& destination() const { return destination_; }
  [[nodiscard]] bool staged() const { return staged_; }

  /// Uploads the staged files (nothing to do for a local folder). Errors: those of the upload,
  /// naming the object; files already uploaded stay.
  Status publish(const std::vector<std::string>& last = {});

 private:
  OutputFolder(std::string destination, std::string path, bool staged);
  std::string destination_;
  std::string path_;
  bool staged_ = false;
};

/// Refuses (kInvalidArgument) a destination that already holds files, unless `overwrite`: a
/// non-empty local folder, an existing object, or a prefix with objects under it. `option` names the flag.
Status check_output_destination(const std::string& destination, bool overwrite, const std::string& option);

}  // namespace logoscope::storage
