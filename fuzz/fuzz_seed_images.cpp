// Writes the image fuzz target's seeds into DIR: the bad-input corpus and a well-formed image of
// every format (tests/support/test_images.hpp).
#include <iostream>

#include "support/test_images.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seed_images DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  using namespace logoscope::testing;
  for (const auto& input : bad_input_corpus()) input.write(dir);
  write_test_image(dir, "plain.jpg", 32, 24);
  write_test_image(dir, "plain.png", 32, 24);
  write_exif_rotated_jpeg(dir);
  write_progressive_jpeg(dir);
  write_cmyk_jpeg(dir);
  write_webp(dir);
  write_bmp(dir);
  write_tiff(dir);
  write_gif(dir);
  write_palette_png(dir);
  write_gray16_png(dir);
  write_alpha_png(dir);
  return 0;
}
