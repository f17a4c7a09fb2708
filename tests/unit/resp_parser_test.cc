#include "protocol/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace basalt::protocol {
namespace {

struct Parsed {
  std::vector<std::vector<std::string>> commands;
  std::string error;
};

// Feeds `input` to a parser in fragments of `chunk` bytes, as reads would
// deliver it, and collects every command (copied) and the first error.
Parsed Feed(const std::string& input, size_t chunk, const ParserLimits& limits = {}) {
  Parsed out;
  RespParser parser;
  std::string buf;
  size_t fed = 0;
  ArgList args;
  while (fed < input.size() || !buf.empty()) {
    if (fed < input.size()) {
      buf.append(input, fed, chunk);
      fed += std::min(chunk, input.size() - fed);
    }
    while (!buf.empty()) {
      size_t consumed = 0;
      ParseStatus st = parser.Parse(buf.data(), buf.size(), limits, &args, &consumed);
      if (st == ParseStatus::kNeedMore) break;
      if (st == ParseStatus::kError) {
        out.error = parser.error();
        return out;
      }
      if (!args.empty()) out.commands.emplace_back(args.begin(), args.end());
      buf.erase(0, consumed);
    }
    if (fed >= input.size()) break;
  }
  return out;
}

const size_t kChunks[] = {1, 2, 5, 10, 100, 1 << 20};

using Cmds = std::vector<std::vector<std::string>>;

TEST(RespParserTest, MultibulkInEveryFragmentation) {
  std::string in = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n";
  for (size_t c : kChunks) {
    Parsed p = Feed(in, c);
    EXPECT_EQ(p.error, "") << c;
    EXPECT_EQ(p.commands, (Cmds{{"SET", "key", "value"}, {"PING"}})) << c;
  }
}

TEST(RespParserTest, BulkIsBinarySafe) {
  std::string value("a\r\n\0b", 5);
  std::string in = "*2\r\n$4\r\nECHO\r\n$5\r\n" + value + "\r\n";
  for (size_t c : kChunks) {
    Parsed p = Feed(in, c);
    ASSERT_EQ(p.commands.size(), 1u) << c;
    EXPECT_EQ(p.commands[0][1], value);
  }
}

TEST(RespParserTest, InlineCommandsWithQuotes) {
  std::string in = "SET k \"a b\\x41\\n\"\r\nGET 'it\\'s'\nPING\r\n";
  for (size_t c : kChunks) {
    Parsed p = Feed(in, c);
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.commands, (Cmds{{"SET", "k", "a bA\n"}, {"GET", "it's"}, {"PING"}})) << c;
  }
}

TEST(RespParserTest, EmptyRequestsAreSkipped) {
  for (size_t c : kChunks) {
    Parsed p = Feed("\r\n*0\r\n*-1\r\n   \r\nPING\r\n", c);
    EXPECT_EQ(p.commands, (Cmds{{"PING"}})) << c;
  }
}

TEST(RespParserTest, UnbalancedQuotes) {
  for (size_t c : kChunks) {
    EXPECT_EQ(Feed("SET k \"abc\r\n", c).error, "ERR Protocol error: unbalanced quotes in request");
    EXPECT_EQ(Feed("SET k 'abc\r\n", c).error, "ERR Protocol error: unbalanced quotes in request");
    EXPECT_EQ(Feed("SET k \"a\"b\r\n", c).error,
              "ERR Protocol error: unbalanced quotes in request");
  }
}

TEST(RespParserTest, InvalidMultibulkLength) {
  for (size_t c : kChunks) {
    EXPECT_EQ(Feed("*abc\r\n", c).error, "ERR Protocol error: invalid multibulk length");
    EXPECT_EQ(Feed("*3000000000\r\n", c).error, "ERR Protocol error: invalid multibulk length");
    EXPECT_EQ(Feed("*+1\r\n", c).error, "ERR Protocol error: invalid multibulk length");
  }
}

TEST(RespParserTest, InvalidBulkLength) {
  for (size_t c : kChunks) {
    EXPECT_EQ(Feed("*1\r\n$-1\r\n", c).error, "ERR Protocol error: invalid bulk length");
    EXPECT_EQ(Feed("*1\r\n$x\r\n", c).error, "ERR Protocol error: invalid bulk length");
    EXPECT_EQ(Feed("*1\r\n$536870913\r\n", c).error, "ERR Protocol error: invalid bulk length");
  }
}

TEST(RespParserTest, ExpectedDollar) {
  for (size_t c : kChunks) {
    EXPECT_EQ(Feed("*1\r\n:1\r\n", c).error, "ERR Protocol error: expected '$', got ':'");
  }
}

TEST(RespParserTest, TooBigInlineAndCounts) {
  EXPECT_EQ(Feed(std::string(70000, 'a'), 1 << 20).error,
            "ERR Protocol error: too big inline request");
  EXPECT_EQ(Feed("*" + std::string(70000, '1'), 1 << 20).error,
            "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(Feed("*1\r\n$" + std::string(70000, '1'), 1 << 20).error,
            "ERR Protocol error: too big bulk count string");
}

TEST(RespParserTest, UnauthenticatedLimitsAreTighter) {
  ParserLimits l = ParserLimits::Unauthenticated(512 << 20);
  EXPECT_EQ(Feed("*2000000\r\n", 100, l).error,
            "ERR Protocol error: unauthenticated multibulk length");
  EXPECT_EQ(Feed("*1\r\n$20000\r\n", 100, l).error,
            "ERR Protocol error: unauthenticated bulk length");
}

TEST(RespParserTest, ProtoMaxBulkLenIsAnInput) {
  ParserLimits l;
  l.max_bulk_len = 10;
  EXPECT_EQ(Feed("*1\r\n$11\r\nhello world\r\n", 100, l).error,
            "ERR Protocol error: invalid bulk length");
  EXPECT_EQ(Feed("*1\r\n$10\r\nhelloworld\r\n", 100, l).commands, (Cmds{{"helloworld"}}));
}

TEST(RespParserTest, BytesNeededAnnouncesLargeBulk) {
  RespParser parser;
  ArgList args;
  size_t consumed = 0;
  std::string head = "*1\r\n$1000000\r\nabc";
  EXPECT_EQ(parser.Parse(head.data(), head.size(), {}, &args, &consumed), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.bytes_needed(), 14u + 1000000u + 2u);
}

TEST(RespParserTest, ManyArgumentsDoNotPreallocateFromTheCount) {
  // A huge declared count with no data must not reserve memory for it.
  Parsed p = Feed("*1000000000\r\n$1\r\na\r\n", 100);
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.commands.empty());
}

}  // namespace
}  // namespace basalt::protocol
