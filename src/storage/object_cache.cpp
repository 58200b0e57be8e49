#include "storage/object_cache.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/files.hpp"
#include "core/sha256.hpp"

namespace fs = std::filesystem;

namespace logoscope::storage {

namespace {


}  // namespace

std::optional<std::uint64_t> parse_byte_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value < 0) return std::nullopt;
  std::string unit(end);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b') && unit.size() > 1) unit.pop_back();
  double scale = 1;
  if (unit.empty() || unit == "B" || unit == "b") {
    scale = 1;
  } else if (unit == "K" || unit == "k") {
    scale = 1024.0;
  } else if (unit == "M" || unit == "m") {
    scale = 1024.0 * 1024;
  } else if (unit == "G" || unit == "g") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "T" || unit == "t") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(value * scale);
}

ObjectCache::ObjectCache(std::string dir, std::uint64_t capacity_bytes)
    : dir_(std::move(dir)), capacity_(capacity_bytes) {}

Result<std::unique_ptr<ObjectCache>> ObjectCache::from_environment() {
  std::string dir;
  if (const char* set = std::getenv("LOGOSCOPE_CACHE_DIR"); set != nullptr && *set != '\0') {
    dir = set;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    dir = (fs::path(xdg) / "logoscope" / "objects").string();
  } else {
    const char* home = std::getenv("HOME");
    dir = (fs::path(home != nullptr && *home != '\0' ? home : "/tmp") / ".cache" / "logoscope" / "objects").string();
  }
  std::uint64_t capacity = std::uint64_t{10} << 30;
  if (const char* max = std::getenv("LOGOSCOPE_CACHE_MAX"); max != nullptr && *max != '\0') {
    const auto parsed = parse_byte_size(max);
    if (!parsed) {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("LOGOSCOPE_CACHE_MAX: \"{}\" is not a size (e.g. 500M, 10G, 0 to turn the cache off)", max)};
    }
    capacity = *parsed;
  }
  return std::make_unique<ObjectCache>(std::move(dir), capacity);
}

std::string ObjectCache::path_for(const std::string& identity) const {
  const std::string hash = sha256_hex(identity);
  return (fs::path(dir_) / hash.substr(0, 2) / hash).string();
}

std::optional<std::string> ObjectCache::find(const std::string& identity) const {
  if (!enabled()) return std::nullopt;
  const std::string path = path_for(identity);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // recently used
  return path;
}

std::optional<std::string> ObjectCache::read(const std::string& identity) const {
  const auto path = find(identity);
  if (!path) return std::nullopt;
  std::ifstream in(*path, std::ios::binary);
  if (!in) return std::nullopt;  // evicted in between
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return bytes;
}

std::optional<std::string> ObjectCache::store(const std::string& identity, std::string_view bytes) {
  if (!enabled() || bytes.size() > capacity_) return std::nullopt;
  const std::string path = path_for(identity);
  if (auto written = write_file_atomically(path, bytes); !written) {
    spdlog::debug("object cache: {}", written.error().message);
    return std::nullopt;
  }
  // Scan for eviction once a tenth of the cap has been written since the last scan.
  if (written_since_scan_.fetch_add(bytes.size()) + bytes.size() > capacity_ / 10) {
    written_since_scan_ = 0;
    evict();
  }
  return path;
}

std::uint64_t ObjectCache::size_on_disk() const {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

void ObjectCache::evict() {
  struct Entry {
    fs::path path;
    fs::file_time_type used;
    std::uint64_t size;
  };
  std::vector<Entry> entries;
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const auto size = it->file_size(ec);
    if (ec) continue;
    entries.push_back({it->path(), it->last_write_time(ec), size});
    total += size;
  }
  if (total <= capacity_) return;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  const std::uint64_t target = capacity_ - capacity_ / 10;
  for (const auto& entry : entries) {
    if (total <= target) break;
    if (fs::remove(entry.path, ec)) total -= entry.size;
  }
}

}  // namespace logoscope::storage
