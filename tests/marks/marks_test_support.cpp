#include "marks/marks_test_support.hpp"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace logoscope::testing {

namespace {

struct TestIcon {
  const char* slug;
  const char* title;
  const char* path;     // SVG path data in a 24×24 view box
  const char* aka;      // an alias, or nullptr
  const char* licence;  // a licence type, or nullptr (CC0 through simple-icons)
};

constexpr TestIcon kIcons[] = {
    {"acmeblocks", "Acme Blocks", "M2 2h9v9H2zM13 13h9v9h-9z", nullptr, nullptr},
    {"brightstar", "Bright Star", "M12 1l3 8h8l-6.5 5 2.5 8-7-5-7 5 2.5-8L1 9h8z", nullptr, nullptr},
    {"cocacola", "Coca-Cola", "M12 2a10 10 0 1 0 0.01 0zm0 5a5 5 0 1 1-0.01 0z", nullptr, nullptr},
    {"copyleftco", "Copyleft Co", "M3 3h18v4H3z", nullptr, "CC-BY-NC-4.0"},
    {"happyburger", "Happy Burger", "M2 8h20v3H2zM4 13h16v3H4z", "McDonald's Friends", nullptr},
    {"nike", "Nike", "M1 16c6 2 14-4 22-10-6 6-14 14-22 10z", nullptr, nullptr},
    {"redbullracing", "Red Bull Racing", "M2 12l10-9 10 9-10 9z", nullptr, nullptr},
    {"triangula", "Triangula", "M12 2L23 21H1z", nullptr, nullptr},
    {"wavetech", "Wave Tech", "M1 12c4-8 7-8 11 0s7 8 11 0v6H1z", nullptr, nullptr},
};

}  // namespace

std::vector<std::string> test_icon_slugs() {
  std::vector<std::string> slugs;
  for (const auto& icon : kIcons) slugs.emplace_back(icon.slug);
  return slugs;
}

std::string write_test_icon_set(const std::string& dir) {
  const fs::path icons = fs::path(dir) / "icons";
  const fs::path data = fs::path(dir) / "data";
  fs::create_directories(icons);
  fs::create_directories(data);
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& icon : kIcons) {
    std::ofstream(icons / (std::string(icon.slug) + ".svg"))
        << "<svg role=\"img\" viewBox=\"0 0 24 24\" xmlns=\"http://www.w3.org/2000/svg\"><title>"
        << icon.title << "</title><path d=\"" << icon.path << "\"/></svg>";
    nlohmann::json entry = {
        {"title", icon.title}, {"slug", icon.slug}, {"hex", "1F6FEB"}, {"source", "test"}};
    if (icon.aka != nullptr) entry["aliases"] = {{"aka", {icon.aka}}};
    if (icon.licence != nullptr) entry["license"] = {{"type", icon.licence}};
    entries.push_back(entry);
  }
  std::ofstream(data / "simple-icons.json") << entries.dump(1);
  return icons.string();
}

}  // namespace logoscope::testing
