// logoscope-bench-video: the real-time factor of `logoscope video` at 720p30 and 1080p30, every frame
// and at the default stride, and how far the default stride's exposure seconds are from the
// every-frame analysis.
//
// The clip: FlickrLogos-27 test photos (real logos; LOGOSCOPE_BENCH_DATA, default ../shared/data),
// each shown for 3 s with a slow pan and zoom, encoded by this machine's FFmpeg (H.264 when it has
// an encoder, else MPEG-4 part 2), written to a temporary folder.
//
// Usage: logoscope-bench-video [--model models/base] [--seconds 60] [--sizes 720,1080] [--tile auto|off]
//                              [--photos MANIFEST] [--work DIR]
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/cpu_features.hpp"
#include "logoscope/detect.hpp"
#include "video/video_analysis.hpp"

namespace fs = std::filesystem;
using namespace logoscope;

namespace {

// The images of a Ground Truth manifest (source-ref, relative to its folder), in file order.
std::vector<std::string> manifest_photos(const std::string& manifest) {
  std::ifstream in(manifest);
  std::vector<std::string> photos;
  std::string line;
  const std::string key = "\"source-ref\": \"";
  while (std::getline(in, line)) {
    const auto at = line.find(key);
    if (at == std::string::npos) continue;
    const auto start = at + key.size();
    const auto end = line.find('"', start);
    photos.push_back((fs::path(manifest).parent_path() / line.substr(start, end - start)).string());
  }
  return photos;
}

std::vector<std::string> test_photos(const std::string& data) {
  std::ifstream list(fs::path(data) / "flickrlogos27" / "test.txt");
  std::vector<std::string> photos;
  std::string line;
  while (std::getline(list, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) photos.push_back((fs::path(data) / "flickrlogos27" / "images" / line).string());
  }
  std::sort(photos.begin(), photos.end());
  return photos;
}

// A slideshow of `photos`, 3 s each, panning and zooming slowly; returns the codec used.
std::string write_clip(const std::vector<std::string>& photos, const std::string& path, int height,
                       double seconds) {
  const int width = height * 16 / 9;
  const double fps = 30.0;
  std::string codec = "avc1";
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('a', 'v', 'c', '1'), fps, {width, height});
  if (!writer.isOpened()) {
    codec = "mp4v";
    writer.open(path, cv::VideoWriter::fourcc('m', 'p', '4', 'v'), fps, {width, height});
  }
  if (!writer.isOpened()) throw std::runtime_error("cannot write " + path);
  const int frames = static_cast<int>(seconds * fps);
  const int per_photo = static_cast<int>(3 * fps);
  cv::Mat photo;
  for (int frame = 0; frame < frames; ++frame) {
    const int shot = frame / per_photo;
    if (frame % per_photo == 0) {
      photo = cv::imread(photos[static_cast<std::size_t>(shot) % photos.size()]);
      if (photo.empty())
        throw std::runtime_error("cannot read " + photos[static_cast<std::size_t>(shot) % photos.size()]);
    }
    const double t = static_cast<double>(frame % per_photo) / per_photo;  // 0..1 within the shot
    // Fit the photo to the frame, zoom 100 % -> 115 %, pan across what the zoom leaves.
    const double fit =
        std::min(static_cast<double>(width) / photo.cols, static_cast<double>(height) / photo.rows);
    const double zoom = fit * (1.0 + 0.15 * t);
    cv::Mat scaled;
    cv::resize(photo, scaled, {}, zoom, zoom, cv::INTER_LINEAR);
    cv::Mat canvas(height, width, CV_8UC3, cv::Scalar(20, 20, 20));
    const int ox = (width - scaled.cols) / 2 - static_cast<int>(0.05 * width * t);
    const int oy = (height - scaled.rows) / 2;
    const cv::Rect target = cv::Rect(ox, oy, scaled.cols, scaled.rows) & cv::Rect(0, 0, width, height);
    scaled(cv::Rect(target.x - ox, target.y - oy, target.width, target.height)).copyTo(canvas(target));
    writer.write(canvas);
  }
  return codec;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Real-time factor and stride agreement of `logoscope video`"};
  std::string model_dir = "models/base";
  double seconds = 60;
  std::vector<int> sizes = {720, 1080};
  std::string work;
  double every = 0.1;
  std::string tile = "off";  // as `logoscope video` (its --tile default)
  std::string photos_from;
  app.add_option("--model", model_dir, "Model folder")->capture_default_str();
  app.add_option("--seconds", seconds, "Length of the generated clip")->capture_default_str();
  app.add_option("--sizes", sizes, "Frame heights (16:9)")->delimiter(',');
  app.add_option("--every", every, "The default stride to compare with every frame, seconds")
      ->capture_default_str();
  app.add_option("--work", work, "Folder for the clips and outputs (default: a temporary one)");
  app.add_option("--photos", photos_from,
                 "A Ground Truth manifest whose images make the clip, in its order (default: the FlickrLogos-27 "
                 "test photos, sorted)");
  bool int8 = false;
  app.add_flag("--int8", int8, "8-bit convolutions from the model's calibration");
  app.add_option("--tile", tile,
                 "auto, on or off: tiling of frames larger than the model's size (default off, as `logoscope video`)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  CLI11_PARSE(app, argc, argv);

  const char* env = std::getenv("LOGOSCOPE_BENCH_DATA");
  const std::string data = env != nullptr ? env : "../shared/data";
  const auto photos = photos_from.empty() ? test_photos(data) : manifest_photos(photos_from);
  if (photos.empty()) {
    std::cerr << "no FlickrLogos-27 test photos under " << data
              << "/flickrlogos27 (set LOGOSCOPE_BENCH_DATA)\n";
    return 2;
  }
  if (work.empty()) work = (fs::temp_directory_path() / "logoscope-bench-video").string();
  fs::remove_all(work);
  fs::create_directories(work);

  std::cout << "CPU: " << cpu_features().summary() << "\n";
  ModelOptions model_options;
  model_options.tiling = tile == "off" ? Tiling::kOff : tile == "on" ? Tiling::kOn : Tiling::kAuto;
  model_options.int8 = int8;
  auto model = Model::load(model_dir, model_options);
  if (!model) {
    std::cerr << model.error().message << "\n";
    return 2;
  }
  Session session(*model);
  std::cout << fmt::format("model {} ({}), {} threads, tiling {}\n\n", model_dir,
                           (*model)->description().architecture, session.threads(), tile);
  std::cout << fmt::format("{:<8} {:<7} {:>9} {:>9} {:>8} {:>8} {:>10} {:>10}\n", "video", "codec",
                           "analysed", "wall s", "RTF", "stride", "exposures", "seconds");
  for (const int height : sizes) {
    const std::string clip = fmt::format("{}/clip_{}p30.mp4", work, height);
    const std::string codec = write_clip(photos, clip, height, seconds);
    std::vector<video::AnalysisSummary> runs;
    for (const double every_s : {0.0, every}) {
      video::AnalysisOptions options;
      options.every_s = every_s;
      auto summary =
          video::analyse_video(session, clip, fmt::format("{}/out_{}_{}", work, height, every_s), options);
      if (!summary) {
        std::cerr << summary.error().message << "\n";
        return 1;
      }
      int exposures = 0;
      double on_screen = 0;
      for (const auto& label : summary->exposure.labels) {
        exposures += label.exposures;
        on_screen += label.seconds;
      }
      std::cout << fmt::format("{:<8} {:<7} {:>9} {:>9.1f} {:>7.2f}x {:>8} {:>10} {:>10.2f}\n",
                               fmt::format("{}p30", height), codec, summary->frames_analysed, summary->wall_s,
                               summary->video_s / summary->wall_s, summary->stride, exposures, on_screen);
      runs.push_back(std::move(summary).value());
    }
    // Per label: seconds on screen at the stride against every frame.
    const auto& all = runs[0].exposure.labels;
    const auto& strided = runs[1].exposure.labels;
    double all_total = 0;
    double difference = 0;
    for (std::size_t l = 0; l < all.size(); ++l) {
      all_total += all[l].seconds;
      difference += std::abs(strided[l].seconds - all[l].seconds);
      if (all[l].seconds > 0 || strided[l].seconds > 0) {
        std::cout << fmt::format(
            "  {:<12} every frame {:>7.2f} s, every {} frames {:>7.2f} s ({:+.1f} %)\n", all[l].name,
            all[l].seconds, runs[1].stride, strided[l].seconds,
            all[l].seconds > 0 ? 100.0 * (strided[l].seconds - all[l].seconds) / all[l].seconds : 0.0);
      }
    }
    std::cout << fmt::format(
        "  seconds on screen, summed over labels: |difference| {:.2f} s of {:.2f} s ({:.1f} %)\n", difference,
        all_total, all_total > 0 ? 100.0 * difference / all_total : 0.0);
    // Summed over exposures (not their union): sensitive to where each exposure starts and ends.
    auto exposure_seconds = [](const video::AnalysisSummary& run) {
      double total = 0;
      for (const auto& track : run.exposure.tracks) total += track.seconds();
      return total;
    };
    const double every_frame = exposure_seconds(runs[0]);
    const double at_stride = exposure_seconds(runs[1]);
    std::cout << fmt::format(
        "  seconds summed over exposures: every frame {:.2f} s, every {} frames {:.2f} s ({:+.1f} %)\n\n",
        every_frame, runs[1].stride, at_stride,
        every_frame > 0 ? 100.0 * (at_stride - every_frame) / every_frame : 0.0);
  }
  return 0;
}
