// The shard hash table: lookups across incremental grow/shrink, the SCAN
// cursor guarantee under resizes, and random sampling.
#include "db/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace basalt::db {
namespace {

std::string Key(int i) { return "key:" + std::to_string(i); }

Entry* NewEntry(const std::string& key) { return Entry::NewString(key, "v", Encoding::kEmbStr); }

void InsertRange(Table& t, int from, int to) {
  for (int i = from; i < to; ++i) t.Insert(NewEntry(Key(i)));
}

void UnlinkRange(Table& t, int from, int to) {
  for (int i = from; i < to; ++i) {
    Entry* e = t.Unlink(Key(i));
    ASSERT_NE(e, nullptr) << Key(i);
    Entry::Free(e);
  }
}

// Every key in [from, to) is found, with its own entry.
void ExpectPresent(const Table& t, int from, int to) {
  for (int i = from; i < to; ++i) {
    Entry* e = t.Find(Key(i));
    ASSERT_NE(e, nullptr) << Key(i);
    ASSERT_EQ(e->key(), Key(i));
  }
}

void ExpectAbsent(const Table& t, int from, int to) {
  for (int i = from; i < to; ++i) ASSERT_EQ(t.Find(Key(i)), nullptr) << Key(i);
}

size_t CountByForEach(const Table& t) {
  size_t n = 0;
  t.ForEach([&](const Entry*) { ++n; });
  return n;
}

TEST(TableTest, EmptyTable) {
  Table t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Find("x"), nullptr);
  EXPECT_EQ(t.Unlink("x"), nullptr);
  EXPECT_EQ(t.RandomEntry(12345), nullptr);
  EXPECT_EQ(t.Scan(0, [](const Entry*) { FAIL(); }), 0u);
  EXPECT_FALSE(t.rehashing());
  EXPECT_FALSE(t.RehashStep(10));
}

TEST(TableTest, InsertFindUnlinkOne) {
  Table t;
  t.Insert(NewEntry("a"));
  EXPECT_EQ(t.size(), 1u);
  ASSERT_NE(t.Find("a"), nullptr);
  EXPECT_EQ(t.Find("b"), nullptr);
  EXPECT_EQ(t.Find(""), nullptr);
  Entry* e = t.Unlink("a");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->key(), "a");
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Find("a"), nullptr);
  Entry::Free(e);
}

TEST(TableTest, EmptyAndBinaryKeys) {
  Table t;
  std::string bin("a\0b", 3);
  t.Insert(NewEntry(""));
  t.Insert(NewEntry(bin));
  t.Insert(NewEntry("a"));
  ASSERT_NE(t.Find(""), nullptr);
  ASSERT_NE(t.Find(bin), nullptr);
  EXPECT_EQ(t.Find(std::string("a\0c", 3)), nullptr);
  EXPECT_EQ(t.Find(bin)->key(), bin);
  EXPECT_EQ(t.size(), 3u);
}

// Grows through many resizes; every key stays findable at every step,
// including while a resize is half done.
TEST(TableTest, GrowKeepsEveryKey) {
  Table t;
  constexpr int kN = 50000;
  size_t resizes = 0;
  bool was_rehashing = false;
  for (int i = 0; i < kN; ++i) {
    t.Insert(NewEntry(Key(i)));
    if (t.rehashing() && !was_rehashing) ++resizes;
    was_rehashing = t.rehashing();
    if (i % 997 == 0) ExpectPresent(t, 0, i + 1);
  }
  EXPECT_GE(resizes, 10u);
  EXPECT_EQ(t.size(), static_cast<size_t>(kN));
  ExpectPresent(t, 0, kN);
  ExpectAbsent(t, kN, kN + 1000);
  EXPECT_EQ(CountByForEach(t), static_cast<size_t>(kN));
}

// Shrinks through many resizes down to nothing; the bucket array follows.
TEST(TableTest, ShrinkKeepsRemainingKeys) {
  Table t;
  constexpr int kN = 40000;
  InsertRange(t, 0, kN);
  while (t.RehashStep(100)) {
  }
  size_t big = t.bucket_count();
  EXPECT_GE(big, static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) {
    Entry* e = t.Unlink(Key(i));
    ASSERT_NE(e, nullptr) << Key(i);
    Entry::Free(e);
    if (i % 1009 == 0) {
      ExpectAbsent(t, 0, i + 1);
      ExpectPresent(t, i + 1, kN);
    }
  }
  EXPECT_EQ(t.size(), 0u);
  while (t.RehashStep(100)) {
  }
  EXPECT_LE(t.bucket_count(), 8u);
  // Usable again after shrinking to the minimum.
  InsertRange(t, 0, 100);
  ExpectPresent(t, 0, 100);
}

// Interleaved inserts and deletes so that grows and shrinks overlap with
// lookups of both live and dead keys.
TEST(TableTest, RandomWorkloadMatchesReference) {
  Table t;
  std::mt19937 rng(42);
  std::unordered_set<int> live;
  for (int round = 0; round < 200000; ++round) {
    // Phases push the size up and down across several powers of two.
    int phase = (round / 20000) % 2;
    int k = static_cast<int>(rng() % 30000);
    bool insert = (rng() % 100) < (phase == 0 ? 75u : 25u);
    if (insert) {
      if (live.insert(k).second) t.Insert(NewEntry(Key(k)));
    } else {
      Entry* e = t.Unlink(Key(k));
      ASSERT_EQ(e != nullptr, live.erase(k) == 1) << Key(k);
      if (e) Entry::Free(e);
    }
    if (round % 5000 == 0) {
      ASSERT_EQ(t.size(), live.size());
      for (int i = 0; i < 30000; i += 7) {
        ASSERT_EQ(t.Find(Key(i)) != nullptr, live.count(i) == 1) << Key(i);
      }
    }
  }
  ASSERT_EQ(t.size(), live.size());
  ASSERT_EQ(CountByForEach(t), live.size());
}

TEST(TableTest, ReplaceDuringRehash) {
  Table t;
  InsertRange(t, 0, 64);
  // Insert until a resize is in progress.
  int next = 64;
  while (!t.rehashing()) t.Insert(NewEntry(Key(next++)));
  for (int i = 0; i < next; ++i) {
    Entry* old = t.Find(Key(i));
    ASSERT_NE(old, nullptr);
    Entry* fresh = Entry::NewString(Key(i), "new", Encoding::kEmbStr);
    t.Replace(old, fresh);
    Entry::Free(old);
  }
  EXPECT_EQ(t.size(), static_cast<size_t>(next));
  char buf[kMaxInt64Chars];
  for (int i = 0; i < next; ++i) {
    Entry* e = t.Find(Key(i));
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->StringValue(buf), "new");
  }
}

TEST(TableTest, SwapAndClear) {
  Table a, b;
  InsertRange(a, 0, 100);
  InsertRange(b, 1000, 1010);
  a.Swap(b);
  EXPECT_EQ(a.size(), 10u);
  EXPECT_EQ(b.size(), 100u);
  ExpectPresent(a, 1000, 1010);
  ExpectPresent(b, 0, 100);
  ExpectAbsent(a, 0, 100);
  b.Clear();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.bucket_count(), 0u);
  ExpectAbsent(b, 0, 100);
  InsertRange(b, 0, 10);
  ExpectPresent(b, 0, 10);
}

// A full scan of a stable table visits every key exactly once.
TEST(TableTest, ScanStableVisitsEachKeyOnce) {
  for (int n : {1, 3, 4, 5, 100, 1000, 4097}) {
    Table t;
    InsertRange(t, 0, n);
    while (t.RehashStep(100)) {
    }
    std::vector<std::string> seen;
    uint64_t cursor = 0;
    do {
      cursor = t.Scan(cursor, [&](const Entry* e) { seen.emplace_back(e->key()); });
    } while (cursor != 0);
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(seen.size(), static_cast<size_t>(n));
    EXPECT_EQ(unique.size(), static_cast<size_t>(n));
  }
}

// Also mid-rehash (no duplicates promised there, only completeness).
TEST(TableTest, ScanDuringRehashVisitsEveryKey) {
  Table t;
  int n = 0;
  while (!t.rehashing() || n < 1000) t.Insert(NewEntry(Key(n++)));
  ASSERT_TRUE(t.rehashing());
  std::set<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = t.Scan(cursor, [&](const Entry* e) { seen.emplace(e->key()); });
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), static_cast<size_t>(n));
}

// The cursor never exceeds the bucket mask: the keyspace packs shard bits
// below it (SCAN's cursor = table_cursor << kShardBits | shard).
TEST(TableTest, ScanCursorStaysBelowBucketCount) {
  Table t;
  InsertRange(t, 0, 3000);
  uint64_t cursor = 0;
  do {
    cursor = t.Scan(cursor, [](const Entry*) {});
    EXPECT_LT(cursor, std::max<size_t>(t.bucket_count(), 1));
  } while (cursor != 0);
}

struct ScanChurn {
  int stable;    // keys [0, stable) live for the whole scan
  int grow_to;   // extra keys inserted during the scan
  bool shrink;   // then delete every extra key (and more churn) during the scan
  int per_step;  // mutations between two Scan calls
};

// Redis's guarantee: a key present for the whole scan is returned, however
// the table grows or shrinks between calls.
void RunChurnScan(const ScanChurn& c, uint32_t seed) {
  Table t;
  std::mt19937 rng(seed);
  InsertRange(t, 0, c.stable);
  std::vector<int> extra;
  int next_extra = 1'000'000;
  if (c.shrink) {
    // Start big so deleting the extras shrinks below the stable set's size.
    for (int i = 0; i < c.grow_to; ++i) {
      t.Insert(NewEntry(Key(next_extra)));
      extra.push_back(next_extra++);
    }
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  size_t calls = 0;
  do {
    cursor = t.Scan(cursor, [&](const Entry* e) { seen.emplace(e->key()); });
    ++calls;
    for (int m = 0; m < c.per_step; ++m) {
      if (!c.shrink) {
        if (static_cast<int>(extra.size()) < c.grow_to) {
          t.Insert(NewEntry(Key(next_extra)));
          extra.push_back(next_extra++);
        }
      } else if (!extra.empty()) {
        size_t idx = rng() % extra.size();
        Entry* e = t.Unlink(Key(extra[idx]));
        ASSERT_NE(e, nullptr);
        Entry::Free(e);
        extra[idx] = extra.back();
        extra.pop_back();
      }
    }
    ASSERT_LT(calls, 10'000'000u) << "scan does not terminate";
  } while (cursor != 0);
  for (int i = 0; i < c.stable; ++i) {
    ASSERT_TRUE(seen.count(Key(i)))
        << Key(i) << " missed (stable=" << c.stable << " grow_to=" << c.grow_to
        << " shrink=" << c.shrink << " per_step=" << c.per_step << " seed=" << seed << ")";
  }
}

TEST(TableTest, ScanGuaranteeWhileGrowing) {
  for (int per_step : {1, 3, 17, 200}) {
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      RunChurnScan({500, 20000, false, per_step}, seed);
      RunChurnScan({3, 5000, false, per_step}, seed);
    }
  }
}

TEST(TableTest, ScanGuaranteeWhileShrinking) {
  for (int per_step : {1, 3, 17, 200}) {
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      RunChurnScan({500, 20000, true, per_step}, seed);
      RunChurnScan({3, 5000, true, per_step}, seed);
    }
  }
}

// Grow and shrink in alternation during one scan.
TEST(TableTest, ScanGuaranteeWhileOscillating) {
  Table t;
  constexpr int kStable = 300;
  InsertRange(t, 0, kStable);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int extra_begin = 100000, extra_end = 100000;
  int step = 0;
  do {
    cursor = t.Scan(cursor, [&](const Entry* e) { seen.emplace(e->key()); });
    bool growing = (step++ / 4) % 2 == 0;
    for (int m = 0; m < 700; ++m) {
      if (growing) {
        t.Insert(NewEntry(Key(extra_end++)));
      } else if (extra_begin < extra_end) {
        Entry* e = t.Unlink(Key(extra_begin++));
        ASSERT_NE(e, nullptr);
        Entry::Free(e);
      }
    }
  } while (cursor != 0);
  for (int i = 0; i < kStable; ++i) ASSERT_TRUE(seen.count(Key(i))) << Key(i);
}

TEST(TableTest, RandomEntryReturnsMembers) {
  Table t;
  InsertRange(t, 0, 10);
  std::mt19937_64 rng(7);
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    Entry* e = t.RandomEntry(rng());
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(t.Find(e->key()), e);
    seen.emplace(e->key());
  }
  // Every key of a small table comes up eventually.
  EXPECT_EQ(seen.size(), 10u);
}

TEST(TableTest, RandomEntryDuringRehashAndAfterShrink) {
  Table t;
  int n = 0;
  while (!t.rehashing() || n < 500) t.Insert(NewEntry(Key(n++)));
  ASSERT_TRUE(t.rehashing());
  std::mt19937_64 rng(11);
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    Entry* e = t.RandomEntry(rng());
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(t.Find(e->key()), e);
    seen.emplace(e->key());
  }
  EXPECT_GT(seen.size(), static_cast<size_t>(n) / 2);
  // Leave a single key in a table that is shrinking.
  UnlinkRange(t, 1, n);
  for (int i = 0; i < 100; ++i) {
    Entry* e = t.RandomEntry(rng());
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->key(), Key(0));
  }
  Entry* last = t.Unlink(Key(0));
  Entry::Free(last);
  EXPECT_EQ(t.RandomEntry(rng()), nullptr);
}

// Not exactly uniform (chains and empty runs bias it), but no key may be
// starved: each of 200 keys shows up within a reasonable factor of its share.
TEST(TableTest, RandomEntryIsRoughlyFair) {
  Table t;
  constexpr int kN = 200;
  InsertRange(t, 0, kN);
  while (t.RehashStep(100)) {
  }
  std::mt19937_64 rng(3);
  std::vector<int> hits(kN);
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) {
    Entry* e = t.RandomEntry(rng());
    ASSERT_NE(e, nullptr);
    hits[std::stoi(std::string(e->key().substr(4)))]++;
  }
  for (int i = 0; i < kN; ++i) {
    EXPECT_GT(hits[i], kDraws / kN / 10) << Key(i);
  }
}

// What a snapshot sees: each chain's entries as "key=value", with duplicates kept.
class RecordingCapture : public Table::Capture {
 public:
  void Take(const Entry* chain) override {
    for (const Entry* e = chain; e; e = e->next) {
      char buf[kMaxInt64Chars];
      seen.push_back(std::string(e->key()) + "=" + std::string(e->StringValue(buf)));
    }
  }
  std::vector<std::string> seen;
};

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Capture interleaved with every kind of change, with and without a resize in
// progress at the start: the capture holds exactly the entries of the start,
// each once, with their values of the start.
TEST(TableTest, CaptureIsPointInTime) {
  for (int start_size : {1000, 1030, 4096, 5000}) {
    Table t;
    InsertRange(t, 0, start_size);
    std::vector<std::string> expected;
    for (int i = 0; i < start_size; ++i) expected.push_back(Key(i) + "=v");
    RecordingCapture cap;
    t.StartCapture(&cap);
    std::mt19937 rng(start_size);
    int next_new = 1000000;
    while (!t.CaptureSome(7)) {
      for (int op = 0; op < 20; ++op) {
        int k = static_cast<int>(rng() % (start_size + 200));
        switch (rng() % 5) {
          case 0:
            if (!t.Find(Key(k))) t.Insert(NewEntry(Key(k)));
            break;
          case 1:
            if (Entry* e = t.Unlink(Key(k))) Entry::Free(e);
            break;
          case 2:
            if (Entry* e = t.Find(Key(k))) {
              Entry* fresh = Entry::NewString(Key(k), "changed", Encoding::kEmbStr);
              t.Replace(e, fresh);
              Entry::Free(e);
            }
            break;
          case 3:
            t.Insert(NewEntry(Key(next_new++)));
            break;
          case 4:
            t.RandomEntry(rng());
            t.RehashStep(5);
            break;
        }
      }
    }
    EXPECT_FALSE(t.capturing());
    EXPECT_EQ(Sorted(cap.seen), Sorted(expected)) << start_size;
    // Growth resumes once the capture has ended.
    InsertRange(t, 2000000, 2000000 + 3 * start_size);
    while (t.rehashing()) t.RehashStep(100);
    EXPECT_GE(t.bucket_count(), t.size() / 2);
  }
}

// FLUSH and SWAPDB during a capture finish it first.
TEST(TableTest, ClearAndSwapFinishCapture) {
  Table a, b;
  InsertRange(a, 0, 300);
  InsertRange(b, 300, 350);
  RecordingCapture ca, cb;
  a.StartCapture(&ca);
  b.StartCapture(&cb);
  a.CaptureSome(3);
  a.Swap(b);
  EXPECT_FALSE(a.capturing());
  EXPECT_FALSE(b.capturing());
  EXPECT_EQ(ca.seen.size(), 300u);
  EXPECT_EQ(cb.seen.size(), 50u);
  RecordingCapture cc;
  a.StartCapture(&cc);
  a.Clear();
  EXPECT_FALSE(a.capturing());
  EXPECT_EQ(cc.seen.size(), 50u);
}

}  // namespace
}  // namespace basalt::db
