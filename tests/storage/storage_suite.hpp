// tests/storage/storage_suite.hpp — one storage test suite for every backend. The parameter is a
// folder URI (a local temporary folder, or s3://bucket/prefix on a test server); each test works
// under its own sub-folder of it.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "dataset/formats.hpp"
#include "imageio/image_io.hpp"
#include "storage/storage.hpp"
#include "support/temp_dir.hpp"
#include "support/test_images.hpp"

namespace logoscope::storage {

class StorageSuite : public ::testing::TestWithParam<std::string> {
 protected:
  // A fresh folder under the parameter for this test.
  std::string folder() {
    static std::atomic<int> counter{0};
    if (folder_.empty()) {
      const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
      folder_ = join(GetParam(), std::string(info->name()).substr(0, std::string(info->name()).find('/')) + "-" +
                                     std::to_string(::getpid()) + "-" + std::to_string(counter++));
    }
    return folder_;
  }
  std::string in(const std::string& name) { return join(folder(), name); }

 private:
  std::string folder_;
};

inline std::string binary_bytes(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  unsigned state = seed * 2654435761U + 1;
  for (auto& byte : bytes) {
    state = state * 1103515245U + 12345U;
    byte = static_cast<char>(state >> 23);
  }
  return bytes;
}

TEST_P(StorageSuite, WritesAndReadsBackEveryByte) {
  const std::string bytes = binary_bytes(70000, 1) + std::string(5, '\0');
  ASSERT_TRUE(write_file(in("a/b.bin"), bytes));
  const auto back = read_file(in("a/b.bin"));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, bytes);
  // A second write replaces the file whole.
  ASSERT_TRUE(write_file(in("a/b.bin"), "short"));
  EXPECT_EQ(*read_file(in("a/b.bin")), "short");
  EXPECT_EQ(*read_text(in("a/b.bin")), "short");
}

TEST_P(StorageSuite, AMissingFileIsNotFoundAndNamed) {
  const auto missing = read_file(in("nothing-here.jpg"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message, ::testing::HasSubstr("nothing-here.jpg"));
  const auto info = stat_file(in("nothing-here.jpg"));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_FALSE(*info);
  EXPECT_TRUE(remove_file(in("nothing-here.jpg")));  // deleting what is not there is fine
}

TEST_P(StorageSuite, ReadsRanges) {
  const std::string bytes = binary_bytes(1000, 2);
  ASSERT_TRUE(write_file(in("r.bin"), bytes));
  auto& store = storage_for(in("r.bin"));
  EXPECT_EQ(*store.read_range(in("r.bin"), 100, 50), bytes.substr(100, 50));
  EXPECT_EQ(*store.read_range(in("r.bin"), 990, 50), bytes.substr(990));
  EXPECT_EQ(*store.read_range(in("r.bin"), 2000, 10), "");
}

TEST_P(StorageSuite, ListsAFolderRecursivelyInOrderAndNotItsNeighbours) {
  ASSERT_TRUE(write_file(in("set/b.jpg"), "bb"));
  ASSERT_TRUE(write_file(in("set/a.jpg"), "a"));
  ASSERT_TRUE(write_file(in("set/deep/c.png"), "ccc"));
  ASSERT_TRUE(write_file(in("settings/x.jpg"), "x"));  // shares the prefix "set", not the folder
  const auto listed = list_files(in("set"));
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 3U);
  EXPECT_EQ((*listed)[0].uri, in("set/a.jpg"));
  EXPECT_EQ((*listed)[1].uri, in("set/b.jpg"));
  EXPECT_EQ((*listed)[2].uri, in("set/deep/c.png"));
  EXPECT_EQ((*listed)[2].size, 3U);
  const auto with_slash = list_files(in("set") + "/");
  ASSERT_TRUE(with_slash);
  EXPECT_EQ(with_slash->size(), 3U);
}

TEST_P(StorageSuite, StatsAndRemoves) {
  ASSERT_TRUE(write_file(in("s.txt"), "12345"));
  const auto info = stat_file(in("s.txt"));
  ASSERT_TRUE(info && *info);
  EXPECT_EQ((*info)->size, 5U);
  ASSERT_TRUE(remove_file(in("s.txt")));
  EXPECT_FALSE(*stat_file(in("s.txt")));
}

TEST_P(StorageSuite, GivesALocalPathWithTheBytes) {
  const std::string bytes = binary_bytes(4096, 3);
  ASSERT_TRUE(write_file(in("l.bin"), bytes));
  const auto path = local_path(in("l.bin"));
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_FALSE(is_remote(*path));
  EXPECT_EQ(*storage_for(*path).read(*path), bytes);
}

TEST_P(StorageSuite, LargeFilesArriveWhole) {
  // Above the S3 backend's multipart threshold (16 MiB): uploaded in parts.
  const std::string bytes = binary_bytes((std::size_t{17} << 20) + 123, 4);
  testing::TempDir local;
  const std::string source = local.write("big.bin", bytes);
  ASSERT_TRUE(storage_for(in("big.bin")).upload(source, in("big.bin")));
  const auto back = read_file(in("big.bin"));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->size(), bytes.size());
  EXPECT_TRUE(*back == bytes);
}

TEST_P(StorageSuite, ImagesDecodeFromAnyBackend) {
  const cv::Mat rgb = testing::make_pattern_rgb(64, 48);
  const auto png = testing::encode_png(rgb, testing::PngKind::kRgb8);
  ASSERT_TRUE(write_file(in("img/p.png"), std::string(png.begin(), png.end())));
  const auto decoded = imageio::decode_image_file(in("img/p.png"));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(testing::pattern_mismatch(decoded->rgb, 0), "");
  const auto probed = imageio::probe_image_file(in("img/p.png"));
  ASSERT_TRUE(probed);
  EXPECT_EQ(probed->stored_width, 64);
}

TEST_P(StorageSuite, AManifestResolvesItsImagesBesideIt) {
  const std::string line =
      R"({"source-ref":"images/a.jpg","box":{"image_size":[{"width":10,"height":10,"depth":3}],"annotations":[)"
      R"({"class_id":0,"left":1,"top":1,"width":5,"height":5}]},"box-metadata":{"class-map":{"0":"acme"},)"
      R"("type":"groundtruth/object-detection","human-annotated":"yes"}})";
  ASSERT_TRUE(write_file(in("data/train.manifest"), line + "\n"));
  Problems problems;
  const auto data = dataset::read_dataset(in("data/train.manifest"), std::nullopt, problems);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->samples.size(), 1U);
  EXPECT_EQ(data->samples[0].image, in("data/images/a.jpg"));
}

}  // namespace logoscope::storage
