// An upload to the web UI and an edit of its boxes, as `logoscope ui` handles them: the input is
// the upload's file name, a NUL, the edit's JSON body ({"boxes": [...]}), a NUL, and the file's
// bytes. Each input gets a new project folder: the image is imported (ui/project.hpp:
// import_image), the edit applied on the current revision (ui/ui_requests.hpp, set_boxes), and
// the project opened again as a later `logoscope ui` (or `train`) would.
//
// Beyond not crashing: an imported image lies under images/ whatever its name, a ref the project
// hands out resolves inside it, and what an accepted edit saved is what the reopened project
// reads (boxes and labels), so that no upload name or label is lost between the UI and the CLI.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_support.hpp"
#include "ui/project.hpp"
#include "ui/ui_requests.hpp"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace logoscope::ui;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t name_end = input.find('\0');
  if (name_end == std::string::npos) return 0;
  const std::size_t body_end = input.find('\0', name_end + 1);
  if (body_end == std::string::npos) return 0;
  const std::string name = input.substr(0, name_end);
  const std::string body = input.substr(name_end + 1, body_end - name_end - 1);
  const std::string bytes = input.substr(body_end + 1);

  static int counter = 0;
  const fs::path dir = fs::path(logoscope::fuzz::process_folder()) / ("project-" + std::to_string(counter++));
  {
    auto project = Project::open(dir.string());
    if (!project) std::abort();  // a new folder always makes a project
    auto ref = (*project)->import_image("train", name, bytes);
    if (ref) {
      const fs::path images = fs::canonical(dir / "images");
      auto path = (*project)->resolve_inside(*ref);
      if (!path || path->parent_path() != images) std::abort();
      const auto entry = (*project)->image("train", *ref);
      if (!entry) std::abort();
      auto edit = read_boxes_request(body);
      if (edit) {
        (void)(*project)->set_boxes("train", *ref, edit->boxes, entry->revision);
      }
      const auto saved = (*project)->image("train", *ref);
      const auto labels = (*project)->labels();
      auto reopened = Project::open(dir.string());
      if (!reopened) std::abort();  // what the project wrote, it reads back
      const auto read = (*reopened)->image("train", *ref);
      if (!read || read->boxes.size() != saved->boxes.size() || (*reopened)->labels() != labels) std::abort();
      for (std::size_t i = 0; i < read->boxes.size(); ++i) {
        const NamedBox& a = read->boxes[i];
        const NamedBox& b = saved->boxes[i];
        if (a.label != b.label || std::abs(a.x0 - b.x0) > 1e-3 || std::abs(a.y0 - b.y0) > 1e-3 ||
            std::abs(a.x1 - b.x1) > 1e-3 || std::abs(a.y1 - b.y1) > 1e-3) {
          std::abort();
        }
      }
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
