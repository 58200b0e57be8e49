#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
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
#include "train/schedule.hpp"
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

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string status_line(double loss, double val_f1, double val_ap) {
  return fmt::format("loss {:.3f}{}", loss, val_f1 >= 0 ? fmt::format(" val F1 {:.3f} AP50 {:.3f}", val_f1, val_ap) : "");
}

}  // namespace

nlohmann::json config_to_json(const TrainConfig& config) {
  const auto& a = config.augment;
  return {{"time_budget_s", config.time_budget_s}, {"max_steps", config.max_steps}, {"epochs", config.epochs},
          {"batch_size", config.batch_size}, {"learning_rate", config.learning_rate},
          {"trunk_lr_scale", config.trunk_lr_scale}, {"weight_decay", config.weight_decay},
          {"ema_decay", config.ema_decay}, {"input_size", config.input_size},
          {"infer_long_side", config.infer_long_side}, {"flip_average", config.flip_average}, {"seed", config.seed}, {"val_fraction", config.val_fraction},
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

// One training as named steps. prepare: the data, the augmentation and the network; restore: a
// checkpoint's weights, optimiser and counters (with --resume); plan: the step count and
// training.csv; then the loop, each turn `schedule` (stop?, learning rate) and `train_step`, and at
// the validation schedule's points `validate` and `checkpoint`; last `save`: the best weights,
// int8 ranges, the test evaluation and model.json. The pure decisions (length, learning rate,
// validation points, early stopping, the log a resumed run keeps) are in schedule.hpp.
class TrainingRun {
 public:
  TrainingRun(const TrainInputs& inputs, const TrainConfig& config, const std::string& model_dir)
      : inputs_(inputs), config_(config), model_dir_(model_dir), checkpoint_(model_dir) {}

  Status prepare();
  Status restore();
  Status plan();
  Result<TrainSummary> run();

 private:
  [[nodiscard]] double elapsed() const {
    return elapsed_before_ + std::chrono::duration<double>(Clock::now() - loop_start_).count();
  }
  [[nodiscard]] double progress() const { return length_.progress(step_, elapsed()); }
  // Why the loop ends now ("steps", "epochs", "time_budget", "stopped"), or empty to go on.
  std::string should_end(double progress_now);
  void set_learning_rate(double rate);
  void train_step();
  Status validate(double progress_now);
  Status checkpoint(double elapsed_s);
  void log_row(double elapsed_s, bool with_validation);
  void report(bool finished);
  void say_why_it_ended(double train_seconds) const;
  Status keep_best_weights();
  Status calibrate_int8(model::ModelInfo& info);
  void evaluate_test(model::ModelInfo& info, TrainSummary& summary);
  nlohmann::json time_split() const;
  void record_datasets(model::ModelInfo& info) const;

  const TrainInputs& inputs_;
  const TrainConfig& config_;
  const std::string model_dir_;
  const Checkpoint checkpoint_;
  Clock::time_point started_at_ = Clock::now();
  int threads_ = 1;

  std::optional<TrainingData> data_;
  Dataset validation_;
  augment::AugmentConfig augment_config_;
  augment::FlipPolicy flip_policy_;
  std::optional<StartedNetwork> started_;
  model::Detector net_{nullptr};
  model::Detector ema_{nullptr};
  torch::Device device_{torch::kCPU};
  Optimiser optimiser_;
  nlohmann::json network_;  // what a resumed run needs to rebuild this network (last_state.json)

  std::int64_t step_ = 0;
  std::int64_t step_at_start_ = 0;
  double elapsed_before_ = 0;
  EarlyStopping early_;
  std::int64_t best_step_ = 0;
  StepPlan plan_;
  RunLength length_{0, 0};
  std::optional<ValidationSchedule> validation_points_;
  std::ofstream csv_;
  std::unique_ptr<BatchLoader> loader_;
  Clock::time_point loop_start_ = Clock::now();

  double lr_ = 0;
  // Running means of the losses (the first step's value, then 5 % per step).
  double loss_avg_ = 0;
  double cls_avg_ = 0;
  double box_avg_ = 0;
  double ctr_avg_ = 0;
  double last_val_f1_ = -1;
  double last_val_ap_ = -1;
  std::int64_t reported_done_ = -1;
  std::string stopped_by_;
  // Where this session's wall time goes (model.json "time_split_s"): the network's steps (forward
  // with the loss, backward, the update), waiting for the loader's next batch, and validation with
  // its checkpoints.
  double waiting_s_ = 0;
  double steps_s_ = 0;
  double forward_s_ = 0;
  double backward_s_ = 0;
  double update_s_ = 0;  // gradient clipping, AdamW, EMA
  double validating_s_ = 0;
};

Status TrainingRun::prepare() {
  std::error_code ec;
  fs::create_directories(model_dir_, ec);
  if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot create the model folder: {}", model_dir_, ec.message())};
  threads_ = choose_thread_count(config_.threads);
  torch::set_num_threads(threads_);
  torch::manual_seed(config_.seed);

  auto prepared = prepare_training_data(inputs_, config_);
  if (!prepared) return prepared.error();
  data_ = std::move(prepared).value();
  validation_ = in_model_labels(data_->validation, inputs_.train.labels);

  augment_config_ = config_.augment;
  augment_config_.output_size = config_.input_size;
  std::erase_if(augment_config_.distractor_marks,
                [&](int mark) { return inputs_.train.find_label(synth::synthetic_label_name(mark)) >= 0; });
  flip_policy_.no_flip.assign(inputs_.train.labels.size(), false);
  for (const auto& name : inputs_.no_flip_labels) {
    const int label = inputs_.train.find_label(name);
    if (label < 0) return Error{ErrorCode::kInvalidArgument, fmt::format("--no-flip names an unknown label \"{}\"", name)};
    flip_policy_.no_flip[static_cast<std::size_t>(label)] = true;
  }

  auto started = start_network(inputs_.train.labels, config_);
  if (!started) return started.error();
  started_ = std::move(started).value();
  started_->info.no_flip_labels = inputs_.no_flip_labels;
  net_ = started_->net;
  ema_ = model::build_network(started_->info);
  model::to_channels_last(*net_);
  model::to_channels_last(*ema_);
  device_ = model::preferred_device();
  net_->to(device_);
  ema_->to(device_);
  model::copy_weights(*ema_, *net_);
  if (device_.is_cuda()) spdlog::info("training on the GPU");
  optimiser_ = make_optimiser(*net_, config_, started_->trunk_lr_scale);
  std::error_code absolute_ec;
  network_ = {{"architecture", started_->info.architecture},
              {"base_model", config_.base_model.empty() || is_s3_uri(config_.base_model)
                                 ? config_.base_model
                                 : fs::absolute(config_.base_model, absolute_ec).string()},
              {"freeze", config_.freeze},
              {"trunk_lr_scale", started_->trunk_lr_scale}};
  return Ok{};
}

Status TrainingRun::restore() {
  if (!config_.resume) return Ok{};
  std::ifstream state_in(checkpoint_.state);
  if (!state_in) return Error{ErrorCode::kNotFound, fmt::format("{}: nothing to resume (no checkpoint)", checkpoint_.state)};
  const auto state = nlohmann::json::parse(state_in, nullptr, false);
  if (state.is_discarded()) return Error{ErrorCode::kParse, fmt::format("{}: not valid JSON", checkpoint_.state)};
  try {
    auto load_into = [](model::DetectorImpl& module, const std::string& path) {
      torch::serialize::InputArchive archive;
      archive.load_from(path);
      module.load(archive);
    };
    load_into(*net_, checkpoint_.net);
    load_into(*ema_, checkpoint_.ema);
    torch::load(*optimiser_.adam, checkpoint_.optimiser);
    net_->to(device_);
    ema_->to(device_);
  } catch (const c10::Error& error) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: cannot resume: the checkpoint does not fit a {} network ({}); a checkpoint from an "
                             "earlier version records no network: resume with the --architecture and --base its "
                             "training started from",
                             model_dir_, started_->info.architecture, error.what_without_backtrace())};
  }
  step_ = field_or<std::int64_t>(state, "step", 0);
  elapsed_before_ = field_or(state, "elapsed_s", 0.0);
  early_ = EarlyStopping(field_or(state, "best_val_ap50", -1.0));
  spdlog::info("resuming at step {} ({:.0f} s already trained)", step_, elapsed_before_);
  return Ok{};
}

Status TrainingRun::plan() {
  const auto samples_per_epoch = static_cast<std::int64_t>(data_->positives.size() + data_->negatives.size() / 2);
  auto planned = plan_steps({config_.max_steps, config_.epochs, config_.batch_size, config_.time_budget_s},
                            inputs_.train.labels.size(), inputs_.train.samples.size(), samples_per_epoch);
  if (!planned) return planned.error();
  plan_ = *planned;
  length_ = RunLength(plan_.max_steps, config_.time_budget_s);
  validation_points_.emplace(length_, config_.validations, length_.progress(step_, elapsed_before_));

  const std::string csv_path = (fs::path(model_dir_) / "training.csv").string();
  if (config_.resume) {
    // Rows logged after the checkpoint (and a line cut by the kill) are redone by this run.
    auto old_log = read_text_file(csv_path);
    if (auto rewritten = write_file_atomically(csv_path, trim_training_log(old_log ? *old_log : "", step_)); !rewritten) {
      return rewritten.error();
    }
  }
  csv_.open(csv_path, config_.resume ? std::ios::app : std::ios::trunc);
  if (!config_.resume) csv_ << kTrainingLogHeader << "\n";
  loader_ = std::make_unique<BatchLoader>(data_->positives, data_->negatives, data_->instances, augment_config_,
                                          flip_policy_, net_->strides(), config_.batch_size,
                                          config_.seed + static_cast<std::uint64_t>(step_) * 7919,
                                          config_.hard_negative_weight);
  return Ok{};
}

std::string TrainingRun::should_end(double progress_now) {
  if (progress_now >= 1.0) {
    if (plan_.max_steps > 0 && step_ >= plan_.max_steps) return plan_.steps_from == "epochs" ? "epochs" : "steps";
    return "time_budget";
  }
  if (config_.stop_requested && config_.stop_requested()) {
    spdlog::info("stopping at step {}, as asked; the model keeps the best weights so far", step_);
    return "stopped";
  }
  return "";
}

void TrainingRun::set_learning_rate(double rate) {
  lr_ = rate;
  auto& groups = optimiser_.adam->param_groups();
  for (std::size_t group = 0; group < groups.size(); ++group) {
    static_cast<torch::optim::AdamWOptions&>(groups[group].options()).lr(rate * optimiser_.lr_scale[group]);
  }
}

void TrainingRun::train_step() {
  const auto wait_start = Clock::now();
  Batch batch = loader_->next();
  const auto step_start = Clock::now();
  waiting_s_ += seconds_between(wait_start, step_start);
  const auto out = model::flatten_levels(net_->forward(batch.images.to(device_)));
  const auto labels = batch.labels.to(device_);
  const auto loss = model::fcos_loss(out, labels, batch.boxes.to(device_), batch.centerness.to(device_));
  const auto backward_start = Clock::now();
  forward_s_ += seconds_between(step_start, backward_start);
  optimiser_.adam->zero_grad();
  loss.total.backward();
  const auto update_start = Clock::now();
  backward_s_ += seconds_between(backward_start, update_start);
  torch::nn::utils::clip_grad_norm_(net_->parameters(), 10.0);
  optimiser_.adam->step();
  const double ramp =
      std::min(config_.ema_decay, (1.0 + static_cast<double>(step_)) / (10.0 + static_cast<double>(step_)));
  ema_update(*ema_, *net_, ramp);
  update_s_ += seconds_between(update_start, Clock::now());
  if (config_.hard_negative_weight > 0) {
    loader_->report_scores(batch.negative_sources, strongest_background_scores(out.cls, labels));
  }
  ++step_;
  const double k = step_ == 1 ? 1.0 : 0.05;
  loss_avg_ += k * (loss.total.item<double>() - loss_avg_);
  cls_avg_ += k * (loss.cls.item<double>() - cls_avg_);
  box_avg_ += k * (loss.box.item<double>() - box_avg_);
  ctr_avg_ += k * (loss.ctr.item<double>() - ctr_avg_);
  steps_s_ += seconds_between(step_start, Clock::now());
}

Status TrainingRun::validate(double progress_now) {
  if (validation_.samples.empty()) return Ok{};
  const auto score = score_network(started_->info, *ema_, validation_, TrainProgress::Phase::kValidating,
                                   config_.on_progress);
  last_val_f1_ = score.metrics.mean_f1;
  last_val_ap_ = score.metrics.map50;
  if (!early_.record(score.metrics.map50, progress_now)) return Ok{};
  best_step_ = step_;
  return model::save_network(*ema_, checkpoint_.best);
}

Status TrainingRun::checkpoint(double elapsed_s) {
  for (auto status : {model::save_network(*net_, checkpoint_.net), model::save_network(*ema_, checkpoint_.ema),
                      save_optimiser(*optimiser_.adam, checkpoint_.optimiser)}) {
    if (!status) return status.error();
  }
  // last_state.json is written last: without it the weights above are not a checkpoint.
  return model::write_text_atomically(
      checkpoint_.state,
      nlohmann::json{{"step", step_}, {"elapsed_s", elapsed_s}, {"best_val_ap50", early_.best()}, {"network", network_}}
          .dump());
}

void TrainingRun::log_row(double elapsed_s, bool with_validation) {
  csv_ << fmt::format("{},{:.1f},{},{:.5f},{:.5f},{:.5f},{:.5f},{:.6f},", step_, elapsed_s, step_ * config_.batch_size,
                      loss_avg_, cls_avg_, box_avg_, ctr_avg_, lr_);
  if (with_validation) {
    csv_ << fmt::format("{:.4f},{:.4f}\n", last_val_f1_, last_val_ap_);
    csv_.flush();
  } else {
    csv_ << ",\n";
  }
}

// The bar counts steps when a step count is set, else seconds of the time budget.
void TrainingRun::report(bool finished) {
  if (!config_.on_progress) return;
  const bool by_steps = plan_.max_steps > 0;
  const std::int64_t total = by_steps ? plan_.max_steps : static_cast<std::int64_t>(std::ceil(config_.time_budget_s));
  std::int64_t done = by_steps ? step_ : static_cast<std::int64_t>(elapsed());
  if (finished && !by_steps) done = std::max(done, total);  // a step count cut short shows where it stopped
  if (done == reported_done_ && !finished) return;
  reported_done_ = done;
  config_.on_progress({TrainProgress::Phase::kTraining, by_steps ? "steps" : "seconds", std::min(done, total), total,
                       status_line(loss_avg_, last_val_f1_, last_val_ap_), finished});
}

Result<TrainSummary> TrainingRun::run() {
  step_at_start_ = step_;
  loop_start_ = Clock::now();
  net_->train();
  for (;;) {
    const double fraction = progress();
    stopped_by_ = should_end(fraction);
    if (!stopped_by_.empty()) break;
    set_learning_rate(learning_rate_at(config_.learning_rate, step_, fraction));
    train_step();
    const double now_elapsed = elapsed();
    report(false);
    const double now_progress = length_.progress(step_, now_elapsed);
    if (!validation_points_->due(now_progress)) {
      // The loss every 10 steps (validation columns empty), for the report's training curve.
      if (step_ % 10 == 0) log_row(now_elapsed, false);
      continue;
    }
    const auto validation_start = Clock::now();
    if (auto validated = validate(now_progress); !validated) return validated.error();
    log_row(now_elapsed, true);
    if (auto saved = checkpoint(now_elapsed); !saved) return saved.error();
    validating_s_ += seconds_between(validation_start, Clock::now());
    net_->train();
    // Early stopping is for a run that would go on: at its last validation the run ends anyway, by
    // its steps or its time cap, and says which.
    if (!validation_.samples.empty() && early_.should_stop(config_.patience, now_progress)) {
      spdlog::info("stopping early: validation AP50 has not improved for {} checks", config_.patience);
      stopped_by_ = "early_stop";
      break;
    }
  }
  report(true);
  const double train_seconds = elapsed();
  say_why_it_ended(train_seconds);

  if (auto kept = keep_best_weights(); !kept) return kept.error();
  TrainSummary summary;
  summary.steps = step_;
  summary.planned_steps = plan_.max_steps;
  summary.stopped_by = stopped_by_;
  summary.images_seen = step_ * config_.batch_size;
  summary.train_seconds = train_seconds;
  summary.images_per_second = train_seconds > 0 ? static_cast<double>(summary.images_seen) / train_seconds : 0;
  summary.best_val_ap50 = early_.best();
  summary.model_dir = model_dir_;

  model::ModelInfo& info = started_->info;
  info.training = config_to_json(config_);
  if (auto calibrated = calibrate_int8(info); !calibrated) return calibrated.error();
  evaluate_test(info, summary);
  info.training["architecture"] = info.architecture;
  info.training["start"] = started_->start;
  info.training["max_steps"] = plan_.max_steps;
  info.training["steps_from"] = plan_.steps_from;
  info.training["steps"] = step_;
  info.training["stopped_by"] = stopped_by_;
  info.training["images_seen"] = summary.images_seen;
  info.training["train_seconds"] = train_seconds;
  info.training["images_per_second"] = summary.images_per_second;
  info.training["total_seconds"] = seconds_between(started_at_, Clock::now());
  info.training["threads"] = threads_;
  info.training["time_split_s"] = time_split();
  info.training["best_val_ap50"] = early_.best();
  info.training["best_step"] = best_step_;
  info.training["validation_images"] = validation_.samples.size();
  record_datasets(info);
  if (auto written = model::write_model_info(info, model_dir_); !written) return written.error();
  return summary;
}

void TrainingRun::say_why_it_ended(double train_seconds) const {
  const double steps_per_second = train_seconds > 0 ? static_cast<double>(step_) / train_seconds : 0.0;
  spdlog::info("training time: {:.0f} s in network steps ({:.1f} img/s), {:.0f} s waiting for batches, {:.0f} s "
               "validating and checkpointing",
               steps_s_, steps_s_ > 0 ? static_cast<double>(step_ - step_at_start_) * config_.batch_size / steps_s_ : 0.0,
               waiting_s_, validating_s_);
  if (stopped_by_ == "time_budget" && plan_.max_steps > 0) {
    spdlog::warn("the time budget ({}) stopped training at step {} of {}: expect lower accuracy; {} steps take about "
                 "{} on this CPU",
                 rough_duration(config_.time_budget_s), step_, plan_.max_steps, plan_.max_steps,
                 steps_per_second > 0 ? rough_duration(static_cast<double>(plan_.max_steps) / steps_per_second) : "?");
  } else if (stopped_by_ == "time_budget") {
    spdlog::info("the time budget stopped training at step {} ({:.0f} s, {:.0f} steps a minute on this CPU): a faster "
                 "machine gets more steps from the same budget; --steps N trains the same model on any machine",
                 step_, train_seconds, 60.0 * steps_per_second);
  }
}

// The EMA weights of the best validation (or the last ones without validation) become weights.pt.
Status TrainingRun::keep_best_weights() {
  if (early_.best() >= 0 && fs::exists(checkpoint_.best)) {
    torch::serialize::InputArchive archive;
    archive.load_from(checkpoint_.best);
    ema_->load(archive);
    ema_->to(device_);  // loading may leave parameters on the CPU
  }
  ema_->eval();
  return model::save_network(*ema_, (fs::path(model_dir_) / "weights.pt").string());
}

// `detect --int8` runs from these activation ranges (infer/int8_nanodet.hpp).
Status TrainingRun::calibrate_int8(model::ModelInfo& info) {
  if (info.architecture != "nanodet-g") return Ok{};
  std::vector<cv::Mat> calibration;
  auto take = [&](const std::vector<augment::TrainImage>& from, std::size_t count) {
    const std::size_t n = std::min(count, from.size());
    for (std::size_t k = 0; k < n; ++k) calibration.push_back(from[k * from.size() / n].rgb);
  };
  take(data_->positives, kInt8CalibrationPositives);
  take(data_->negatives, kInt8CalibrationNegatives);
  if (calibration.empty()) return Ok{};
  // At the sizes detect runs: the whole pass and the large-logo pass.
  auto quantization = infer::calibrate_int8(*ema_, calibration, {info.infer_long_side, infer::large_logo_pass_side(info)});
  if (!quantization) return quantization.error();
  info.quantization = std::move(quantization).value();
  return Ok{};
}

// The test set through the detect path: each label's assumed threshold and the metrics.
void TrainingRun::evaluate_test(model::ModelInfo& info, TrainSummary& summary) {
  if (inputs_.test.samples.empty()) return;
  const Dataset test = in_model_labels(inputs_.test, inputs_.train.labels);
  const auto score = score_network(info, *ema_, test, TrainProgress::Phase::kTesting, config_.on_progress);
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

// This session's share (a resumed run counts from where it resumed).
nlohmann::json TrainingRun::time_split() const {
  return {{"network_steps", steps_s_},
          {"forward_and_loss", forward_s_},
          {"backward", backward_s_},
          {"clip_adamw_ema", update_s_},
          {"waiting_for_batches", waiting_s_},
          {"loader_thread_cpu", loader_->cpu_seconds()},
          {"validation_and_checkpoints", validating_s_}};
}

void TrainingRun::record_datasets(model::ModelInfo& info) const {
  // Generated images have no key; labeled photos do (with generated ones, one-shot's --train).
  const bool preloaded = !inputs_.images.empty();
  std::vector<std::string> image_keys;
  for (const auto& sample : inputs_.train.samples) image_keys.push_back(image_key(sample.image));
  if (!preloaded) {
    for (const auto& sample : inputs_.validation.samples) image_keys.push_back(image_key(sample.image));
  }
  std::sort(image_keys.begin(), image_keys.end());
  info.datasets = {{"train",
                    {{"path", inputs_.train_source},
                     {"images", inputs_.images.size() + inputs_.train.samples.size()},
                     {"boxes", count_boxes(inputs_.images) + inputs_.train.box_count()},
                     {"hash", hash_hex(dataset_hash(inputs_.train))},
                     {"image_keys", image_keys}}},
                   {"negatives", inputs_.negatives.size()}};
  if (!inputs_.test.samples.empty()) {
    info.datasets["test"] = {{"path", inputs_.test_source}, {"images", inputs_.test.samples.size()},
                             {"boxes", inputs_.test.box_count()}, {"hash", hash_hex(dataset_hash(inputs_.test))}};
  }
}

}  // namespace

Result<TrainSummary> train_detector(const TrainInputs& inputs, const TrainConfig& requested_config,
                                    const std::string& model_dir) {
  const auto resumed = resumed_config(requested_config, Checkpoint(model_dir).state);
  if (!resumed) return resumed.error();
  TrainingRun run(inputs, *resumed, model_dir);
  if (auto prepared = run.prepare(); !prepared) return prepared.error();
  if (auto restored = run.restore(); !restored) return restored.error();
  if (auto planned = run.plan(); !planned) return planned.error();
  return run.run();
}

}  // namespace logoscope::train
