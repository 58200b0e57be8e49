// train/console_progress.hpp — TrainProgress shown as progress bars (core/progress.hpp): one bar
// per phase, redrawn on a terminal, a line per 10 % otherwise. What the CLI, the benchmarks and
// pretraining pass as TrainConfig::on_progress.
//
// Thread safety: the returned function may be called from several threads (decoding reports from
// the pool).
#pragma once

#include "train/trainer.hpp"

namespace logoscope::train {

/// Bars on stderr; `enabled` false returns an empty function (silent).
ProgressFn console_progress(bool enabled);

}  // namespace logoscope::train
