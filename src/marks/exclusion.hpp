// marks/exclusion.hpp — which brand marks to leave out of pretraining, by name.
//
// The rule (docs/marks.md): every name of a mark (its slug, its title, each alias) is normalised
// by normalize_mark_name, and the mark is excluded when one of them CONTAINS one of the list's
// terms, also normalised. Containment rather than equality catches variants ("Red Bull" →
// "redbull" in "redbullracing", "Google Chrome"); it over-excludes on purpose.
//
// Thread safety: plain values; flickrlogos27_exclusions() is safe to call from any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope::marks {

/// Lower-case ASCII letters and digits only: ASCII letters are lower-cased, Latin-1 accented
/// letters in UTF-8 are folded to their base letter ("Citroën" → "citroen", "Æ" → "ae"), and
/// everything else (spaces, punctuation, other scripts) is dropped. "McDonald's" → "mcdonalds".
std::string normalize_mark_name(std::string_view name);

/// One term of an exclusion list, both normalised.
struct ExclusionTerm {
  std::string brand;  ///< the brand the term stands for ("hp")
  std::string term;   ///< the string looked for ("hewlettpackard")
};

class ExclusionList {
 public:
  /// A list with one term per string, each its own brand. Requires every term to normalise to a
  /// non-empty string (an empty term would match every mark).
  static ExclusionList from_terms(const std::vector<std::string>& terms);

  /// Adds `term` for `brand` (both normalised). Requires a non-empty normalised term.
  void add(std::string_view brand, std::string_view term);
  /// Appends the other list's terms.
  void merge(const ExclusionList& other);

  /// The first term contained in one of `names` (raw names: each is normalised here), or nullopt.
  [[nodiscard]] std::optional<ExclusionTerm> match(std::span<const std::string> names) const;
  [[nodiscard]] const std::vector<ExclusionTerm>& terms() const { return terms_; }
  [[nodiscard]] bool empty() const { return terms_.empty(); }

 private:
  std::vector<ExclusionTerm> terms_;
};

/// Parses the list format of flickrlogos27_brands.txt: one brand per line, optionally followed
/// by ':' and extra space-separated terms; '#' starts a comment; blank lines are skipped.
/// Errors: kParse naming `source_name`, the line and the text when a brand or term normalises to
/// nothing.
Result<ExclusionList> parse_exclusion_list(std::string_view text, const std::string& source_name);

/// The 27 FlickrLogos-27 brands and their extra terms (src/marks/flickrlogos27_brands.txt,
/// compiled in).
const ExclusionList& flickrlogos27_exclusions();

}  // namespace logoscope::marks
