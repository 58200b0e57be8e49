#include "core/paths.hpp"

#include <filesystem>
#include <system_error>

#include "core/hash.hpp"

namespace fs = std::filesystem;

namespace logoscope {

bool is_s3_uri(const std::string& ref) { return ref.rfind("s3://", 0) == 0; }

namespace {
bool is_uri(const std::string& ref) { return ref.find("://") != std::string::npos; }
}  // namespace

std::string resolve_ref(const std::string& ref, const std::string& base_dir) {
  std::string local = ref;
  if (local.rfind("file://", 0) == 0) local = local.substr(7);
  if (is_uri(local)) return local;
  const fs::path path(local);
  if (path.is_absolute()) return path.lexically_normal().string();
  if (is_s3_uri(base_dir)) {
    // "s3://bucket/dir" + "../img/a.jpg": normalise the key's segments, never above the bucket.
    const auto bucket_end = base_dir.find('/', 5);
    const std::string bucket = base_dir.substr(0, bucket_end);
    const std::string key_dir = bucket_end == std::string::npos ? "" : base_dir.substr(bucket_end + 1);
    std::string normal = (fs::path("/" + key_dir) / path).lexically_normal().generic_string();
    return bucket + normal;
  }
  return (fs::path(base_dir.empty() ? "." : base_dir) / path).lexically_normal().string();
}

std::string ref_for_writing(const std::string& path, const std::string& out_dir) {
  if (is_uri(path)) return path;
  std::error_code ec;
  const fs::path abs_path = fs::absolute(path, ec).lexically_normal();
  const fs::path abs_dir = fs::absolute(out_dir.empty() ? "." : out_dir, ec).lexically_normal();
  const fs::path rel = abs_path.lexically_relative(abs_dir);
  if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
  return abs_path.generic_string();
}

std::string parent_dir(const std::string& file) {
  const fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? "." : parent.string();
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  return fs::absolute(a, ec).lexically_normal() == fs::absolute(b, ec).lexically_normal();
}

std::string image_key(const std::string& ref) {
  if (is_s3_uri(ref)) return hash_hex(fnv1a64(ref));
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(std::filesystem::path(ref), ec);
  if (ec) canonical = std::filesystem::absolute(std::filesystem::path(ref), ec).lexically_normal();
  return hash_hex(fnv1a64(canonical.string()));
}

}  // namespace logoscope
