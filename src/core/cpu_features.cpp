#include "core/cpu_features.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace logoscope {

namespace {

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto name = line.substr(colon + 1);
        name.erase(0, name.find_first_not_of(" \t"));
        return name;
      }
    }
  }
  return "unknown";
}

CpuFeatures detect() {
  CpuFeatures f;
  f.model = cpu_model_name();
  f.logical_cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2") != 0;
  f.fma = __builtin_cpu_supports("fma") != 0;
  f.avx512f = __builtin_cpu_supports("avx512f") != 0;
  f.avx512bw = __builtin_cpu_supports("avx512bw") != 0;
  f.avx512vl = __builtin_cpu_supports("avx512vl") != 0;
  f.avx512dq = __builtin_cpu_supports("avx512dq") != 0;
  f.avx512_bf16 = __builtin_cpu_supports("avx512bf16") != 0;
  // CPUID leaf 7 EDX bit 22 (AMX-BF16): read directly, as clang before 16 has no name for it.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool leaf7 = __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0;
  f.amx_bf16 = leaf7 && (edx & (1U << 22U)) != 0;
  f.vnni = leaf7 && (ecx & (1U << 11U)) != 0;  // AVX512_VNNI
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) != 0 && (eax & (1U << 4U)) != 0) f.vnni = true;  // AVX-VNNI
#endif
  if (const char* onednn = std::getenv("ONEDNN_MAX_CPU_ISA"); onednn != nullptr && *onednn != '\0') {
    std::string level = onednn;
    std::transform(level.begin(), level.end(), level.begin(), [](unsigned char c) { return std::toupper(c); });
    const bool vnni_level = level == "ALL" || level.find("VNNI") != std::string::npos ||
                            level.find("BF16") != std::string::npos || level.find("AMX") != std::string::npos;
    if (!vnni_level) f.vnni = false;
  }
  if (const char* cap = std::getenv("LOGOSCOPE_CPU_ISA"); cap != nullptr && *cap != '\0') {
    std::string level = cap;
    std::transform(level.begin(), level.end(), level.begin(), [](unsigned char c) { return std::tolower(c); });
    if (level == "avx2" || level == "sse4" || level == "sse41" || level == "sse4.1") {
      f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = f.avx512_bf16 = f.amx_bf16 = f.vnni = false;
      if (level != "avx2") f.avx2 = f.fma = false;
    }
  }
  return f;
}

}  // namespace

std::string CpuFeatures::flags() const {
  std::string text;
  auto add = [&](bool present, const char* name) {
    if (!present) return;
    if (!text.empty()) text += ' ';
    text += name;
  };
  add(avx2, "avx2");
  add(fma, "fma");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512vl, "avx512vl");
  add(avx512dq, "avx512dq");
  add(avx512_bf16, "avx512_bf16");
  add(amx_bf16, "amx_bf16");
  add(vnni, "vnni");
  return text.empty() ? "(no AVX2)" : text;
}

std::string CpuFeatures::summary() const {
  return model + " — " + std::to_string(logical_cores) + " cores — " + flags();
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace logoscope
