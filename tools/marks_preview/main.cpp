// logoscope-marks-preview: writes pretraining scenes (src/marks) for a person to look at — JPEGs,
// a Ground Truth manifest and a mosaic with the boxes drawn — and measures generation speed.
//
//   scripts/fetch-marks.sh
//   build/bin/logoscope-marks-preview --out /tmp/scenes --count 24 --exclude-flickrlogos27
//
// Boxes in the mosaic: green = a mark to detect, red = ignore (mostly hidden or too faint).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <opencv2/imgproc.hpp>

#include "core/logging.hpp"
#include "dataset/formats.hpp"
#include "imageio/image_io.hpp"
#include "marks/exclusion.hpp"
#include "marks/mark_library.hpp"
#include "marks/scene_stream.hpp"

namespace fs = std::filesystem;
using namespace logoscope;

namespace {

cv::Mat annotate(const marks::SceneSample& sample, const marks::MarkLibrary& library) {
  cv::Mat out = sample.rgb.clone();
  for (const Box& box : sample.boxes) {
    const cv::Scalar colour = box.ignore ? cv::Scalar(255, 40, 40) : cv::Scalar(40, 255, 60);
    const cv::Point top_left(static_cast<int>(box.x0), static_cast<int>(box.y0));
    cv::rectangle(out, top_left, cv::Point(static_cast<int>(box.x1) - 1, static_cast<int>(box.y1) - 1),
                  colour, 1);
    cv::putText(out, library.info(box.label).slug.substr(0, 18), top_left + cv::Point(0, -2),
                cv::FONT_HERSHEY_PLAIN, 0.8, colour, 1, cv::LINE_AA);
  }
  return out;
}

cv::Mat mosaic(const std::vector<cv::Mat>& tiles, int columns) {
  const int rows = (static_cast<int>(tiles.size()) + columns - 1) / columns;
  const cv::Size tile = tiles.front().size();
  cv::Mat out(rows * (tile.height + 4), columns * (tile.width + 4), CV_8UC3, cv::Scalar(255, 255, 255));
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const int r = static_cast<int>(i) / columns;
    const int c = static_cast<int>(i) % columns;
    tiles[i].copyTo(
        out(cv::Rect(c * (tile.width + 4) + 2, r * (tile.height + 4) + 2, tile.width, tile.height)));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes pretraining scenes (brand marks on generated backgrounds) for a person to look at."};
  std::string icons = "build/marks/node_modules/simple-icons/icons";
  std::string out = "/tmp/logoscope-marks-preview";
  std::string photos;
  std::string mosaic_path;
  int count = 16;
  int columns = 4;
  int bench = 0;
  int bench_threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  std::uint64_t first = 0;
  bool flickrlogos27 = false;
  bool list_excluded = false;
  marks::SceneOptions options;
  marks::MarkLibraryOptions library_options;
  app.add_option("--icons", icons,
                 "simple-icons' icons/ folder (scripts/fetch-marks.sh); '' for wordmarks only");
  app.add_option("--out", out, "where the images, scenes.manifest and mosaic.png go");
  app.add_option("--count", count, "scenes to write")->check(CLI::Range(0, 100000));
  app.add_option("--first", first, "index of the first scene");
  app.add_option("--seed", options.seed, "scene seed");
  app.add_option("--width", options.width, "scene width, px");
  app.add_option("--height", options.height, "scene height, px");
  app.add_option("--wordmarks", library_options.wordmarks, "made-up wordmarks added to the icons");
  app.add_option("--photos", photos, "a folder of background photos");
  app.add_option("--mosaic", mosaic_path, "mosaic PNG path (default OUT/mosaic.png)");
  app.add_option("--columns", columns, "mosaic columns")->check(CLI::Range(1, 64));
  app.add_flag("--exclude-flickrlogos27", flickrlogos27,
               "leave out the FlickrLogos-27 brands (src/marks/flickrlogos27_brands.txt)");
  app.add_flag("--list-excluded", list_excluded, "print every mark left out and why");
  app.add_option("--bench", bench, "also time this many scenes on 1 thread and on --bench-threads threads");
  app.add_option("--bench-threads", bench_threads, "threads for --bench")->check(CLI::Range(1, 256));
  CLI11_PARSE(app, argc, argv);
  init_logging(Verbosity::kNormal);

  library_options.icons_dir = icons;
  if (flickrlogos27) library_options.exclude = marks::flickrlogos27_exclusions();
  options.background.photos_dir = photos;
  auto library = marks::MarkLibrary::load(library_options);
  if (!library) {
    std::fprintf(stderr, "marks-preview: %s\n", library.error().message.c_str());
    return 2;
  }
  std::printf("%d marks: %d icons, %d wordmarks; %zu left out\n", library->size(), library->icon_count(),
              library->wordmark_count(), library->excluded().size());
  if (list_excluded) {
    for (const auto& excluded : library->excluded()) {
      std::printf("  excluded %-32s %-36s %s\n", excluded.slug.c_str(), excluded.name.c_str(),
                  excluded.reason.c_str());
    }
  }
  auto stream = marks::SceneStream::create(*library, options);
  if (!stream) {
    std::fprintf(stderr, "marks-preview: %s\n", stream.error().message.c_str());
    return 2;
  }

  if (count > 0) {
    auto dataset = marks::write_scene_samples(*stream, out, first, count);
    if (!dataset) {
      std::fprintf(stderr, "marks-preview: %s\n", dataset.error().message.c_str());
      return 3;
    }
    const std::string manifest = (fs::path(out) / "scenes.manifest").string();
    if (auto written = dataset::write_dataset(*dataset, manifest, dataset::DatasetFormat::kManifest);
        !written) {
      std::fprintf(stderr, "marks-preview: %s\n", written.error().message.c_str());
      return 3;
    }
    std::vector<cv::Mat> tiles;
    std::size_t boxes = 0;
    std::size_t ignored = 0;
    for (int i = 0; i < count; ++i) {
      const marks::SceneSample sample = stream->next(first + static_cast<std::uint64_t>(i));
      for (const Box& box : sample.boxes) ignored += box.ignore ? 1 : 0;
      boxes += sample.boxes.size();
      if (i < 64) tiles.push_back(annotate(sample, *library));
    }
    if (mosaic_path.empty()) mosaic_path = (fs::path(out) / "mosaic.png").string();
    if (auto written = imageio::write_image_file(mosaic(tiles, columns), mosaic_path); !written) {
      std::fprintf(stderr, "marks-preview: %s\n", written.error().message.c_str());
      return 3;
    }
    std::printf("%d scenes (%zu boxes, %zu ignore) in %s, manifest %s, mosaic %s\n", count, boxes, ignored,
                out.c_str(), manifest.c_str(), mosaic_path.c_str());
  }

  if (bench > 0) {
    auto time_it = [&](int threads) {
      std::atomic<std::uint64_t> next{0};
      const auto start = std::chrono::steady_clock::now();
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
          for (std::uint64_t i = next++; i < static_cast<std::uint64_t>(bench); i = next++)
            (void)stream->next(1'000'000 + i);
        });
      }
      for (auto& worker : workers) worker.join();
      return bench / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    const double one = time_it(1);
    std::printf("%.1f scenes/s on 1 thread", one);
    if (bench_threads > 1) std::printf(", %.1f on %d threads", time_it(bench_threads), bench_threads);
    std::printf(" (%dx%d)\n", options.width, options.height);
  }
  return 0;
}
