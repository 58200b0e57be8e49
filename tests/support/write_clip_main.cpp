// write_test_clip OUT.avi FRAMES IMAGE… — a 10 fps MJPEG clip of 320×240 frames that shows each
// image for 5 frames in turn, for the shell tests that need a video (tests/cli/kill_test.sh).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s OUT.avi FRAMES IMAGE...\n", argv[0]);
    return 2;
  }
  const int frames = std::atoi(argv[2]);
  std::vector<cv::Mat> images;
  for (int i = 3; i < argc; ++i) {
    cv::Mat image = cv::imread(argv[i]);
    if (image.empty()) {
      std::fprintf(stderr, "%s: cannot read\n", argv[i]);
      return 1;
    }
    cv::resize(image, image, {320, 240});
    images.push_back(image);
  }
  cv::VideoWriter writer(argv[1], cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0, {320, 240});
  if (!writer.isOpened() || frames <= 0) {
    std::fprintf(stderr, "%s: cannot write %d frames\n", argv[1], frames);
    return 1;
  }
  for (int frame = 0; frame < frames; ++frame) writer.write(images[static_cast<std::size_t>(frame / 5) % images.size()]);
  return 0;
}
