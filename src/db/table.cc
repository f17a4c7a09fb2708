#include "db/table.h"

#include <xxhash.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace basalt::db {
namespace {

constexpr size_t kInitialBuckets = 4;

Entry** AllocSlots(size_t n) {
  auto** s = static_cast<Entry**>(calloc(n, sizeof(Entry*)));
  if (!s) throw std::bad_alloc();
  return s;
}

}  // namespace

uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

Table::~Table() { Clear(); }

void Table::Clear() {
  if (capture_) CaptureAll();
  for (Buckets& b : buckets_) {
    for (size_t i = 0; i < b.size; ++i) {
      for (Entry* e = b.slots[i]; e;) {
        Entry* next = e->next;
        Entry::Free(e);
        e = next;
      }
    }
    free(b.slots);
    b = Buckets{};
  }
  size_ = 0;
  rehash_idx_ = -1;
  PublishPrefetchHint();
}

void Table::Swap(Table& other) {
  // A capture's bitmaps describe these bucket arrays: finish it before they move.
  if (capture_) CaptureAll();
  if (other.capture_) other.CaptureAll();
  std::swap(buckets_, other.buckets_);
  std::swap(size_, other.size_);
  std::swap(rehash_idx_, other.rehash_idx_);
  PublishPrefetchHint();
  other.PublishPrefetchHint();
}

Entry** Table::LinkOf(std::string_view key, uint64_t hash) {
  if (capture_) [[unlikely]]
    CaptureKey(hash);
  for (int t = 0; t < 2; ++t) {
    Buckets& b = buckets_[t];
    if (b.size == 0) continue;
    size_t idx = hash & b.mask();
    // Buckets below rehash_idx_ of the old table are already empty.
    if (t == 0 && rehashing() && static_cast<ptrdiff_t>(idx) < rehash_idx_) continue;
    Entry** link = &b.slots[idx];
    while (*link) {
      Entry* e = *link;
      if (e->key_len == key.size() && memcmp(e->data(), key.data(), key.size()) == 0) return link;
      link = &e->next;
    }
  }
  return nullptr;
}

Entry* Table::Find(std::string_view key) const {
  if (size_ == 0) return nullptr;
  Entry** link = const_cast<Table*>(this)->LinkOf(key, HashKey(key));
  return link ? *link : nullptr;
}

void Table::Insert(Entry* e) {
  uint64_t hash = HashKey(e->key());
  if (capture_) [[unlikely]]
    CaptureKey(hash);  // the bucket it lands in, as it was
  MaybeResize();
  if (rehashing()) RehashStep(1);
  Buckets& b = rehashing() ? buckets_[1] : buckets_[0];
  size_t idx = hash & b.mask();
  e->next = b.slots[idx];
  b.slots[idx] = e;
  ++size_;
}

Entry* Table::Unlink(std::string_view key) {
  if (size_ == 0) return nullptr;
  if (rehashing()) RehashStep(1);
  Entry** link = LinkOf(key, HashKey(key));
  if (!link) return nullptr;
  Entry* e = *link;
  *link = e->next;
  e->next = nullptr;
  --size_;
  MaybeResize();
  return e;
}

void Table::Replace(Entry* old, Entry* fresh) {
  Entry** link = LinkOf(old->key(), HashKey(old->key()));
  fresh->next = old->next;
  *link = fresh;
  old->next = nullptr;
}

void Table::MaybeResize() {
  // During a capture entries must stay in their buckets: a resize waits.
  if (rehashing() || capture_) return;
  size_t n = buckets_[0].size;
  if (n == 0) {
    buckets_[0].slots = AllocSlots(kInitialBuckets);
    buckets_[0].size = kInitialBuckets;
    PublishPrefetchHint();
    return;
  }
  if (size_ >= n) {
    StartResize(n * 2);
  } else if (n > kInitialBuckets && size_ * 8 < n) {
    size_t target = kInitialBuckets;
    while (target < size_ * 2) target *= 2;
    StartResize(target);
  }
}

void Table::StartResize(size_t new_size) {
  buckets_[1].slots = AllocSlots(new_size);
  buckets_[1].size = new_size;
  rehash_idx_ = 0;
}

bool Table::RehashStep(int n) {
  if (!rehashing()) return false;
  if (capture_) return true;  // as MaybeResize: entries stay put until captured
  Buckets& from = buckets_[0];
  Buckets& to = buckets_[1];
  int empty_visits = n * 10;  // bound the work when many buckets are empty
  while (n > 0 && rehash_idx_ < static_cast<ptrdiff_t>(from.size)) {
    Entry* e = from.slots[rehash_idx_];
    if (!e) {
      ++rehash_idx_;
      if (--empty_visits == 0) return true;
      continue;
    }
    while (e) {
      Entry* next = e->next;
      size_t idx = HashKey(e->key()) & to.mask();
      e->next = to.slots[idx];
      to.slots[idx] = e;
      e = next;
    }
    from.slots[rehash_idx_] = nullptr;
    ++rehash_idx_;
    --n;
  }
  if (rehash_idx_ >= static_cast<ptrdiff_t>(from.size)) {
    free(from.slots);
    buckets_[0] = to;
    buckets_[1] = Buckets{};
    rehash_idx_ = -1;
    PublishPrefetchHint();
    // The size may have moved on while this resize ran (mass deletes during a
    // shrink, inserts during a shrink): start the next one now, or an emptied
    // table keeps its large bucket array until some later write.
    MaybeResize();
    return rehashing();
  }
  return true;
}

void Table::StartCapture(Capture* c) {
  capture_ = new CaptureState;
  capture_->sink = c;
  for (int t = 0; t < 2; ++t) capture_->taken[t].assign((buckets_[t].size + 63) / 64, 0);
}

void Table::CaptureBucket(int table, size_t idx) const {
  uint64_t& word = capture_->taken[table][idx >> 6];
  uint64_t bit = uint64_t{1} << (idx & 63);
  if (word & bit) return;
  word |= bit;
  if (const Entry* chain = buckets_[table].slots[idx]) capture_->sink->Take(chain);
}

void Table::CaptureKey(uint64_t hash) const {
  for (int t = 0; t < 2; ++t) {
    const Buckets& b = buckets_[t];
    if (b.size != 0) CaptureBucket(t, hash & b.mask());
  }
}

bool Table::CaptureSome(size_t max_buckets) {
  CaptureState& c = *capture_;
  while (c.next_table < 2) {
    std::vector<uint64_t>& bits = c.taken[c.next_table];
    size_t n = buckets_[c.next_table].size;
    // Skip whole words of buckets that commands have already captured.
    while (c.next_bucket < n && bits[c.next_bucket >> 6] == ~uint64_t{0}) {
      c.next_bucket = (c.next_bucket | 63) + 1;
    }
    if (c.next_bucket >= n) {
      ++c.next_table;
      c.next_bucket = 0;
      continue;
    }
    if (max_buckets-- == 0) return false;
    CaptureBucket(c.next_table, c.next_bucket++);
  }
  delete capture_;
  capture_ = nullptr;
  return true;
}

void Table::CaptureAll() {
  while (!CaptureSome(SIZE_MAX)) {
  }
}

Entry* Table::RandomEntry(uint64_t random) const {
  if (size_ == 0) return nullptr;
  // Probe from a random bucket; pick a random element of the first chain found.
  const Buckets& b = rehashing() && (random & 1) && buckets_[1].size ? buckets_[1] : buckets_[0];
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Buckets& t = attempt == 0 ? b : (&b == &buckets_[0] ? buckets_[1] : buckets_[0]);
    if (t.size == 0) continue;
    size_t start = (random >> 1) & t.mask();
    for (size_t i = 0; i < t.size; ++i) {
      Entry* e = t.slots[(start + i) & t.mask()];
      if (!e) continue;
      size_t len = 0;
      for (Entry* x = e; x; x = x->next) ++len;
      size_t pick = (random >> 20) % len;
      if (capture_) [[unlikely]]
        CaptureBucket(&t == &buckets_[1], (start + i) & t.mask());
      while (pick--) e = e->next;
      return e;
    }
  }
  return nullptr;
}

}  // namespace basalt::db
