// The set type: intset widths and order, conversion to the hash table at the
// threshold and on a non-integer, the hash set's scan guarantee across
// resizes, random picks, and clone independence.
#include "db/set.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace basalt::db {
namespace {

std::vector<std::string> Members(const Set& s) {
  std::vector<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

uint64_t TestRng() {
  static std::mt19937_64 gen(42);
  return gen();
}

TEST(SetTest, IntSetKeepsAscendingOrderAndGrowsWidth) {
  Set* s = Set::CreateFor("5");
  ASSERT_TRUE(s->is_intset());
  EXPECT_TRUE(s->Add("5", 512));
  EXPECT_FALSE(s->Add("5", 512));
  EXPECT_TRUE(s->Add("-3", 512));
  EXPECT_TRUE(s->Add("100", 512));
  EXPECT_EQ(s->intset_width(), 2u);
  EXPECT_TRUE(s->Add("70000", 512));
  EXPECT_EQ(s->intset_width(), 4u);
  EXPECT_TRUE(s->Add("-9223372036854775808", 512));
  EXPECT_EQ(s->intset_width(), 8u);
  EXPECT_EQ(Members(*s),
            (std::vector<std::string>{"-9223372036854775808", "-3", "5", "100", "70000"}));
  EXPECT_TRUE(s->Contains("70000"));
  EXPECT_FALSE(s->Contains("70001"));
  EXPECT_FALSE(s->Contains("05"));
  EXPECT_TRUE(s->Remove("-3"));
  EXPECT_FALSE(s->Remove("-3"));
  EXPECT_FALSE(s->Remove("abc"));
  EXPECT_EQ(s->size(), 4u);
  EXPECT_EQ(s->encoding(), Encoding::kIntSet);
  delete s;
}

TEST(SetTest, ConvertsPastThreshold) {
  Set* s = Set::CreateIntSet();
  for (int i = 0; i < 4; ++i) s->Add(std::to_string(i), 4);
  EXPECT_TRUE(s->is_intset());
  s->Add("4", 4);
  EXPECT_FALSE(s->is_intset());
  EXPECT_EQ(s->encoding(), Encoding::kHashTable);
  EXPECT_EQ(s->size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(s->Contains(std::to_string(i)));
  delete s;
}

TEST(SetTest, ConvertsOnNonInteger) {
  Set* s = Set::CreateFor("1");
  s->Add("1", 512);
  s->Add("01", 512);  // not canonical: a string
  EXPECT_FALSE(s->is_intset());
  EXPECT_TRUE(s->Contains("1"));
  EXPECT_TRUE(s->Contains("01"));
  delete s;
  Set* t = Set::CreateFor("x");
  EXPECT_FALSE(t->is_intset());
  delete t;
}

TEST(SetTest, HashSetGrowsAndShrinks) {
  Set* s = Set::CreateHashTable();
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(s->Add("m" + std::to_string(i), 512));
  EXPECT_EQ(s->size(), 10000u);
  for (int i = 0; i < 9990; ++i) ASSERT_TRUE(s->Remove("m" + std::to_string(i)));
  EXPECT_EQ(s->size(), 10u);
  for (int i = 9990; i < 10000; ++i) EXPECT_TRUE(s->Contains("m" + std::to_string(i)));
  EXPECT_FALSE(s->Contains("m0"));
  delete s;
}

TEST(SetTest, ScanVisitsEveryMemberAcrossResizes) {
  Set* s = Set::CreateHashTable();
  for (int i = 0; i < 1000; ++i) s->Add("k" + std::to_string(i), 512);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = s->Scan(cursor, [&](std::string_view m) { seen.emplace(m); });
    // Grow, then shrink, in the middle of the iteration.
    if (++step == 100) {
      for (int i = 1000; i < 5000; ++i) s->Add("k" + std::to_string(i), 512);
    } else if (step == 300) {
      for (int i = 1000; i < 5000; ++i) s->Remove("k" + std::to_string(i));
    }
  } while (cursor != 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count("k" + std::to_string(i))) << i;
  delete s;
}

TEST(SetTest, IntSetScanReturnsEverything) {
  Set* s = Set::CreateIntSet();
  for (int i = 0; i < 100; ++i) s->Add(std::to_string(i), 512);
  size_t n = 0;
  EXPECT_EQ(s->Scan(0, [&](std::string_view) { ++n; }), 0u);
  EXPECT_EQ(n, 100u);
  delete s;
}

TEST(SetTest, RandomReturnsMembers) {
  for (Set* s : {Set::CreateIntSet(), Set::CreateHashTable()}) {
    for (int i = 0; i < 50; ++i) s->Add(std::to_string(i * 3), 512);
    std::set<std::string> picked;
    for (int i = 0; i < 2000; ++i) {
      std::string m = s->Random(TestRng);
      ASSERT_TRUE(s->Contains(m)) << m;
      picked.insert(m);
    }
    EXPECT_EQ(picked.size(), 50u);  // every member is reachable
    delete s;
  }
}

TEST(SetTest, CloneIsIndependent) {
  for (Set* s : {Set::CreateIntSet(), Set::CreateHashTable()}) {
    s->Add("1", 512);
    s->Add("2", 512);
    Set* c = s->Clone();
    c->Add("3", 512);
    s->Remove("1");
    EXPECT_EQ(s->size(), 1u);
    EXPECT_EQ(c->size(), 3u);
    EXPECT_TRUE(c->Contains("1"));
    EXPECT_EQ(c->encoding(), s->encoding());
    EXPECT_GT(c->MemoryUsage(), 0u);
    delete s;
    delete c;
  }
}

TEST(SetTest, EmptyIntSetAfterRemovals) {
  Set* s = Set::CreateIntSet();
  s->Add("7", 512);
  EXPECT_TRUE(s->Remove("7"));
  EXPECT_EQ(s->size(), 0u);
  EXPECT_TRUE(Members(*s).empty());
  EXPECT_TRUE(s->Add("8", 512));
  EXPECT_EQ(Members(*s), std::vector<std::string>{"8"});
  delete s;
}

}  // namespace
}  // namespace basalt::db
