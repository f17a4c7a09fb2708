// The set type, as Redis 7.0's t_set.c stores it: an intset (sorted unique
// integers in one buffer whose element width grows 16 → 32 → 64 bits) while
// every member is an integer and the set is small, else a hash table of
// strings. Conversion is one-way, as in Redis.
//
// The type API knows no RESP and no server state: thresholds are arguments,
// so RDB/AOF loading can reuse it.
//
// Thread-safety: a Set belongs to one entry and is only touched with that
// entry's shard lock held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/strutil.h"
#include "db/table.h"
#include "db/value_types.h"

namespace basalt::db {

// A chained hash set of byte strings. Each member is one allocation (next
// link, length, bytes), so a member costs its bytes plus about 20 bytes.
class StrSet {
 public:
  StrSet() = default;
  ~StrSet();
  StrSet(const StrSet&) = delete;
  StrSet& operator=(const StrSet&) = delete;

  bool Insert(std::string_view s);  // false if already present
  bool Erase(std::string_view s);   // false if absent
  bool Contains(std::string_view s) const;
  size_t size() const { return size_; }
  void Reserve(size_t n);

  // fn(std::string_view) returns false to stop early.
  template <class Fn>
  void ForEachUntil(Fn&& fn) const {
    for (size_t i = 0; i < nbuckets_; ++i)
      for (Node* n = buckets_[i]; n; n = n->next)
        if (!fn(n->view())) return;
  }
  template <class Fn>
  void ForEach(Fn&& fn) const {
    ForEachUntil([&](std::string_view m) {
      fn(m);
      return true;
    });
  }
  // Redis's reverse-binary cursor scan (dictScan): every member present for
  // the whole scan is visited at least once, across resizes between calls.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const;
  // A member chosen as Redis's dictGetFairRandomKey does: one of up to 15
  // members gathered from consecutive buckets after a random one. Requires
  // size() > 0.
  std::string_view Random(uint64_t (*rng)()) const;
  size_t MemoryUsage() const;
  StrSet* Clone() const;

 private:
  struct Node {
    Node* next;
    uint32_t len;
    char data[];  // NOLINT: flexible array member
    std::string_view view() const { return {data, len}; }
  };
  void Resize(size_t nbuckets);

  Node** buckets_ = nullptr;
  size_t nbuckets_ = 0;  // power of two or 0
  size_t size_ = 0;
};

class Set {
 public:
  // A new empty set: an intset when `first_member` is an integer (Redis's
  // setTypeCreate), else a hash table.
  static Set* CreateFor(std::string_view first_member);
  static Set* CreateIntSet();
  static Set* CreateHashTable();
  ~Set();
  Set(const Set&) = delete;
  Set& operator=(const Set&) = delete;

  bool is_intset() const { return width_ != 0; }
  Encoding encoding() const { return is_intset() ? Encoding::kIntSet : Encoding::kHashTable; }
  size_t size() const { return is_intset() ? len_ : strs_->size(); }

  // Adds a member; converts to a hash table when the member is not an
  // integer or the intset would exceed `max_intset_entries`. False if present.
  bool Add(std::string_view member, size_t max_intset_entries);
  bool Remove(std::string_view member);
  bool Contains(std::string_view member) const;
  void ConvertToHashTable();

  // Calls fn(std::string_view) for every member; intsets in ascending order.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    ForEachUntil([&](std::string_view m) {
      fn(m);
      return true;
    });
  }
  // As ForEach; fn returns false to stop early.
  template <class Fn>
  void ForEachUntil(Fn&& fn) const;
  // SSCAN: an intset returns everything at once (cursor 0).
  template <class Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const;
  // A random member (copied, as the caller may then remove it). Requires size() > 0.
  std::string Random(uint64_t (*rng)()) const;

  Set* Clone() const;
  size_t MemoryUsage() const;

  // The intset's element width in bytes (2, 4 or 8); 0 for a hash table.
  unsigned intset_width() const { return width_; }

 private:
  Set() = default;
  int64_t IntAt(size_t i) const;
  void IntSetAt(size_t i, int64_t v);
  // Binary search; true if found, else *pos is the insertion point.
  bool IntFind(int64_t v, size_t* pos) const;
  void IntUpgrade(unsigned width);

  uint32_t width_ = 0;  // intset element width; 0: hash table
  uint32_t len_ = 0;    // intset members
  union {
    char* ints_;  // len_ * width_ bytes, ascending (realloc'd exactly)
    StrSet* strs_;
  };
};

// The set ops for Entry (destroy, clone, memory usage).
void RegisterSetObjectOps();

// ---------------------------------------------------------------------------

template <class Fn>
uint64_t StrSet::Scan(uint64_t v, Fn&& fn) const {
  if (size_ == 0) return 0;
  uint64_t m = nbuckets_ - 1;
  for (Node* n = buckets_[v & m]; n; n = n->next) fn(n->view());
  v |= ~m;
  v = ReverseBits(v);
  ++v;
  return ReverseBits(v);
}

template <class Fn>
void Set::ForEachUntil(Fn&& fn) const {
  if (!is_intset()) {
    strs_->ForEachUntil(fn);
    return;
  }
  char buf[kMaxInt64Chars];
  for (size_t i = 0; i < len_; ++i) {
    if (!fn(std::string_view(buf, FormatInt64(IntAt(i), buf)))) return;
  }
}

template <class Fn>
uint64_t Set::Scan(uint64_t cursor, Fn&& fn) const {
  if (is_intset()) {
    ForEach(fn);
    return 0;
  }
  return strs_->Scan(cursor, fn);
}

}  // namespace basalt::db
