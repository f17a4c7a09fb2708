// The hash value type: the compact encoding (order, in-place updates, size
// changes), its one-way conversion to the table at both thresholds, the
// table's grow/shrink, cloning, random picks and the scan cursor guarantee,
// all checked against std::map as the oracle.
#include "db/hash.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace basalt::db {
namespace {

// Owns a hash object for the test's lifetime.
class HashHolder {
 public:
  HashHolder() : h_(Hash::New()) {}
  ~HashHolder() { Hash::Destroy(h_.get()); }
  HashHolder(const HashHolder&) = delete;
  HashHolder& operator=(const HashHolder&) = delete;
  Hash& operator*() { return h_; }
  Hash* operator->() { return &h_; }

 private:
  Hash h_;
};

std::vector<std::pair<std::string, std::string>> Pairs(const Hash& h) {
  std::vector<std::pair<std::string, std::string>> out;
  h.ForEach([&](std::string_view f, std::string_view v) { out.emplace_back(f, v); });
  return out;
}

std::map<std::string, std::string> AsMap(const Hash& h) {
  auto p = Pairs(h);
  return {p.begin(), p.end()};
}

std::string Get(const Hash& h, std::string_view f) {
  std::string_view v;
  return h.Get(f, &v) ? std::string(v) : "<nil>";
}

uint64_t TestRandom() {
  static std::mt19937_64 rng(42);
  return rng();
}

TEST(HashTest, NewHashIsEmptyAndCompact) {
  HashHolder h;
  EXPECT_EQ(h->Size(), 0u);
  EXPECT_TRUE(h->Empty());
  EXPECT_EQ(h->encoding(), Encoding::kListPack);
  EXPECT_FALSE(h->Exists("a"));
  EXPECT_FALSE(h->Delete("a"));
  EXPECT_EQ(h->ScanStep(0, [](std::string_view, std::string_view) { FAIL(); }), 0u);
}

TEST(HashTest, CompactKeepsInsertionOrder) {
  HashHolder h;
  HashLimits lim;
  EXPECT_TRUE(h->Set("z", "1", lim));
  EXPECT_TRUE(h->Set("a", "2", lim));
  EXPECT_TRUE(h->Set("m", "3", lim));
  EXPECT_FALSE(h->Set("a", "22", lim));  // update keeps the position
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(Pairs(*h), (P{{"z", "1"}, {"a", "22"}, {"m", "3"}}));
  EXPECT_TRUE(h->Delete("z"));
  EXPECT_TRUE(h->Set("z", "4", lim));
  EXPECT_EQ(Pairs(*h), (P{{"a", "22"}, {"m", "3"}, {"z", "4"}}));
  EXPECT_EQ(h->encoding(), Encoding::kListPack);
}

TEST(HashTest, CompactValueResizesInPlace) {
  HashHolder h;
  HashLimits lim{128, 1000};
  h->Set("a", "1", lim);
  h->Set("b", "2", lim);
  h->Set("c", "3", lim);
  // Lengths crossing the one-byte varint boundary (127/128) both ways.
  for (size_t len : {0, 5, 127, 128, 300, 1, 999, 0}) {
    const std::string v(len, 'x');
    EXPECT_FALSE(h->Set("b", v, lim));
    EXPECT_EQ(Get(*h, "a"), "1");
    EXPECT_EQ(Get(*h, "b"), v);
    EXPECT_EQ(Get(*h, "c"), "3");
    EXPECT_EQ(h->Size(), 3u);
  }
  EXPECT_EQ(h->encoding(), Encoding::kListPack);
}

TEST(HashTest, BinaryAndEmptyStrings) {
  HashHolder h;
  HashLimits lim;
  const std::string f("a\0b", 3), v("\0\r\n", 3);
  h->Set(f, v, lim);
  h->Set("", "", lim);
  EXPECT_EQ(Get(*h, f), v);
  EXPECT_TRUE(h->Exists(""));
  EXPECT_FALSE(h->Exists("a"));
  EXPECT_EQ(h->Size(), 2u);
}

TEST(HashTest, ConvertsPastEntryLimit) {
  HashHolder h;
  HashLimits lim{3, 64};
  for (int i = 0; i < 3; ++i) h->Set("f" + std::to_string(i), "v", lim);
  EXPECT_EQ(h->encoding(), Encoding::kListPack);
  h->Set("f0", "updated", lim);  // updates don't count
  EXPECT_EQ(h->encoding(), Encoding::kListPack);
  h->Set("f3", "v", lim);
  EXPECT_EQ(h->encoding(), Encoding::kHashTable);
  EXPECT_EQ(h->Size(), 4u);
  EXPECT_EQ(Get(*h, "f0"), "updated");
  // One-way.
  h->Delete("f1");
  h->Delete("f2");
  EXPECT_EQ(h->encoding(), Encoding::kHashTable);
}

TEST(HashTest, ConvertsOnLongFieldOrValue) {
  HashLimits lim{128, 4};
  {
    HashHolder h;
    h->Set("abcd", "efgh", lim);
    EXPECT_EQ(h->encoding(), Encoding::kListPack);
    h->Set("abcd", "efghi", lim);
    EXPECT_EQ(h->encoding(), Encoding::kHashTable);
    EXPECT_EQ(Get(*h, "abcd"), "efghi");
  }
  {
    HashHolder h;
    h->Set("abcde", "x", lim);
    EXPECT_EQ(h->encoding(), Encoding::kHashTable);
  }
  {
    HashHolder h;
    h->ConvertForLengths({1, 2, 4}, lim);
    EXPECT_EQ(h->encoding(), Encoding::kListPack);
    h->ConvertForLengths({1, 5}, lim);
    EXPECT_EQ(h->encoding(), Encoding::kHashTable);
  }
}

TEST(HashTest, ZeroEntryLimitConvertsOnFirstInsert) {
  HashHolder h;
  h->Set("a", "1", HashLimits{0, 64});
  EXPECT_EQ(h->encoding(), Encoding::kHashTable);
  EXPECT_EQ(Get(*h, "a"), "1");
}

// Random operations against std::map, across the conversion and many table
// grows and shrinks.
TEST(HashTest, RandomOpsMatchMap) {
  for (size_t max_entries : {size_t{8}, size_t{128}}) {
    HashHolder h;
    HashLimits lim{max_entries, 16};
    std::map<std::string, std::string> oracle;
    std::mt19937 rng(7);
    for (int step = 0; step < 20000; ++step) {
      const std::string f = "f" + std::to_string(rng() % (step < 10000 ? 2000 : 50));
      const int op = static_cast<int>(rng() % 3);
      if (op < 2) {
        const std::string v(rng() % 20, static_cast<char>('a' + rng() % 26));
        EXPECT_EQ(h->Set(f, v, lim), oracle.count(f) == 0);
        oracle[f] = v;
      } else {
        EXPECT_EQ(h->Delete(f), oracle.erase(f) == 1);
      }
      ASSERT_EQ(h->Size(), oracle.size());
      ASSERT_EQ(h->Empty(), oracle.empty());
      if (step % 997 == 0) {
        // Mid-resize states: a full scan, a clone and random picks still see
        // exactly the map's contents.
        std::set<std::string> scanned;
        uint64_t cursor = 0;
        do {
          cursor = h->ScanStep(cursor,
                               [&](std::string_view f, std::string_view) { scanned.emplace(f); });
        } while (cursor != 0);
        std::set<std::string> keys;
        for (const auto& kv : oracle) keys.insert(kv.first);
        ASSERT_EQ(scanned, keys);
        Hash copy(Hash::Clone(h->get()));
        ASSERT_EQ(AsMap(copy), oracle);
        Hash::Destroy(copy.get());
        for (int i = 0; i < 20 && !oracle.empty(); ++i) {
          std::string_view f, v;
          h->RandomPair(&TestRandom, &f, &v);
          ASSERT_EQ(oracle.at(std::string(f)), v);
        }
      }
    }
    EXPECT_EQ(AsMap(*h), oracle);
    for (const auto& [f, v] : oracle) EXPECT_EQ(Get(*h, f), v);
  }
}

// Right after a grow starts almost every node is still in the old bucket
// array: lookups, updates, deletes, scans, clones and random picks must see
// both arrays.
TEST(HashTest, OperationsWhileResizing) {
  HashHolder h;
  HashLimits lim;
  std::map<std::string, std::string> oracle;
  for (int i = 0; i <= 1024; ++i) {
    h->Set("f" + std::to_string(i), "v", lim);
    oracle["f" + std::to_string(i)] = "v";
  }
  EXPECT_EQ(Get(*h, "f0"), "v");
  EXPECT_EQ(Get(*h, "f1024"), "v");
  EXPECT_FALSE(h->Set("f5", "updated", lim));
  oracle["f5"] = "updated";
  EXPECT_TRUE(h->Delete("f6"));
  oracle.erase("f6");
  EXPECT_FALSE(h->Delete("f6"));
  EXPECT_EQ(AsMap(*h), oracle);
  Hash copy(Hash::Clone(h->get()));
  EXPECT_EQ(AsMap(copy), oracle);
  Hash::Destroy(copy.get());
  std::set<std::string> scanned;
  uint64_t cursor = 0;
  do {
    cursor = h->ScanStep(cursor, [&](std::string_view f, std::string_view) { scanned.emplace(f); });
  } while (cursor != 0);
  EXPECT_EQ(scanned.size(), oracle.size());
  for (int i = 0; i < 100; ++i) {
    std::string_view f, v;
    h->RandomPair(&TestRandom, &f, &v);
    EXPECT_EQ(oracle.at(std::string(f)), v);
  }
  // Shrinking, also incremental.
  for (int i = 0; i <= 1024; ++i) {
    h->Delete("f" + std::to_string(i));
    oracle.erase("f" + std::to_string(i));
    if (i % 100 == 0) {
      ASSERT_EQ(AsMap(*h), oracle) << i;
    }
  }
  EXPECT_TRUE(h->Empty());
  EXPECT_GT(Hash::MemoryUsage(h->get()), 0u);
}

TEST(HashTest, CloneIsDeep) {
  for (size_t n : {size_t{3}, size_t{500}}) {
    HashHolder h;
    HashLimits lim;
    for (size_t i = 0; i < n; ++i) h->Set("f" + std::to_string(i), "v", lim);
    Hash copy(Hash::Clone(h->get()));
    EXPECT_EQ(copy.encoding(), h->encoding());
    EXPECT_EQ(AsMap(copy), AsMap(*h));
    copy.Set("f0", "changed", lim);
    copy.Delete("f1");
    EXPECT_EQ(Get(*h, "f0"), "v");
    EXPECT_TRUE(h->Exists("f1"));
    EXPECT_GT(Hash::MemoryUsage(copy.get()), 0u);
    Hash::Destroy(copy.get());
  }
}

TEST(HashTest, CompactIsOneSmallAllocation) {
  HashHolder h;
  HashLimits lim;
  const char* fields[] = {"name", "age", "city", "email", "score"};
  for (const char* f : fields) h->Set(f, "value1", lim);
  // 4-byte header + 5 * (1+len(field) + 1+6) = 63 bytes, all in one buffer
  // (plus the allocator's rounding: a size class, or glibc's chunk header).
  EXPECT_LE(Hash::MemoryUsage(h->get()), 80u);
}

TEST(HashTest, RandomPairCoversEveryField) {
  for (size_t n : {size_t{5}, size_t{300}}) {
    HashHolder h;
    HashLimits lim;
    for (size_t i = 0; i < n; ++i) h->Set("f" + std::to_string(i), "v" + std::to_string(i), lim);
    std::set<std::string> seen;
    for (size_t i = 0; i < n * 50; ++i) {
      std::string_view f, v;
      h->RandomPair(&TestRandom, &f, &v);
      EXPECT_EQ("v" + std::string(f.substr(1)), v);
      seen.emplace(f);
    }
    EXPECT_EQ(seen.size(), n);
  }
}

TEST(HashTest, ScanVisitsEveryFieldAcrossResizes) {
  HashHolder h;
  HashLimits lim;
  for (int i = 0; i < 1000; ++i) h->Set("f" + std::to_string(i), "v", lim);
  ASSERT_EQ(h->encoding(), Encoding::kHashTable);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = h->ScanStep(cursor, [&](std::string_view f, std::string_view) { seen.emplace(f); });
    ++calls;
    if (calls == 50) {
      for (int i = 1000; i < 5000; ++i) h->Set("g" + std::to_string(i), "v", lim);
    }
    if (calls == 400) {
      for (int i = 1000; i < 5000; ++i) h->Delete("g" + std::to_string(i));
    }
  } while (cursor != 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count("f" + std::to_string(i))) << i;
}

TEST(HashTest, CompactScanReturnsEverythingAtOnce) {
  HashHolder h;
  HashLimits lim;
  h->Set("a", "1", lim);
  h->Set("b", "2", lim);
  std::vector<std::string> seen;
  EXPECT_EQ(h->ScanStep(12345, [&](std::string_view f, std::string_view) { seen.emplace_back(f); }),
            0u);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace basalt::db
