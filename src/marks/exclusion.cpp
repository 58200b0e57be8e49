#include "marks/exclusion.hpp"

#include <fmt/format.h>

namespace logoscope::marks {

namespace detail {
extern const std::string_view kFlickrLogos27BrandsText;
}  // namespace detail

namespace {

// ASCII spelling of U+00C0..U+00FF (Latin-1 Supplement letters); "" for the signs × and ÷.
constexpr const char* kLatin1Fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // À..Ï
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // Ð..ß
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // à..ï
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",   // ð..ÿ
};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::string normalize_mark_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto byte = static_cast<unsigned char>(name[i]);
    if (byte >= 'A' && byte <= 'Z') {
      out.push_back(static_cast<char>(byte - 'A' + 'a'));
    } else if ((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9')) {
      out.push_back(static_cast<char>(byte));
    } else if (byte == 0xC3 && i + 1 < name.size()) {
      const auto next = static_cast<unsigned char>(name[i + 1]);
      if (next >= 0x80 && next <= 0xBF) {
        out += kLatin1Fold[next - 0x80];
        ++i;
      }
    }
  }
  return out;
}

ExclusionList ExclusionList::from_terms(const std::vector<std::string>& terms) {
  ExclusionList list;
  for (const auto& term : terms) list.add(term, term);
  return list;
}

void ExclusionList::add(std::string_view brand, std::string_view term) {
  ExclusionTerm entry{normalize_mark_name(brand), normalize_mark_name(term)};
  LOGOSCOPE_CHECK(!entry.term.empty());
  terms_.push_back(std::move(entry));
}

void ExclusionList::merge(const ExclusionList& other) {
  terms_.insert(terms_.end(), other.terms_.begin(), other.terms_.end());
}

std::optional<ExclusionTerm> ExclusionList::match(std::span<const std::string> names) const {
  if (terms_.empty()) return std::nullopt;
  for (const auto& name : names) {
    const std::string normalized = normalize_mark_name(name);
    for (const auto& entry : terms_) {
      if (normalized.find(entry.term) != std::string::npos) return entry;
    }
  }
  return std::nullopt;
}

Result<ExclusionList> parse_exclusion_list(std::string_view text, const std::string& source_name) {
  ExclusionList list;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const auto colon = line.find(':');
    const std::string_view brand = trim(line.substr(0, colon));
    if (normalize_mark_name(brand).empty()) {
      return Error{ErrorCode::kParse, fmt::format("{}:{}: brand \"{}\" has no letters or digits", source_name,
                                                  line_number, brand)};
    }
    list.add(brand, brand);
    if (colon == std::string_view::npos) continue;
    std::string_view rest = line.substr(colon + 1);
    while (!(rest = trim(rest)).empty()) {
      const auto space = rest.find_first_of(" \t");
      const std::string_view term = rest.substr(0, space);
      rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space);
      if (normalize_mark_name(term).empty()) {
        return Error{ErrorCode::kParse, fmt::format("{}:{}: term \"{}\" has no letters or digits",
                                                    source_name, line_number, term)};
      }
      list.add(brand, term);
    }
  }
  return list;
}

const ExclusionList& flickrlogos27_exclusions() {
  static const ExclusionList list = value_or_throw(
      parse_exclusion_list(detail::kFlickrLogos27BrandsText, "src/marks/flickrlogos27_brands.txt"));
  return list;
}

}  // namespace logoscope::marks
