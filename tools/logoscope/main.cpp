// The `logoscope` program: everything lives in src/cli.
#include <malloc.h>

#include "cli/cli_app.hpp"

int main(int argc, char** argv) {
  // glibc's default thresholds return large tensor buffers to the OS after every step and fault
  // them back in: measured 3x slower training and 8x slower first inference on 2 cores
  // (docs/training.md). 32 MiB is the largest mmap threshold glibc honours.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return logoscope::cli::run_cli(argc, argv);
}
