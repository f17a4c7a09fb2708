// The sorted-set type: both encodings must agree with a reference model (a
// std::set ordered by (score, member)) and with each other on every rank and
// range operation, across conversions and random writes.
#include "db/zset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace basalt::db {
namespace {

using Elems = std::vector<std::pair<std::string, double>>;

Elems All(const ZSet& z) {
  Elems out;
  z.ForEach([&](std::string_view m, double s) { out.emplace_back(std::string(m), s); });
  return out;
}

Elems Ranks(const ZSet& z, size_t lo, size_t hi, bool reverse) {
  Elems out;
  z.VisitRanks(lo, hi, reverse,
               [&](std::string_view m, double s) { out.emplace_back(std::string(m), s); });
  return out;
}

// A compact and a skiplist set fed the same operations, plus the model.
struct Pair {
  ZSetLimits big{1u << 30, 1u << 30};
  std::unique_ptr<ZSet> lp{ZSet::Create(0, 0, big)};
  std::unique_ptr<ZSet> sl{ZSet::Create(SIZE_MAX, 0, big)};
  std::map<std::string, double> model;

  void Set(const std::string& m, double s) {
    bool fresh = !model.count(m);
    model[m] = s;
    EXPECT_EQ(lp->Set(m, s, big), fresh);
    EXPECT_EQ(sl->Set(m, s, big), fresh);
  }
  void Remove(const std::string& m) {
    bool had = model.erase(m) > 0;
    EXPECT_EQ(lp->Remove(m), had);
    EXPECT_EQ(sl->Remove(m), had);
  }
  Elems Sorted() const {
    std::set<std::pair<double, std::string>> s;
    for (auto& [m, sc] : model) s.emplace(sc, m);
    Elems out;
    for (auto& [sc, m] : s) out.emplace_back(m, sc);
    return out;
  }
};

TEST(ZSetTest, EncodingsAgreeOnRandomOperations) {
  std::mt19937 rng(42);
  Pair p;
  ASSERT_TRUE(p.lp->compact());
  ASSERT_FALSE(p.sl->compact());
  for (int round = 0; round < 3000; ++round) {
    std::string m = "m" + std::to_string(rng() % 200);
    int op = rng() % 10;
    double score = (rng() % 4 == 0) ? static_cast<double>(rng() % 20) - 10
                                    : std::ldexp(static_cast<double>(rng() % 1000), -3);
    if (op < 6) {
      p.Set(m, score);
    } else {
      p.Remove(m);
    }
    if (round % 100 != 0) continue;
    Elems want = p.Sorted();
    ASSERT_EQ(All(*p.lp), want);
    ASSERT_EQ(All(*p.sl), want);
    ASSERT_EQ(p.lp->size(), want.size());
    ASSERT_EQ(p.sl->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(p.lp->Rank(want[i].first, false), static_cast<int64_t>(i));
      EXPECT_EQ(p.sl->Rank(want[i].first, false), static_cast<int64_t>(i));
      EXPECT_EQ(p.sl->Rank(want[i].first, true), static_cast<int64_t>(want.size() - 1 - i));
      std::string_view am;
      double as;
      p.sl->At(i, &am, &as);
      EXPECT_EQ(am, want[i].first);
      p.lp->At(i, &am, &as);
      EXPECT_EQ(am, want[i].first);
      double s1, s2;
      ASSERT_TRUE(p.lp->Score(want[i].first, &s1));
      ASSERT_TRUE(p.sl->Score(want[i].first, &s2));
      EXPECT_EQ(s1, want[i].second);
      EXPECT_EQ(s2, want[i].second);
    }
    EXPECT_EQ(p.sl->Rank("absent", false), -1);
    for (int q = 0; q < 20; ++q) {
      size_t lo = rng() % (want.size() + 2), hi = rng() % (want.size() + 2);
      bool rev = rng() % 2;
      EXPECT_EQ(Ranks(*p.lp, lo, hi, rev), Ranks(*p.sl, lo, hi, rev));
      ZScoreRange r{static_cast<double>(rng() % 20) - 10, static_cast<double>(rng() % 20) - 5,
                    rng() % 2 == 0, rng() % 2 == 0};
      size_t l1, h1, l2, h2;
      p.lp->ScoreRankInterval(r, &l1, &h1);
      p.sl->ScoreRankInterval(r, &l2, &h2);
      EXPECT_EQ(h1 - l1, h2 - l2);
      if (h1 > l1) {
        EXPECT_EQ(l1, l2);
        EXPECT_EQ(h1, h2);
      }
      size_t count = 0;
      for (auto& [m, s] : want) {
        if ((r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max)) ++count;
      }
      EXPECT_EQ(h2 - l2, count);
    }
  }
}

// The skiplist orders by cached float scores when they differ: doubles that
// round to the same float (or overflow it) must still order exactly.
TEST(ZSetTest, ScoresEqualAsFloatsStillOrder) {
  std::mt19937 rng(7);
  Pair p;
  const double kScores[] = {1.0,  1.0 + 1e-12, 1.0 - 1e-12, 1.0 + 3e-12, 1e300, 2e300,
                            -1e300, INFINITY,  -INFINITY,  0.0,         -0.0,  1e-45,
                            1e-46, 3.4e38,    3.5e38};
  for (int round = 0; round < 4000; ++round) {
    std::string m = "m" + std::to_string(rng() % 300);
    if (rng() % 4) {
      p.Set(m, kScores[rng() % std::size(kScores)]);
    } else {
      p.Remove(m);
    }
    if (round % 200 != 0) continue;
    Elems want = p.Sorted();
    ASSERT_EQ(All(*p.sl), want);
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(p.sl->Rank(want[i].first, false), static_cast<int64_t>(i));
    }
  }
}

TEST(ZSetTest, LexRangesOnEqualScores) {
  Pair p;
  std::vector<std::string> members = {
      "", "a", "aa", "ab", "b", "ba", "c", std::string("a\0b", 3), "\xff", "zz"};
  for (auto& m : members) p.Set(m, 0);
  std::vector<std::string> bounds = {"-", "+", "[a", "(a", "[b", "(b", "[", "(", "[zz", "(\xff"};
  for (auto& a : bounds) {
    for (auto& b : bounds) {
      ZLexRange r;
      ASSERT_TRUE(ParseLexBound(a, &r.min));
      ASSERT_TRUE(ParseLexBound(b, &r.max));
      size_t l1, h1, l2, h2;
      p.lp->LexRankInterval(r, &l1, &h1);
      p.sl->LexRankInterval(r, &l2, &h2);
      EXPECT_EQ(h1 - l1, h2 - l2) << a << " " << b;
      if (h1 > l1) {
        EXPECT_EQ(Ranks(*p.lp, l1, h1, false), Ranks(*p.sl, l2, h2, false));
      }
    }
  }
  ZLexBound bad;
  EXPECT_FALSE(ParseLexBound("a", &bad));
  EXPECT_FALSE(ParseLexBound("", &bad));
  EXPECT_FALSE(ParseLexBound("+a", &bad));
}

TEST(ZSetTest, RemoveRanksAndConversion) {
  ZSetLimits lim{8, 16};
  std::unique_ptr<ZSet> z(ZSet::Create(0, 0, lim));
  for (int i = 0; i < 8; ++i) z->Set("m" + std::to_string(i), i, lim);
  EXPECT_TRUE(z->compact());
  z->Set("m8", 8, lim);  // crosses max_entries
  EXPECT_FALSE(z->compact());
  EXPECT_EQ(z->size(), 9u);
  EXPECT_EQ(z->RemoveRanks(2, 5), 3u);
  Elems want = {{"m0", 0}, {"m1", 1}, {"m5", 5}, {"m6", 6}, {"m7", 7}, {"m8", 8}};
  EXPECT_EQ(All(*z), want);

  std::unique_ptr<ZSet> c(ZSet::Create(0, 0, lim));
  c->Set("short", 1, lim);
  c->Set(std::string(17, 'x'), 2, lim);  // crosses max_value
  EXPECT_FALSE(c->compact());
  std::unique_ptr<ZSet> copy(c->Clone());
  EXPECT_EQ(All(*copy), All(*c));
  EXPECT_GT(copy->MemoryUsage(), 0u);
}

TEST(ZSetTest, CompactKeepsExactScores) {
  ZSetLimits lim;
  std::unique_ptr<ZSet> z(ZSet::Create(0, 0, lim));
  std::vector<double> scores = {1.1,
                                -3,
                                0,
                                1e300,
                                -1e-300,
                                INFINITY,
                                -INFINITY,
                                9007199254740993.0,
                                -9007199254740992.0,
                                4.5,
                                123456789,
                                -0.5,
                                0.00390625,                    // 2^-8: the finest scaled step
                                0.001953125,                   // 2^-9: stored as a double
                                140737488355327.5,             // scaled value at 2^48: a double
                                -70368744177663.5,             // scaled, just inside the limit
                                1.0 / 3,
                                std::ldexp(1, -1074),          // smallest subnormal
                                1.7976931348623157e308,
                                std::string(40, 'x').size() + 0.25};
  // Members of several lengths, around the 1-byte header varint limit too.
  auto name = [](size_t i) { return std::string(i * 3 % 40, 'a') + std::to_string(i); };
  for (size_t i = 0; i < scores.size(); ++i) z->Set(name(i), scores[i], lim);
  ASSERT_TRUE(z->compact());
  for (size_t i = 0; i < scores.size(); ++i) {
    double s;
    ASSERT_TRUE(z->Score(name(i), &s));
    EXPECT_EQ(s, scores[i]) << i;
  }
  z->Set("neg0", -0.0, lim);
  double s;
  ASSERT_TRUE(z->Score("neg0", &s));
  EXPECT_FALSE(std::signbit(s));  // as Redis's listpack
}

TEST(ZSetTest, ScanVisitsEveryMemberAcrossResizes) {
  ZSetLimits lim{0, 0};
  std::unique_ptr<ZSet> z(ZSet::Create(SIZE_MAX, 0, lim));
  for (int i = 0; i < 1000; ++i) z->Set("k" + std::to_string(i), i, lim);
  std::unordered_set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = z->Scan(cursor, [&](std::string_view m, double) { seen.emplace(m); });
    // Shrink and grow the table between calls; members 0..499 stay throughout.
    if (++step == 10) {
      for (int i = 500; i < 1000; ++i) z->Remove("k" + std::to_string(i));
    }
    if (step == 20) {
      for (int i = 1000; i < 3000; ++i) z->Set("k" + std::to_string(i), i, lim);
    }
  } while (cursor != 0);
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(seen.count("k" + std::to_string(i))) << i;
}

}  // namespace
}  // namespace basalt::db
