// The web UI's request readers (ui/ui_requests.hpp): what each API body must hold, and that
// nothing a browser (or a stranger) sends throws, converts out of range or is taken silently.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ui/ui_requests.hpp"

namespace logoscope::ui {
namespace {

using ::testing::HasSubstr;

TEST(UiRequests, ReadsALabelName) {
  auto name = read_label_request(R"({"name": "Red Bull"})");
  ASSERT_TRUE(name) << name.error().message;
  EXPECT_EQ(*name, "Red Bull");
  for (const char* bad : {"", "not json", "[1]", "{}", R"({"name": 3})", R"({"name": null})"}) {
    auto refused = read_label_request(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_THAT(read_label_request("{").error().message, HasSubstr("not JSON"));
  EXPECT_THAT(read_label_request("{}").error().message, HasSubstr("\"name\""));
}

TEST(UiRequests, ReadsBoxesWithTheirRevision) {
  auto edit = read_boxes_request(
      R"({"revision": 17, "boxes": [{"x0": 1, "y0": 2.5, "x1": 30, "y1": 40, "label": "RedBull"}]})");
  ASSERT_TRUE(edit) << edit.error().message;
  EXPECT_EQ(edit->revision, 17);
  ASSERT_EQ(edit->boxes.size(), 1u);
  EXPECT_DOUBLE_EQ(edit->boxes[0].y0, 2.5);
  EXPECT_EQ(edit->boxes[0].label, "RedBull");
  auto cleared = read_boxes_request(R"({"revision": 3, "boxes": []})");
  ASSERT_TRUE(cleared);
  EXPECT_TRUE(cleared->boxes.empty());
}

TEST(UiRequests, RefusesBoxesNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"boxes": []})", "\"revision\""},
      {R"({"revision": 1.5, "boxes": []})", "\"revision\""},
      {R"({"revision": "1", "boxes": []})", "\"revision\""},
      {R"({"revision": 1})", "\"boxes\""},
      {R"({"revision": 1, "boxes": {}})", "\"boxes\""},
      {R"({"revision": 1, "boxes": [3]})", "boxes[0]"},
      {R"({"revision": 1, "boxes": [{"x0": 1, "y0": 1, "x1": 2, "label": "a"}]})", "boxes[0].y1"},
      {R"({"revision": 1, "boxes": [{"x0": 1, "y0": 1, "x1": 2, "y1": "2", "label": "a"}]})", "boxes[0].y1"},
      {R"({"revision": 1, "boxes": [{"x0": 1, "y0": 1, "x1": 2, "y1": 2}]})", "boxes[0].label"},
      {"[]", "not a JSON object"},
  };
  for (const auto& [body, field] : cases) {
    auto refused = read_boxes_request(body);
    ASSERT_FALSE(refused) << body;
    EXPECT_THAT(refused.error().message, HasSubstr(field)) << body;
  }
}

TEST(UiRequests, ARevisionBeyondInt64MatchesNothingInsteadOfWrapping) {
  auto edit = read_boxes_request(R"({"revision": 18446744073709551615, "boxes": []})");
  ASSERT_TRUE(edit);
  EXPECT_EQ(edit->revision, -1);
}

TEST(UiRequests, ReadsATrainingBudgetOrStepCount) {
  auto defaults = read_train_request("");
  ASSERT_TRUE(defaults);
  EXPECT_DOUBLE_EQ(defaults->time_budget_s, 60);
  EXPECT_EQ(defaults->steps, 0);
  auto budget = read_train_request(R"({"time_budget_s": 30})");
  ASSERT_TRUE(budget);
  EXPECT_DOUBLE_EQ(budget->time_budget_s, 30);
  auto steps = read_train_request(R"({"steps": 40, "time_budget_s": 1})");
  ASSERT_TRUE(steps) << steps.error().message;
  EXPECT_EQ(steps->steps, 40);
}

TEST(UiRequests, RefusesTrainingBodiesThatCannotBeMeant) {
  for (const char* bad : {R"({"time_budget_s": 1})", R"({"time_budget_s": 1e300})", R"({"time_budget_s": "60"})",
                          R"({"steps": 1e300})", R"({"steps": 3.5})", R"({"steps": -4})",
                          R"({"steps": 18446744073709551615})", "[]", "{"}) {
    auto refused = read_train_request(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(UiRequests, MinConfidenceIsClampedAndAnythingElseMeansTheThresholds) {
  EXPECT_DOUBLE_EQ(read_min_confidence("55.5"), 55.5);
  EXPECT_DOUBLE_EQ(read_min_confidence("150"), 100);
  EXPECT_DOUBLE_EQ(read_min_confidence("-3"), 0);
  for (const char* unusable : {"", "abc", "nan", "inf", "50x", "1e999"}) {
    EXPECT_DOUBLE_EQ(read_min_confidence(unusable), -1) << unusable;
  }
}

}  // namespace
}  // namespace logoscope::ui
