#include "train/trainer.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "core/files.hpp"
#include "core/hash.hpp"
#include "core/json_fields.hpp"
#include "core/paths.hpp"
#include "core/thread_pool.hpp"
#include "eval/metrics_json.hpp"
#include "model/base_model.hpp"
#include "model/fcos_head_ops.hpp"
#include "model/fcos_targets.hpp"
#include "infer/int8_nanodet.hpp"
#include "infer/predictor.hpp"
#include "model/model_info.hpp"
#include "model/network_io.hpp"
#include "synth/synth_dataset.hpp"
#include "train/batch_loader.hpp"
#include "train/start_network.hpp"
#include "train/training_data.hpp"
#include "train/validation.hpp"

namespace fs = std::filesystem;

namespace logoscope::train {

namespace {

using Clock = std::chrono::steady_clock;

// Fewer test boxes than this make a label's assumed threshold a guess: say so.
constexpr std::int64_t kFewTestBoxes = 10;
// Training photos that calibrate int8 inference (spread evenly over the set): a few seconds of
// float passes at the two sizes detection runs.
constexpr std::size_t kInt8CalibrationPositives = 24;
constexpr std::size_t kInt8CalibrationNegatives = 8;

void ema_update(model::DetectorImpl& ema, model::DetectorImpl& net, double decay) {
  torch::NoGradGuard no_grad;
  auto ema_params = ema.parameters();
  auto params = net.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].requires_grad()) ema_params[i].mul_(decay).add_(params[i].detach(), 1.0 - decay);
  }
  auto ema_buffers = ema.buffers();
  auto buffers = net.buffers();
  for (std::size_t i = 0; i < buffers.size(); ++i) ema_buffers[i].copy_(buffers[i]);
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

// Per sample, the highest class probability at a background location: how strongly the network
// sees a logo where there is none.
std::vector<float> strongest_background_scores(const torch::Tensor& cls_logits, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  const auto background = (labels == model::kBackground).unsqueeze(2).to(cls_logits.dtype());
  const auto scores = (torch::sigmoid(cls_logits.detach()) * background).amax({1, 2}).to(torch::kCPU).contiguous();
  return {scores.data_ptr<float>(), scores.data_ptr<float>() + scores.numel()};
}

// AdamW with two groups (trunk at a scaled learning rate, head at the full one), each split into
// decayed weights and undecayed biases/norms. Frozen parameters are left out.
struct Optimiser {
  std::unique_ptr<torch::optim::AdamW> adam;
  std::vector<double> lr_scale;  ///< per param group
};

Optimiser make_optimiser(model::DetectorImpl& net, const TrainConfig& config, double trunk_lr_scale) {
  std::vector<torch::Tensor> groups_params[4];  // trunk decay, trunk plain, head decay, head plain
  for (const auto& item : net.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    const int group = (net.is_head_parameter(item.key()) ? 2 : 0) + (item.value().dim() > 1 ? 0 : 1);
    groups_params[group].push_back(item.value());
  }
  Optimiser optimiser;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (int group = 0; group < 4; ++group) {
    if (groups_params[group].empty()) continue;
    const double decay = group % 2 == 0 ? config.weight_decay : 0.0;
    groups.emplace_back(groups_params[group],
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(config.learning_rate).weight_decay(decay)));
    optimiser.lr_scale.push_back(group < 2 ? trunk_lr_scale : 1.0);
  }
  optimiser.adam = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(config.learning_rate));
  return optimiser;
}

Status save_optimiser(torch::optim::AdamW& adam, const std::string& path) {
  std::ostringstream bytes;
  try {
    torch::save(adam, bytes);
  } catch (const c10::Error& error) {
    return Error{ErrorCode::kIo, fmt::format("{}: cannot write a checkpoint: {}", path, error.what_without_backtrace())};
  }
  return write_file_atomically(path, bytes.str());
}

struct Checkpoint {
  std::string net;
  std::string ema;
  std::string optimiser;
  std::string state;
  std::string best;
  explicit Checkpoint(const std::string& dir)
      : net((fs::path(dir) / "last_net.pt").string()),
        ema((fs::path(dir) / "last_ema.pt").string()),
        optimiser((fs::path(dir) / "last_optimizer.pt").string()),
        state((fs::path(dir) / "last_state.json").string()),
        best((fs::path(dir) / "best.pt").string()) {}
};

// "45 s", "19 min", "1 h 05 min": for messages that estimate.
std::string rough_duration(double seconds) {
  if (seconds < 90) return fmt::format("{:.0f} s", seconds);
  const auto minutes = std::llround(seconds / 60.0);
  if (minutes < 60) return fmt::format("{} min", minutes);
  return fmt::format("{} h {:02d} min", minutes / 60, minutes % 60);
}

std::string status_line(double loss, double val_f1, double val_ap) {
  return fmt::format("loss {:.3f}{}", loss, val_f1 >= 0 ? fmt::format(" val F1 {:.3f} AP50 {:.3f}", val_f1, val_ap) : "");
}

}  // namespace

std::int64_t recipe_steps(std::size_t labels, std::size_t labeled_photos) {
  const double photos = std::max<double>(static_cast<double>(labeled_photos), 20.0 * static_cast<double>(labels));
  const double steps = 400.0 * std::pow(std::max(1.0, photos / 20.0), 0.55);
  return std::clamp<std::int64_t>(50 * std::llround(steps / 50.0), 400, 4000);
}

nlohmann::json config_to_json(const TrainConfig& config) {
  const auto& a = config.augment;
  return {{"time_budget_s", config.time_budget_s}, {"max_steps", config.max_steps}, {"epochs", config.epochs},
          {"batch_size", config.batch_size}, {"learning_rate", config.learning_rate},
          {"trunk_lr_scale", config.trunk_lr_scale}, {"weight_decay", config.weight_decay},
          {"ema_decay", config.ema_decay}, {"input_size", config.input_size},
          {"infer_long_side", config.infer_long_side}, {"seed", config.seed}, {"val_fraction", config.val_fraction},
          {"min_val_label_images", config.min_val_label_images}, {"validations", config.validations},
          {"patience", config.patience},
          {"architecture", config.architecture}, {"base_model", config.base_model}, {"freeze", config.freeze},
          {"hard_negative_weight", config.hard_negative_weight},
          {"augment",
           {{"mosaic_prob", a.mosaic_prob}, {"negative_base_prob", a.negative_base_prob},
            {"max_pastes", a.max_pastes}, {"paste_prob", a.paste_prob}, {"max_distractors", a.max_distractors},
            {"flip_prob", a.flip_prob}, {"rotate_deg", a.rotate_deg}, {"color_jitter", a.color_jitter},
            {"grayscale_prob", a.grayscale_prob}, {"tint_prob", a.tint_prob}, {"blur_prob", a.blur_prob},
            {"noise_prob", a.noise_prob}, {"jpeg_prob", a.jpeg_prob}, {"occlusion_prob", a.occlusion_prob},
            {"min_box_side", a.min_box_side}, {"max_box_side_fraction", a.max_box_side_fraction},
            {"min_visible_fraction", a.min_visible_fraction}, {"distractor_marks", a.distractor_marks}}}};
}

namespace {

// A resumed run rebuilds the network it checkpointed: the architecture, base model and frozen
// parts its first run recorded in last_state.json, unless given again.
Result<TrainConfig> resumed_config(const TrainConfig& requested, const std::string& state_path) {
  TrainConfig config = requested;
  if (!requested.resume) return config;
  std::ifstream state_in(state_path);
  if (!state_in) return Error{ErrorCode::kNotFound, fmt::format("{}: nothing to resume (no checkpoint)", state_path)};
  const auto state = nlohmann::json::parse(state_in, nullptr, false);
  if (state.is_discarded() || !state.is_object()) {
    return Error{ErrorCode::kParse, fmt::format("{}: not valid JSON", state_path)};
  }
  const auto network = state.value("network", nlohmann::json());
  if (!network.is_object()) {
    // A checkpoint from before the network was recorded: its run most likely started, as train
    // does by default, from the built-in base model.
    if (config.architecture.empty() && config.base_model.empty()) {
      if (const auto builtin = model::find_builtin_base_model()) config.base_model = *builtin;
    }
    return config;
  }
  if (config.architecture.empty()) config.architecture = field_or<std::string>(network, "architecture", "");
  if (config.base_model.empty()) config.base_model = field_or<std::string>(network, "base_model", "");
  if (config.freeze == 0) config.freeze = field_or(network, "freeze", 0);
  if (config.trunk_lr_scale < 0) config.trunk_lr_scale = field_or(network, "trunk_lr_scale", -1.0);
  return config;
}

}  // namespace

Result<TrainSummary> train_detector(const TrainInputs& inputs, const TrainConfig& requested_config,
                                    const std::string& model_dir) {
  const auto resumed = resumed_config(requested_config, Checkpoint(model_dir).state);
  if (!resumed) return resumed.error();
  const TrainConfig& config = *resumed;
  const auto started_at = Clock::now();
  std::error_code ec;
  fs::create_directories(model_dir, ec);
  if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot create the model folder: {}", model_dir, ec.message())};
  const int threads = choose_thread_count(config.threads);
  torch::set_num_threads(threads);
  torch::manual_seed(config.seed);
  const ProgressFn& progress = config.on_progress;

  // 1. Data.
  auto prepared = prepare_training_data(inputs, config);
  if (!prepared) return prepared.error();
  const TrainingData& data = *prepared;
  const Dataset validation = in_model_labels(data.validation, inputs.train.labels);

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

  // 2. Network.
  auto started = start_network(inputs.train.labels, config);
  if (!started) return started.error();
  model::ModelInfo& info = started->info;
  model::Detector net = started->net;
  model::Detector ema = model::build_network(info);
  model::to_channels_last(*net);
  model::to_channels_last(*ema);
  const torch::Device device = model::preferred_device();
  net->to(device);
  ema->to(device);
  model::copy_weights(*ema, *net);
  if (device.is_cuda()) spdlog::info("training on the GPU");
  Optimiser optimiser = make_optimiser(*net, config, started->trunk_lr_scale);

  // 3. The loop.
  const Checkpoint checkpoint(model_dir);
  std::int64_t step = 0;
  double elapsed_before = 0;
  double best_ap = -1;
  if (config.resume) {
    std::ifstream state_in(checkpoint.state);
    if (!state_in) return Error{ErrorCode::kNotFound, fmt::format("{}: nothing to resume (no checkpoint)", checkpoint.state)};
    const auto state = nlohmann::json::parse(state_in, nullptr, false);
    if (state.is_discarded()) return Error{ErrorCode::kParse, fmt::format("{}: not valid JSON", checkpoint.state)};
    try {
      auto load_into = [](model::DetectorImpl& module, const std::string& path) {
        torch::serialize::InputArchive archive;
        archive.load_from(path);
        module.load(archive);
      };
      load_into(*net, checkpoint.net);
      load_into(*ema, checkpoint.ema);
      torch::load(*optimiser.adam, checkpoint.optimiser);
      net->to(device);
      ema->to(device);
    } catch (const c10::Error& error) {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("{}: cannot resume: the checkpoint does not fit a {} network ({}); a checkpoint from an "
                               "earlier version records no network: resume with the --architecture and --base its "
                               "training started from",
                               model_dir, info.architecture, error.what_without_backtrace())};
    }
    step = field_or<std::int64_t>(state, "step", 0);
    elapsed_before = field_or(state, "elapsed_s", 0.0);
    best_ap = field_or(state, "best_val_ap50", -1.0);
    spdlog::info("resuming at step {} ({:.0f} s already trained)", step, elapsed_before);
  }

  const auto samples_per_epoch = static_cast<std::int64_t>(data.positives.size() + data.negatives.size() / 2);
  std::int64_t max_steps = config.max_steps;
  std::string steps_from = "steps";
  if (max_steps == kRecipeSteps) {
    max_steps = recipe_steps(inputs.train.labels.size(), inputs.train.samples.size());
    steps_from = "recipe";
    spdlog::info("{} steps: the default for {} and {} labeled photos (--steps sets another count)", max_steps,
                 inputs.train.labels.size() == 1 ? std::string("1 label") : fmt::format("{} labels", inputs.train.labels.size()),
                 inputs.train.samples.size());
  } else if (max_steps <= 0 && config.epochs > 0) {
    max_steps = (config.epochs * samples_per_epoch + config.batch_size - 1) / config.batch_size;
    steps_from = "epochs";
  } else if (max_steps <= 0) {
    max_steps = 0;
    steps_from = "time_budget";
  }
  const bool capped = config.time_budget_s > 0;
  if (max_steps == 0 && !capped) {
    return Error{ErrorCode::kInvalidArgument, "nothing ends the training: give a step count, epochs or a time budget"};
  }
  // How far the run is, 0..1: the step count's fraction, or the time budget's when it is further along.
  auto progress_of = [&](std::int64_t at_step, double elapsed) {
    double fraction = max_steps > 0 ? static_cast<double>(at_step) / static_cast<double>(max_steps) : 0.0;
    if (capped) fraction = std::max(fraction, elapsed / config.time_budget_s);
    return fraction;
  };
  const int warmup_steps = 60;
  const std::string csv_path = (fs::path(model_dir) / "training.csv").string();
  if (config.resume) {
    // Rows logged after the checkpoint (and a line cut by the kill) are redone by this run.
    std::ifstream old_csv(csv_path);
    std::string kept;
    std::string line;
    bool header = true;
    while (std::getline(old_csv, line)) {
      const auto comma = line.find(',');
      std::int64_t row_step = -1;
      if (!header && comma != std::string::npos) std::from_chars(line.data(), line.data() + comma, row_step);
      if (header || (row_step >= 0 && row_step <= step && std::count(line.begin(), line.end(), ',') == 9)) {
        kept += line + "\n";
      }
      header = false;
    }
    if (auto rewritten = write_file_atomically(csv_path, kept); !rewritten) return rewritten.error();
  }
  std::ofstream csv(csv_path, config.resume ? std::ios::app : std::ios::trunc);
  if (!config.resume) csv << "step,seconds,images,loss,cls_loss,box_loss,ctr_loss,lr,val_f1,val_ap50\n";

  BatchLoader loader(data.positives, data.negatives, data.instances, augment_config, flip_policy, net->strides(),
                     config.batch_size, config.seed + static_cast<std::uint64_t>(step) * 7919, config.hard_negative_weight);
  const auto loop_start = Clock::now();
  double loss_avg = 0;
  double cls_avg = 0;
  double box_avg = 0;
  double ctr_avg = 0;
  // A resumed run validates at its next scheduled point, not at every one it has passed.
  // Validation (and its checkpoint) effort follows the run's length: one check per 50 steps or 30 s
  // of budget, at most config.validations; a 30-step smoke test checks once, at its end.
  const double run_length = max_steps > 0 ? static_cast<double>(max_steps) / 50.0 : config.time_budget_s / 30.0;
  const int validations = std::clamp(static_cast<int>(run_length), 1, std::max(1, config.validations));
  int next_validation = 1 + static_cast<int>(std::floor(progress_of(step, elapsed_before) * validations));
  int stale = 0;
  std::int64_t best_step = 0;
  double last_val_f1 = -1;
  double last_val_ap = -1;
  // The bar counts steps when a step count is set, else seconds of the time budget.
  std::int64_t reported_done = -1;
  auto report = [&](std::int64_t at_step, double elapsed, bool finished) {
    if (!progress) return;
    const bool by_steps = max_steps > 0;
    const std::int64_t total = by_steps ? max_steps : static_cast<std::int64_t>(std::ceil(config.time_budget_s));
    std::int64_t done = by_steps ? at_step : static_cast<std::int64_t>(elapsed);
    if (finished && !by_steps) done = std::max(done, total);  // a step count cut short shows where it stopped
    if (done == reported_done && !finished) return;
    reported_done = done;
    progress({TrainProgress::Phase::kTraining, by_steps ? "steps" : "seconds", std::min(done, total), total,
              status_line(loss_avg, last_val_f1, last_val_ap), finished});
  };
  // What a resumed run needs to rebuild this network, recorded with every checkpoint.
  std::error_code absolute_ec;
  const nlohmann::json network = {{"architecture", info.architecture},
                                  {"base_model", config.base_model.empty() || is_s3_uri(config.base_model)
                                                     ? config.base_model
                                                     : fs::absolute(config.base_model, absolute_ec).string()},
                                  {"freeze", config.freeze},
                                  {"trunk_lr_scale", started->trunk_lr_scale}};
  // Why the loop ends: its step count (or epochs), the wall-clock budget, or early stopping.
  std::string stopped_by;
  // Where this run's wall time goes (model.json "time_split_s"): the network's steps (forward with
  // the loss, backward, the update), waiting for the loader's next batch, and validation with its
  // checkpoints.
  const std::int64_t step_at_start = step;
  double waiting_s = 0;
  double steps_s = 0;
  double forward_s = 0;   // forward pass and loss
  double backward_s = 0;
  double update_s = 0;    // gradient clipping, AdamW, EMA
  double validating_s = 0;
  auto seconds_between = [](Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
  };
  net->train();
  for (;;) {
    const double elapsed = elapsed_before + std::chrono::duration<double>(Clock::now() - loop_start).count();
    const double fraction = progress_of(step, elapsed);
    if (fraction >= 1.0) {
      stopped_by = max_steps > 0 && step >= max_steps ? (steps_from == "epochs" ? "epochs" : "steps") : "time_budget";
      break;
    }
    if (config.stop_requested && config.stop_requested()) {
      spdlog::info("stopping at step {}, as asked; the model keeps the best weights so far", step);
      stopped_by = "stopped";
      break;
    }
    const double warm = std::min(1.0, static_cast<double>(step + 1) / warmup_steps);
    const double lr = config.learning_rate * warm * (0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * std::min(fraction, 1.0))));
    auto& groups = optimiser.adam->param_groups();
    for (std::size_t group = 0; group < groups.size(); ++group) {
      static_cast<torch::optim::AdamWOptions&>(groups[group].options()).lr(lr * optimiser.lr_scale[group]);
    }

    const auto wait_start = Clock::now();
    Batch batch = loader.next();
    const auto step_start = Clock::now();
    waiting_s += seconds_between(wait_start, step_start);
    const auto out = model::flatten_levels(net->forward(batch.images.to(device)));
    const auto labels = batch.labels.to(device);
    const auto loss = model::fcos_loss(out, labels, batch.boxes.to(device), batch.centerness.to(device));
    const auto backward_start = Clock::now();
    forward_s += seconds_between(step_start, backward_start);
    optimiser.adam->zero_grad();
    loss.total.backward();
    const auto update_start = Clock::now();
    backward_s += seconds_between(backward_start, update_start);
    torch::nn::utils::clip_grad_norm_(net->parameters(), 10.0);
    optimiser.adam->step();
    const double ramp = std::min(config.ema_decay, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
    ema_update(*ema, *net, ramp);
    update_s += seconds_between(update_start, Clock::now());
    if (config.hard_negative_weight > 0) loader.report_scores(batch.negative_sources, strongest_background_scores(out.cls, labels));
    ++step;

    const double k = step == 1 ? 1.0 : 0.05;
    loss_avg += k * (loss.total.item<double>() - loss_avg);
    cls_avg += k * (loss.cls.item<double>() - cls_avg);
    box_avg += k * (loss.box.item<double>() - box_avg);
    ctr_avg += k * (loss.ctr.item<double>() - ctr_avg);
    steps_s += seconds_between(step_start, Clock::now());
    const double now_elapsed = elapsed_before + std::chrono::duration<double>(Clock::now() - loop_start).count();
    report(step, now_elapsed, false);

    const bool validate_now = progress_of(step, now_elapsed) >= static_cast<double>(next_validation) / validations;
    if (!validate_now) {
      // The loss every 10 steps (validation columns empty), for the report's training curve.
      if (step % 10 == 0) {
        csv << fmt::format("{},{:.1f},{},{:.5f},{:.5f},{:.5f},{:.5f},{:.6f},,\n", step, now_elapsed,
                           step * config.batch_size, loss_avg, cls_avg, box_avg, ctr_avg, lr);
      }
      continue;
    }
    ++next_validation;
    const auto validation_start = Clock::now();
    if (!validation.samples.empty()) {
      const auto score = score_network(info, *ema, validation, TrainProgress::Phase::kValidating, progress);
      last_val_f1 = score.metrics.mean_f1;
      last_val_ap = score.metrics.map50;
      if (score.metrics.map50 > best_ap) {
        best_ap = score.metrics.map50;
        stale = 0;
        best_step = step;
        auto saved = model::save_network(*ema, checkpoint.best);
        if (!saved) return saved.error();
      } else if (best_ap > 0 && progress_of(step, now_elapsed) >= 0.5) {
        ++stale;  // patience counts only once something was learnt and half the budget is spent
      }
    }
    csv << fmt::format("{},{:.1f},{},{:.5f},{:.5f},{:.5f},{:.5f},{:.6f},{:.4f},{:.4f}\n", step, now_elapsed,
                       step * config.batch_size, loss_avg, cls_avg, box_avg, ctr_avg, lr, last_val_f1, last_val_ap);
    csv.flush();
    for (auto status : {model::save_network(*net, checkpoint.net), model::save_network(*ema, checkpoint.ema),
                        save_optimiser(*optimiser.adam, checkpoint.optimiser)}) {
      if (!status) return status.error();
    }
    auto written = model::write_text_atomically(checkpoint.state, nlohmann::json{{"step", step},
                                                                                  {"elapsed_s", now_elapsed},
                                                                                  {"best_val_ap50", best_ap},
                                                                                  {"network", network}}
                                                                      .dump());
    if (!written) return written.error();
    validating_s += seconds_between(validation_start, Clock::now());
    net->train();
    // Early stopping is for a run that would go on: at its last validation the run ends anyway, by
    // its steps or its time cap, and says which.
    if (stale >= config.patience && !validation.samples.empty() && progress_of(step, now_elapsed) < 1.0) {
      spdlog::info("stopping early: validation AP50 has not improved for {} checks", stale);
      stopped_by = "early_stop";
      break;
    }
  }
  report(step, elapsed_before + std::chrono::duration<double>(Clock::now() - loop_start).count(), true);
  const double train_seconds = elapsed_before + std::chrono::duration<double>(Clock::now() - loop_start).count();
  const double steps_per_second = train_seconds > 0 ? static_cast<double>(step) / train_seconds : 0.0;
  spdlog::info("training time: {:.0f} s in network steps ({:.1f} img/s), {:.0f} s waiting for batches, {:.0f} s validating "
               "and checkpointing",
               steps_s, steps_s > 0 ? static_cast<double>(step - step_at_start) * config.batch_size / steps_s : 0.0,
               waiting_s, validating_s);
  if (stopped_by == "time_budget" && max_steps > 0) {
    spdlog::warn("the time budget ({}) stopped training at step {} of {}: expect lower accuracy; {} steps take about "
                 "{} on this CPU",
                 rough_duration(config.time_budget_s), step, max_steps, max_steps,
                 steps_per_second > 0 ? rough_duration(static_cast<double>(max_steps) / steps_per_second) : "?");
  } else if (stopped_by == "time_budget") {
    spdlog::info("the time budget stopped training at step {} ({:.0f} s, {:.0f} steps a minute on this CPU): a faster "
                 "machine gets more steps from the same budget; --steps N trains the same model on any machine",
                 step, train_seconds, 60.0 * steps_per_second);
  }

  // 4. The weights to keep, the test evaluation and its thresholds, the model folder.
  if (best_ap >= 0 && fs::exists(checkpoint.best)) {
    torch::serialize::InputArchive archive;
    archive.load_from(checkpoint.best);
    ema->load(archive);
    ema->to(device);  // loading may leave parameters on the CPU
  }
  ema->eval();
  auto saved = model::save_network(*ema, (fs::path(model_dir) / "weights.pt").string());
  if (!saved) return saved.error();

  TrainSummary summary;
  summary.steps = step;
  summary.planned_steps = max_steps;
  summary.stopped_by = stopped_by;
  summary.images_seen = step * config.batch_size;
  summary.train_seconds = train_seconds;
  summary.images_per_second = train_seconds > 0 ? static_cast<double>(summary.images_seen) / train_seconds : 0;
  summary.best_val_ap50 = best_ap;
  summary.model_dir = model_dir;
  info.training = config_to_json(config);
  if (info.architecture == "nanodet-g") {
    // `detect --int8` runs from these activation ranges (infer/int8_nanodet.hpp).
    std::vector<cv::Mat> calibration;
    auto take = [&](const std::vector<augment::TrainImage>& from, std::size_t count) {
      const std::size_t n = std::min(count, from.size());
      for (std::size_t k = 0; k < n; ++k) calibration.push_back(from[k * from.size() / n].rgb);
    };
    take(data.positives, kInt8CalibrationPositives);
    take(data.negatives, kInt8CalibrationNegatives);
    if (!calibration.empty()) {
      // At the sizes detect runs: the whole pass and the large-logo pass.
      auto quantization =
          infer::calibrate_int8(*ema, calibration, {info.infer_long_side, infer::large_logo_pass_side(info)});
      if (!quantization) return quantization.error();
      info.quantization = std::move(quantization).value();
    }
  }
  if (!inputs.test.samples.empty()) {
    const Dataset test = in_model_labels(inputs.test, inputs.train.labels);
    const auto score = score_network(info, *ema, test, TrainProgress::Phase::kTesting, progress);
    for (std::size_t label = 0; label < score.metrics.labels.size(); ++label) {
      const auto& metrics = score.metrics.labels[label];
      info.thresholds[label] = metrics.ground_truth > 0 ? metrics.assumed_threshold : 0.5F;
      if (metrics.ground_truth < kFewTestBoxes) {
        spdlog::warn("label {}: its assumed threshold comes from only {} test boxes; a --test set with {} or more boxes "
                     "of it gives a threshold (and scores) you can rely on",
                     metrics.name, metrics.ground_truth, kFewTestBoxes);
      }
    }
    summary.test_metrics = eval::metrics_to_json(score.metrics, false);
    info.metrics = summary.test_metrics;
  }
  info.training["architecture"] = info.architecture;
  info.training["start"] = started->start;
  info.training["max_steps"] = max_steps;
  info.training["steps_from"] = steps_from;
  info.training["steps"] = step;
  info.training["stopped_by"] = stopped_by;
  info.training["images_seen"] = summary.images_seen;
  info.training["train_seconds"] = train_seconds;
  info.training["images_per_second"] = summary.images_per_second;
  info.training["total_seconds"] = std::chrono::duration<double>(Clock::now() - started_at).count();
  info.training["threads"] = threads;
  // This session's share (a resumed run counts from where it resumed).
  info.training["time_split_s"] = {{"network_steps", steps_s},
                                   {"forward_and_loss", forward_s},
                                   {"backward", backward_s},
                                   {"clip_adamw_ema", update_s},
                                   {"waiting_for_batches", waiting_s},
                                   {"loader_thread_cpu", loader.cpu_seconds()},
                                   {"validation_and_checkpoints", validating_s}};
  info.training["best_val_ap50"] = best_ap;
  info.training["best_step"] = best_step;
  info.training["validation_images"] = validation.samples.size();
  // Generated images have no key; labeled photos do (with generated ones, one-shot's --train).
  const bool preloaded = !inputs.images.empty();
  std::vector<std::string> image_keys;
  for (const auto& sample : inputs.train.samples) image_keys.push_back(image_key(sample.image));
  if (!preloaded) {
    for (const auto& sample : inputs.validation.samples) image_keys.push_back(image_key(sample.image));
  }
  std::sort(image_keys.begin(), image_keys.end());
  info.datasets = {{"train", {{"path", inputs.train_source}, {"images", inputs.images.size() + inputs.train.samples.size()},
                              {"boxes", count_boxes(inputs.images) + inputs.train.box_count()}, {"hash", hash_hex(dataset_hash(inputs.train))}, {"image_keys", image_keys}}},
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
