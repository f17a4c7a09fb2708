#include "db/hash.h"

#include <cstdlib>
#include <new>

#include "common/memory.h"
#include "db/table.h"

namespace basalt::db {
namespace {

// Redis refuses to grow a listpack past 1 GiB (lpSafeToAdd) and converts
// instead; the compact buffer keeps the same ceiling, well inside uint32.
constexpr size_t kCompactMaxBytes = size_t{1} << 30;
constexpr size_t kMinBuckets = 4;

void* CheckedAlloc(void* p) {
  if (!p) throw std::bad_alloc();
  return p;
}

size_t VarintSize(size_t len) {
  size_t n = 1;
  while (len >= 0x80) {
    len >>= 7;
    ++n;
  }
  return n;
}

char* PutVarint(char* p, size_t len) {
  while (len >= 0x80) {
    *p++ = static_cast<char>((len & 0x7F) | 0x80);
    len >>= 7;
  }
  *p++ = static_cast<char>(len);
  return p;
}

size_t EncodedSize(std::string_view s) { return VarintSize(s.size()) + s.size(); }

CompactHeader ReadHeader(const void* obj) {
  CompactHeader h;
  memcpy(&h, obj, sizeof(h));
  return h;
}

void WriteHeader(void* obj, const CompactHeader& h) { memcpy(obj, &h, sizeof(h)); }

// --- table encoding ---

HashNode* NewNode(std::string_view field, std::string_view value) {
  auto* n =
      static_cast<HashNode*>(CheckedAlloc(malloc(sizeof(HashNode) + field.size() + value.size())));
  n->next = nullptr;
  n->field_len = static_cast<uint32_t>(field.size());
  n->value_len = static_cast<uint32_t>(value.size());
  if (!field.empty()) memcpy(n->data, field.data(), field.size());
  if (!value.empty()) memcpy(n->data + field.size(), value.data(), value.size());
  return n;
}

HashNode** AllocBuckets(size_t count) {
  return static_cast<HashNode**>(CheckedAlloc(calloc(count, sizeof(HashNode*))));
}

size_t PowerOfTwoAtLeast(size_t n) {
  size_t p = kMinBuckets;
  while (p < n) p <<= 1;
  return p;
}

void PushFront(HashBuckets& b, HashNode* n) {
  HashNode*& head = b.slots[HashKey(n->field()) & (b.count - 1)];
  n->next = head;
  head = n;
}

// dictRehash: moves up to `n` buckets of ht[0] to ht[1], visiting at most
// n*10 empty ones, and finishes the resize when ht[0] is drained.
void RehashStep(HashTableImpl* t, size_t n) {
  if (!t->rehashing()) return;
  size_t empty_visits = n * 10;
  HashBuckets& from = t->ht[0];
  auto idx = static_cast<size_t>(t->rehash_idx);
  while (n && idx < from.count) {
    HashNode* node = from.slots[idx];
    if (!node) {
      ++idx;
      if (--empty_visits == 0) break;
      continue;
    }
    while (node) {
      HashNode* next = node->next;
      PushFront(t->ht[1], node);
      node = next;
    }
    from.slots[idx++] = nullptr;
    --n;
  }
  if (idx < from.count) {
    t->rehash_idx = static_cast<ptrdiff_t>(idx);
    return;
  }
  free(from.slots);
  t->ht[0] = t->ht[1];
  t->ht[1] = {};
  t->rehash_idx = -1;
}

void StartResize(HashTableImpl* t, size_t count) {
  if (t->rehashing() || count == t->ht[0].count) return;
  if (t->ht[0].count == 0) {
    t->ht[0] = {AllocBuckets(count), count};
    return;
  }
  t->ht[1] = {AllocBuckets(count), count};
  t->rehash_idx = 0;
}

HashNode** TableLink(HashTableImpl* t, std::string_view field) {
  const uint64_t hash = HashKey(field);
  for (int i = 0; i <= (t->rehashing() ? 1 : 0); ++i) {
    HashBuckets& b = t->ht[i];
    if (b.count == 0) continue;
    for (HashNode** link = &b.slots[hash & (b.count - 1)]; *link; link = &(*link)->next) {
      if ((*link)->field() == field) return link;
    }
  }
  return nullptr;
}

// Adds a node whose field is absent; grows (incrementally) at load factor 1.
void TableInsertNew(HashTableImpl* t, HashNode* n) {
  if (!t->rehashing() && t->size >= t->ht[0].count) {
    StartResize(t, t->ht[0].count ? t->ht[0].count * 2 : kMinBuckets);
  }
  PushFront(t->rehashing() ? t->ht[1] : t->ht[0], n);
  ++t->size;
}

void DestroyTable(HashTableImpl* t) {
  for (HashBuckets& b : t->ht) {
    for (size_t i = 0; i < b.count; ++i) {
      for (HashNode* n = b.slots[i]; n;) {
        HashNode* next = n->next;
        free(n);
        n = next;
      }
    }
    free(b.slots);
  }
  delete t;
}

}  // namespace

void* Hash::New() {
  void* p = CheckedAlloc(malloc(sizeof(CompactHeader)));
  WriteHeader(p, {static_cast<uint32_t>(sizeof(CompactHeader))});
  return p;
}

void Hash::Destroy(void* obj) {
  Hash h(obj);
  if (h.compact()) {
    free(obj);
  } else {
    DestroyTable(h.table());
  }
}

void* Hash::Clone(const void* obj) {
  Hash h(const_cast<void*>(obj));
  if (h.compact()) {
    const size_t used = ReadHeader(obj).used;
    void* p = CheckedAlloc(malloc(used));
    memcpy(p, obj, used);
    return p;
  }
  // The copy gets one right-sized bucket array, even if the source is mid-resize.
  const HashTableImpl* src = h.table();
  auto* t = new HashTableImpl;
  if (src->size) {
    t->ht[0] = {AllocBuckets(PowerOfTwoAtLeast(src->size)), PowerOfTwoAtLeast(src->size)};
    h.ForEach([&](std::string_view f, std::string_view v) { TableInsertNew(t, NewNode(f, v)); });
  }
  return t;
}

size_t Hash::MemoryUsage(const void* obj) {
  Hash h(const_cast<void*>(obj));
  if (h.compact()) return AllocationSize(obj);
  // As Redis's MEMORY USAGE: sample a few nodes and extrapolate.
  const HashTableImpl* t = h.table();
  size_t total = sizeof(HashTableImpl) + (t->ht[0].count + t->ht[1].count) * sizeof(HashNode*);
  size_t sampled = 0, bytes = 0;
  for (const HashBuckets& b : t->ht) {
    for (size_t i = 0; i < b.count && sampled < 5; ++i) {
      for (const HashNode* n = b.slots[i]; n && sampled < 5; n = n->next) {
        bytes += AllocationSize(n);
        ++sampled;
      }
    }
  }
  if (sampled) total += bytes * t->size / sampled;
  return total;
}

bool Hash::compact() const {
  uint32_t first;
  memcpy(&first, obj_, sizeof(first));
  return first != kHashTableMarker;
}

Encoding Hash::encoding() const { return compact() ? Encoding::kListPack : Encoding::kHashTable; }

size_t Hash::Size() const {
  if (!compact()) return table()->size;
  size_t pairs = 0;
  WalkCompact([&](std::string_view, std::string_view, size_t) {
    ++pairs;
    return true;
  });
  return pairs;
}

bool Hash::Empty() const {
  return compact() ? ReadHeader(obj_).used == sizeof(CompactHeader) : table()->size == 0;
}

bool Hash::Get(std::string_view field, std::string_view* value) const {
  if (compact()) {
    bool found = false;
    WalkCompact([&](std::string_view f, std::string_view v, size_t) {
      if (f != field) return true;
      *value = v;
      found = true;
      return false;
    });
    return found;
  }
  HashNode** link = TableLink(table(), field);
  if (!link) return false;
  *value = (*link)->value();
  return true;
}

bool Hash::Exists(std::string_view field) const {
  std::string_view v;
  return Get(field, &v);
}

void Hash::ConvertForLengths(const std::vector<size_t>& lengths, const HashLimits& limits) {
  if (!compact()) return;
  size_t sum = 0;
  for (size_t len : lengths) {
    if (len > limits.max_value) {
      ConvertToTable();
      return;
    }
    sum += len;
  }
  if (ReadHeader(obj_).used + sum > kCompactMaxBytes) ConvertToTable();
}

bool Hash::Set(std::string_view field, std::string_view value, const HashLimits& limits) {
  if (compact() && (field.size() > limits.max_value || value.size() > limits.max_value ||
                    ReadHeader(obj_).used + field.size() + value.size() + 20 > kCompactMaxBytes)) {
    ConvertToTable();
  }
  if (!compact()) {
    HashTableImpl* t = table();
    RehashStep(t, 1);
    if (HashNode** link = TableLink(t, field)) {
      HashNode* old = *link;
      HashNode* next = old->next;
      auto* n = static_cast<HashNode*>(
          CheckedAlloc(realloc(old, sizeof(HashNode) + field.size() + value.size())));
      n->value_len = static_cast<uint32_t>(value.size());
      if (!value.empty()) memcpy(n->data + field.size(), value.data(), value.size());
      n->next = next;
      *link = n;
      return false;
    }
    TableInsertNew(t, NewNode(field, value));
    return true;
  }

  CompactHeader h = ReadHeader(obj_);
  size_t value_off = 0;
  std::string_view old_value;
  bool found = false;
  size_t pairs = 0;
  WalkCompact([&](std::string_view f, std::string_view v, size_t) {
    ++pairs;
    if (f != field) return true;
    value_off =
        static_cast<size_t>(v.data() - static_cast<const char*>(obj_)) - VarintSize(v.size());
    old_value = v;
    found = true;
    return false;
  });
  if (found) {
    const size_t old_len = EncodedSize(old_value);
    const size_t new_len = EncodedSize(value);
    const size_t tail_off = value_off + old_len;
    const size_t new_used = h.used - old_len + new_len;
    if (new_len > old_len && new_used > AllocationSize(obj_)) {
      obj_ = CheckedAlloc(realloc(obj_, new_used));
    }
    char* base = static_cast<char*>(obj_);
    memmove(base + value_off + new_len, base + tail_off, h.used - tail_off);
    char* p = PutVarint(base + value_off, value.size());
    if (!value.empty()) memcpy(p, value.data(), value.size());
    h.used = static_cast<uint32_t>(new_used);
    WriteHeader(obj_, h);
    if (new_len < old_len && AllocationSize(obj_) > 2 * new_used + 16) {
      obj_ = CheckedAlloc(realloc(obj_, new_used));
    }
    return false;
  }
  const size_t add = EncodedSize(field) + EncodedSize(value);
  const size_t new_used = h.used + add;
  if (new_used > AllocationSize(obj_)) obj_ = CheckedAlloc(realloc(obj_, new_used));
  char* p = static_cast<char*>(obj_) + h.used;
  p = PutVarint(p, field.size());
  if (!field.empty()) memcpy(p, field.data(), field.size());
  p = PutVarint(p + field.size(), value.size());
  if (!value.empty()) memcpy(p, value.data(), value.size());
  h.used = static_cast<uint32_t>(new_used);
  WriteHeader(obj_, h);
  if (pairs + 1 > limits.max_entries) ConvertToTable();
  return true;
}

bool Hash::Delete(std::string_view field) {
  if (!compact()) {
    HashTableImpl* t = table();
    RehashStep(t, 1);
    HashNode** link = TableLink(t, field);
    if (!link) return false;
    HashNode* n = *link;
    *link = n->next;
    free(n);
    --t->size;
    // Redis's htNeedsResize: shrink below 10% fill.
    if (!t->rehashing() && t->ht[0].count > kMinBuckets && t->size * 10 < t->ht[0].count) {
      StartResize(t, PowerOfTwoAtLeast(t->size));
    }
    return true;
  }
  CompactHeader h = ReadHeader(obj_);
  size_t start = 0, end = 0;
  bool found = false;
  WalkCompact([&](std::string_view f, std::string_view v, size_t off) {
    if (f != field) return true;
    start = off;
    end = static_cast<size_t>(v.data() + v.size() - static_cast<const char*>(obj_));
    found = true;
    return false;
  });
  if (!found) return false;
  char* base = static_cast<char*>(obj_);
  memmove(base + start, base + end, h.used - end);
  h.used -= static_cast<uint32_t>(end - start);
  WriteHeader(obj_, h);
  if (AllocationSize(obj_) > 2 * h.used + 16) obj_ = CheckedAlloc(realloc(obj_, h.used));
  return true;
}

void Hash::ConvertToTable() {
  if (!compact()) return;
  auto* t = new HashTableImpl;
  const size_t pairs = Size();
  if (pairs) t->ht[0] = {AllocBuckets(PowerOfTwoAtLeast(pairs)), PowerOfTwoAtLeast(pairs)};
  WalkCompact([&](std::string_view f, std::string_view v, size_t) {
    TableInsertNew(t, NewNode(f, v));
    return true;
  });
  free(obj_);
  obj_ = t;
}

void Hash::RandomPair(uint64_t (*random)(), std::string_view* field,
                      std::string_view* value) const {
  if (compact()) {
    size_t pick = random() % Size();
    WalkCompact([&](std::string_view f, std::string_view v, size_t) {
      if (pick--) return true;
      *field = f;
      *value = v;
      return false;
    });
    return;
  }
  // Redis's dictGetRandomKey: a random non-empty bucket (of either array
  // while resizing; ht[0] below rehash_idx is empty), then a random node of
  // its chain. Fill stays above 10%, so few tries are needed.
  const HashTableImpl* t = table();
  const size_t first = t->rehashing() ? static_cast<size_t>(t->rehash_idx) : 0;
  const size_t span = t->ht[0].count - first + t->ht[1].count;
  for (;;) {
    const size_t i = first + random() % span;
    const HashNode* head =
        i < t->ht[0].count ? t->ht[0].slots[i] : t->ht[1].slots[i - t->ht[0].count];
    if (!head) continue;
    size_t len = 0;
    for (const HashNode* n = head; n; n = n->next) ++len;
    size_t pick = random() % len;
    const HashNode* n = head;
    while (pick--) n = n->next;
    *field = n->field();
    *value = n->value();
    return;
  }
}

}  // namespace basalt::db
