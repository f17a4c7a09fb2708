// A chained hash table of Entry, owned by one shard.
//
// Growth and shrinking are incremental, as in Redis's dict: while a resize is
// in progress two bucket arrays exist and every mutation moves one bucket, so
// no single operation pays for the whole table. Entries carry their own `next`
// link, so the table itself costs one 8-byte bucket pointer per entry at full
// load.
//
// Pointers returned by Find stay valid until the next Insert/Unlink/Replace
// or RehashStep on this table.
//
// A point-in-time snapshot (persist/snapshot.h) captures a table bucket by
// bucket: while a Capture watches it, every path that can reach an entry
// (lookup, insert, unlink, scan, random pick) first hands that entry's bucket
// to the capture if it has not had it yet, and resizing stops so entries never
// move between buckets. So each entry present at the snapshot's instant is
// captured exactly once, before anything can change it, and a command pays
// only for the buckets it touches.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "db/entry.h"

namespace basalt::db {

uint64_t HashKey(std::string_view key);

class Table {
 public:
  Table() = default;
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // Receives each bucket's chain once, with the shard lock held, from any
  // thread. It must not change the table.
  class Capture {
   public:
    virtual ~Capture() = default;
    virtual void Take(const Entry* chain) = 0;
  };

  Entry* Find(std::string_view key) const;
  // Inserts an entry whose key is not present.
  void Insert(Entry* e);
  // Removes and returns the entry for key (not freed), or nullptr.
  Entry* Unlink(std::string_view key);
  // Puts `fresh` (same key) where `old` was; `old` is unlinked, not freed.
  void Replace(Entry* old, Entry* fresh);
  // Frees every entry.
  void Clear();
  void Swap(Table& other);

  size_t size() const { return size_; }
  size_t bucket_count() const { return buckets_[0].size + buckets_[1].size; }
  bool rehashing() const { return rehash_idx_ >= 0; }
  // Moves up to `n` buckets of an ongoing resize; returns true while more remain.
  bool RehashStep(int n);

  // Redis's reverse-binary cursor scan: every entry present for the whole
  // scan is visited at least once, across any number of resizes. Returns the
  // next cursor, 0 when done.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const;

  // Starts capturing (shard lock held): from now on `c` gets every bucket once.
  void StartCapture(Capture* c);
  // Hands up to `max_buckets` more buckets to the capture, in order. True once
  // every bucket has been handed over: the capture has then ended.
  bool CaptureSome(size_t max_buckets);
  bool capturing() const { return capture_ != nullptr; }

  // Visits every entry without capturing; `fn` must not mutate the table.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (const Buckets& b : buckets_) {
      for (size_t i = 0; i < b.size; ++i) {
        for (Entry* e = b.slots[i]; e;) {
          Entry* next = e->next;
          fn(e);
          e = next;
        }
      }
    }
  }

  // Hints the CPU to load the bucket `hash` maps to. Safe without the shard
  // lock: it reads only atomics, and a prefetch of a stale address is harmless.
  void PrefetchBucket(uint64_t hash) const {
    uintptr_t base = prefetch_base_.load(std::memory_order_relaxed);
    if (base == 0) return;
    size_t idx = hash & prefetch_mask_.load(std::memory_order_relaxed);
    __builtin_prefetch(reinterpret_cast<const void*>(base + idx * sizeof(Entry*)));
  }

  // A random non-empty bucket's chain head, or nullptr if empty (RANDOMKEY, eviction sampling).
  Entry* RandomEntry(uint64_t random) const;

 private:
  struct Buckets {
    Entry** slots = nullptr;
    size_t size = 0;  // power of two or 0
    size_t mask() const { return size - 1; }
  };

  struct CaptureState {
    Capture* sink = nullptr;
    std::vector<uint64_t> taken[2];  // a bit per bucket of buckets_[0] and [1]
    int next_table = 0;              // CaptureSome's position
    size_t next_bucket = 0;
  };
  // Const: lookups capture too. The state lives behind a pointer.
  void CaptureBucket(int table, size_t idx) const;
  void CaptureKey(uint64_t hash) const;
  void CaptureAll();  // and end the capture

  void MaybeResize();
  void StartResize(size_t new_size);
  Entry** LinkOf(std::string_view key, uint64_t hash);

  void PublishPrefetchHint() {
    prefetch_base_.store(reinterpret_cast<uintptr_t>(buckets_[0].slots), std::memory_order_relaxed);
    prefetch_mask_.store(buckets_[0].size ? buckets_[0].mask() : 0, std::memory_order_relaxed);
  }

  Buckets buckets_[2];
  // buckets_[0] as seen by PrefetchBucket from other threads.
  std::atomic<uintptr_t> prefetch_base_{0};
  std::atomic<size_t> prefetch_mask_{0};
  size_t size_ = 0;
  ptrdiff_t rehash_idx_ = -1;
  CaptureState* capture_ = nullptr;
};

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

template <class Fn>
uint64_t Table::Scan(uint64_t v, Fn&& fn) const {
  if (size_ == 0) return 0;
  auto visit = [&](const Buckets& b, size_t idx) {
    if (capture_) [[unlikely]]
      CaptureBucket(&b == &buckets_[1], idx);
    for (Entry* e = b.slots[idx]; e; e = e->next) fn(e);
  };
  if (!rehashing()) {
    const Buckets& t0 = buckets_[0];
    uint64_t m0 = t0.mask();
    visit(t0, v & m0);
    v |= ~m0;
    v = ReverseBits(v);
    ++v;
    return ReverseBits(v);
  }
  // Scan the smaller table's bucket, then every bucket of the larger table
  // that expands from it.
  const Buckets* small = &buckets_[0];
  const Buckets* large = &buckets_[1];
  if (small->size > large->size) std::swap(small, large);
  uint64_t m0 = small->mask(), m1 = large->mask();
  visit(*small, v & m0);
  do {
    visit(*large, v & m1);
    v |= ~m1;
    v = ReverseBits(v);
    ++v;
    v = ReverseBits(v);
  } while (v & (m0 ^ m1));
  return v;
}

}  // namespace basalt::db
