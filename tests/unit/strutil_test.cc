#include "common/strutil.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace basalt {
namespace {

using namespace std::string_view_literals;

// ---------------------------------------------------------------------------
// ParseInt64 (string2ll)
// ---------------------------------------------------------------------------

bool Int64Ok(std::string_view s, int64_t expected) {
  int64_t v = 0;
  return ParseInt64(s, &v) && v == expected;
}

bool Int64Rejected(std::string_view s) {
  int64_t v = 0;
  return !ParseInt64(s, &v);
}

TEST(StrUtilTest, ParseInt64AcceptsCanonicalIntegers) {
  EXPECT_TRUE(Int64Ok("0", 0));
  EXPECT_TRUE(Int64Ok("1", 1));
  EXPECT_TRUE(Int64Ok("-1", -1));
  EXPECT_TRUE(Int64Ok("99", 99));
  EXPECT_TRUE(Int64Ok("-99", -99));
  EXPECT_TRUE(Int64Ok("1000000", 1000000));
}

TEST(StrUtilTest, ParseInt64AcceptsInt64Limits) {
  EXPECT_TRUE(Int64Ok("9223372036854775807", std::numeric_limits<int64_t>::max()));
  EXPECT_TRUE(Int64Ok("-9223372036854775808", std::numeric_limits<int64_t>::min()));
}

TEST(StrUtilTest, ParseInt64RejectsOverflowByOne) {
  EXPECT_TRUE(Int64Rejected("9223372036854775808"));
  EXPECT_TRUE(Int64Rejected("-9223372036854775809"));
  EXPECT_TRUE(Int64Rejected("18446744073709551615"));
  EXPECT_TRUE(Int64Rejected("18446744073709551616"));
  EXPECT_TRUE(Int64Rejected("99999999999999999999"));
  EXPECT_TRUE(Int64Rejected("-99999999999999999999"));
  EXPECT_TRUE(Int64Rejected("123456789012345678901234567890"));
}

TEST(StrUtilTest, ParseInt64RejectsSignsOtherThanLeadingMinus) {
  EXPECT_TRUE(Int64Rejected("+1"));
  EXPECT_TRUE(Int64Rejected("-"));
  EXPECT_TRUE(Int64Rejected("--1"));
  EXPECT_TRUE(Int64Rejected("1-"));
  EXPECT_TRUE(Int64Rejected("+0"));
}

TEST(StrUtilTest, ParseInt64RejectsLeadingZerosAndNegativeZero) {
  EXPECT_TRUE(Int64Rejected("01"));
  EXPECT_TRUE(Int64Rejected("00"));
  EXPECT_TRUE(Int64Rejected("-01"));
  EXPECT_TRUE(Int64Rejected("-0"));
  EXPECT_TRUE(Int64Rejected("000000000000000000001"));
}

TEST(StrUtilTest, ParseInt64RejectsSpacesEmptyAndGarbage) {
  EXPECT_TRUE(Int64Rejected(""));
  EXPECT_TRUE(Int64Rejected(" 1"));
  EXPECT_TRUE(Int64Rejected("1 "));
  EXPECT_TRUE(Int64Rejected("\t1"));
  EXPECT_TRUE(Int64Rejected("1a"));
  EXPECT_TRUE(Int64Rejected("1.0"));
  EXPECT_TRUE(Int64Rejected("1e3"));
  EXPECT_TRUE(Int64Rejected("0x10"));
  EXPECT_TRUE(Int64Rejected("1\0"sv));
  EXPECT_TRUE(Int64Rejected("\0"sv));
}

TEST(StrUtilTest, ParseInt64LeavesOutputUntouchedOnFailure) {
  int64_t v = 42;
  EXPECT_FALSE(ParseInt64("nope", &v));
  EXPECT_EQ(v, 42);
}

// ---------------------------------------------------------------------------
// ParseUint64 (string2ull)
// ---------------------------------------------------------------------------

TEST(StrUtilTest, ParseUint64AcceptsFullUnsignedRange) {
  uint64_t v = 1;
  ASSERT_TRUE(ParseUint64("0", &v));
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(ParseUint64("9223372036854775807", &v));
  EXPECT_EQ(v, 9223372036854775807ull);
  ASSERT_TRUE(ParseUint64("9223372036854775808", &v));
  EXPECT_EQ(v, 9223372036854775808ull);
  ASSERT_TRUE(ParseUint64("18446744073709551615", &v));
  EXPECT_EQ(v, std::numeric_limits<uint64_t>::max());
}

TEST(StrUtilTest, ParseUint64RejectsOverflowNegativesAndGarbage) {
  uint64_t v = 0;
  EXPECT_FALSE(ParseUint64("18446744073709551616", &v));
  EXPECT_FALSE(ParseUint64("99999999999999999999999", &v));
  EXPECT_FALSE(ParseUint64("-1", &v));
  EXPECT_FALSE(ParseUint64("-9223372036854775808", &v));
  EXPECT_FALSE(ParseUint64("", &v));
  EXPECT_FALSE(ParseUint64(" ", &v));
  EXPECT_FALSE(ParseUint64("-", &v));
  EXPECT_FALSE(ParseUint64("abc", &v));
  EXPECT_FALSE(ParseUint64("5 ", &v));
  EXPECT_FALSE(ParseUint64("5x", &v));
  EXPECT_FALSE(ParseUint64("0x10", &v));
  EXPECT_FALSE(ParseUint64("5\0"sv, &v));
}

// Redis's string2ull falls back to strtoull when string2ll fails, so it inherits strtoull's
// leniency. Pinned here so nobody "fixes" it into an incompatibility.
TEST(StrUtilTest, ParseUint64InheritsStrtoullLeniencyLikeRedis) {
  uint64_t v = 0;
  ASSERT_TRUE(ParseUint64("007", &v));
  EXPECT_EQ(v, 7u);
  ASSERT_TRUE(ParseUint64("+5", &v));
  EXPECT_EQ(v, 5u);
  ASSERT_TRUE(ParseUint64(" 5", &v));
  EXPECT_EQ(v, 5u);
  ASSERT_TRUE(ParseUint64("-0", &v));
  EXPECT_EQ(v, 0u);
  // string2ll overflows, strtoull negates modulo 2^64.
  ASSERT_TRUE(ParseUint64("-18446744073709551615", &v));
  EXPECT_EQ(v, 1u);
}

// ---------------------------------------------------------------------------
// ParseDouble (string2d)
// ---------------------------------------------------------------------------

TEST(StrUtilTest, ParseDoubleAcceptsDecimalAndExponentForms) {
  double d = 0;
  ASSERT_TRUE(ParseDouble("1.5", &d));
  EXPECT_EQ(d, 1.5);
  ASSERT_TRUE(ParseDouble("-2", &d));
  EXPECT_EQ(d, -2.0);
  ASSERT_TRUE(ParseDouble("+3", &d));
  EXPECT_EQ(d, 3.0);
  ASSERT_TRUE(ParseDouble(".5", &d));
  EXPECT_EQ(d, 0.5);
  ASSERT_TRUE(ParseDouble("5.", &d));
  EXPECT_EQ(d, 5.0);
  ASSERT_TRUE(ParseDouble("1e3", &d));
  EXPECT_EQ(d, 1000.0);
  ASSERT_TRUE(ParseDouble("1E-3", &d));
  EXPECT_EQ(d, 0.001);
  ASSERT_TRUE(ParseDouble("007", &d));
  EXPECT_EQ(d, 7.0);
  ASSERT_TRUE(ParseDouble("1.7976931348623157e308", &d));
  EXPECT_EQ(d, std::numeric_limits<double>::max());
}

TEST(StrUtilTest, ParseDoubleAcceptsZeroAndNegativeZero) {
  double d = 1;
  ASSERT_TRUE(ParseDouble("0", &d));
  EXPECT_EQ(d, 0.0);
  ASSERT_TRUE(ParseDouble("-0", &d));
  EXPECT_EQ(d, 0.0);
  EXPECT_TRUE(std::signbit(d));
  ASSERT_TRUE(ParseDouble("0e500", &d));  // exact zero, no ERANGE
  EXPECT_EQ(d, 0.0);
}

TEST(StrUtilTest, ParseDoubleAcceptsInfinitySpellings) {
  double d = 0;
  ASSERT_TRUE(ParseDouble("inf", &d));
  EXPECT_TRUE(std::isinf(d) && d > 0);
  ASSERT_TRUE(ParseDouble("+inf", &d));
  EXPECT_TRUE(std::isinf(d) && d > 0);
  ASSERT_TRUE(ParseDouble("-inf", &d));
  EXPECT_TRUE(std::isinf(d) && d < 0);
  ASSERT_TRUE(ParseDouble("INF", &d));
  EXPECT_TRUE(std::isinf(d));
  ASSERT_TRUE(ParseDouble("-Infinity", &d));
  EXPECT_TRUE(std::isinf(d) && d < 0);
}

// Like Redis, whatever strtod parses is accepted, including hexadecimal floats.
TEST(StrUtilTest, ParseDoubleAcceptsHexFloatsLikeStrtod) {
  double d = 0;
  ASSERT_TRUE(ParseDouble("0x10", &d));
  EXPECT_EQ(d, 16.0);
  ASSERT_TRUE(ParseDouble("0x1p-1", &d));
  EXPECT_EQ(d, 0.5);
}

TEST(StrUtilTest, ParseDoubleRejectsNan) {
  double d = 0;
  EXPECT_FALSE(ParseDouble("nan", &d));
  EXPECT_FALSE(ParseDouble("NaN", &d));
  EXPECT_FALSE(ParseDouble("-nan", &d));
  EXPECT_FALSE(ParseDouble("nan(123)", &d));
}

TEST(StrUtilTest, ParseDoubleRejectsOverflowAndUnderflowToZero) {
  double d = 0;
  EXPECT_FALSE(ParseDouble("1e400", &d));
  EXPECT_FALSE(ParseDouble("-1e400", &d));
  EXPECT_FALSE(ParseDouble("1.8e308", &d));
  EXPECT_FALSE(ParseDouble("1e-400", &d));
  EXPECT_FALSE(ParseDouble("-1e-400", &d));
}

TEST(StrUtilTest, ParseDoubleRejectsSpacesEmptyAndTrailingGarbage) {
  double d = 0;
  EXPECT_FALSE(ParseDouble("", &d));
  EXPECT_FALSE(ParseDouble(" 1", &d));
  EXPECT_FALSE(ParseDouble("\n1", &d));
  EXPECT_FALSE(ParseDouble("1 ", &d));
  EXPECT_FALSE(ParseDouble("1.5x", &d));
  EXPECT_FALSE(ParseDouble("1e", &d));
  EXPECT_FALSE(ParseDouble("abc", &d));
  EXPECT_FALSE(ParseDouble("-", &d));
  EXPECT_FALSE(ParseDouble(".", &d));
  EXPECT_FALSE(ParseDouble("1\0"sv, &d));
  EXPECT_FALSE(ParseDouble("inf ", &d));
}

TEST(StrUtilTest, ParseDoubleHandlesLongInputs) {
  std::string s(300, '0');
  s += "1.25";
  double d = 0;
  ASSERT_TRUE(ParseDouble(s, &d));
  EXPECT_EQ(d, 1.25);
  s += "x";
  EXPECT_FALSE(ParseDouble(s, &d));
}

// ---------------------------------------------------------------------------
// ParseLongDouble (string2ld)
// ---------------------------------------------------------------------------

TEST(StrUtilTest, ParseLongDoubleAcceptsNumbersAndInfinity) {
  long double d = 0;
  ASSERT_TRUE(ParseLongDouble("10.5", &d));
  EXPECT_EQ(d, 10.5L);
  ASSERT_TRUE(ParseLongDouble("-3", &d));
  EXPECT_EQ(d, -3.0L);
  ASSERT_TRUE(ParseLongDouble("5.0e3", &d));
  EXPECT_EQ(d, 5000.0L);
  ASSERT_TRUE(ParseLongDouble("inf", &d));
  EXPECT_TRUE(std::isinf(d));
  ASSERT_TRUE(ParseLongDouble("-inf", &d));
  EXPECT_TRUE(std::isinf(d) && d < 0);
}

TEST(StrUtilTest, ParseLongDoubleUsesLongDoubleRange) {
  long double d = 0;
  // Out of double range but fine for x87 80-bit long double.
  if (std::numeric_limits<long double>::max_exponent10 > 400) {
    ASSERT_TRUE(ParseLongDouble("1e400", &d));
    EXPECT_GT(d, 1e300L);
  }
  EXPECT_FALSE(ParseLongDouble("1e99999", &d));
  EXPECT_FALSE(ParseLongDouble("-1e99999", &d));
  EXPECT_FALSE(ParseLongDouble("1e-99999", &d));
}

TEST(StrUtilTest, ParseLongDoubleRejectsNanSpacesAndGarbage) {
  long double d = 0;
  EXPECT_FALSE(ParseLongDouble("", &d));
  EXPECT_FALSE(ParseLongDouble("nan", &d));
  EXPECT_FALSE(ParseLongDouble("-nan", &d));
  EXPECT_FALSE(ParseLongDouble(" 1", &d));
  EXPECT_FALSE(ParseLongDouble("1 ", &d));
  EXPECT_FALSE(ParseLongDouble("1.0abc", &d));
  EXPECT_FALSE(ParseLongDouble("abc", &d));
  EXPECT_FALSE(ParseLongDouble("1\0"sv, &d));
}

TEST(StrUtilTest, ParseLongDoubleRejectsInputsOfFiveKibOrMore) {
  long double d = 0;
  std::string ok(5 * 1024 - 2, '0');
  ok += "1";  // 5119 characters, value 1
  ASSERT_TRUE(ParseLongDouble(ok, &d));
  EXPECT_EQ(d, 1.0L);
  EXPECT_FALSE(ParseLongDouble("0" + ok, &d));  // 5120 characters
}

// ---------------------------------------------------------------------------
// Integer formatting (ll2string)
// ---------------------------------------------------------------------------

TEST(StrUtilTest, FormatInt64WritesDecimalWithoutTerminator) {
  char buf[kMaxInt64Chars + 1];
  buf[kMaxInt64Chars] = '#';
  size_t n = FormatInt64(std::numeric_limits<int64_t>::min(), buf);
  EXPECT_EQ(n, kMaxInt64Chars);
  EXPECT_EQ(std::string_view(buf, n), "-9223372036854775808");
  EXPECT_EQ(buf[kMaxInt64Chars], '#');
  n = FormatInt64(0, buf);
  EXPECT_EQ(std::string_view(buf, n), "0");
}

TEST(StrUtilTest, Int64ToStringRoundTripsThroughParseInt64) {
  const int64_t values[] = {0,
                            1,
                            -1,
                            9,
                            10,
                            -10,
                            123456789,
                            std::numeric_limits<int64_t>::max(),
                            std::numeric_limits<int64_t>::min(),
                            std::numeric_limits<int64_t>::min() + 1};
  for (int64_t v : values) {
    const std::string s = Int64ToString(v);
    int64_t back = 0;
    ASSERT_TRUE(ParseInt64(s, &back)) << s;
    EXPECT_EQ(back, v);
  }
  EXPECT_EQ(Int64ToString(std::numeric_limits<int64_t>::max()), "9223372036854775807");
}

// ---------------------------------------------------------------------------
// FormatDouble (addReplyDouble)
// ---------------------------------------------------------------------------

TEST(StrUtilTest, FormatDoubleUsesSeventeenSignificantDigits) {
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(3.0), "3");
  EXPECT_EQ(FormatDouble(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatDouble(-2.5), "-2.5");
  EXPECT_EQ(FormatDouble(1e20), "1e+20");
  EXPECT_EQ(FormatDouble(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(FormatDouble(1e-5), "1.0000000000000001e-05");
  EXPECT_EQ(FormatDouble(0.0), "0");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
}

TEST(StrUtilTest, FormatDoubleSpellsInfinityExplicitly) {
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-inf");
}

// ---------------------------------------------------------------------------
// FormatLongDouble (ld2string LD_STR_HUMAN, INCRBYFLOAT)
// ---------------------------------------------------------------------------

std::string Human(long double v) {
  std::string s;
  EXPECT_TRUE(FormatLongDouble(v, &s));
  return s;
}

TEST(StrUtilTest, FormatLongDoubleStripsTrailingZerosAndDot) {
  EXPECT_EQ(Human(10.5L), "10.5");
  EXPECT_EQ(Human(3.0L), "3");
  EXPECT_EQ(Human(0.0L), "0");
  EXPECT_EQ(Human(-7.25L), "-7.25");
  EXPECT_EQ(Human(100.0L), "100");  // zeros before the '.' stay
  EXPECT_EQ(Human(1e20L), "100000000000000000000");
}

TEST(StrUtilTest, FormatLongDoubleMatchesIncrByFloatExamples) {
  long double a = 0;
  long double b = 0;
  // The INCRBYFLOAT documentation examples.
  ASSERT_TRUE(ParseLongDouble("10.50", &a));
  ASSERT_TRUE(ParseLongDouble("0.1", &b));
  EXPECT_EQ(Human(a + b), "10.6");
  ASSERT_TRUE(ParseLongDouble("-5", &b));
  EXPECT_EQ(Human(a + b + 0.1L), "5.6");
  ASSERT_TRUE(ParseLongDouble("5.0e3", &a));
  ASSERT_TRUE(ParseLongDouble("2.0e2", &b));
  EXPECT_EQ(Human(a + b), "5200");
}

TEST(StrUtilTest, FormatLongDoubleShowsNegativeZeroAsZero) {
  EXPECT_EQ(Human(-0.0L), "0");
  EXPECT_EQ(Human(-1e-30L), "0");  // "%.17Lf" gives "-0.00000000000000000"
  EXPECT_EQ(Human(1e-30L), "0");
  EXPECT_EQ(Human(-1e-17L), "-0.00000000000000001");
}

TEST(StrUtilTest, FormatLongDoubleRejectsInfinityAndNan) {
  std::string s = "untouched";
  EXPECT_FALSE(FormatLongDouble(std::numeric_limits<long double>::infinity(), &s));
  EXPECT_FALSE(FormatLongDouble(-std::numeric_limits<long double>::infinity(), &s));
  EXPECT_FALSE(FormatLongDouble(std::numeric_limits<long double>::quiet_NaN(), &s));
  EXPECT_EQ(s, "untouched");
}

TEST(StrUtilTest, FormatLongDoubleHandlesHugeValues) {
  std::string s;
  ASSERT_TRUE(FormatLongDouble(std::numeric_limits<long double>::max(), &s));
  EXPECT_GT(s.size(), 300u);
  EXPECT_EQ(s.find('.'), std::string::npos);
  long double back = 0;
  ASSERT_TRUE(ParseLongDouble(s, &back));
  EXPECT_EQ(back, std::numeric_limits<long double>::max());
}

// ---------------------------------------------------------------------------
// StringMatch (stringmatchlen)
// ---------------------------------------------------------------------------

TEST(StrUtilTest, StringMatchLiteralsAndWildcards) {
  EXPECT_TRUE(StringMatch("hello", "hello"));
  EXPECT_FALSE(StringMatch("hello", "hell"));
  EXPECT_FALSE(StringMatch("hell", "hello"));
  EXPECT_TRUE(StringMatch("h?llo", "hello"));
  EXPECT_TRUE(StringMatch("h?llo", "hallo"));
  EXPECT_FALSE(StringMatch("h?llo", "hllo"));
  EXPECT_TRUE(StringMatch("h*llo", "hllo"));
  EXPECT_TRUE(StringMatch("h*llo", "heeeello"));
  EXPECT_TRUE(StringMatch("*", "anything"));
  EXPECT_TRUE(StringMatch("user:*", "user:1000"));
  EXPECT_FALSE(StringMatch("user:*", "users:1000"));
  EXPECT_TRUE(StringMatch("*:*:*", "a:b:c"));
  EXPECT_TRUE(StringMatch("a***b", "ab"));
  EXPECT_TRUE(StringMatch("a*", "a"));
  EXPECT_TRUE(StringMatch("*a", "a"));
  EXPECT_FALSE(StringMatch("a*?", "a"));
  EXPECT_TRUE(StringMatch("*?*", "x"));
}

TEST(StrUtilTest, StringMatchEmptySubjectMatchesOnlyEmptyPattern) {
  EXPECT_TRUE(StringMatch("", ""));
  EXPECT_FALSE(StringMatch("", "a"));
  // Redis 7's loop stops as soon as the subject is empty, so even "*" fails on "".
  EXPECT_FALSE(StringMatch("*", ""));
  EXPECT_FALSE(StringMatch("**", ""));
  EXPECT_FALSE(StringMatch("?", ""));
}

TEST(StrUtilTest, StringMatchCharacterClasses) {
  EXPECT_TRUE(StringMatch("h[ae]llo", "hello"));
  EXPECT_TRUE(StringMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(StringMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(StringMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(StringMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(StringMatch("h[a-b]llo", "hbllo"));
  EXPECT_FALSE(StringMatch("h[a-b]llo", "hcllo"));
  EXPECT_TRUE(StringMatch("[0-9][0-9]", "42"));
  EXPECT_TRUE(StringMatch("[a-cx-z]", "y"));
  EXPECT_FALSE(StringMatch("[a-cx-z]", "m"));
  EXPECT_TRUE(StringMatch("[*]", "*"));
  EXPECT_FALSE(StringMatch("[*]", "a"));
  EXPECT_TRUE(StringMatch("[?]", "?"));
  EXPECT_FALSE(StringMatch("[]", "a"));   // empty class matches nothing
  EXPECT_TRUE(StringMatch("[^]", "a"));   // negated empty class matches anything
  EXPECT_TRUE(StringMatch("[-a]", "-"));  // leading '-' is a member
}

TEST(StrUtilTest, StringMatchReversedRangesAreSwapped) {
  EXPECT_TRUE(StringMatch("[z-a]", "m"));
  EXPECT_TRUE(StringMatch("[9-0]", "5"));
  EXPECT_FALSE(StringMatch("[z-a]", "M"));
  EXPECT_TRUE(StringMatch("[^z-a]", "M"));
}

TEST(StrUtilTest, StringMatchUnterminatedClassRunsToPatternEnd) {
  EXPECT_TRUE(StringMatch("[abc", "b"));
  EXPECT_FALSE(StringMatch("[abc", "d"));
  EXPECT_FALSE(StringMatch("[abc", "ab"));
  EXPECT_FALSE(StringMatch("[", "a"));
  EXPECT_TRUE(StringMatch("[^", "a"));
  EXPECT_TRUE(StringMatch("x[^", "xa"));
}

TEST(StrUtilTest, StringMatchDashBeforeCloseBracketFormsARange) {
  // Redis reads "[a-]" as the range ']'..'a' (swapped) followed by whatever comes next.
  EXPECT_TRUE(StringMatch("[a-]", "^"));
  EXPECT_TRUE(StringMatch("[a-]", "a"));
  EXPECT_FALSE(StringMatch("[a-]", "-"));
  EXPECT_FALSE(StringMatch("[a-]", "b"));
}

TEST(StrUtilTest, StringMatchBackslashEscapes) {
  EXPECT_TRUE(StringMatch("\\*", "*"));
  EXPECT_FALSE(StringMatch("\\*", "a"));
  EXPECT_TRUE(StringMatch("a\\?b", "a?b"));
  EXPECT_FALSE(StringMatch("a\\?b", "axb"));
  EXPECT_TRUE(StringMatch("\\[x]", "[x]"));
  EXPECT_TRUE(StringMatch("\\\\", "\\"));
  EXPECT_TRUE(StringMatch("\\a", "a"));
  // A trailing lone backslash is a literal backslash.
  EXPECT_TRUE(StringMatch("a\\", "a\\"));
  EXPECT_FALSE(StringMatch("a\\", "a"));
}

TEST(StrUtilTest, StringMatchEscapesInsideClasses) {
  EXPECT_TRUE(StringMatch("[\\]]", "]"));
  EXPECT_TRUE(StringMatch("[\\]a]", "a"));
  EXPECT_TRUE(StringMatch("[\\^]", "^"));
  EXPECT_TRUE(StringMatch("[\\-]", "-"));
  EXPECT_FALSE(StringMatch("[\\-]", "\\"));
  EXPECT_TRUE(StringMatch("[^\\]]", "a"));
  EXPECT_FALSE(StringMatch("[^\\]]", "]"));
}

TEST(StrUtilTest, StringMatchNocaseFoldsAsciiLetters) {
  EXPECT_TRUE(StringMatch("HeLLo", "hello", true));
  EXPECT_FALSE(StringMatch("HeLLo", "hello", false));
  EXPECT_TRUE(StringMatch("h[A-C]llo", "hbllo", true));
  EXPECT_FALSE(StringMatch("h[A-C]llo", "hbllo", false));
  EXPECT_TRUE(StringMatch("[XYZ]", "y", true));
  EXPECT_TRUE(StringMatch("[^xyz]", "Y", false));
  EXPECT_FALSE(StringMatch("[^xyz]", "Y", true));
  EXPECT_TRUE(StringMatch("\\A*", "abc", true));
}

TEST(StrUtilTest, StringMatchNocaseQuirksFollowRedis) {
  // Escaped class members compare case-sensitively even with nocase.
  EXPECT_FALSE(StringMatch("[\\A]", "a", true));
  EXPECT_TRUE(StringMatch("[\\A]", "A", true));
  // Range bounds are swapped before lowering, so [Z-a] (90..97) becomes 122..97: empty.
  EXPECT_TRUE(StringMatch("[Z-a]", "_", false));
  EXPECT_FALSE(StringMatch("[Z-a]", "_", true));
  EXPECT_FALSE(StringMatch("[Z-a]", "z", true));
}

TEST(StrUtilTest, StringMatchIsBinarySafe) {
  EXPECT_TRUE(StringMatch("a?c"sv, "a\0c"sv));
  EXPECT_TRUE(StringMatch("a\0*"sv, "a\0xyz"sv));
  EXPECT_FALSE(StringMatch("a\0"sv, "a"sv));
  EXPECT_TRUE(StringMatch("\xff*", "\xff\xfe"));
}

TEST(StrUtilTest, StringMatchRangesCompareSignedCharsLikeRedis) {
  // Redis on x86 compares plain chars, so "\x80".."\xff" sort below ASCII.
  EXPECT_TRUE(StringMatch("[\xff-a]", "\xff"));
  EXPECT_TRUE(StringMatch("[\xff-a]", "0"));
  EXPECT_FALSE(StringMatch("[\xff-a]", "\x80"));
  EXPECT_FALSE(StringMatch("[\xff-a]", "b"));
}

TEST(StrUtilTest, StringMatchPathologicalPatternsStayFast) {
  const std::string subject(20000, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(StringMatch("*a*a*a*a*a*a*a*a*a*a*a*a*b", subject));
  EXPECT_FALSE(StringMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c*", subject));
  EXPECT_TRUE(StringMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a", subject));
  EXPECT_FALSE(StringMatch("*??????????????????????????????b", subject));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(StrUtilTest, StringMatchGivesUpBeyondRedisStarNestingLimit) {
  std::string p1000;
  for (int i = 0; i < 1000; ++i) p1000 += "a*";
  const std::string subject(3000, 'a');
  // 1000 star groups: fine. A 1001st group is fine only as the pattern's last token,
  // because Redis returns before recursing into a trailing '*'.
  EXPECT_TRUE(StringMatch(p1000, subject));
  EXPECT_TRUE(StringMatch(p1000 + "a*", subject));
  EXPECT_TRUE(StringMatch(p1000 + "**a", subject));  // "***" is still group 1000
  // A group Redis would have to recurse into past depth 1000: no match.
  EXPECT_FALSE(StringMatch(p1000 + "a*a", subject));
  EXPECT_FALSE(StringMatch(p1000 + "a*a*", subject));
}

// Independent transcription of Redis 7.0's recursive stringmatchlen_impl, used as an oracle.
// `At` stands in for the NUL terminator Redis relies on when reading past the length.
class RedisGlobOracle {
 public:
  RedisGlobOracle(std::string_view p, std::string_view s, bool nocase)
      : p_(p), s_(s), nocase_(nocase) {}

  bool Run() { return Match(0, 0, 0); }

 private:
  static int Lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
  char P(size_t i) const { return i < p_.size() ? p_[i] : '\0'; }

  bool Match(size_t pi, size_t si, int nesting) {
    if (nesting > 1000) return false;
    const size_t pn = p_.size();
    const size_t sn = s_.size();
    while (pi < pn && si < sn) {
      const char c = s_[si];
      switch (p_[pi]) {
        case '*':
          while (pi < pn && P(pi + 1) == '*') ++pi;
          if (pi + 1 == pn) return true;
          for (; si < sn; ++si) {
            if (Match(pi + 1, si, nesting + 1)) return true;
            if (skip_) return false;
          }
          skip_ = true;
          return false;
        case '?':
          ++si;
          break;
        case '[': {
          ++pi;
          const bool negate = P(pi) == '^';
          if (negate) ++pi;
          bool hit = false;
          for (;;) {
            if (P(pi) == '\\' && pn - pi >= 2) {
              ++pi;
              if (P(pi) == c) hit = true;
            } else if (P(pi) == ']') {
              break;
            } else if (pi == pn) {
              --pi;
              break;
            } else if (pn - pi >= 3 && P(pi + 1) == '-') {
              // NOLINTBEGIN(bugprone-signed-char-misuse): Redis compares plain chars.
              int lo = static_cast<signed char>(P(pi));
              int hi = static_cast<signed char>(P(pi + 2));
              int x = static_cast<signed char>(c);
              // NOLINTEND(bugprone-signed-char-misuse)
              if (lo > hi) std::swap(lo, hi);
              if (nocase_) {
                lo = Lower(lo);
                hi = Lower(hi);
                x = Lower(x);
              }
              pi += 2;
              if (x >= lo && x <= hi) hit = true;
            } else if (nocase_ ? Lower(static_cast<unsigned char>(P(pi))) ==
                                     Lower(static_cast<unsigned char>(c))
                               : P(pi) == c) {
              hit = true;
            }
            ++pi;
          }
          if (negate) hit = !hit;
          if (!hit) return false;
          ++si;
          break;
        }
        case '\\':
          if (pn - pi >= 2) ++pi;
          [[fallthrough]];
        default:
          if (nocase_ ? Lower(static_cast<unsigned char>(p_[pi])) !=
                            Lower(static_cast<unsigned char>(c))
                      : p_[pi] != c) {
            return false;
          }
          ++si;
          break;
      }
      ++pi;
      if (si == sn) {
        while (pi < pn && p_[pi] == '*') ++pi;
        break;
      }
    }
    return pi == pn && si == sn;
  }

  std::string_view p_;
  std::string_view s_;
  bool nocase_;
  bool skip_ = false;
};

TEST(StrUtilTest, StringMatchAgreesWithRedisAlgorithmOnRandomInputs) {
  std::mt19937 rng(20240601);
  const std::string pattern_chars = "ab*?[]^-\\A*a";
  const std::string subject_chars = "abAB-]^\\*";
  int matches = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    std::string p(rng() % 9, ' ');
    for (char& ch : p) ch = pattern_chars[rng() % pattern_chars.size()];
    std::string s(rng() % 7, ' ');
    for (char& ch : s) ch = subject_chars[rng() % subject_chars.size()];
    const bool nocase = (rng() & 1) != 0;
    const bool expected = RedisGlobOracle(p, s, nocase).Run();
    ASSERT_EQ(StringMatch(p, s, nocase), expected)
        << "pattern='" << p << "' subject='" << s << "' nocase=" << nocase;
    matches += expected;
  }
  EXPECT_GT(matches, 1000);  // the sample exercises matches, not only failures
}

TEST(StrUtilTest, StringMatchAgreesWithRedisAlgorithmAroundNestingLimit) {
  for (int groups : {999, 1000, 1001, 1002}) {
    std::string base;
    for (int i = 0; i < groups; ++i) base += "a*";
    for (const char* tail : {"", "a", "*", "b", "?*"}) {
      const std::string p = base + tail;
      for (int n : {groups - 1, groups, groups + 1, 2500}) {
        const std::string subject(static_cast<size_t>(n), 'a');
        EXPECT_EQ(StringMatch(p, subject), RedisGlobOracle(p, subject, false).Run())
            << "groups=" << groups << " tail='" << tail << "' n=" << n;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Crc16 and KeyHashSlot
// ---------------------------------------------------------------------------

TEST(StrUtilTest, Crc16MatchesXmodemCheckValue) {
  EXPECT_EQ(Crc16("123456789", 9), 0x31C3);
  EXPECT_EQ(Crc16("", 0), 0);
  EXPECT_EQ(Crc16("A", 1), 0x58E5);
}

TEST(StrUtilTest, KeyHashSlotMatchesKnownRedisSlots) {
  EXPECT_EQ(KeyHashSlot("foo"), 12182);
  EXPECT_EQ(KeyHashSlot("bar"), 5061);
  EXPECT_EQ(KeyHashSlot("somekey"), 11058);
  EXPECT_EQ(KeyHashSlot(""), 0);
}

TEST(StrUtilTest, KeyHashSlotHashesOnlyTheHashTag) {
  EXPECT_EQ(KeyHashSlot("{user1000}.following"), KeyHashSlot("{user1000}.followers"));
  EXPECT_EQ(KeyHashSlot("{user1000}.following"), KeyHashSlot("user1000"));
  EXPECT_EQ(KeyHashSlot("foo{bar}{zap}"), KeyHashSlot("bar"));
  EXPECT_EQ(KeyHashSlot("foo{{bar}}zap"), KeyHashSlot("{bar"));
  EXPECT_EQ(KeyHashSlot("x{a}y"), KeyHashSlot("a"));
}

TEST(StrUtilTest, KeyHashSlotHashesWholeKeyWithoutUsableTag) {
  const auto whole = [](std::string_view k) { return Crc16(k.data(), k.size()) & 0x3FFF; };
  EXPECT_EQ(KeyHashSlot("foo{}{bar}"), whole("foo{}{bar}"));
  EXPECT_NE(KeyHashSlot("foo{}{bar}"), KeyHashSlot("bar"));
  EXPECT_EQ(KeyHashSlot("foo{bar"), whole("foo{bar"));
  EXPECT_EQ(KeyHashSlot("foo}bar{"), whole("foo}bar{"));
  EXPECT_EQ(KeyHashSlot("{}"), whole("{}"));
}

TEST(StrUtilTest, KeyHashSlotIsAlwaysBelow16384) {
  for (int i = 0; i < 5000; ++i) {
    EXPECT_LT(KeyHashSlot("key:" + std::to_string(i)), 16384);
  }
}

// ---------------------------------------------------------------------------
// Case helpers
// ---------------------------------------------------------------------------

TEST(StrUtilTest, EqualsIgnoreCaseFoldsAsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("GET", "get"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_TRUE(EqualsIgnoreCase("MiXeD123", "mixed123"));
  EXPECT_FALSE(EqualsIgnoreCase("get", "gets"));
  EXPECT_FALSE(EqualsIgnoreCase("get", "set"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc3\x89", "\xc3\xa9"));  // no Unicode folding
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));                // 0x5B vs 0x7B differ by 0x20
}

TEST(StrUtilTest, ToLowerLowersAsciiLettersAndKeepsOtherBytes) {
  EXPECT_EQ(ToLower("HeLLo World"), "hello world");
  EXPECT_EQ(ToLower(""), "");
  EXPECT_EQ(ToLower("ABC@[`{"), "abc@[`{");
  EXPECT_EQ(ToLower("a\0B"sv), "a\0b"sv);
  EXPECT_EQ(ToLower("\xc3\x89"), "\xc3\x89");
}

}  // namespace
}  // namespace basalt

namespace basalt {
namespace {

// The two-bytes-a-step CRC must equal the plain bitwise definition at every length.
TEST(StrUtilTest, Crc16MatchesBitwiseDefinitionAtEveryLength) {
  auto bitwise = [](const std::string& s) {
    uint16_t crc = 0;
    for (unsigned char c : s) {
      crc ^= static_cast<uint16_t>(c << 8);
      for (int b = 0; b < 8; ++b) {
        crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                             : static_cast<uint16_t>(crc << 1);
      }
    }
    return crc;
  };
  std::string s;
  for (int len = 0; len < 300; ++len) {
    EXPECT_EQ(Crc16(s.data(), s.size()), bitwise(s)) << len;
    s.push_back(static_cast<char>(len * 37 + 11));
  }
}

}  // namespace
}  // namespace basalt
