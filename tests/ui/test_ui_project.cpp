// The web UI's project folder (ui/project.hpp): creation, edits with revisions (two tabs), what
// reaches the manifest on disk, imports, the path guard, the automatic test split.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "dataset/formats.hpp"
#include "support/temp_dir.hpp"
#include "support/test_images.hpp"
#include "ui/project.hpp"

namespace fs = std::filesystem;

namespace logoscope::ui {
namespace {

using ::testing::HasSubstr;

std::string jpeg(int width, int height) {
  const auto bytes = testing::encode_pattern_jpeg(width, height);
  return {bytes.begin(), bytes.end()};
}

std::unique_ptr<Project> open_or_die(const std::string& dir) {
  auto project = Project::open(dir);
  if (!project) ADD_FAILURE() << project.error().message;
  return project ? std::move(*project) : nullptr;
}

// The manifest on disk, read by the dataset reader every other command uses.
Dataset read_back(const Project& project, const std::string& dataset) {
  Problems problems;
  auto data = dataset::read_manifest(project.manifest_path(dataset), problems, {});
  EXPECT_TRUE(data) << (data ? "" : data.error().message);
  EXPECT_TRUE(problems.empty());
  return data ? *data : Dataset{};
}

TEST(UiProject, CreatesAnEmptyProjectWithOrdinaryFiles) {
  testing::TempDir dir;
  auto project = open_or_die(dir.file("shoes"));
  ASSERT_TRUE(project);
  EXPECT_EQ(project->name(), "shoes");
  EXPECT_TRUE(fs::is_directory(dir.file("shoes/images")));
  EXPECT_TRUE(fs::is_regular_file(dir.file("shoes/train.manifest")));
  EXPECT_TRUE(fs::is_regular_file(dir.file("shoes/test.manifest")));
  const auto settings = nlohmann::json::parse(*read_text_file(dir.file("shoes/project.json")));
  EXPECT_EQ(settings["format"], "logoscope-project");
  EXPECT_EQ(settings["version"], 1);
  EXPECT_EQ(project->counts("train").images, 0u);
}

TEST(UiProject, RefusesAFolderWithOtherFiles) {
  testing::TempDir dir;
  dir.write("notes.txt", "mine");
  auto project = Project::open(dir.path());
  ASSERT_FALSE(project);
  EXPECT_EQ(project.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(project.error().message, HasSubstr("no project.json"));
  EXPECT_FALSE(fs::exists(dir.file("train.manifest")));
}

TEST(UiProject, RefusesAProjectFileOfAnotherVersion) {
  testing::TempDir dir;
  dir.write("project.json", R"({"format": "logoscope-project", "version": 7})");
  auto project = Project::open(dir.path());
  ASSERT_FALSE(project);
  EXPECT_THAT(project.error().message, HasSubstr("version 7"));
}

TEST(UiProject, ImportsImagesKeepingNamesAndRefusingOtherFiles) {
  testing::TempDir dir;
  auto project = open_or_die(dir.path());
  auto first = project->import_image("train", "beach photo.jpg", jpeg(64, 48));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, "images/beach_photo.jpg");
  auto second = project->import_image("train", "../../beach photo.jpg", jpeg(64, 48));
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, "images/beach_photo-2.jpg");
  auto disguised = project->import_image("train", "page.html", jpeg(32, 32));
  ASSERT_TRUE(disguised);
  EXPECT_EQ(*disguised, "images/page.jpg");  // named by what the bytes are
  auto text = project->import_image("train", "notes.jpg", "just text, not an image");
  ASSERT_FALSE(text);
  EXPECT_THAT(text.error().message, HasSubstr("notes.jpg"));
  EXPECT_FALSE(fs::exists(dir.file("images/notes.jpg")));
  auto cut = jpeg(64, 48);
  cut.resize(cut.size() / 2);
  EXPECT_FALSE(project->import_image("train", "cut.jpg", cut));

  const Dataset on_disk = read_back(*project, "train");
  ASSERT_EQ(on_disk.samples.size(), 3u);
  EXPECT_EQ(on_disk.samples[0].width, 64);
  EXPECT_EQ(on_disk.samples[0].height, 48);
  EXPECT_TRUE(on_disk.samples[0].boxes.empty());
}

TEST(UiProject, EditsReachTheManifestAndSurviveReopening) {
  testing::TempDir dir;
  std::string ref;
  {
    auto project = open_or_die(dir.path());
    ref = *project->import_image("train", "a.jpg", jpeg(100, 80));
    const auto entry = project->image("train", ref);
    ASSERT_TRUE(entry);
    auto edit = project->set_boxes("train", ref, {{10, 12, 40, 30, "acme"}, {50, 5, 90, 70, "globex"}},
                                   entry->revision);
    ASSERT_TRUE(edit) << edit.error().message;
    EXPECT_FALSE(edit->conflict);
    EXPECT_NE(edit->current.revision, entry->revision);
  }
  auto reopened = open_or_die(dir.path());
  EXPECT_EQ(reopened->labels(), (std::vector<std::string>{"acme", "globex"}));
  const auto entry = reopened->image("train", ref);
  ASSERT_TRUE(entry);
  ASSERT_EQ(entry->boxes.size(), 2u);
  EXPECT_EQ(entry->boxes[1].label, "globex");
  EXPECT_DOUBLE_EQ(entry->boxes[0].x0, 10);
  EXPECT_DOUBLE_EQ(entry->boxes[0].y1, 30);
  const Dataset on_disk = read_back(*reopened, "train");
  ASSERT_EQ(on_disk.samples.size(), 1u);
  ASSERT_EQ(on_disk.samples[0].boxes.size(), 2u);
  EXPECT_EQ(on_disk.labels[static_cast<std::size_t>(on_disk.samples[0].boxes[0].label)], "acme");
}

// Found by fuzz_ui_upload: an edit with fractional coordinates was shown as drawn but stored
// rounded, so the project read back other boxes after a restart; a box half a pixel wide at the
// image's edge rounded to nothing. Boxes are now kept as stored, and one that rounds away is refused.
TEST(UiProject, EditsAreKeptInWholePixelsAsTheManifestStoresThem) {
  testing::TempDir dir;
  std::string ref;
  ImageEntry shown;
  {
    auto project = open_or_die(dir.path());
    ref = *project->import_image("train", "a.jpg", jpeg(100, 80));
    const std::int64_t revision = project->image("train", ref)->revision;
    auto edit = project->set_boxes("train", ref, {{3.5, 1.25, 8.4, 8.6, "acme"}, {-0.4, 70.2, 100.4, 80.5, "acme"}},
                                   revision);
    ASSERT_TRUE(edit) << edit.error().message;
    shown = edit->current;
    ASSERT_EQ(shown.boxes.size(), 2u);
    EXPECT_DOUBLE_EQ(shown.boxes[0].x0, 4);
    EXPECT_DOUBLE_EQ(shown.boxes[0].y0, 1);
    EXPECT_DOUBLE_EQ(shown.boxes[0].x1, 8);
    EXPECT_DOUBLE_EQ(shown.boxes[0].y1, 9);
    EXPECT_DOUBLE_EQ(shown.boxes[1].x0, 0);
    EXPECT_DOUBLE_EQ(shown.boxes[1].x1, 100);
    EXPECT_DOUBLE_EQ(shown.boxes[1].y1, 80);
    auto sliver = project->set_boxes("train", ref, {{99.5, 10, 100.5, 20, "acme"}}, shown.revision);
    ASSERT_FALSE(sliver);
    EXPECT_THAT(sliver.error().message, HasSubstr("less than 1×1 px inside the 100×80 image"));
    EXPECT_EQ(project->image("train", ref)->boxes.size(), 2u);  // the refused edit changed nothing
  }
  auto reopened = open_or_die(dir.path());
  const auto read = reopened->image("train", ref);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->boxes.size(), shown.boxes.size());
  for (std::size_t i = 0; i < read->boxes.size(); ++i) {
    EXPECT_DOUBLE_EQ(read->boxes[i].x0, shown.boxes[i].x0);
    EXPECT_DOUBLE_EQ(read->boxes[i].y0, shown.boxes[i].y0);
    EXPECT_DOUBLE_EQ(read->boxes[i].x1, shown.boxes[i].x1);
    EXPECT_DOUBLE_EQ(read->boxes[i].y1, shown.boxes[i].y1);
  }
}

TEST(UiProject, AStaleRevisionIsAConflictNotALoss) {
  testing::TempDir dir;
  auto project = open_or_die(dir.path());
  const std::string ref = *project->import_image("train", "a.jpg", jpeg(100, 80));
  const std::int64_t seen_by_both_tabs = project->image("train", ref)->revision;
  auto first_tab = project->set_boxes("train", ref, {{1, 1, 20, 20, "acme"}}, seen_by_both_tabs);
  ASSERT_TRUE(first_tab);
  auto second_tab = project->set_boxes("train", ref, {}, seen_by_both_tabs);
  ASSERT_TRUE(second_tab);
  EXPECT_TRUE(second_tab->conflict);
  ASSERT_EQ(second_tab->current.boxes.size(), 1u);  // what the first tab saved, shown to the second
  EXPECT_EQ(read_back(*project, "train").samples[0].boxes.size(), 1u);
  // With the current revision the second tab's change goes through.
  auto again = project->set_boxes("train", ref, {}, second_tab->current.revision);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->conflict);
  EXPECT_TRUE(read_back(*project, "train").samples[0].boxes.empty());
}

TEST(UiProject, ConcurrentEditsOfDifferentImagesAreAllKept) {
  testing::TempDir dir;
  auto project = open_or_die(dir.path());
  std::vector<std::string> refs;
  for (int index = 0; index < 8; ++index) {
    refs.push_back(*project->import_image("train", "img" + std::to_string(index) + ".jpg", jpeg(60, 60)));
  }
  std::vector<std::thread> tabs;
  for (const std::string& ref : refs) {
    tabs.emplace_back([&project, ref] {
      for (int round = 0; round < 5; ++round) {
        const auto entry = project->image("train", ref);
        auto boxes = entry->boxes;
        boxes.push_back({1.0 + round, 1, 30.0 + round, 30, "acme"});
        ASSERT_TRUE(project->set_boxes("train", ref, boxes, entry->revision));
      }
    });
  }
  for (auto& tab : tabs) tab.join();
  const Dataset on_disk = read_back(*project, "train");
  ASSERT_EQ(on_disk.samples.size(), 8u);
  for (const Sample& sample : on_disk.samples) EXPECT_EQ(sample.boxes.size(), 5u) << sample.image;
}

TEST(UiProject, RefusesBoxesThatCannotBeRight) {
  testing::TempDir dir;
  auto project = open_or_die(dir.path());
  const std::string ref = *project->import_image("train", "a.jpg", jpeg(100, 80));
  const std::int64_t revision = project->image("train", ref)->revision;
  auto outside = project->set_boxes("train", ref, {{10, 10, 300, 40, "acme"}}, revision);
  ASSERT_FALSE(outside);
  EXPECT_THAT(outside.error().message, HasSubstr("outside the 100×80 image"));
  auto inverted = project->set_boxes("train", ref, {{40, 10, 10, 40, "acme"}}, revision);
  ASSERT_FALSE(inverted);
  EXPECT_THAT(inverted.error().message, HasSubstr("box 0"));
  auto unlabeled = project->set_boxes("train", ref, {{1, 1, 10, 10, ""}}, revision);
  ASSERT_FALSE(unlabeled);
  EXPECT_FALSE(project->set_boxes("train", "images/none.jpg", {}, revision));
  EXPECT_TRUE(project->image("train", ref)->boxes.empty());
  EXPECT_FALSE(project->add_label(""));
  EXPECT_FALSE(project->add_label("bad\nname"));
}

TEST(UiProject, ServesOnlyFilesInsideTheProject) {
  testing::TempDir outside;
  outside.write("secret.txt", "not yours");
  testing::TempDir dir;
  auto project = open_or_die(dir.file("p"));
  ASSERT_TRUE(project->resolve_inside("train.manifest"));
  EXPECT_EQ(project->resolve_inside("../secret.txt").error().code, ErrorCode::kAccessDenied);
  EXPECT_EQ(project->resolve_inside("images/../../secret.txt").error().code, ErrorCode::kAccessDenied);
  EXPECT_EQ(project->resolve_inside(outside.file("secret.txt")).error().code, ErrorCode::kAccessDenied);
  EXPECT_EQ(project->resolve_inside("images/none.jpg").error().code, ErrorCode::kNotFound);
  fs::create_symlink(outside.file("secret.txt"), dir.file("p/images/link.txt"));
  EXPECT_EQ(project->resolve_inside("images/link.txt").error().code, ErrorCode::kAccessDenied);
  fs::create_directory_symlink(outside.path(), dir.file("p/images/linked-folder"));
  EXPECT_EQ(project->resolve_inside("images/linked-folder/secret.txt").error().code,
            ErrorCode::kAccessDenied);
}

TEST(UiProject, SplitsATestSetOffLabeledTrainingImages) {
  testing::TempDir dir;
  auto project = open_or_die(dir.path());
  std::vector<std::string> refs;
  for (int index = 0; index < 10; ++index) {
    const std::string ref =
        *project->import_image("train", "img" + std::to_string(index) + ".jpg", jpeg(60 + index, 60));
    refs.push_back(ref);
    if (index < 8) {
      ASSERT_TRUE(
          project->set_boxes("train", ref, {{1, 1, 20, 20, "acme"}}, project->image("train", ref)->revision));
    }
  }
  std::map<std::string, std::int64_t> before;
  for (const std::string& ref : refs) before[ref] = project->image("train", ref)->revision;
  auto moved = project->split_test_from_train(0.25, 0);
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(*moved, 2u);
  EXPECT_EQ(project->counts("test").images, 2u);
  EXPECT_EQ(project->counts("test").labeled, 2u);
  EXPECT_EQ(project->counts("train").images, 8u);  // the 2 unlabeled stay in train
  EXPECT_EQ(read_back(*project, "test").samples.size(), 2u);
  EXPECT_EQ(read_back(*project, "train").samples.size(), 8u);
  // A tab open on a training image while the split ran can still save: revisions stay.
  for (const ImageEntry& entry : project->images("train"))
    EXPECT_EQ(entry.revision, before[entry.ref]) << entry.ref;
}

TEST(UiProject, RefusesAManifestWhoseRecordsAnEditWouldDrop) {
  testing::TempDir dir;
  dir.write("project.json", R"({"format": "logoscope-project", "version": 1, "name": "p"})");
  testing::TempDir source;
  auto seed = open_or_die(source.path());  // a good line, written by the project itself
  ASSERT_TRUE(seed->import_image("train", "a.jpg", jpeg(40, 40)));
  fs::create_directories(dir.file("images"));
  fs::copy_file(source.file("images/a.jpg"), dir.file("images/a.jpg"));
  const std::string manifest = *read_text_file(source.file("train.manifest")) + "{not json\n";
  dir.write("train.manifest", manifest);
  auto project = Project::open(dir.path());
  ASSERT_FALSE(project);
  EXPECT_THAT(project.error().message, HasSubstr("dataset validate"));
  EXPECT_THAT(project.error().message, HasSubstr("train.manifest"));
  EXPECT_THAT(project.error().message, HasSubstr(":2"));             // the line
  EXPECT_EQ(*read_text_file(dir.file("train.manifest")), manifest);  // untouched
}

TEST(UiProject, NumbersModelVersions) {
  testing::TempDir dir;
  auto project = open_or_die(dir.path());
  EXPECT_EQ(project->next_model_name(), "v1");
  fs::create_directories(project->models_dir() / "v2");
  fs::create_directories(project->models_dir() / "v10");
  fs::create_directories(project->models_dir() / "vx");
  EXPECT_EQ(project->next_model_name(), "v11");
}

}  // namespace
}  // namespace logoscope::ui
