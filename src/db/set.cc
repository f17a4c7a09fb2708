#include "db/set.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "common/memory.h"
#include "db/entry.h"

namespace basalt::db {

// ---------------------------------------------------------------------------
// StrSet

StrSet::~StrSet() {
  for (size_t i = 0; i < nbuckets_; ++i) {
    for (Node* n = buckets_[i]; n;) {
      Node* next = n->next;
      free(n);
      n = next;
    }
  }
  free(buckets_);
}

void StrSet::Resize(size_t nbuckets) {
  Node** fresh = static_cast<Node**>(calloc(nbuckets, sizeof(Node*)));
  if (!fresh) throw std::bad_alloc();
  for (size_t i = 0; i < nbuckets_; ++i) {
    for (Node* n = buckets_[i]; n;) {
      Node* next = n->next;
      size_t idx = HashKey(n->view()) & (nbuckets - 1);
      n->next = fresh[idx];
      fresh[idx] = n;
      n = next;
    }
  }
  free(buckets_);
  buckets_ = fresh;
  nbuckets_ = nbuckets;
}

void StrSet::Reserve(size_t n) {
  size_t want = 4;
  while (want < n) want <<= 1;
  if (want > nbuckets_) Resize(want);
}

bool StrSet::Contains(std::string_view s) const {
  if (size_ == 0) return false;
  for (Node* n = buckets_[HashKey(s) & (nbuckets_ - 1)]; n; n = n->next) {
    if (n->view() == s) return true;
  }
  return false;
}

bool StrSet::Insert(std::string_view s) {
  if (Contains(s)) return false;
  // Load factor 1, as Redis's dict grows.
  if (size_ >= nbuckets_) Resize(nbuckets_ ? nbuckets_ * 2 : 4);
  Node* n = static_cast<Node*>(malloc(sizeof(Node) + s.size()));
  if (!n) throw std::bad_alloc();
  n->len = static_cast<uint32_t>(s.size());
  if (!s.empty()) memcpy(n->data, s.data(), s.size());
  size_t idx = HashKey(s) & (nbuckets_ - 1);
  n->next = buckets_[idx];
  buckets_[idx] = n;
  ++size_;
  return true;
}

bool StrSet::Erase(std::string_view s) {
  if (size_ == 0) return false;
  for (Node** link = &buckets_[HashKey(s) & (nbuckets_ - 1)]; *link; link = &(*link)->next) {
    Node* n = *link;
    if (n->view() != s) continue;
    *link = n->next;
    free(n);
    --size_;
    // Shrink below 1/8 full (Redis: below 10%), so random picks stay cheap.
    if (nbuckets_ > 4 && size_ * 8 < nbuckets_) {
      size_t want = 4;
      while (want < size_) want <<= 1;
      Resize(want);
    }
    return true;
  }
  return false;
}

std::string_view StrSet::Random(uint64_t (*rng)()) const {
  // As Redis's dictGetFairRandomKey: gather up to kGather members from
  // consecutive buckets after a random one and pick among them. Consecutive
  // buckets share cache lines, so a table left sparse by pops costs a miss or
  // two instead of one per empty bucket probed.
  constexpr size_t kGather = 15;
  const Node* found[kGather];
  size_t n = 0;
  size_t mask = nbuckets_ - 1;
  size_t i = rng() & mask;
  size_t empty_run = 0;
  for (size_t steps = 0; steps < kGather * 10 && n < kGather; ++steps) {
    const Node* p = buckets_[i];
    if (!p) {
      // A long empty run: jump elsewhere rather than favour what follows it.
      if (++empty_run >= 5 && empty_run > kGather) {
        i = rng() & mask;
        empty_run = 0;
      } else {
        i = (i + 1) & mask;
      }
      continue;
    }
    empty_run = 0;
    for (; p && n < kGather; p = p->next) found[n++] = p;
    i = (i + 1) & mask;
  }
  if (n > 0) return found[rng() % n]->view();
  const Node* e;
  do {
    e = buckets_[rng() & mask];
  } while (!e);
  size_t chain = 0;
  for (const Node* p = e; p; p = p->next) ++chain;
  for (size_t k = rng() % chain; k > 0; --k) e = e->next;
  return e->view();
}

size_t StrSet::MemoryUsage() const {
  size_t total = sizeof(StrSet) + (buckets_ ? AllocationSize(buckets_) : 0);
  for (size_t i = 0; i < nbuckets_; ++i)
    for (Node* n = buckets_[i]; n; n = n->next) total += AllocationSize(n);
  return total;
}

StrSet* StrSet::Clone() const {
  auto* c = new StrSet();
  c->Reserve(size_);
  ForEach([&](std::string_view s) { c->Insert(s); });
  return c;
}

// ---------------------------------------------------------------------------
// Set

namespace {

unsigned WidthFor(int64_t v) {
  if (v >= std::numeric_limits<int16_t>::min() && v <= std::numeric_limits<int16_t>::max())
    return 2;
  if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max())
    return 4;
  return 8;
}

}  // namespace

Set* Set::CreateIntSet() {
  Set* s = new Set();
  s->width_ = 2;
  s->ints_ = nullptr;
  return s;
}

Set* Set::CreateHashTable() {
  Set* s = new Set();
  s->strs_ = new StrSet();
  return s;
}

Set* Set::CreateFor(std::string_view first_member) {
  int64_t v;
  return ParseInt64(first_member, &v) ? CreateIntSet() : CreateHashTable();
}

Set::~Set() {
  if (is_intset()) {
    free(ints_);
  } else {
    delete strs_;
  }
}

int64_t Set::IntAt(size_t i) const {
  switch (width_) {
    case 2: {
      int16_t v;
      memcpy(&v, ints_ + i * 2, 2);
      return v;
    }
    case 4: {
      int32_t v;
      memcpy(&v, ints_ + i * 4, 4);
      return v;
    }
    default: {
      int64_t v;
      memcpy(&v, ints_ + i * 8, 8);
      return v;
    }
  }
}

void Set::IntSetAt(size_t i, int64_t v) {
  switch (width_) {
    case 2: {
      auto x = static_cast<int16_t>(v);
      memcpy(ints_ + i * 2, &x, 2);
      break;
    }
    case 4: {
      auto x = static_cast<int32_t>(v);
      memcpy(ints_ + i * 4, &x, 4);
      break;
    }
    default:
      memcpy(ints_ + i * 8, &v, 8);
  }
}

bool Set::IntFind(int64_t v, size_t* pos) const {
  size_t lo = 0, hi = len_;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t m = IntAt(mid);
    if (m == v) {
      *pos = mid;
      return true;
    }
    if (m < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}

void Set::IntUpgrade(unsigned width) {
  char* fresh = static_cast<char*>(malloc(static_cast<size_t>(len_) * width + 1));
  if (!fresh) throw std::bad_alloc();
  char* old = ints_;
  unsigned old_width = width_;
  for (size_t i = 0; i < len_; ++i) {
    ints_ = old;
    width_ = old_width;
    int64_t v = IntAt(i);
    ints_ = fresh;
    width_ = width;
    IntSetAt(i, v);
  }
  free(old);
  ints_ = fresh;
  width_ = width;
}

void Set::ConvertToHashTable() {
  if (!is_intset()) return;
  auto* strs = new StrSet();
  strs->Reserve(len_);
  ForEach([&](std::string_view m) { strs->Insert(m); });
  free(ints_);
  width_ = 0;
  len_ = 0;
  strs_ = strs;
}

bool Set::Add(std::string_view member, size_t max_intset_entries) {
  if (is_intset()) {
    int64_t v;
    if (ParseInt64(member, &v)) {
      size_t pos;
      if (IntFind(v, &pos)) return false;
      unsigned w = WidthFor(v);
      if (w > width_) IntUpgrade(w);
      char* grown = static_cast<char*>(realloc(ints_, static_cast<size_t>(len_ + 1) * width_));
      if (!grown) throw std::bad_alloc();
      ints_ = grown;
      memmove(ints_ + (pos + 1) * width_, ints_ + pos * width_, (len_ - pos) * width_);
      IntSetAt(pos, v);
      ++len_;
      if (len_ > max_intset_entries) ConvertToHashTable();
      return true;
    }
    ConvertToHashTable();
  }
  return strs_->Insert(member);
}

bool Set::Remove(std::string_view member) {
  if (!is_intset()) return strs_->Erase(member);
  int64_t v;
  size_t pos;
  if (!ParseInt64(member, &v) || !IntFind(v, &pos)) return false;
  memmove(ints_ + pos * width_, ints_ + (pos + 1) * width_, (len_ - pos - 1) * width_);
  --len_;
  // Redis's intsetResize: the buffer shrinks with the set (width stays).
  if (len_ == 0) {
    free(ints_);
    ints_ = nullptr;
  } else if (char* shrunk = static_cast<char*>(realloc(ints_, len_ * width_))) {
    ints_ = shrunk;
  }
  return true;
}

bool Set::Contains(std::string_view member) const {
  if (!is_intset()) return strs_->Contains(member);
  int64_t v;
  size_t pos;
  return ParseInt64(member, &v) && IntFind(v, &pos);
}

std::string Set::Random(uint64_t (*rng)()) const {
  if (!is_intset()) return std::string(strs_->Random(rng));
  return Int64ToString(IntAt(rng() % len_));
}

Set* Set::Clone() const {
  Set* c = new Set();
  if (is_intset()) {
    c->width_ = width_;
    c->len_ = len_;
    c->ints_ = nullptr;
    if (len_) {
      c->ints_ = static_cast<char*>(malloc(static_cast<size_t>(len_) * width_));
      if (!c->ints_) throw std::bad_alloc();
      memcpy(c->ints_, ints_, static_cast<size_t>(len_) * width_);
    }
  } else {
    c->strs_ = strs_->Clone();
  }
  return c;
}

size_t Set::MemoryUsage() const {
  size_t n = AllocationSize(this);
  if (is_intset()) return n + (ints_ ? AllocationSize(ints_) : 0);
  return n + strs_->MemoryUsage();
}

void RegisterSetObjectOps() {
  ObjectOps ops;
  ops.destroy = [](void* obj) { delete static_cast<Set*>(obj); };
  ops.clone = [](const void* obj) -> void* { return static_cast<const Set*>(obj)->Clone(); };
  ops.memory_usage = [](const void* obj) { return static_cast<const Set*>(obj)->MemoryUsage(); };
  RegisterObjectOps(ObjType::kSet, ops);
}

}  // namespace basalt::db
