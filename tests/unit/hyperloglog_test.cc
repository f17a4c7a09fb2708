#include "db/hyperloglog.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>

namespace basalt::db::hll {
namespace {

constexpr size_t kSparseMax = 3000;

struct HllDeleter {
  void operator()(HeapString* h) const { HeapString::Destroy(h); }
};
using HllPtr = std::unique_ptr<HeapString, HllDeleter>;

std::string_view View(const HeapString* h) { return {h->data, h->len}; }

uint64_t CountOf(const HeapString* h) {
  uint64_t c = 0;
  EXPECT_TRUE(Count(View(h), &c));
  return c;
}

// Adds `n` distinct elements named prefix0, prefix1, ...
void AddMany(HeapString** h, const std::string& prefix, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; ++i) {
    ASSERT_NE(Add(h, prefix + std::to_string(i), kSparseMax), Update::kCorrupt);
  }
}

TEST(HyperLogLogTest, EmptyIsSparseEighteenBytes) {
  HllPtr h(CreateEmpty());
  ASSERT_EQ(h->len, kHeaderSize + 2);
  EXPECT_EQ(std::string(h->data, 5), std::string("HYLL\x01", 5));
  EXPECT_EQ(static_cast<uint8_t>(h->data[16]), 0x7f);
  EXPECT_EQ(static_cast<uint8_t>(h->data[17]), 0xff);
  EXPECT_TRUE(CacheValid(h.get()));
  EXPECT_EQ(CachedCardinality(h.get()), 0u);
  EXPECT_TRUE(LooksValid(View(h.get())));
  EXPECT_EQ(CountOf(h.get()), 0u);
}

// Byte-for-byte agreement with Redis is checked by tests/compat/test_hll.py;
// here: the block loop and every tail length read every byte.
TEST(HyperLogLogTest, MurmurDependsOnEveryByte) {
  std::string s = "abcdefghijklmnop";
  for (size_t len = 1; len <= s.size(); ++len) {
    std::string t = s.substr(0, len);
    uint64_t h1 = MurmurHash64A(t.data(), t.size(), 0xadc83b19);
    t[len - 1] ^= 1;
    EXPECT_NE(h1, MurmurHash64A(t.data(), t.size(), 0xadc83b19)) << len;
  }
}

TEST(HyperLogLogTest, AddReportsChangesAndInvalidatesCache) {
  HeapString* raw = CreateEmpty();
  EXPECT_EQ(Add(&raw, "a", kSparseMax), Update::kChanged);
  HllPtr h(raw);
  EXPECT_FALSE(CacheValid(h.get()));
  raw = h.release();
  EXPECT_EQ(Add(&raw, "a", kSparseMax), Update::kUnchanged);
  h.reset(raw);
  SetCachedCardinality(h.get(), 1);
  EXPECT_TRUE(CacheValid(h.get()));
  EXPECT_EQ(CachedCardinality(h.get()), 1u);
  EXPECT_EQ(CountOf(h.get()), 1u);
}

TEST(HyperLogLogTest, PromotesToDensePastSparseLimit) {
  HeapString* h = CreateEmpty();
  uint64_t i = 0;
  while (h->data[4] == kSparse) {
    ASSERT_LE(h->len, kSparseMax);
    ASSERT_NE(Add(&h, "e" + std::to_string(i++), kSparseMax), Update::kCorrupt);
  }
  HllPtr owner(h);
  EXPECT_EQ(h->len, kDenseSize);
  EXPECT_TRUE(LooksValid(View(h)));
  EXPECT_GT(i, 100u);
}

TEST(HyperLogLogTest, SparseAndDenseCountAlike) {
  HeapString* h = CreateEmpty();
  AddMany(&h, "x", 0, 1500);
  HllPtr owner(h);
  ASSERT_EQ(h->data[4], kSparse);
  const uint64_t sparse_count = CountOf(h);
  HeapString* d = owner.release();
  ASSERT_TRUE(ToDense(&d));
  owner.reset(d);
  EXPECT_EQ(d->len, kDenseSize);
  EXPECT_EQ(CountOf(d), sparse_count);

  auto max = std::make_unique<uint8_t[]>(kRegisters);
  memset(max.get(), 0, kRegisters);
  ASSERT_TRUE(MergeInto(View(d), max.get()));
  EXPECT_EQ(CountRaw(max.get()), sparse_count);
}

TEST(HyperLogLogTest, RegisterAbove32ForcesDense) {
  HeapString* h = CreateEmpty();
  EXPECT_EQ(SetRegister(&h, 7, 40, kSparseMax), Update::kChanged);
  HllPtr owner(h);
  EXPECT_EQ(h->data[4], kDense);
  auto max = std::make_unique<uint8_t[]>(kRegisters);
  memset(max.get(), 0, kRegisters);
  ASSERT_TRUE(MergeInto(View(h), max.get()));
  EXPECT_EQ(max[7], 40);
  EXPECT_EQ(max[6], 0);
  EXPECT_EQ(max[8], 0);
}

TEST(HyperLogLogTest, DenseRegistersRoundTripAtEveryAlignment) {
  HeapString* h = CreateEmpty();
  ASSERT_TRUE(ToDense(&h));
  HllPtr owner(h);
  for (int i = 0; i < kRegisters; ++i) {
    HeapString* p = owner.release();
    ASSERT_EQ(SetRegister(&p, i, static_cast<uint8_t>(1 + i % 63), kSparseMax), Update::kChanged);
    owner.reset(p);
  }
  auto max = std::make_unique<uint8_t[]>(kRegisters);
  memset(max.get(), 0, kRegisters);
  ASSERT_TRUE(MergeInto(View(owner.get()), max.get()));
  for (int i = 0; i < kRegisters; ++i) ASSERT_EQ(max[i], 1 + i % 63) << i;
}

TEST(HyperLogLogTest, CorruptSparseIsReported) {
  using namespace std::string_literals;
  std::string base(kHeaderSize, '\0');
  memcpy(base.data(), "HYLL\x01", 5);
  uint64_t c;
  EXPECT_FALSE(Count(base + "\x40\x00"s, &c));      // 1 register only
  EXPECT_FALSE(Count(base + "\x7f\xff\x00"s, &c));  // 16385 registers
  EXPECT_FALSE(Count(base + "\x7f"s, &c));          // truncated XZERO
  EXPECT_FALSE(Count(base + "\x7f\xfe\x83"s, &c));  // VAL runs past the end
  auto max = std::make_unique<uint8_t[]>(kRegisters);
  EXPECT_FALSE(MergeInto(base + "\x7f\xfe\x83"s, max.get()));
  // 16383 registers: adds hitting the missing last register are refused,
  // others go through; none may write out of bounds.
  HeapString* h = HeapString::Create(base + "\x7f\xfe"s, 0);
  for (int i = 0; i < 200; ++i) Add(&h, "e" + std::to_string(i), kSparseMax);
  HeapString* bad = HeapString::Create(base + "\x7f\xfe\x83"s, 0);
  EXPECT_FALSE(ToDense(&bad));
  HeapString::Destroy(bad);
  HeapString::Destroy(h);
  EXPECT_FALSE(LooksValid("HYLL"));
  EXPECT_FALSE(LooksValid(std::string("HYLL\x02", 5) + std::string(11, '\0')));
  EXPECT_FALSE(LooksValid(std::string("HYLL\x00", 5) + std::string(11, '\0')));
}

// The standard error of HyperLogLog with 16384 registers is 1.04/sqrt(m) =
// 0.81%; every estimate should be within a few standard errors, and their
// root mean square error close to it.
TEST(HyperLogLogTest, StandardErrorWithinBounds) {
  constexpr double kStdErr = 0.0081;
  double sum_sq = 0;
  int samples = 0;
  for (int run = 0; run < 4; ++run) {
    HeapString* h = CreateEmpty();
    const std::string prefix = "run" + std::to_string(run) + ":";
    uint64_t added = 0;
    for (uint64_t target : {1000u, 10000u, 50000u, 100000u, 200000u, 500000u}) {
      AddMany(&h, prefix, added, target);
      added = target;
      const double est = static_cast<double>(CountOf(h));
      const double rel = (est - static_cast<double>(target)) / static_cast<double>(target);
      EXPECT_LT(std::fabs(rel), 4 * kStdErr) << "run " << run << " n " << target;
      sum_sq += rel * rel;
      ++samples;
    }
    HeapString::Destroy(h);
  }
  EXPECT_LT(std::sqrt(sum_sq / samples), 1.5 * kStdErr);
}

}  // namespace
}  // namespace basalt::db::hll
