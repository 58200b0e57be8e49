#include <gtest/gtest.h>

#include "core/hash.hpp"
#include "core/paths.hpp"

namespace logoscope {
namespace {

TEST(Paths, ResolveRefJoinsRelativeAndKeepsUris) {
  EXPECT_EQ(resolve_ref("images/a.jpg", "/data/set"), "/data/set/images/a.jpg");
  EXPECT_EQ(resolve_ref("../x/a.jpg", "/data/set"), "/data/x/a.jpg");
  EXPECT_EQ(resolve_ref("/abs/a.jpg", "/data/set"), "/abs/a.jpg");
  EXPECT_EQ(resolve_ref("s3://bucket/key/a.jpg", "/data/set"), "s3://bucket/key/a.jpg");
  EXPECT_EQ(resolve_ref("file:///abs/a.jpg", "/data"), "/abs/a.jpg");
}

TEST(Paths, RefForWritingIsRelativeOnlyUnderTheOutputFolder) {
  EXPECT_EQ(ref_for_writing("/out/images/a.jpg", "/out"), "images/a.jpg");
  EXPECT_EQ(ref_for_writing("/elsewhere/a.jpg", "/out"), "/elsewhere/a.jpg");
  EXPECT_EQ(ref_for_writing("s3://b/k.jpg", "/out"), "s3://b/k.jpg");
}

TEST(Hash, Fnv1aMatchesPublishedVectors) {
  // Reference values from the FNV specification (draft-eastlake-fnv, test vectors).
  EXPECT_EQ(fnv1a64(std::string("")), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64(std::string("a")), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64(std::string("foobar")), 0x85944171f73967e8ULL);
  EXPECT_EQ(hash_hex(0xabcULL), "0000000000000abc");
}

}  // namespace
}  // namespace logoscope
