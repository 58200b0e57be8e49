// detect_bytes MODEL_DIR IMAGE [MIN_CONFIDENCE]: find logos in an image held in memory with the
// logoscope library, and print them as "name confidence left top width height" lines.
//
// The image is read into memory first, as a program receiving uploads would have it; the library
// decodes it (JPEG, PNG, WebP, TIFF, BMP, GIF, PNM). Two threads each run their own Session on the
// one shared Model, to show that the model is shared and sessions are per thread.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include <logoscope/detect.hpp>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL_DIR IMAGE [MIN_CONFIDENCE]\n", argv[0]);
    return 2;
  }
  std::ifstream file(argv[2], std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                        std::istreambuf_iterator<char>());
  if (bytes.empty()) {
    std::fprintf(stderr, "%s: cannot read the image\n", argv[2]);
    return 2;
  }

  auto model = logoscope::Model::load(argv[1]);
  if (!model) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return 2;
  }
  logoscope::DetectOptions options;
  if (argc > 3) options.min_confidence = std::atof(argv[3]);

  // The same image on two threads at once, one Session each; both must agree.
  std::vector<logoscope::Result<logoscope::DetectResult>> results(2, logoscope::Error{});
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      logoscope::Session session(*model, {.threads = 1});
      results[i] = session.detect(bytes, options, argv[2]);
    });
  }
  for (auto& thread : threads) thread.join();

  for (const auto& result : results) {
    if (!result) {
      std::fprintf(stderr, "%s\n", result.error().message.c_str());
      return 1;
    }
  }
  const auto& found = *results[0];
  if (found.labels.size() != results[1]->labels.size()) {
    std::fprintf(stderr, "the two sessions disagree\n");
    return 1;
  }
  std::printf("%dx%d, %zu labels\n", found.width, found.height, found.labels.size());
  for (const auto& label : found.labels) {
    const auto& box = label.bounding_box;
    std::printf("%s %.6f %.6f %.6f %.6f %.6f\n", label.name.c_str(), label.confidence, box.left, box.top,
                box.width, box.height);
  }
  return 0;
}
