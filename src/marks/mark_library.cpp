#include "marks/mark_library.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/files.hpp"
#include "core/json_fields.hpp"
#include "imageio/image_io.hpp"
#include "marks/random.hpp"
#include "marks/svg_raster.hpp"
#include "marks/text_raster.hpp"

namespace fs = std::filesystem;

namespace logoscope::marks {

namespace {

// Render sizes: 16·√2^k up to 1024 px. Masks are rendered at the first rung at or above the
// requested size and resized down, so the cache holds few sizes per mark.
constexpr int kLadderRungs = 13;

int rung_size(int rung) {
  return static_cast<int>(std::lround(16.0 * std::pow(std::sqrt(2.0), rung)));
}

int rung_for(int long_side) {
  for (int rung = 0; rung < kLadderRungs; ++rung) {
    if (rung_size(rung) >= long_side) return rung;
  }
  return -1;
}

struct IconData {
  std::string title;
  std::optional<cv::Vec3b> rgb;
  std::vector<std::string> aliases;
  std::string licence;
};

std::optional<cv::Vec3b> parse_hex(const std::string& hex) {
  if (hex.size() != 6 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return std::nullopt;
  const auto value = std::stoul(hex, nullptr, 16);
  return cv::Vec3b(static_cast<uchar>(value >> 16), static_cast<uchar>((value >> 8) & 0xFF),
                   static_cast<uchar>(value & 0xFF));
}

// simple-icons' data file: a JSON array of {title, slug, hex, aliases{aka, dup[{title}], loc{}, old},
// license{type}}.
Result<std::unordered_map<std::string, IconData>> read_icon_data(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  nlohmann::json json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_array()) {
    return Error{ErrorCode::kParse, fmt::format("{}: not a simple-icons data file (a JSON array)", path)};
  }
  std::unordered_map<std::string, IconData> data;
  for (const auto& entry : json) {
    if (!entry.is_object() || !entry.contains("slug") || !entry["slug"].is_string()) continue;
    IconData icon;
    icon.title = field_or<std::string>(entry, "title", "");
    if (entry.contains("hex") && entry["hex"].is_string())
      icon.rgb = parse_hex(entry["hex"].get<std::string>());
    if (entry.contains("license") && entry["license"].is_object())
      icon.licence = field_or<std::string>(entry["license"], "type", "custom");
    if (entry.contains("aliases") && entry["aliases"].is_object()) {
      const auto& aliases = entry["aliases"];
      for (const char* key : {"aka", "old"}) {
        if (!aliases.contains(key) || !aliases[key].is_array()) continue;
        for (const auto& alias : aliases[key]) {
          if (alias.is_string()) icon.aliases.push_back(alias.get<std::string>());
        }
      }
      if (aliases.contains("dup") && aliases["dup"].is_array()) {
        for (const auto& dup : aliases["dup"]) {
          if (dup.is_object() && dup.contains("title") && dup["title"].is_string()) {
            icon.aliases.push_back(dup["title"].get<std::string>());
          }
        }
      }
      if (aliases.contains("loc") && aliases["loc"].is_object()) {
        for (const auto& [language, title] : aliases["loc"].items()) {
          if (title.is_string()) icon.aliases.push_back(title.get<std::string>());
        }
      }
    }
    data.emplace(entry["slug"].get<std::string>(), std::move(icon));
  }
  return data;
}

// ---------------------------------------------------------------- made-up brand words

constexpr std::array kOnsets = {"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",  "m",  "n",
                                "p",  "r",  "s",  "t",  "v",  "w",  "z",  "br", "cr", "dr", "fr",
                                "gr", "kr", "pr", "tr", "bl", "cl", "fl", "gl", "pl", "sl", "st",
                                "sp", "sk", "sh", "ch", "th", "qu", "x",  "",   ""};
constexpr std::array kVowels = {"a", "e",  "i",  "o",  "u",  "a",  "e",  "o",
                                "y", "ai", "ea", "io", "ou", "oo", "ei", "au"};
constexpr std::array kCodas = {"",  "",  "",  "",   "n",  "r",  "s",  "x",  "l",
                               "m", "t", "k", "ck", "nd", "rt", "st", "ng", "z"};
constexpr std::array kSecondWords = {
    "labs",    "group", "bank", "air",     "foods", "media", "tech",   "motors",  "energy", "sport", "studio",
    "systems", "works", "co",   "one",     "pro",   "bio",   "net",    "mobile",  "coffee", "cloud", "games",
    "home",    "auto",  "club", "express", "store", "bikes", "optics", "records", "beer",   "water"};

template <typename Array>
typename Array::value_type pick(Rng& rng, const Array& items) {
  return items[static_cast<std::size_t>(rng.uniform_int(0, static_cast<int>(items.size()) - 1))];
}

std::string made_up_word(Rng& rng) {
  const int syllables = 1 + static_cast<int>(rng.weighted({0.25, 0.5, 0.25}));
  std::string word;
  for (int s = 0; s < syllables; ++s) {
    word += pick(rng, kOnsets);
    word += pick(rng, kVowels);
    if (s + 1 == syllables || rng.chance(0.3)) word += pick(rng, kCodas);
  }
  if (word.size() < 3) word += pick(rng, kOnsets) + std::string(pick(rng, kVowels));
  return word.size() > 12 ? word.substr(0, 12) : word;
}

std::string apply_case(Rng& rng, std::string text) {
  const std::size_t style = rng.weighted({0.45, 0.4, 0.15});  // UPPER, Title, lower
  bool word_start = true;
  for (char& c : text) {
    const bool letter = c >= 'a' && c <= 'z';
    if (letter && (style == 0 || (style == 1 && word_start))) c = static_cast<char>(c - 'a' + 'A');
    word_start = c == ' ' || c == '-';
  }
  return text;
}

std::string brand_like_text(Rng& rng) {
  std::string text = made_up_word(rng);
  if (rng.chance(0.25)) text += (rng.chance(0.7) ? " " : "") + std::string(pick(rng, kSecondWords));
  if (rng.chance(0.08)) text += fmt::format("{}{}", rng.chance(0.5) ? " " : "", rng.uniform_int(1, 999));
  return apply_case(rng, text);
}

constexpr std::array kHersheyFaces = {cv::FONT_HERSHEY_SIMPLEX,        cv::FONT_HERSHEY_PLAIN,
                                      cv::FONT_HERSHEY_DUPLEX,         cv::FONT_HERSHEY_COMPLEX,
                                      cv::FONT_HERSHEY_TRIPLEX,        cv::FONT_HERSHEY_COMPLEX_SMALL,
                                      cv::FONT_HERSHEY_SCRIPT_SIMPLEX, cv::FONT_HERSHEY_SCRIPT_COMPLEX};

struct WordmarkSpec {
  std::string text;
  std::string font_file;  // "" for Hershey
  int hershey_face = 0;
  double tracking_em = 0;      // TTF only
  double stroke_fraction = 0;  // Hershey only: stroke thickness per unit of cv::putText scale
};

cv::Mat resize_long_side(const cv::Mat& mask, int long_side) {
  const double scale = static_cast<double>(long_side) / std::max(mask.cols, mask.rows);
  const cv::Size size =
      mask.cols >= mask.rows
          ? cv::Size(long_side, std::max(1, static_cast<int>(std::lround(mask.rows * scale))))
          : cv::Size(std::max(1, static_cast<int>(std::lround(mask.cols * scale))), long_side);
  if (size == mask.size()) return mask.clone();
  cv::Mat out;
  cv::resize(mask, out, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

}  // namespace

struct MarkLibrary::Impl {
  std::vector<MarkInfo> marks;
  std::vector<std::vector<std::uint8_t>> svgs;  // by icon id
  std::vector<WordmarkSpec> words;              // by id − icon_count
  std::vector<ExcludedMark> excluded;
  int icon_count = 0;
  std::size_t cache_bytes = 0;

  mutable std::mutex mutex;             // guards everything below
  mutable std::list<std::int64_t> lru;  // most recent first
  struct Entry {
    cv::Mat mask;
    std::list<std::int64_t>::iterator position;
  };
  mutable std::unordered_map<std::int64_t, Entry> cache;
  mutable std::size_t cached_bytes = 0;
  mutable std::unordered_set<int> failed;

  cv::Mat render(int id, int long_side) const;
  cv::Mat render_wordmark(const WordmarkSpec& spec, int long_side) const;
  cv::Mat cached_render(int id, int rung) const;
};

cv::Mat MarkLibrary::Impl::render_wordmark(const WordmarkSpec& spec, int long_side) const {
  // Set the text at a reference size, then at the size that gives long_side (text scales
  // linearly, up to hinting), and let the caller's resize make it exact.
  constexpr double kReference = 48;
  if (spec.font_file.empty()) {
    auto hershey = [&](double scale) {
      return render_hershey_text_mask(
          spec.hershey_face, spec.text, scale,
          std::max(1, static_cast<int>(std::lround(scale * spec.stroke_fraction))));
    };
    const cv::Mat reference = hershey(kReference / 30.0);
    if (reference.empty()) return {};
    return hershey(kReference / 30.0 * long_side / std::max(reference.cols, reference.rows));
  }
  auto reference = render_font_text_mask(spec.font_file, spec.text, kReference, spec.tracking_em);
  if (!reference) {
    spdlog::warn("wordmark \"{}\": {}", spec.text, reference.error().message);
    return {};
  }
  const double font_px = kReference * long_side / std::max(reference->cols, reference->rows);
  auto mask = render_font_text_mask(spec.font_file, spec.text, std::max(1.0, font_px), spec.tracking_em);
  return mask ? *mask : cv::Mat();
}

cv::Mat MarkLibrary::Impl::render(int id, int long_side) const {
  if (id < icon_count) {
    auto mask = rasterize_svg_mask(svgs[static_cast<std::size_t>(id)], long_side,
                                   marks[static_cast<std::size_t>(id)].slug + ".svg");
    if (!mask) {
      const std::lock_guard lock(mutex);
      if (failed.insert(id).second)
        spdlog::warn("mark {}: {}", marks[static_cast<std::size_t>(id)].slug, mask.error().message);
      return {};
    }
    return *mask;
  }
  return render_wordmark(words[static_cast<std::size_t>(id - icon_count)], long_side);
}

cv::Mat MarkLibrary::Impl::cached_render(int id, int rung) const {
  const std::int64_t key = static_cast<std::int64_t>(id) * kLadderRungs + rung;
  {
    const std::lock_guard lock(mutex);
    if (auto found = cache.find(key); found != cache.end()) {
      lru.splice(lru.begin(), lru, found->second.position);
      return found->second.mask;
    }
  }
  cv::Mat mask = render(id, rung_size(rung));
  if (mask.empty()) return mask;
  const std::size_t bytes = mask.total();
  const std::lock_guard lock(mutex);
  if (cache.count(key) != 0 || bytes > cache_bytes) return mask;
  while (cached_bytes + bytes > cache_bytes && !lru.empty()) {
    auto oldest = cache.find(lru.back());
    cached_bytes -= oldest->second.mask.total();
    cache.erase(oldest);
    lru.pop_back();
  }
  lru.push_front(key);
  cache.emplace(key, Entry{mask, lru.begin()});
  cached_bytes += bytes;
  return mask;
}

Result<MarkLibrary> MarkLibrary::load(const MarkLibraryOptions& options) {
  if (options.wordmarks < 0) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("wordmarks must be ≥ 0, got {}", options.wordmarks)};
  }
  auto impl = std::make_unique<Impl>();
  impl->cache_bytes = options.cache_bytes;

  if (!options.icons_dir.empty()) {
    std::error_code ec;
    if (!fs::is_directory(options.icons_dir, ec)) {
      return Error{ErrorCode::kNotFound,
                   fmt::format("{}: no such icon folder (scripts/fetch-marks.sh fetches simple-icons)",
                               options.icons_dir)};
    }
    std::string data_path = options.icons_data;
    if (data_path.empty()) {
      const fs::path beside = fs::path(options.icons_dir).parent_path() / "data" / "simple-icons.json";
      if (fs::is_regular_file(beside, ec)) data_path = beside.string();
    }
    std::unordered_map<std::string, IconData> data;
    if (!data_path.empty()) {
      auto read = read_icon_data(data_path);
      if (!read) return read.error();
      data = std::move(*read);
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(options.icons_dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".svg") files.push_back(it->path());
    }
    if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot list: {}", options.icons_dir, ec.message())};
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const std::string slug = file.stem().string();
      const auto entry = data.find(slug);
      const IconData* icon = entry != data.end() ? &entry->second : nullptr;
      const std::string title = icon != nullptr && !icon->title.empty() ? icon->title : slug;
      if (icon != nullptr && !icon->licence.empty() &&
          std::find(options.icon_licences.begin(), options.icon_licences.end(), icon->licence) ==
              options.icon_licences.end()) {
        impl->excluded.push_back({slug, title, "licence " + icon->licence});
        continue;
      }
      std::vector<std::string> names = {slug, title};
      if (icon != nullptr) names.insert(names.end(), icon->aliases.begin(), icon->aliases.end());
      if (const auto term = options.exclude.match(names)) {
        impl->excluded.push_back(
            {slug, title, fmt::format("matches \"{}\" (brand {})", term->term, term->brand)});
        continue;
      }
      auto bytes = imageio::read_file_bytes(file.string());
      if (!bytes) return bytes.error();
      MarkInfo info;
      info.id = static_cast<int>(impl->marks.size());
      info.kind = MarkKind::kIcon;
      info.slug = slug;
      info.name = title;
      if (icon != nullptr) info.brand_rgb = icon->rgb;
      impl->marks.push_back(std::move(info));
      impl->svgs.push_back(std::move(*bytes));
    }
    impl->icon_count = static_cast<int>(impl->marks.size());
  }

  if (options.wordmarks > 0) {
    const std::vector<std::string> fonts = find_font_files(options.font_paths);
    if (fonts.empty() && !options.hershey_wordmarks) {
      return Error{ErrorCode::kInvalidArgument,
                   "wordmarks need fonts: none found under font_paths and Hershey fonts are off"};
    }
    Rng rng(mix64(options.wordmark_seed ^ 0x776F72646D61726BULL));
    std::unordered_set<std::string> seen;
    while (static_cast<int>(impl->words.size()) < options.wordmarks) {
      std::string text = brand_like_text(rng);
      const std::vector<std::string> names = {text};
      if (options.exclude.match(names) || !seen.insert(normalize_mark_name(text)).second) continue;
      WordmarkSpec spec;
      spec.text = std::move(text);
      const bool hershey = fonts.empty() || (options.hershey_wordmarks && rng.chance(0.25));
      if (hershey) {
        spec.hershey_face =
            static_cast<int>(pick(rng, kHersheyFaces)) | (rng.chance(0.2) ? cv::FONT_ITALIC : 0);
        spec.stroke_fraction = rng.uniform(0.8, 2.5);
      } else {
        spec.font_file =
            fonts[static_cast<std::size_t>(rng.uniform_int(0, static_cast<int>(fonts.size()) - 1))];
        spec.tracking_em = rng.chance(0.6) ? 0.0 : rng.uniform(-0.04, 0.25);
      }
      MarkInfo info;
      info.id = static_cast<int>(impl->marks.size());
      info.kind = MarkKind::kWordmark;
      info.slug = fmt::format("wordmark-{:04d}", impl->words.size());
      info.name = spec.text;
      info.font = hershey ? fmt::format("hershey:{}", spec.hershey_face) : spec.font_file;
      impl->marks.push_back(std::move(info));
      impl->words.push_back(std::move(spec));
    }
  }
  if (impl->marks.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("no marks: {} and no wordmarks",
                             options.icons_dir.empty() ? "no icon folder"
                                                       : options.icons_dir + " holds no usable SVG")};
  }
  std::sort(impl->excluded.begin(), impl->excluded.end(),
            [](const ExcludedMark& a, const ExcludedMark& b) { return a.slug < b.slug; });
  return MarkLibrary(std::move(impl));
}

MarkLibrary::MarkLibrary(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MarkLibrary::MarkLibrary(MarkLibrary&&) noexcept = default;
MarkLibrary& MarkLibrary::operator=(MarkLibrary&&) noexcept = default;
MarkLibrary::~MarkLibrary() = default;

int MarkLibrary::size() const {
  return static_cast<int>(impl_->marks.size());
}
int MarkLibrary::icon_count() const {
  return impl_->icon_count;
}
int MarkLibrary::wordmark_count() const {
  return size() - impl_->icon_count;
}

const MarkInfo& MarkLibrary::info(int id) const {
  LOGOSCOPE_CHECK(id >= 0 && id < size());
  return impl_->marks[static_cast<std::size_t>(id)];
}

const std::vector<MarkInfo>& MarkLibrary::marks() const {
  return impl_->marks;
}

std::optional<int> MarkLibrary::find(std::string_view slug) const {
  for (const auto& mark : impl_->marks) {
    if (mark.slug == slug) return mark.id;
  }
  return std::nullopt;
}

const std::vector<ExcludedMark>& MarkLibrary::excluded() const {
  return impl_->excluded;
}

cv::Mat MarkLibrary::mask(int id, int long_side) const {
  LOGOSCOPE_CHECK(id >= 0 && id < size() && long_side >= 1);
  const int rung = rung_for(long_side);
  const cv::Mat source = rung >= 0 ? impl_->cached_render(id, rung) : impl_->render(id, long_side);
  if (source.empty()) return {};
  return resize_long_side(source, long_side);
}

}  // namespace logoscope::marks
