#include "cli/cli_app.hpp"

#include <exception>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/modes.hpp"
#include "cli/suggest.hpp"
#include "core/logging.hpp"
#include "logoscope/result.hpp"
#include "storage/storage.hpp"

namespace logoscope::cli {

namespace {

constexpr const char* kExitCodes =
    "Exit codes: 0 success; 1 the input had problems (some files bad, validation failed); 2 usage error\n"
    "or unusable input; 3 internal error. Option names mean the same in every command (docs/cli.md).";

void add_footer(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    sub->footer(kExitCodes);
    add_footer(*sub);
  }
}

void collect_options(const CLI::App& app, const std::string& path,
                     std::vector<std::pair<std::string, std::vector<std::string>>>& out) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string name = path.empty() ? sub->get_name() : path + " " + sub->get_name();
    std::vector<std::string> options;
    for (const CLI::Option* option : sub->get_options()) {
      for (const auto& long_name : option->get_lnames()) {
        if (long_name != "help") options.push_back("--" + long_name);
      }
    }
    out.emplace_back(name, options);
    collect_options(*sub, name, out);
  }
}

void configure_app(CLI::App& app, RunState& state, CommonOptions& common) {
  app.set_version_flag("--version", std::string("logoscope ") + LOGOSCOPE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.option_defaults()->always_capture_default();
  app.footer(kExitCodes);
  app.add_flag("-q,--quiet", common.quiet, "Only print warnings and errors on stderr");
  app.add_flag("-v,--verbose", common.verbose, "Print debug details on stderr");
  app.add_option("--endpoint-url", common.endpoint_url,
                 "S3-compatible server for s3:// paths, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL, the "
                 "AWS profile's endpoint_url, else AWS)");
  register_demo(app, state, common);
  register_dataset(app, state, common);
  register_train(app, state, common);
  register_pretrain(app, state, common);
  register_evaluate(app, state, common);
  register_detect(app, state, common);
  register_merge(app, state, common);
  register_serve(app, state, common);
  register_frames(app, state, common);
  register_video(app, state, common);
  register_exposure(app, state, common);
  register_ui(app, state, common);
  add_footer(app);
}

}  // namespace

std::vector<std::pair<std::string, std::vector<std::string>>> command_options() {
  CLI::App app;
  RunState state;
  CommonOptions common;
  configure_app(app, state, common);
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  collect_options(app, "", out);
  return out;
}

int run_cli(int argc, char** argv) {
  CLI::App app{
      "logoscope — train and run custom logo detectors on your own machine.\n"
      "A self-hosted alternative to Amazon Rekognition Custom Labels: any image format and size,\n"
      "Ground Truth manifests, COCO, YOLO and Pascal VOC labels.\n\n"
      "Start with:  logoscope demo\n"
      "Check data:  logoscope dataset validate train.manifest\n"
      "Train:       logoscope train --train train.manifest --out model\n"
      "Evaluate:    logoscope evaluate --model model --test test.manifest --out eval\n"
      "Detect:      logoscope detect --model model photos/\n"
      "Any logo:    logoscope detect --any-logo photos/   (built-in base model, no training)\n"
      "Serve:       logoscope serve --model name=model --port 8080   (Rekognition's API, REST)\n"
      "Video:       logoscope video --model model match.mp4 --out exposure/\n"
      "S3:          any path may be s3://bucket/key (AWS credentials as the aws CLI finds them)\n"
      "To label:    logoscope frames match.mp4 --out to-label/\n"
      "Help on a command:  logoscope dataset validate --help",
      "logoscope"};
  CommonOptions common;
  RunState state;
  configure_app(app, state, common);
  app.parse_complete_callback([&] {
    init_logging(common.quiet ? Verbosity::kQuiet : common.verbose ? Verbosity::kVerbose : Verbosity::kNormal);
    storage::set_s3_endpoint(common.endpoint_url);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() != 0) {
      // A mistyped command or option: say what was probably meant instead of CLI11's generic line.
      const std::string suggestion = suggest_for(app, std::vector<std::string>(argv + 1, argv + argc));
      if (!suggestion.empty()) {
        std::cerr << "logoscope: error: " << suggestion << "\n";
        return kExitUsage;
      }
    }
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const Failure& failure) {
    const bool internal = failure.error().code == ErrorCode::kInternal;
    std::cerr << "logoscope: " << (internal ? "internal error: " : "error: ") << failure.what() << "\n";
    return internal ? kExitInternal : kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "logoscope: internal error: " << error.what() << "\n";
    return kExitInternal;
  }
  return state.exit_code;
}

}  // namespace logoscope::cli
