#include "infer/detect_pipeline.hpp"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <new>
#include <thread>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "infer/intra_op_threads.hpp"

namespace logoscope::infer {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Slot {
  ImageResult result;
  PreparedImage prepared;
};

// Out-of-memory is a property of one (huge) image, not the end of the run.
Error out_of_memory(const std::string& path, const char* what) {
  return Error{ErrorCode::kTooLarge,
               fmt::format("{}: not enough memory to detect in this image ({})", path, what)};
}

bool is_allocation_failure(const std::exception& error) {
  if (dynamic_cast<const std::bad_alloc*>(&error) != nullptr) return true;
  const std::string what = error.what();
  return what.find("can't allocate memory") != std::string::npos ||
         what.find("Insufficient memory") != std::string::npos;
}

void load_one(const Predictor& predictor, const std::string& path, std::size_t index,
              const PipelineOptions& options, Slot& slot) {
  slot.result.index = index;
  slot.result.path = path;
  const auto start = Clock::now();
  auto decoded = imageio::decode_image_file(path, options.decode);
  slot.result.times.decode_ms = ms_since(start);
  if (!decoded) {
    slot.result.error = decoded.error();
    return;
  }
  slot.result.warnings = std::move(decoded->warnings);
  slot.result.rgb = decoded->rgb;
  slot.result.width = decoded->rgb.cols;
  slot.result.height = decoded->rgb.rows;
  try {
    slot.prepared = predictor.prepare(slot.result.rgb);
  } catch (const std::exception& error) {
    if (!is_allocation_failure(error)) throw;
    slot.result.error = out_of_memory(path, error.what());
  }
}

void finish_one(const Predictor& predictor, Slot& slot) {
  if (slot.result.error) return;
  try {
    slot.result.detections = predictor.run(slot.prepared);
  } catch (const std::exception& error) {
    if (!is_allocation_failure(error)) throw;
    slot.result.error = out_of_memory(slot.result.path, error.what());
  }
  const double decode_ms = slot.result.times.decode_ms;
  slot.result.times = slot.prepared.times;
  slot.result.times.decode_ms = decode_ms;
  slot.prepared = {};
}

void finish_group(const Predictor& predictor, std::vector<Slot>& group) {
  std::vector<PreparedImage*> images;
  for (auto& slot : group) images.push_back(&slot.prepared);
  std::vector<std::vector<Detection>> detections;
  try {
    detections = predictor.run_batch(images);
  } catch (const std::exception& error) {
    if (!is_allocation_failure(error)) throw;
    for (auto& slot : group) finish_one(predictor, slot);  // one at a time needs less memory
    return;
  }
  for (std::size_t k = 0; k < group.size(); ++k) {
    Slot& slot = group[k];
    slot.result.detections = std::move(detections[k]);
    const double decode_ms = slot.result.times.decode_ms;
    slot.result.times = slot.prepared.times;
    slot.result.times.decode_ms = decode_ms;
    slot.prepared = {};
  }
}

}  // namespace

void detect_files(const Predictor& predictor, const std::vector<std::string>& paths, const PipelineOptions& options,
                  const std::function<void(ImageResult&)>& on_result) {
  if (options.decode_threads <= 0 && options.images_at_once <= 1) {
    for (std::size_t i = 0; i < paths.size(); ++i) {
      Slot slot;
      load_one(predictor, paths[i], i, options, slot);
      finish_one(predictor, slot);
      on_result(slot.result);
    }
    return;
  }
  // images_at_once > 1: each worker also runs the network on its image; the calling thread only
  // delivers results in order.
  const bool whole_images = options.images_at_once > 1;
  const std::size_t depth = std::max<std::size_t>(
      {1, options.queue_depth, whole_images ? 2 * static_cast<std::size_t>(options.images_at_once) : 1});
  std::mutex mutex;
  std::condition_variable ready_cv;
  std::condition_variable space_cv;
  std::map<std::size_t, Slot> ready;
  std::size_t next = 0;
  std::size_t consumed = 0;
  bool stop = false;
  std::exception_ptr worker_error;

  auto worker = [&] {
    // Decoding yields to the network: on few cores a worker that competes on equal terms
    // stalls libtorch's OpenMP barriers (BENCHMARKS.md, "Detection speed").
    if (options.background_priority && !whole_images) {
      (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
    }
    const ScopedIntraOpThreads threads(whole_images ? std::max(1, options.threads_per_image) : 0);
    for (;;) {
      std::size_t index = 0;
      {
        std::unique_lock lock(mutex);
        space_cv.wait(lock, [&] { return stop || next >= paths.size() || next < consumed + depth; });
        if (stop || next >= paths.size()) return;
        index = next++;
      }
      Slot slot;
      try {
        load_one(predictor, paths[index], index, options, slot);
        if (whole_images) finish_one(predictor, slot);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!worker_error) worker_error = std::current_exception();
        stop = true;
        ready_cv.notify_all();
        space_cv.notify_all();
        return;
      }
      std::lock_guard lock(mutex);
      ready.emplace(index, std::move(slot));
      ready_cv.notify_all();
    }
  };
  std::vector<std::thread> workers;
  const int thread_count = std::min<int>(whole_images ? options.images_at_once : options.decode_threads,
                                         static_cast<int>(std::max<std::size_t>(1, paths.size())));
  for (int t = 0; t < thread_count; ++t) workers.emplace_back(worker);
  auto stop_workers = [&] {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    space_cv.notify_all();
    for (auto& thread : workers) thread.join();
  };

  try {
    const std::size_t batch = whole_images ? 1 : std::max<std::size_t>(1, options.image_batch);
    auto joins = [](const Slot& first, const Slot& other) {
      return !first.result.error && !other.result.error &&
             Predictor::batchable(first.prepared, other.prepared);
    };
    for (std::size_t i = 0; i < paths.size();) {
      std::vector<Slot> group;
      {
        std::unique_lock lock(mutex);
        ready_cv.wait(lock, [&] { return ready.count(i) > 0 || worker_error; });
        if (ready.count(i) == 0) break;
        group.push_back(std::move(ready.at(i)));
        ready.erase(i);
        // Whatever is already decoded and fits in the same pass joins it; never wait for more.
        while (group.size() < batch) {
          const auto it = ready.find(i + group.size());
          if (it == ready.end() || !joins(group.front(), it->second)) break;
          group.push_back(std::move(it->second));
          ready.erase(it);
        }
        consumed = i + group.size();
      }
      space_cv.notify_all();
      if (!whole_images && group.size() == 1) {
        finish_one(predictor, group.front());
      } else if (!whole_images) {
        finish_group(predictor, group);
      }
      for (auto& slot : group) on_result(slot.result);
      i += group.size();
    }
  } catch (...) {
    stop_workers();
    throw;
  }
  stop_workers();
  if (worker_error) std::rethrow_exception(worker_error);
}

}  // namespace logoscope::infer
