// core/cpu_features.hpp — what this CPU can do, detected at run time, never assumed.
//
// Used to choose or refuse code paths (bfloat16 convolutions need AVX-512 BW/VL/DQ in libtorch's
// oneDNN) and to print the machine next to every measured number.
//
// LOGOSCOPE_CPU_ISA=avx2 (or sse4) reports at most that level, so that the fallbacks of a machine
// without AVX-512 can be exercised on one that has it; to make libtorch's kernels follow, also set
// ONEDNN_MAX_CPU_ISA=AVX2 and ATEN_CPU_CAPABILITY=avx2 (docs/architecture.md).
//
// Thread safety: reentrant (the detection runs once, thread-safely).
#pragma once

#include <string>

namespace logoscope {

struct CpuFeatures {
  std::string model;  ///< /proc/cpuinfo "model name", or "unknown"
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512_bf16 = false;
  bool amx_bf16 = false;
  /// AVX512-VNNI or AVX-VNNI: 8-bit dot products without 16-bit intermediate sums. Without it,
  /// oneDNN's int8 convolutions saturate on full 8-bit activations (int8_nanodet.hpp uses 7 bits).
  /// Cleared when ONEDNN_MAX_CPU_ISA caps oneDNN below a VNNI level.
  bool vnni = false;
  int logical_cores = 1;

  /// libtorch's bfloat16 convolutions (oneDNN) run here.
  [[nodiscard]] bool bf16_convolutions() const { return avx512bw && avx512vl && avx512dq; }
  /// "avx2 fma avx512f …": the flags above that are present.
  [[nodiscard]] std::string flags() const;
  /// "Intel(R) Xeon(R) … — 2 cores — avx2 fma avx512f …": one line for benchmark output.
  [[nodiscard]] std::string summary() const;
};

/// The features of this machine (after the LOGOSCOPE_CPU_ISA cap).
const CpuFeatures& cpu_features();

}  // namespace logoscope
