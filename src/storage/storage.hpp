// storage/storage.hpp — one interface over local files and S3 objects: `s3://bucket/key` works
// wherever a path does.
//
//   auto bytes = storage::read_file("s3://photos/cans/001.jpg");   // or "cans/001.jpg"
//   storage::write_file("s3://out/results.json", text);              // whole or not at all
//   for (const auto& entry : *storage::list_files("s3://photos/cans")) …  // a prefix walks like a folder
//
// Reads of objects go through the local object cache (storage/object_cache.hpp), keyed by URI
// and ETag, so an object is downloaded once across epochs and runs. S3 settings come from the
// environment and the AWS files (storage/s3_config.hpp), resolved on first use; the CLI's
// --endpoint-url is passed in with set_s3_endpoint before that.
//
// Thread safety: every function may be called from many threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope::storage {

struct FileEntry {
  std::string uri;  ///< a path for local files, s3://bucket/key for objects
  std::uint64_t size = 0;
  std::string etag;  ///< objects only: the server's ETag (changes with the content)
};

/// A place files live. Messages name the URI; errors: kNotFound (no such file, object or
/// bucket), kAccessDenied (refused credentials), kIo (everything else, after retries).
class Storage {
 public:
  virtual ~Storage() = default;
  /// The whole file.
  virtual Result<std::string> read(const std::string& uri) = 0;
  /// Bytes [offset, offset + length), fewer at the end.
  virtual Result<std::string> read_range(const std::string& uri, std::uint64_t offset, std::uint64_t length) = 0;
  /// Replaces the file whole: readers see the old content or the new, never part.
  virtual Status write(const std::string& uri, std::string_view bytes) = 0;
  /// Copies a local file to `uri`, whole or not at all.
  virtual Status upload(const std::string& local_file, const std::string& uri) = 0;
  /// Every file under the folder (or key prefix), recursively, sorted by URI.
  virtual Result<std::vector<FileEntry>> list(const std::string& folder) = 0;
  /// Size of the file; nullopt when there is none.
  virtual Result<std::optional<FileEntry>> stat(const std::string& uri) = 0;
  /// Deletes the file; no error when it does not exist.
  virtual Status remove(const std::string& uri) = 0;
  /// A local path with the file's bytes: the file itself, or the object's cached copy.
  virtual Result<std::string> local_path(const std::string& uri) = 0;
};

/// The S3 backend for s3:// URIs, the local one otherwise.
Storage& storage_for(const std::string& uri);

/// True for URIs that are not local files (s3://).
bool is_remote(const std::string& uri);

/// The S3 endpoint to use instead of the environment's (the CLI's --endpoint-url). Takes effect
/// for S3 requests made after it.
void set_s3_endpoint(const std::string& url);

/// Resolves the S3 settings now (environment, AWS files), so that a malformed setting is
/// reported before any work starts.
Status check_s3_settings();

/// Before work over many files: when any of `uris` is an s3:// URI, resolves the S3 settings,
/// obtains the credentials (fetching temporary ones: STS, SSO, ECS, IMDS, credential_process)
/// and sends one request (HEAD of the first s3:// URI) with them, so that a credentials problem
/// ends the command once, before the work, instead of failing every file. Ok when no URI is
/// remote, and when the object is merely missing or the server is unreachable (the per-file
/// errors report those). Errors: kAccessDenied, its message starting with "AWS credentials
/// problem", naming the source and saying what to do; kInvalidValue for a malformed setting.
Status check_s3_access(const std::vector<std::string>& uris);

/// `folder` + "/" + `name`, for paths and URIs alike.
std::string join(const std::string& folder, const std::string& name);

// Shortcuts through storage_for(uri).
Result<std::string> read_file(const std::string& uri);
/// The file as text, a leading UTF-8 byte order mark removed.
Result<std::string> read_text(const std::string& uri);
Status write_file(const std::string& uri, std::string_view bytes);
Result<std::vector<FileEntry>> list_files(const std::string& folder);
Result<std::optional<FileEntry>> stat_file(const std::string& uri);
Status remove_file(const std::string& uri);
Result<std::string> local_path(const std::string& uri);

/// False when LOGOSCOPE_CACHE_MAX=0 (or malformed): objects are then fetched on every read.
bool object_cache_enabled();

/// A local folder holding every file under `uri`: the folder itself when local; for a prefix,
/// its objects downloaded (through the cache) into a folder of the cache that mirrors the keys.
/// Used for model folders. Errors: kNotFound when the prefix holds no object.
Result<std::string> local_folder(const std::string& uri);

}  // namespace logoscope::storage
