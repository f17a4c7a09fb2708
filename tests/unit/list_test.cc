#include "db/list.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

namespace basalt::db {
namespace {

std::vector<std::string> All(const List& l) {
  std::vector<std::string> out;
  if (l.empty()) return out;
  l.ForEach(0, l.size() - 1, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  });
  return out;
}

std::vector<std::string> AllReverse(const List& l) {
  std::vector<std::string> out;
  if (l.empty()) return out;
  l.ForEachReverse(l.size() - 1, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  });
  return out;
}

void ExpectSame(const List& l, const std::deque<std::string>& model) {
  ASSERT_EQ(l.size(), model.size());
  std::vector<std::string> want(model.begin(), model.end());
  EXPECT_EQ(All(l), want);
  std::vector<std::string> rev(want.rbegin(), want.rend());
  EXPECT_EQ(AllReverse(l), rev);
  size_t total = 0;
  for (size_t n : l.ChunkSizes()) {
    EXPECT_GT(n, 0u);  // no empty chunks are kept
    total += n;
  }
  EXPECT_EQ(total, model.size());
}

TEST(ListTest, PushPopBothEnds) {
  List l(-2);
  l.PushBack("b");
  l.PushFront("a");
  l.PushBack("c");
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.At(0), "a");
  EXPECT_EQ(l.At(2), "c");
  EXPECT_EQ(l.Pop(true), "a");
  EXPECT_EQ(l.Pop(false), "c");
  EXPECT_EQ(l.Pop(false), "b");
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.chunk_count(), 0u);
}

TEST(ListTest, EntriesPerChunkLimit) {
  List l(4);
  for (int i = 0; i < 10; ++i) l.PushBack(std::to_string(i));
  EXPECT_EQ(l.ChunkSizes(), (std::vector<size_t>{4, 4, 2}));
  for (int i = 0; i < 3; ++i) l.PushFront("f");
  EXPECT_EQ(l.ChunkSizes().front(), 3u);
}

TEST(ListTest, ByteLimitSplitsChunks) {
  List l(-1);  // 4 KB chunks
  std::string v(1000, 'x');
  for (int i = 0; i < 8; ++i) l.PushBack(v);
  EXPECT_GE(l.chunk_count(), 2u);
  for (size_t n : l.ChunkSizes()) EXPECT_LE(n, 4u);
  // A value larger than a chunk gets a chunk of its own.
  l.PushBack(std::string(10000, 'y'));
  EXPECT_EQ(l.ChunkSizes().back(), 1u);
  EXPECT_EQ(l.At(8).size(), 10000u);
}

TEST(ListTest, LongLengthsRoundTrip) {
  List l(-2);
  std::vector<size_t> sizes = {0, 1, 127, 128, 16383, 16384, 200000};
  for (size_t s : sizes) l.PushBack(std::string(s, 'a' + static_cast<char>(s % 26)));
  for (size_t i = 0; i < sizes.size(); ++i) EXPECT_EQ(l.At(i).size(), sizes[i]);
  for (size_t i = sizes.size(); i-- > 0;) EXPECT_EQ(l.Pop(false).size(), sizes[i]);
}

TEST(ListTest, IntegersKeepTheirText) {
  List l(3);
  std::vector<std::string> vals = {"0",  "-0", "01", "+1", "1 ", "-1", "123456789",
                                   "9223372036854775807", "-9223372036854775808",
                                   "2305843009213693951", "-2305843009213693952", "",
                                   "12345678901234567890123", "7"};
  for (const std::string& v : vals) l.PushBack(v);
  EXPECT_EQ(All(l), vals);
  for (size_t i = 0; i < vals.size(); ++i) EXPECT_EQ(l.At(i), vals[i]);
  l.Set(2, "42");
  l.Insert(1, "-17");
  EXPECT_EQ(l.At(1), "-17");
  EXPECT_EQ(l.At(3), "42");
  EXPECT_EQ(l.Pop(false), "7");
  EXPECT_EQ(l.Pop(true), "0");
  // Small integers take two bytes, as in a listpack.
  List small(-2);
  for (int i = 0; i < 1000; ++i) small.PushBack(std::to_string(i % 30));
  EXPECT_LT(small.MemoryUsage(), 3100u);
}

TEST(ListTest, SetGrowsAndSplits) {
  List l(-1);
  for (int i = 0; i < 100; ++i) l.PushBack("item" + std::to_string(i));
  size_t before = l.chunk_count();
  l.Set(50, std::string(3000, 'z'));
  EXPECT_EQ(l.At(50).size(), 3000u);
  EXPECT_EQ(l.At(49), "item49");
  EXPECT_EQ(l.At(51), "item51");
  EXPECT_GE(l.chunk_count(), before);
  l.Set(50, "small");
  EXPECT_EQ(l.At(50), "small");
}

TEST(ListTest, EraseMergesNeighbours) {
  List l(4);
  for (int i = 0; i < 12; ++i) l.PushBack(std::to_string(i));
  EXPECT_EQ(l.chunk_count(), 3u);
  l.EraseIndexes({1, 2, 5, 6});  // chunks of 2 and 2 merge
  EXPECT_EQ(l.size(), 8u);
  EXPECT_EQ(All(l), (std::vector<std::string>{"0", "3", "4", "7", "8", "9", "10", "11"}));
  EXPECT_EQ(l.ChunkSizes(), (std::vector<size_t>{4, 4}));
  l.Erase(0, 8);
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.chunk_count(), 0u);
}

TEST(ListTest, InsertIntoFullChunkSplits) {
  List l(3);
  for (int i = 0; i < 6; ++i) l.PushBack(std::to_string(i));
  l.Insert(1, "x");
  EXPECT_EQ(All(l), (std::vector<std::string>{"0", "x", "1", "2", "3", "4", "5"}));
  for (size_t n : l.ChunkSizes()) EXPECT_LE(n, 3u);
}

TEST(ListTest, CopyIsDeep) {
  List a(-2);
  for (int i = 0; i < 1000; ++i) a.PushBack(std::to_string(i));
  List b(a);
  b.Set(0, "changed");
  EXPECT_EQ(a.At(0), "0");
  EXPECT_EQ(b.At(0), "changed");
  EXPECT_EQ(All(b).size(), 1000u);
  EXPECT_GT(a.MemoryUsage(), 1000u);
}

TEST(ListTest, ForEachPartialRanges) {
  List l(5);
  for (int i = 0; i < 23; ++i) l.PushBack(std::to_string(i));
  std::vector<std::string> got;
  l.ForEach(7, 13, [&](std::string_view v) {
    got.emplace_back(v);
    return true;
  });
  EXPECT_EQ(got, (std::vector<std::string>{"7", "8", "9", "10", "11", "12", "13"}));
  got.clear();
  l.ForEachReverse(12, [&](std::string_view v) {
    got.emplace_back(v);
    return got.size() < 4;
  });
  EXPECT_EQ(got, (std::vector<std::string>{"12", "11", "10", "9"}));
}

TEST(ListTest, RandomOpsMatchModel) {
  for (int fill : {1, 2, 7, -1, -2}) {
    std::mt19937 rng(fill + 100);
    List l(fill);
    std::deque<std::string> m;
    for (int step = 0; step < 4000; ++step) {
      int op = static_cast<int>(rng() % 8);
      std::string v(rng() % (fill < 0 ? 600 : 20), static_cast<char>('a' + rng() % 26));
      if (rng() % 3 == 0) v = std::to_string(static_cast<int64_t>(rng()) - (1ll << 31));
      size_t n = m.size();
      if (op == 0) {
        l.PushFront(v);
        m.push_front(v);
      } else if (op == 1) {
        l.PushBack(v);
        m.push_back(v);
      } else if (op == 2 && n) {
        bool front = rng() & 1;
        std::string want = front ? m.front() : m.back();
        if (front) {
          m.pop_front();
        } else {
          m.pop_back();
        }
        ASSERT_EQ(l.Pop(front), want);
      } else if (op == 3 && n) {
        size_t i = rng() % n;
        l.Set(i, v);
        m[i] = v;
      } else if (op == 4) {
        size_t i = rng() % (n + 1);
        l.Insert(i, v);
        m.insert(m.begin() + static_cast<ptrdiff_t>(i), v);
      } else if (op == 5 && n) {
        size_t i = rng() % n, k = rng() % 5;
        l.Erase(i, k);
        m.erase(m.begin() + static_cast<ptrdiff_t>(i),
                m.begin() + static_cast<ptrdiff_t>(std::min(n, i + k)));
      } else if (op == 6 && n) {
        std::vector<size_t> idx;
        for (size_t i = 0; i < n; ++i) {
          if (rng() % 7 == 0) idx.push_back(i);
        }
        l.EraseIndexes(idx);
        for (size_t j = idx.size(); j-- > 0;) m.erase(m.begin() + static_cast<ptrdiff_t>(idx[j]));
      } else if (op == 7 && n) {
        size_t i = rng() % n;
        ASSERT_EQ(l.At(i), m[i]);
      }
      if (step % 500 == 0) ExpectSame(l, m);
    }
    ExpectSame(l, m);
  }
}

}  // namespace
}  // namespace basalt::db
