#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "core/hash.hpp"
#include "core/progress.hpp"
#include "core/thread_pool.hpp"
#include "dataset/split.hpp"
#include "eval/metrics.hpp"
#include "eval/metrics_json.hpp"
#include "imageio/image_io.hpp"
#include "infer/network_runner.hpp"
#include "model/fcos_head_ops.hpp"
#include "model/model_info.hpp"
#include "model/network_io.hpp"
#include "synth/synth_dataset.hpp"
#include "train/batch_loader.hpp"

namespace fs = std::filesystem;

namespace logoscope::train {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxTrainLongSide = 1024;
constexpr int kMaxNegativeLongSide = 640;

// Decodes images once; big ones are downscaled (boxes with them) to bound memory and crop cost.
std::vector<augment::TrainImage> load_images(const std::vector<Sample>& samples, int max_long_side,
                                             const std::string& what, bool progress, std::int64_t& skipped) {
  std::vector<augment::TrainImage> images(samples.size());
  std::vector<bool> ok(samples.size(), false);
  Progress bar("decoding " + what, static_cast<std::int64_t>(samples.size()), progress);
  parallel_for(samples.size(), default_thread_count(), [&](std::size_t i) {
    auto decoded = imageio::decode_image_file(samples[i].image);
    bar.advance();
    if (!decoded) {
      spdlog::warn("skipping {}: {}", samples[i].image, decoded.error().message);
      return;
    }
    cv::Mat rgb = decoded->rgb;
    double scale = 1.0;
    if (std::max(rgb.cols, rgb.rows) > max_long_side) {
      scale = static_cast<double>(max_long_side) / std::max(rgb.cols, rgb.rows);
      cv::resize(rgb, rgb, {}, scale, scale, cv::INTER_AREA);
    }
    images[i].rgb = rgb;
    for (Box box : samples[i].boxes) {
      if (box.area() <= 0) continue;
      box.x0 *= scale;
      box.y0 *= scale;
      box.x1 *= scale;
      box.y1 *= scale;
      images[i].boxes.push_back(box);
    }
    ok[i] = true;
  });
  bar.finish();
  std::vector<augment::TrainImage> kept;
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (ok[i]) kept.push_back(std::move(images[i]));
  }
  skipped += static_cast<std::int64_t>(samples.size() - kept.size());
  return kept;
}

void ema_update(model::DetectorNet& ema, model::DetectorNet& net, double decay) {
  torch::NoGradGuard no_grad;
  auto ema_params = ema->parameters();
  auto params = net->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) ema_params[i].mul_(decay).add_(params[i].detach(), 1.0 - decay);
  auto ema_buffers = ema->buffers();
  auto buffers = net->buffers();
  for (std::size_t i = 0; i < buffers.size(); ++i) ema_buffers[i].copy_(buffers[i]);
}

void copy_weights(model::DetectorNet& to, model::DetectorNet& from) {
  torch::NoGradGuard no_grad;
  auto to_params = to->parameters();
  auto from_params = from->parameters();
  for (std::size_t i = 0; i < from_params.size(); ++i) to_params[i].copy_(from_params[i]);
  auto to_buffers = to->buffers();
  auto from_buffers = from->buffers();
  for (std::size_t i = 0; i < from_buffers.size(); ++i) to_buffers[i].copy_(from_buffers[i]);
}

// Runs `net` over `samples` (decoded on the fly) and scores the detections.
eval::Metrics evaluate_net(model::DetectorNet& net, const std::vector<int>& strides, const Dataset& data,
                           int long_side, std::vector<ImageDetections>* out_detections) {
  net->eval();
  infer::NetworkRunner runner(net, strides);
  infer::RunOptions options;
  options.long_side = long_side;
  options.min_score = 0.01F;
  std::vector<Sample> ground_truth;
  std::vector<ImageDetections> detections;
  for (const auto& sample : data.samples) {
    auto decoded = imageio::decode_image_file(sample.image);
    if (!decoded) continue;
    ground_truth.push_back(sample);
    ImageDetections image;
    image.image = sample.image;
    image.width = decoded->rgb.cols;
    image.height = decoded->rgb.rows;
    image.detections = runner.run(decoded->rgb, options);
    detections.push_back(std::move(image));
  }
  auto metrics = eval::compute_metrics(ground_truth, detections, data.labels);
  if (out_detections != nullptr) *out_detections = std::move(detections);
  return metrics;
}

std::size_t count_boxes(const std::vector<augment::TrainImage>& images) {
  std::size_t count = 0;
  for (const auto& image : images) count += image.boxes.size();
  return count;
}

std::uint64_t dataset_hash(const Dataset& data) {
  std::string text;
  for (const auto& label : data.labels) text += label + "\n";
  for (const auto& sample : data.samples) {
    text += sample.image;
    for (const auto& box : sample.boxes) text += fmt::format(" {} {} {} {} {}", box.label, box.x0, box.y0, box.x1, box.y1);
    text += "\n";
  }
  return fnv1a64(text);
}

nlohmann::json config_to_json(const TrainConfig& config) {
  const auto& a = config.augment;
  return {{"time_budget_s", config.time_budget_s}, {"epochs", config.epochs}, {"batch_size", config.batch_size},
          {"learning_rate", config.learning_rate}, {"weight_decay", config.weight_decay},
          {"ema_decay", config.ema_decay}, {"input_size", config.input_size},
          {"infer_long_side", config.infer_long_side}, {"seed", config.seed}, {"val_fraction", config.val_fraction},
          {"base_model", config.base_model},
          {"augment",
           {{"mosaic_prob", a.mosaic_prob}, {"negative_base_prob", a.negative_base_prob},
            {"max_pastes", a.max_pastes}, {"paste_prob", a.paste_prob}, {"max_distractors", a.max_distractors},
            {"flip_prob", a.flip_prob}, {"rotate_deg", a.rotate_deg}, {"color_jitter", a.color_jitter},
            {"grayscale_prob", a.grayscale_prob}, {"tint_prob", a.tint_prob}, {"blur_prob", a.blur_prob},
            {"noise_prob", a.noise_prob}, {"jpeg_prob", a.jpeg_prob}, {"occlusion_prob", a.occlusion_prob},
            {"min_box_side", a.min_box_side}, {"max_box_side_fraction", a.max_box_side_fraction}}}};
}

}  // namespace

Result<TrainSummary> train_detector(const TrainInputs& inputs, const TrainConfig& config, const std::string& model_dir) {
  const auto started = Clock::now();
  const bool preloaded = !inputs.images.empty();
  if (inputs.train.labels.empty() || (!preloaded && inputs.train.box_count() == 0)) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: no labeled boxes to learn from", inputs.train_source)};
  }
  std::error_code ec;
  fs::create_directories(model_dir, ec);
  if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot create the model folder: {}", model_dir, ec.message())};
  const int threads = config.threads > 0 ? config.threads : default_thread_count();
  torch::set_num_threads(threads);
  torch::manual_seed(config.seed);

  // Validation split, carved from train only when every label has enough images to spare.
  Dataset train_set = inputs.train;
  Dataset val_set;
  {
    std::vector<int> images_per_label(train_set.labels.size(), 0);
    for (const auto& sample : train_set.samples) {
      std::vector<bool> seen(train_set.labels.size(), false);
      for (const auto& box : sample.boxes) {
        if (box.label >= 0 && !seen[static_cast<std::size_t>(box.label)]) {
          seen[static_cast<std::size_t>(box.label)] = true;
          ++images_per_label[static_cast<std::size_t>(box.label)];
        }
      }
    }
    const int fewest = *std::min_element(images_per_label.begin(), images_per_label.end());
    if (!inputs.validation.samples.empty()) {
      val_set = inputs.validation;
    } else if (!preloaded && config.val_fraction > 0 && fewest >= config.min_val_label_images) {
      dataset::SplitOptions split;
      split.test_fraction = config.val_fraction;
      split.seed = config.seed;
      auto parts = dataset::split_dataset(train_set, split);
      if (parts) {
        train_set = std::move(parts->train);
        val_set = std::move(parts->test);
      }
    }
    if (!inputs.validation.samples.empty()) {
      spdlog::info("validation set: {} images", val_set.samples.size());
    } else if (val_set.samples.empty()) {
      spdlog::info("no validation split (a label has only {} images; {} needed): training on all, keeping the final "
                   "EMA weights", fewest, config.min_val_label_images);
    } else {
      spdlog::info("validation split: {} images carved from {} training images", val_set.samples.size(),
                   inputs.train.samples.size());
    }
  }

  std::int64_t skipped = 0;
  const auto positives = preloaded ? inputs.images
                                   : load_images(train_set.samples, kMaxTrainLongSide, "training images",
                                                 config.progress, skipped);
  std::vector<Sample> negative_samples;
  for (const auto& path : inputs.negatives) negative_samples.push_back(Sample{path, 0, 0, {}, {}});
  const auto negatives = load_images(negative_samples, kMaxNegativeLongSide, "negative images", config.progress, skipped);
  if (positives.empty()) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}: none of the training images could be read", inputs.train_source)};
  }
  const auto instances = augment::collect_instances(positives);
  spdlog::info("training on {} images ({} labeled instances, {} negatives, {} unreadable skipped), {} labels",
               positives.size(), instances.size(), negatives.size(), skipped, inputs.train.labels.size());

  augment::AugmentConfig augment_config = config.augment;
  augment_config.output_size = config.input_size;
  augment_config.distractor_marks.erase(
      std::remove_if(augment_config.distractor_marks.begin(), augment_config.distractor_marks.end(),
                     [&](int mark) { return inputs.train.find_label(synth::synthetic_label_name(mark)) >= 0; }),
      augment_config.distractor_marks.end());
  augment::FlipPolicy flip_policy;
  flip_policy.no_flip.assign(inputs.train.labels.size(), false);
  for (const auto& name : inputs.no_flip_labels) {
    const int label = inputs.train.find_label(name);
    if (label < 0) return Error{ErrorCode::kInvalidArgument, fmt::format("--no-flip names an unknown label \"{}\"", name)};
    flip_policy.no_flip[static_cast<std::size_t>(label)] = true;
  }

  model::ModelInfo info;
  info.labels = inputs.train.labels;
  info.thresholds.assign(info.labels.size(), 0.5F);
  info.train_size = config.input_size;
  info.infer_long_side = config.infer_long_side;
  const model::NetConfig net_config = model::net_config_of(info);
  model::DetectorNet net(net_config);
  model::DetectorNet ema(net_config);
  if (!config.base_model.empty()) {
    auto init = model::init_from_base(net, config.base_model);
    if (!init) return init.error();
    spdlog::info("starting from the base model {}: {} tensors taken over, {} freshly initialised", config.base_model,
                 init->copied, init->skipped);
  }
  model::to_channels_last(*net);
  model::to_channels_last(*ema);
  const torch::Device device = model::preferred_device();
  net->to(device);
  ema->to(device);
  copy_weights(ema, net);
  if (device.is_cuda()) spdlog::info("training on the GPU");

  std::vector<torch::Tensor> decay_params;
  std::vector<torch::Tensor> plain_params;
  for (const auto& item : net->named_parameters()) {
    (item.value().dim() > 1 ? decay_params : plain_params).push_back(item.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay_params, std::make_unique<torch::optim::AdamWOptions>(
                                        torch::optim::AdamWOptions(config.learning_rate).weight_decay(config.weight_decay)));
  groups.emplace_back(plain_params, std::make_unique<torch::optim::AdamWOptions>(
                                        torch::optim::AdamWOptions(config.learning_rate).weight_decay(0.0)));
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(config.learning_rate));

  const std::string last_net = (fs::path(model_dir) / "last_net.pt").string();
  const std::string last_ema = (fs::path(model_dir) / "last_ema.pt").string();
  const std::string last_optim = (fs::path(model_dir) / "last_optimizer.pt").string();
  const std::string last_state = (fs::path(model_dir) / "last_state.json").string();
  const std::string best_path = (fs::path(model_dir) / "best.pt").string();
  std::int64_t step = 0;
  double elapsed_before = 0;
  double best_ap = -1;
  if (config.resume) {
    std::ifstream state_in(last_state);
    if (!state_in) return Error{ErrorCode::kNotFound, fmt::format("{}: nothing to resume (no checkpoint)", last_state)};
    const auto state = nlohmann::json::parse(state_in, nullptr, false);
    if (state.is_discarded()) return Error{ErrorCode::kParse, fmt::format("{}: not valid JSON", last_state)};
    try {
      torch::load(net, last_net);
      torch::load(ema, last_ema);
      torch::load(optimizer, last_optim);
      net->to(device);
      ema->to(device);
    } catch (const c10::Error& error) {
      return Error{ErrorCode::kInvalidValue, fmt::format("{}: cannot resume: {}", model_dir, error.what_without_backtrace())};
    }
    step = state.value("step", 0);
    elapsed_before = state.value("elapsed_s", 0.0);
    best_ap = state.value("best_val_ap50", -1.0);
    spdlog::info("resuming at step {} ({:.0f} s already trained)", step, elapsed_before);
  }

  const auto samples_per_epoch = static_cast<std::int64_t>(positives.size() + negatives.size() / 2);
  const std::int64_t max_steps =
      config.epochs > 0 ? (config.epochs * samples_per_epoch + config.batch_size - 1) / config.batch_size : 0;
  auto progress_of = [&](std::int64_t at_step, double elapsed) {
    if (max_steps > 0) return static_cast<double>(at_step) / static_cast<double>(max_steps);
    return elapsed / config.time_budget_s;
  };
  const int warmup_steps = 60;
  std::ofstream csv((fs::path(model_dir) / "training.csv").string(), config.resume ? std::ios::app : std::ios::trunc);
  if (!config.resume) csv << "step,seconds,images,loss,cls_loss,box_loss,ctr_loss,lr,val_f1,val_ap50\n";

  BatchLoader loader(positives, negatives, instances, augment_config, flip_policy, model::DetectorNetImpl::strides(),
                     config.batch_size, config.seed + static_cast<std::uint64_t>(step) * 7919);
  Progress bar("training", 1000, config.progress);
  const auto loop_start = Clock::now();
  double loss_avg = 0;
  double cls_avg = 0;
  double box_avg = 0;
  double ctr_avg = 0;
  int next_validation = 1;
  int stale = 0;
  std::int64_t best_step = 0;
  double last_val_f1 = -1;
  double last_val_ap = -1;
  std::int64_t drawn_permille = 0;
  net->train();
  for (;;) {
    const double elapsed = elapsed_before + std::chrono::duration<double>(Clock::now() - loop_start).count();
    const double progress = progress_of(step, elapsed);
    if (progress >= 1.0) break;
    const double warm = std::min(1.0, static_cast<double>(step + 1) / warmup_steps);
    const double lr = config.learning_rate * warm * (0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * std::min(progress, 1.0))));
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

    Batch batch = loader.next();
    const auto out = model::flatten_levels(net->forward(batch.images.to(device)));
    const auto loss = model::fcos_loss(out, batch.labels.to(device), batch.boxes.to(device), batch.centerness.to(device));
    optimizer.zero_grad();
    loss.total.backward();
    torch::nn::utils::clip_grad_norm_(net->parameters(), 10.0);
    optimizer.step();
    const double ramp = std::min(config.ema_decay, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
    ema_update(ema, net, ramp);
    ++step;

    const double k = step == 1 ? 1.0 : 0.05;
    loss_avg += k * (loss.total.item<double>() - loss_avg);
    cls_avg += k * (loss.cls.item<double>() - cls_avg);
    box_avg += k * (loss.box.item<double>() - box_avg);
    ctr_avg += k * (loss.ctr.item<double>() - ctr_avg);
    const auto permille = static_cast<std::int64_t>(std::min(1.0, progress) * 1000);
    if (permille > drawn_permille) {
      bar.advance(permille - drawn_permille);
      drawn_permille = permille;
    }
    bar.set_status(fmt::format("loss {:.3f}{}", loss_avg, last_val_f1 >= 0 ? fmt::format(" val F1 {:.3f} AP50 {:.3f}", last_val_f1, last_val_ap) : ""));

    const double now_elapsed = elapsed_before + std::chrono::duration<double>(Clock::now() - loop_start).count();
    const bool validate_now = progress_of(step, now_elapsed) >= static_cast<double>(next_validation) / config.validations;
    if (!validate_now) continue;
    ++next_validation;
    if (!val_set.samples.empty()) {
      const auto metrics = evaluate_net(ema, model::DetectorNetImpl::strides(), val_set, config.infer_long_side, nullptr);
      last_val_f1 = metrics.mean_f1;
      last_val_ap = metrics.map50;
      if (metrics.map50 > best_ap) {
        best_ap = metrics.map50;
        stale = 0;
        best_step = step;
        auto saved = model::save_network(ema, best_path);
        if (!saved) return saved.error();
      } else if (best_ap > 0 && progress_of(step, now_elapsed) >= 0.5) {
        ++stale;  // patience counts only once something was learnt and half the budget is spent
      }
    }
    csv << fmt::format("{},{:.1f},{},{:.5f},{:.5f},{:.5f},{:.5f},{:.6f},{:.4f},{:.4f}\n", step, now_elapsed,
                       step * config.batch_size, loss_avg, cls_avg, box_avg, ctr_avg, lr, last_val_f1, last_val_ap);
    csv.flush();
    try {
      torch::save(net, last_net + ".tmp");
      torch::save(ema, last_ema + ".tmp");
      torch::save(optimizer, last_optim + ".tmp");
    } catch (const c10::Error& error) {
      return Error{ErrorCode::kIo, fmt::format("{}: cannot write a checkpoint: {}", model_dir, error.what_without_backtrace())};
    }
    fs::rename(last_net + ".tmp", last_net, ec);
    fs::rename(last_ema + ".tmp", last_ema, ec);
    fs::rename(last_optim + ".tmp", last_optim, ec);
    auto written = model::write_text_atomically(
        last_state, nlohmann::json{{"step", step}, {"elapsed_s", now_elapsed}, {"best_val_ap50", best_ap}}.dump());
    if (!written) return written.error();
    net->train();
    if (stale >= config.patience && !val_set.samples.empty()) {
      spdlog::info("stopping early: validation AP50 has not improved for {} checks", stale);
      break;
    }
  }
  bar.finish();
  const double train_seconds = elapsed_before + std::chrono::duration<double>(Clock::now() - loop_start).count();

  if (best_ap >= 0 && fs::exists(best_path)) {
    torch::load(ema, best_path);
    ema->to(device);  // torch::load may leave parameters on the CPU
  }
  ema->eval();
  auto saved = model::save_network(ema, (fs::path(model_dir) / "weights.pt").string());
  if (!saved) return saved.error();

  TrainSummary summary;
  summary.steps = step;
  summary.images_seen = step * config.batch_size;
  summary.train_seconds = train_seconds;
  summary.best_val_ap50 = best_ap;
  summary.model_dir = model_dir;
  if (!inputs.test.samples.empty()) {
    Dataset test = inputs.test;
    // Evaluate under the model's label indices (the test set may list labels in another order).
    for (auto& sample : test.samples) {
      for (auto& box : sample.boxes) {
        const std::string& name = inputs.test.labels[static_cast<std::size_t>(box.label)];
        box.label = inputs.train.find_label(name);
        if (box.label < 0) box.ignore = true;
      }
    }
    test.labels = inputs.train.labels;
    const auto metrics = evaluate_net(ema, model::DetectorNetImpl::strides(), test, config.infer_long_side, nullptr);
    for (std::size_t label = 0; label < metrics.labels.size(); ++label) {
      info.thresholds[label] = metrics.labels[label].ground_truth > 0 ? metrics.labels[label].assumed_threshold : 0.5F;
    }
    summary.test_metrics = eval::metrics_to_json(metrics, false);
    info.metrics = summary.test_metrics;
  }
  info.training = config_to_json(config);
  info.training["steps"] = step;
  info.training["images_seen"] = summary.images_seen;
  info.training["train_seconds"] = train_seconds;
  info.training["total_seconds"] = std::chrono::duration<double>(Clock::now() - started).count();
  info.training["threads"] = threads;
  info.training["best_val_ap50"] = best_ap;
  info.training["best_step"] = best_step;
  info.training["validation_images"] = val_set.samples.size();
  info.datasets = {{"train", {{"path", inputs.train_source}, {"images", preloaded ? inputs.images.size() : inputs.train.samples.size()},
                              {"boxes", preloaded ? count_boxes(inputs.images) : inputs.train.box_count()}, {"hash", hash_hex(dataset_hash(inputs.train))}}},
                   {"negatives", inputs.negatives.size()}};
  if (!inputs.test.samples.empty()) {
    info.datasets["test"] = {{"path", inputs.test_source}, {"images", inputs.test.samples.size()},
                             {"boxes", inputs.test.box_count()}, {"hash", hash_hex(dataset_hash(inputs.test))}};
  }
  auto written = model::write_model_info(info, model_dir);
  if (!written) return written.error();
  return summary;
}

}  // namespace logoscope::train
