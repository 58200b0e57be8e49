// model/base_model.hpp — where the base model that ships with logoscope lives (models/base/ in
// the source tree: pretrained by `logoscope pretrain`, see models/base/MODEL_CARD.md).
//
// Lookup order: the LOGOSCOPE_BASE_MODEL environment variable (a model folder; "" or "none"
// switches the built-in base off), then models/base in the source tree this binary was built
// from, then ../share/logoscope/models/base beside the executable (an installed copy).
// models/base is the default network's base (nanodet-g); a base for another architecture lives
// beside it as models/base-ARCHITECTURE (models/base-fcos-resnet-fpn).
//
// Thread safety: reads the environment; call from one thread at start-up.
#pragma once

#include <optional>
#include <string>

namespace logoscope::model {

/// The base model folder, or nullopt when none is found (or it is switched off). With an
/// `architecture`, only a base of that architecture (LOGOSCOPE_BASE_MODEL is taken as it is).
std::optional<std::string> find_builtin_base_model(const std::string& architecture = "");

/// Where find_builtin_base_model looked, for error messages ("LOGOSCOPE_BASE_MODEL, /src/models/base").
std::string builtin_base_model_search_paths();

}  // namespace logoscope::model
