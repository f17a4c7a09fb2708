#include "protocol/reply_builder.h"

#include <gtest/gtest.h>

#include <limits>

namespace basalt::protocol {
namespace {

TEST(ReplyBuilderTest, Resp2Shapes) {
  std::string out;
  ReplyBuilder rb(&out);
  rb.Null();
  rb.NullArray();
  rb.MapHeader(1);
  rb.SetHeader(2);
  rb.Bool(true);
  rb.Double(1.5);
  rb.Verbatim("hi");
  EXPECT_EQ(out, "$-1\r\n*-1\r\n*2\r\n*2\r\n:1\r\n$3\r\n1.5\r\n$2\r\nhi\r\n");
}

TEST(ReplyBuilderTest, Resp3Shapes) {
  std::string out;
  ReplyBuilder rb(&out);
  rb.set_resp3(true);
  rb.Null();
  rb.NullArray();
  rb.MapHeader(1);
  rb.SetHeader(2);
  rb.PushHeader(3);
  rb.Bool(false);
  rb.Double(std::numeric_limits<double>::infinity());
  rb.Verbatim("hi");
  EXPECT_EQ(out, "_\r\n_\r\n%1\r\n~2\r\n>3\r\n#f\r\n,inf\r\n=6\r\ntxt:hi\r\n");
}

TEST(ReplyBuilderTest, ErrorsAreOneLineAndCounted) {
  std::string out;
  ReplyBuilder rb(&out);
  EXPECT_FALSE(rb.had_error());
  rb.Error("ERR bad\r\nthing");
  EXPECT_EQ(out, "-ERR bad  thing\r\n");
  EXPECT_TRUE(rb.had_error());
  EXPECT_EQ(rb.last_error_code(), "ERR");
}

TEST(ReplyBuilderTest, IntegersAtTheEdges) {
  std::string out;
  ReplyBuilder rb(&out);
  rb.Integer(std::numeric_limits<int64_t>::min());
  rb.Integer(0);
  EXPECT_EQ(out, ":-9223372036854775808\r\n:0\r\n");
}

}  // namespace
}  // namespace basalt::protocol
