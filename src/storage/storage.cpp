#include "storage/storage.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/files.hpp"
#include "core/hash.hpp"
#include "core/paths.hpp"
#include "storage/object_cache.hpp"
#include "storage/s3_client.hpp"

namespace fs = std::filesystem;

namespace logoscope::storage {

namespace {

Error credentials_problem(const Error& error) {
  return Error{ErrorCode::kAccessDenied, "AWS credentials problem: " + error.message};
}

// ---------------------------------------------------------------- local files

class LocalStorage final : public Storage {
 public:
  Result<std::string> read(const std::string& uri) override { return read_binary_file(uri); }

  Result<std::string> read_range(const std::string& uri, std::uint64_t offset, std::uint64_t length) override {
    std::ifstream in(uri, std::ios::binary);
    if (!in) {
      std::error_code ec;
      if (!fs::exists(uri, ec)) return Error{ErrorCode::kNotFound, uri + ": no such file"};
      return Error{ErrorCode::kIo, uri + ": cannot open for reading"};
    }
    in.seekg(static_cast<std::streamoff>(offset));
    std::string bytes(static_cast<std::size_t>(length), '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(length));
    bytes.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
    return bytes;
  }

  Status write(const std::string& uri, std::string_view bytes) override { return write_file_atomically(uri, bytes); }

  Status upload(const std::string& local_file, const std::string& uri) override {
    auto bytes = read_binary_file(local_file);
    if (!bytes) return bytes.error();
    return write_file_atomically(uri, *bytes);
  }

  Result<std::vector<FileEntry>> list(const std::string& folder) override {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) return Error{ErrorCode::kNotFound, folder + ": no such folder"};
    std::vector<FileEntry> entries;
    for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) entries.push_back({it->path().string(), it->file_size(ec), ""});
    }
    if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot list: {}", folder, ec.message())};
    std::sort(entries.begin(), entries.end(), [](const FileEntry& a, const FileEntry& b) { return a.uri < b.uri; });
    return entries;
  }

  Result<std::optional<FileEntry>> stat(const std::string& uri) override {
    std::error_code ec;
    if (!fs::is_regular_file(uri, ec)) return std::optional<FileEntry>{};
    return std::optional<FileEntry>{FileEntry{uri, fs::file_size(uri, ec), ""}};
  }

  Status remove(const std::string& uri) override {
    std::error_code ec;
    fs::remove(uri, ec);
    if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot delete: {}", uri, ec.message())};
    return Ok{};
  }

  Result<std::string> local_path(const std::string& uri) override {
    std::error_code ec;
    if (!fs::exists(uri, ec)) return Error{ErrorCode::kNotFound, uri + ": no such file"};
    return uri;
  }
};

// ---------------------------------------------------------------- S3

std::string g_endpoint_override;  // guarded by s3_mutex()

std::mutex& s3_mutex() {
  static std::mutex mutex;
  return mutex;
}

// A folder for downloads when the cache is off; removed when the process ends.
class ScratchFolder {
 public:
  ~ScratchFolder() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  Result<std::string> path() {
    std::lock_guard lock(mutex_);
    if (path_.empty()) {
      auto folder = make_temporary_folder("logoscope-s3");
      if (!folder) return Error{ErrorCode::kIo, "downloads: " + folder.error().message};
      path_ = *folder;
    }
    return path_;
  }

 private:
  std::mutex mutex_;
  std::string path_;
};

class S3Storage final : public Storage {
 public:
  Result<std::string> read(const std::string& uri) override {
    auto object = look_up(uri);
    if (!object) return object.error();
    if (object->cached) {
      if (auto bytes = cache_->read(object->identity)) return std::move(*bytes);  // else evicted meanwhile
    }
    auto downloaded = download(*object, uri);
    if (!downloaded) return downloaded.error();
    return std::move(downloaded->first);
  }

  Result<std::string> read_range(const std::string& uri, std::uint64_t offset, std::uint64_t length) override {
    auto located = prepare(uri);
    if (!located) return located.error();
    return located->first->get_range(located->second, offset, length);
  }

  Status write(const std::string& uri, std::string_view bytes) override {
    auto located = prepare(uri);
    if (!located) return located.error();
    forget(uri);
    return located->first->put(located->second, bytes);
  }

  Status upload(const std::string& local_file, const std::string& uri) override {
    auto located = prepare(uri);
    if (!located) return located.error();
    forget(uri);
    return located->first->put_file(located->second, local_file);
  }

  Result<std::vector<FileEntry>> list(const std::string& folder) override {
    auto located = prepare(folder);
    if (!located) return located.error();
    const auto& [client, location] = *located;
    std::string prefix = location.key;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    auto objects = client->list(location.bucket, prefix);
    if (!objects) return objects.error();
    std::vector<FileEntry> entries;
    entries.reserve(objects->size());
    for (const auto& object : *objects) {
      if (!object.key.empty() && object.key.back() == '/') continue;  // a "folder" marker
      FileEntry entry{"s3://" + location.bucket + "/" + object.key, object.size, object.etag};
      remember(entry.uri, object.etag);
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  Result<std::optional<FileEntry>> stat(const std::string& uri) override {
    auto located = prepare(uri);
    if (!located) return located.error();
    auto info = located->first->head(located->second);
    if (!info) return info.error();
    if (!*info) return std::optional<FileEntry>{};
    FileEntry entry{uri, (*info)->size, (*info)->etag};
    remember(uri, (*info)->etag);
    return std::optional<FileEntry>{entry};
  }

  Status remove(const std::string& uri) override {
    auto located = prepare(uri);
    if (!located) return located.error();
    forget(uri);
    return located->first->remove(located->second);
  }

  Result<std::string> local_path(const std::string& uri) override {
    auto object = look_up(uri);
    if (!object) return object.error();
    if (object->cached) return *object->cached;
    auto downloaded = download(*object, uri);
    if (!downloaded) return downloaded.error();
    if (downloaded->second) return *downloaded->second;
    // The cache is off (or refused the entry): a scratch copy that lives as long as the process.
    auto scratch = scratch_.path();
    if (!scratch) return scratch.error();
    const std::string name = fs::path(object->location.key).filename().string();
    const std::string path = (fs::path(*scratch) / (std::to_string(counter_++) + "-" + name)).string();
    if (auto written = write_file_atomically(path, downloaded->first); !written) return written.error();
    return path;
  }

  ObjectCache& cache() { return *cache_; }

  Status check_access(const std::string& uri) {
    auto located = prepare(uri);
    if (!located) {
      if (located.error().code == ErrorCode::kAccessDenied) return credentials_problem(located.error());
      return located.error();
    }
    const auto& [client, location] = *located;
    if (auto credentials = client->credentials(); !credentials) return credentials_problem(credentials.error());
    auto info = client->head(location);
    if (info || info.error().code != ErrorCode::kAccessDenied) return Ok{};
    // A HEAD refusal has no body: S3 also answers 403 for a missing key when the caller may not
    // list the bucket. A one-byte GET says which; only a refusal of the credentials themselves
    // ends the command here (the rest is each file's own error).
    auto byte = client->get_range(location, 0, 1);
    if (byte || byte.error().code != ErrorCode::kAccessDenied) return Ok{};
    for (const char* code : {"SignatureDoesNotMatch", "InvalidAccessKeyId", "RequestTimeTooSkewed", "ExpiredToken",
                             "InvalidToken", "TokenRefreshRequired", "HTTP 403"}) {
      if (byte.error().message.find(code) != std::string::npos) return credentials_problem(byte.error());
    }
    return Ok{};
  }

 private:
  // The client (built on first use) and the parsed URI.
  Result<std::pair<const S3Client*, S3Location>> prepare(const std::string& uri) {
    auto location = parse_s3_uri(uri);
    if (!location) return location.error();
    std::lock_guard lock(s3_mutex());
    if (!client_ || endpoint_ != g_endpoint_override) {
      auto settings = resolve_s3_settings(process_environment(), g_endpoint_override);
      if (!settings) return settings.error();
      client_ = std::make_shared<S3Client>(std::move(*settings));
      endpoint_ = g_endpoint_override;
      clients_.push_back(client_);  // kept alive for threads still using an older one
    }
    if (!cache_) {
      auto cache = ObjectCache::from_environment();
      if (!cache) return cache.error();
      cache_ = std::move(*cache);
    }
    return std::pair<const S3Client*, S3Location>{client_.get(), std::move(*location)};
  }

  struct Lookup {
    const S3Client* client = nullptr;
    S3Location location;
    std::string identity;               ///< the cache key ("" when the cache is off)
    std::optional<std::string> cached;  ///< the cached copy's path, on a hit
  };

  Result<Lookup> look_up(const std::string& uri) {
    auto located = prepare(uri);
    if (!located) return located.error();
    Lookup object{located->first, located->second, "", std::nullopt};
    auto identity = cached_identity(*object.client, uri, object.location);
    if (!identity) return identity.error();
    object.identity = *identity;
    if (!object.identity.empty()) object.cached = cache_->find(object.identity);
    return object;
  }

  // GET, then into the cache under the ETag the server sent: the bytes and the entry's path.
  Result<std::pair<std::string, std::optional<std::string>>> download(const Lookup& object, const std::string& uri) {
    std::string etag;
    auto bytes = object.client->get(object.location, &etag);
    if (!bytes) return bytes.error();
    remember(uri, etag);
    std::optional<std::string> path;
    if (!etag.empty()) path = cache_->store(uri + "\n" + etag, *bytes);
    return std::pair<std::string, std::optional<std::string>>{std::move(*bytes), std::move(path)};
  }

  // The cache key of the object as it is now ("" when the cache is off): its ETag from a
  // listing or an earlier request, else from a HEAD request.
  Result<std::string> cached_identity(const S3Client& client, const std::string& uri, const S3Location& location) {
    if (!cache_->enabled()) return std::string();
    {
      std::lock_guard lock(known_mutex_);
      if (const auto it = known_.find(uri); it != known_.end() && !it->second.empty()) return uri + "\n" + it->second;
    }
    auto info = client.head(location);
    if (!info) return info.error();
    if (!*info) return Error{ErrorCode::kNotFound, uri + ": no such object"};
    remember(uri, (*info)->etag);
    return (*info)->etag.empty() ? std::string() : uri + "\n" + (*info)->etag;
  }

  void remember(const std::string& uri, const std::string& etag) {
    std::lock_guard lock(known_mutex_);
    known_[uri] = etag;
  }

  void forget(const std::string& uri) {
    std::lock_guard lock(known_mutex_);
    known_.erase(uri);
  }

  std::shared_ptr<S3Client> client_;
  std::vector<std::shared_ptr<S3Client>> clients_;
  std::string endpoint_;
  std::unique_ptr<ObjectCache> cache_;
  std::mutex known_mutex_;
  std::unordered_map<std::string, std::string> known_;  // uri -> ETag
  ScratchFolder scratch_;
  std::atomic<unsigned> counter_{0};
};

LocalStorage& local_storage() {
  static LocalStorage storage;
  return storage;
}

S3Storage& s3_storage() {
  static S3Storage storage;
  return storage;
}

}  // namespace

bool is_remote(const std::string& uri) { return is_s3_uri(uri); }

Storage& storage_for(const std::string& uri) {
  if (is_s3_uri(uri)) return s3_storage();
  return local_storage();
}

void set_s3_endpoint(const std::string& url) {
  std::lock_guard lock(s3_mutex());
  g_endpoint_override = url;
}

Status check_s3_settings() {
  std::string endpoint;
  {
    std::lock_guard lock(s3_mutex());
    endpoint = g_endpoint_override;
  }
  auto settings = resolve_s3_settings(process_environment(), endpoint);
  if (!settings) return settings.error();
  auto cache = ObjectCache::from_environment();
  if (!cache) return cache.error();
  return Ok{};
}

Status check_s3_access(const std::vector<std::string>& uris) {
  const auto remote = std::find_if(uris.begin(), uris.end(), [](const std::string& uri) { return is_s3_uri(uri); });
  if (remote == uris.end()) return Ok{};
  return s3_storage().check_access(*remote);
}

std::string join(const std::string& folder, const std::string& name) {
  if (folder.empty()) return name;
  if (folder.back() == '/') return folder + name;
  return folder + "/" + name;
}

Result<std::string> read_file(const std::string& uri) { return storage_for(uri).read(uri); }

Result<std::string> read_text(const std::string& uri) {
  auto text = read_file(uri);
  if (text && text->rfind("\xEF\xBB\xBF", 0) == 0) text->erase(0, 3);
  return text;
}

Status write_file(const std::string& uri, std::string_view bytes) { return storage_for(uri).write(uri, bytes); }

Result<std::vector<FileEntry>> list_files(const std::string& folder) { return storage_for(folder).list(folder); }

Result<std::optional<FileEntry>> stat_file(const std::string& uri) { return storage_for(uri).stat(uri); }

Status remove_file(const std::string& uri) { return storage_for(uri).remove(uri); }

Result<std::string> local_path(const std::string& uri) { return storage_for(uri).local_path(uri); }

bool object_cache_enabled() {
  auto cache = ObjectCache::from_environment();
  return cache && (*cache)->enabled();
}

Result<std::string> local_folder(const std::string& uri) {
  if (!is_s3_uri(uri)) {
    std::error_code ec;
    if (!fs::is_directory(uri, ec)) return Error{ErrorCode::kNotFound, uri + ": no such folder"};
    return uri;
  }
  auto entries = list_files(uri);
  if (!entries) return entries.error();
  if (entries->empty()) return Error{ErrorCode::kNotFound, uri + ": no object under this prefix"};
  std::string prefix = uri;
  if (prefix.back() != '/') prefix += '/';
  // One folder per listing: the same objects give the same folder, run after run.
  std::string identity = prefix;
  for (const auto& entry : *entries) identity += "\n" + entry.uri + " " + std::to_string(entry.size) + " " + entry.etag;
  auto& s3 = s3_storage();
  const fs::path base = s3.cache().enabled() ? fs::path(s3.cache().dir()) / "folders"
                                             : fs::temp_directory_path() / "logoscope-s3-folders";
  const fs::path folder = base / hash_hex(fnv1a64(identity));
  for (const auto& entry : *entries) {
    const fs::path target = folder / entry.uri.substr(prefix.size());
    std::error_code ec;
    if (fs::is_regular_file(target, ec) && fs::file_size(target, ec) == entry.size) continue;
    auto source = s3.local_path(entry.uri);
    if (!source) return source.error();
    fs::create_directories(target.parent_path(), ec);
    const std::string temp = temp_path_for(target.string());
    fs::create_hard_link(*source, temp, ec);
    if (ec) {
      ec.clear();
      fs::copy_file(*source, temp, fs::copy_options::overwrite_existing, ec);
    }
    if (!ec) fs::rename(temp, target, ec);
    if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot place the download at {}: {}", entry.uri, target.string(), ec.message())};
  }
  return folder.string();
}

}  // namespace logoscope::storage
