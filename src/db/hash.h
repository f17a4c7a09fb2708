// The hash value type (Redis's t_hash.c "Hash type API"): no RESP, no server.
//
// Two encodings, as Redis 7.0 keeps them:
//  - compact ("listpack"): one malloc'd buffer, a 4-byte header (bytes in
//    use) followed by field,value,field,value... each as a LEB128 length and
//    its bytes. Insertion order is kept, so HGETALL/HKEYS/HSCAN answer in the
//    order Redis's listpack does. The pair count is not stored: every write
//    walks the buffer anyway to find its field, and a compact hash is small by
//    definition, so HLEN's short walk costs less than 4 bytes on every key.
//  - table ("hashtable"): a chained hash table, resized incrementally, of
//    nodes that each hold one field and its value in a single allocation.
// A hash starts compact and converts to the table, one way, once it holds more
// than HashLimits::max_entries pairs or any field/value longer than
// HashLimits::max_value bytes.
//
// The object pointer stored in an Entry is the buffer or the table itself; its
// first 32-bit word tells them apart (a compact buffer's used size can never
// be kTableMarker). Mutations may move the object: callers store Hash::get()
// back into the entry after every mutation.
//
// Thread-safety: none; the owning shard's lock protects a hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "db/value_types.h"

namespace basalt::db {

struct HashLimits {
  size_t max_entries = 128;  // hash-max-listpack-entries
  size_t max_value = 64;     // hash-max-listpack-value
};

struct HashTableImpl;

class Hash {
 public:
  // A new, empty, compact hash object.
  static void* New();
  static void Destroy(void* obj);
  static void* Clone(const void* obj);
  static size_t MemoryUsage(const void* obj);

  explicit Hash(void* obj) : obj_(obj) {}
  void* get() const { return obj_; }

  Encoding encoding() const;  // kListPack or kHashTable
  size_t Size() const;        // O(1) for the table; a walk while compact
  bool Empty() const;

  // The value of `field`; the view stays valid until the next mutation.
  bool Get(std::string_view field, std::string_view* value) const;
  bool Exists(std::string_view field) const;

  // Converts to the table first when any of `lengths` is over the value limit
  // (Redis's hashTypeTryConversion: HSET checks every argument up front).
  void ConvertForLengths(const std::vector<size_t>& lengths, const HashLimits& limits);
  // Sets field to value; returns true if the field is new. Converts when the
  // pair is too long or the hash grows past the entry limit.
  bool Set(std::string_view field, std::string_view value, const HashLimits& limits);
  // Returns true if the field existed.
  bool Delete(std::string_view field);
  void ConvertToTable();

  // Calls fn(field, value) for every pair (insertion order while compact).
  template <class Fn>
  void ForEach(Fn&& fn) const;

  // Redis's reverse-binary cursor over the table encoding; calls fn for each
  // pair of one bucket and returns the next cursor (0 when done). The compact
  // encoding yields everything and returns 0.
  template <class Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) const;

  // One uniformly-ish chosen pair (non-empty hash); `random` drives the choice.
  void RandomPair(uint64_t (*random)(), std::string_view* field, std::string_view* value) const;

 private:
  bool compact() const;
  HashTableImpl* table() const { return static_cast<HashTableImpl*>(obj_); }

  // Compact-encoding walk: calls fn(field, value, offset_of_pair); stops when fn returns false.
  template <class Fn>
  void WalkCompact(Fn&& fn) const;

  void* obj_;
};

// ---------------------------------------------------------------------------
// Internals shared with the templates above.

inline constexpr uint32_t kHashTableMarker = 0xFFFFFFFFu;

struct HashNode {
  HashNode* next;
  uint32_t field_len;
  uint32_t value_len;
  char data[];  // NOLINT: field bytes then value bytes

  std::string_view field() const { return {data, field_len}; }
  std::string_view value() const { return {data + field_len, value_len}; }
};

struct HashBuckets {
  HashNode** slots = nullptr;
  size_t count = 0;  // power of two, or 0
};

// Resizes are incremental, as Redis's dict: while rehash_idx >= 0 both bucket
// arrays hold nodes (ht[0] below rehash_idx is already empty), and every write
// moves a bucket, so no single command pays for a huge table's rehash.
struct HashTableImpl {
  uint32_t marker = kHashTableMarker;
  uint32_t unused = 0;
  HashBuckets ht[2];
  size_t size = 0;
  ptrdiff_t rehash_idx = -1;

  bool rehashing() const { return rehash_idx >= 0; }
};

struct CompactHeader {
  uint32_t used;  // bytes in use, header included
};

// Decodes one LEB128-prefixed string at p; returns the byte after it.
inline const char* DecodeCompactString(const char* p, std::string_view* out) {
  uint64_t len = 0;
  int shift = 0;
  for (;;) {
    const auto b = static_cast<uint8_t>(*p++);
    len |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  *out = std::string_view(p, len);
  return p + len;
}

inline uint64_t ReverseBits64(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

template <class Fn>
void Hash::WalkCompact(Fn&& fn) const {
  const char* base = static_cast<const char*>(obj_);
  CompactHeader h;
  memcpy(&h, base, sizeof(h));
  const char* p = base + sizeof(CompactHeader);
  const char* end = base + h.used;
  while (p < end) {
    const size_t off = static_cast<size_t>(p - base);
    std::string_view f, v;
    p = DecodeCompactString(p, &f);
    p = DecodeCompactString(p, &v);
    if (!fn(f, v, off)) return;
  }
}

template <class Fn>
void Hash::ForEach(Fn&& fn) const {
  if (compact()) {
    WalkCompact([&](std::string_view f, std::string_view v, size_t) {
      fn(f, v);
      return true;
    });
    return;
  }
  for (const HashBuckets& b : table()->ht) {
    for (size_t i = 0; i < b.count; ++i) {
      for (const HashNode* n = b.slots[i]; n; n = n->next) fn(n->field(), n->value());
    }
  }
}

template <class Fn>
uint64_t Hash::ScanStep(uint64_t v, Fn&& fn) const {
  if (compact()) {
    ForEach(fn);
    return 0;
  }
  const HashTableImpl* t = table();
  if (t->size == 0) return 0;
  auto visit = [&](const HashBuckets& b, uint64_t idx) {
    for (const HashNode* n = b.slots[idx]; n; n = n->next) fn(n->field(), n->value());
  };
  if (!t->rehashing()) {
    const uint64_t mask = t->ht[0].count - 1;
    visit(t->ht[0], v & mask);
    v |= ~mask;
    v = ReverseBits64(v);
    ++v;
    return ReverseBits64(v);
  }
  // dictScan while rehashing: the smaller table's bucket, then every bucket
  // of the larger one that expands from it.
  const HashBuckets* small = &t->ht[0];
  const HashBuckets* large = &t->ht[1];
  if (small->count > large->count) std::swap(small, large);
  const uint64_t m0 = small->count - 1, m1 = large->count - 1;
  visit(*small, v & m0);
  do {
    visit(*large, v & m1);
    v |= ~m1;
    v = ReverseBits64(v);
    ++v;
    v = ReverseBits64(v);
  } while (v & (m0 ^ m1));
  return v;
}

}  // namespace basalt::db
