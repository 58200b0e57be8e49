// storage/object_cache.hpp — a local, size-capped cache of downloaded objects, shared by every
// logoscope process of the user, so an image is not downloaded twice across epochs or runs.
//
// Entries are keyed by the object's identity (its URI and ETag): a changed object is a new entry.
// Each entry is one file, written to a temporary name and renamed into place, so concurrent
// processes see a whole entry or none. Eviction removes the least recently used entries
// (modification time, refreshed on each hit) once the total passes the cap; a reader that loses
// a race with eviction simply misses and downloads again.
//
// Folder: $LOGOSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/logoscope/objects, else
// ~/.cache/logoscope/objects. Cap: $LOGOSCOPE_CACHE_MAX (bytes, or with K/M/G), default 10G; 0
// turns the cache off.
//
// Thread safety: all methods may be called concurrently, from many processes too.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "logoscope/result.hpp"

namespace logoscope::storage {

class ObjectCache {
 public:
  ObjectCache(std::string dir, std::uint64_t capacity_bytes);

  /// The cache the environment describes (see above). Errors: kInvalidValue for a bad
  /// LOGOSCOPE_CACHE_MAX.
  static Result<std::unique_ptr<ObjectCache>> from_environment();

  [[nodiscard]] bool enabled() const { return capacity_ > 0; }
  [[nodiscard]] const std::string& dir() const { return dir_; }

  /// The cached bytes of `identity`, or nullopt.
  std::optional<std::string> read(const std::string& identity) const;

  /// The path of the cached entry (refreshed as recently used), or nullopt.
  std::optional<std::string> find(const std::string& identity) const;

  /// Stores the bytes (nothing when disabled or larger than the cap) and returns the entry's
  /// path; may evict older entries. A failure to write is not an error for the caller's read,
  /// so it returns nullopt and logs at debug level.
  std::optional<std::string> store(const std::string& identity, std::string_view bytes);

  /// Total size of the entries now (scans the folder).
  [[nodiscard]] std::uint64_t size_on_disk() const;

 private:
  [[nodiscard]] std::string path_for(const std::string& identity) const;
  void evict();

  std::string dir_;
  std::uint64_t capacity_;
  std::atomic<std::uint64_t> written_since_scan_{0};
};

/// Parses "123", "64K", "500M", "10G" (powers of 1024). nullopt when malformed.
std::optional<std::uint64_t> parse_byte_size(const std::string& text);

}  // namespace logoscope::storage
