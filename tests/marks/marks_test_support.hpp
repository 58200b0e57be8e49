// Small generated icon sets for the marks tests: simple SVG shapes named like brands, and a
// simple-icons-style data file, so that no test needs the simple-icons package.
#pragma once

#include <string>
#include <vector>

namespace logoscope::testing {

/// Writes dir/icons/<slug>.svg for a handful of slugs (some named after FlickrLogos-27 brands,
/// one with a non-CC0 licence, one whose alias is a brand) and dir/data/simple-icons.json.
/// Returns dir/icons.
std::string write_test_icon_set(const std::string& dir);

/// The slugs write_test_icon_set writes, sorted.
std::vector<std::string> test_icon_slugs();

}  // namespace logoscope::testing
