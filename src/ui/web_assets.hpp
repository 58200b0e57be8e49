// ui/web_assets.hpp — the browser app (src/ui/web/), built into the binary at compile time
// (cmake/embed_web_assets.cmake), so `logoscope ui` needs no files beside it and no build step.
//
// Thread safety: immutable data.
#pragma once

#include <string_view>

namespace logoscope::ui {

struct WebAsset {
  std::string_view name;  ///< file name in src/ui/web/, e.g. "app.js"
  std::string_view content_type;
  std::string_view data;
};

/// The asset called `name`, or nullptr.
const WebAsset* find_web_asset(std::string_view name);

}  // namespace logoscope::ui
