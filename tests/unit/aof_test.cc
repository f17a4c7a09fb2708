// The AOF's file-level pieces: manifest text, the RESP command reader and
// the whole-file scan the loader and basalt-check-aof use.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "persist/aof_reader.h"
#include "persist/aof_rewrite.h"
#include "persist/manifest.h"

namespace basalt::persist {
namespace {

std::string Cmd(std::initializer_list<std::string> argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const std::string& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

TEST(AofManifest, RoundTripsRedisLayout) {
  std::string text =
      "file appendonly.aof.2.base.rdb seq 2 type b\n"
      "file appendonly.aof.1.incr.aof seq 1 type h\n"
      "file appendonly.aof.2.incr.aof seq 2 type i\n"
      "file appendonly.aof.3.incr.aof seq 3 type i\n";
  AofManifest m;
  std::string error;
  ASSERT_TRUE(m.Parse(text, &error)) << error;
  EXPECT_EQ(m.base.name, "appendonly.aof.2.base.rdb");
  EXPECT_EQ(m.curr_base_seq, 2);
  EXPECT_EQ(m.curr_incr_seq, 3);
  ASSERT_EQ(m.history.size(), 1u);
  EXPECT_EQ(m.LoadOrder(),
            (std::vector<std::string>{"appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof",
                                      "appendonly.aof.3.incr.aof"}));
  EXPECT_EQ(m.Serialize(), text);
}

TEST(AofManifest, QuotedNamesCommentsAndKeyOrder) {
  AofManifest m;
  std::string error;
  ASSERT_TRUE(m.Parse("# written by hand\ntype i seq 4 file \"my aof.4.incr.aof\"\n", &error))
      << error;
  ASSERT_EQ(m.incrs.size(), 1u);
  EXPECT_EQ(m.incrs[0].name, "my aof.4.incr.aof");
  AofManifest again;
  ASSERT_TRUE(again.Parse(m.Serialize(), &error)) << error;
  EXPECT_EQ(again.incrs[0].name, "my aof.4.incr.aof");
}

TEST(AofManifest, RejectsMalformed) {
  AofManifest m;
  std::string error;
  EXPECT_FALSE(m.Parse("", &error));                                            // empty
  EXPECT_FALSE(m.Parse("file a seq 1 type b", &error));                         // torn: no newline
  EXPECT_FALSE(m.Parse("file a seq 1 type x\n", &error));                       // unknown type
  EXPECT_FALSE(m.Parse("file a seq 0 type i\n", &error));                       // bad seq
  EXPECT_FALSE(m.Parse("file a seq 1\n", &error));                              // no type
  EXPECT_FALSE(m.Parse("file dir/a seq 1 type i\n", &error));                   // a path
  EXPECT_FALSE(m.Parse("file a seq 1 type b\nfile b seq 2 type b\n", &error));  // two bases
  EXPECT_FALSE(m.Parse("file a seq 2 type i\nfile b seq 1 type i\n", &error));  // order
}

TEST(AofManifest, Names) {
  EXPECT_EQ(ManifestName("appendonly.aof"), "appendonly.aof.manifest");
  EXPECT_EQ(BaseName("appendonly.aof", 3, true), "appendonly.aof.3.base.rdb");
  EXPECT_EQ(BaseName("appendonly.aof", 3, false), "appendonly.aof.3.base.aof");
  EXPECT_EQ(IncrName("appendonly.aof", 7), "appendonly.aof.7.incr.aof");
}

TEST(AofReader, ReadsCommandsAndAnnotations) {
  std::string data = Cmd({"SELECT", "0"}) + "#TS:1700000000\r\n" + Cmd({"set", "k", ""});
  AofReader r(data.data(), data.size());
  std::vector<std::string_view> argv;
  ASSERT_EQ(r.Next(&argv), AofReadStatus::kCommand);
  EXPECT_EQ(argv, (std::vector<std::string_view>{"SELECT", "0"}));
  ASSERT_EQ(r.Next(&argv), AofReadStatus::kCommand);
  EXPECT_EQ(argv, (std::vector<std::string_view>{"set", "k", ""}));
  EXPECT_EQ(r.Next(&argv), AofReadStatus::kEnd);
  EXPECT_EQ(r.offset(), data.size());
}

TEST(AofScan, EveryTruncationOfTheLastCommandIsATornTail) {
  std::string head = Cmd({"SELECT", "0"}) + Cmd({"set", "a", "1"});
  std::string last = Cmd({"set", "lastkey", "value"});
  for (size_t cut = 1; cut < last.size(); ++cut) {
    std::string data = head + last.substr(0, cut);
    AofScanResult r = ScanAof(data.data(), data.size());
    EXPECT_EQ(r.status, AofReadStatus::kTruncated) << cut;
    EXPECT_EQ(r.valid_up_to, head.size()) << cut;
  }
  std::string whole = head + last;
  AofScanResult r = ScanAof(whole.data(), whole.size());
  EXPECT_EQ(r.status, AofReadStatus::kEnd);
  EXPECT_EQ(r.commands, 3);
}

TEST(AofScan, CorruptionInTheMiddle) {
  std::string good = Cmd({"set", "a", "1"});
  std::string data = good + "*3\r\n$3\r\nset\r\n$1\r\nb\r\n$1\r\n2XX" + good;
  AofScanResult r = ScanAof(data.data(), data.size());
  EXPECT_EQ(r.status, AofReadStatus::kCorrupt);
  EXPECT_EQ(r.valid_up_to, good.size());
  EXPECT_EQ(r.error_offset, good.size());
  std::string junk = good + "hello\r\n" + good;
  r = ScanAof(junk.data(), junk.size());
  EXPECT_EQ(r.status, AofReadStatus::kCorrupt);
  EXPECT_EQ(r.valid_up_to, good.size());
}

TEST(AofScan, OpenMultiAtTheEndIsDropped) {
  std::string head = Cmd({"set", "a", "1"});
  std::string block = Cmd({"MULTI"}) + Cmd({"incr", "c"}) + Cmd({"incr", "d"});
  std::string data = head + block;
  AofScanResult r = ScanAof(data.data(), data.size());
  EXPECT_EQ(r.status, AofReadStatus::kTruncated);
  EXPECT_EQ(r.valid_up_to, head.size());
  data += Cmd({"EXEC"});
  r = ScanAof(data.data(), data.size());
  EXPECT_EQ(r.status, AofReadStatus::kEnd);
  std::string nested = Cmd({"MULTI"}) + Cmd({"MULTI"});
  EXPECT_EQ(ScanAof(nested.data(), nested.size()).status, AofReadStatus::kCorrupt);
  std::string stray = Cmd({"EXEC"});
  EXPECT_EQ(ScanAof(stray.data(), stray.size()).status, AofReadStatus::kCorrupt);
}

TEST(AofScan, HugeCountsDoNotAllocate) {
  std::string data = "*9999999999\r\n$1\r\na\r\n";
  EXPECT_EQ(ScanAof(data.data(), data.size()).status, AofReadStatus::kTruncated);
  data = "*1\r\n$99999999999999999999\r\n";
  EXPECT_EQ(ScanAof(data.data(), data.size()).status, AofReadStatus::kCorrupt);
}

TEST(AofRewrite, SelectCommand) {
  std::string out;
  AppendSelect(&out, 12);
  EXPECT_EQ(out, Cmd({"SELECT", "12"}));
}

}  // namespace
}  // namespace basalt::persist
