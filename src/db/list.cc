#include "db/list.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "common/strutil.h"

namespace basalt::db {

// Header and entries in one allocation.
struct List::Chunk {
  uint32_t count;  // entries
  uint32_t used;   // bytes of entries
  uint32_t cap;    // bytes allocated for entries
  char data[];     // NOLINT: flexible array member

  static Chunk* New(size_t cap) {
    auto* c = static_cast<Chunk*>(malloc(sizeof(Chunk) + cap));
    if (!c) throw std::bad_alloc();
    c->count = 0;
    c->used = 0;
    c->cap = static_cast<uint32_t>(cap);
    return c;
  }
  // Gives back the growth slack of a chunk that will take no more pushes.
  static Chunk* Seal(Chunk* c) {
    if (c->cap - c->used < 64) return c;
    auto* n = static_cast<Chunk*>(realloc(c, sizeof(Chunk) + c->used));
    if (!n) return c;
    n->cap = n->used;
    return n;
  }
  static Chunk* Reserve(Chunk* c, size_t need) {
    if (need <= c->cap) return c;
    // Small chunks grow to fit (the allocator's size classes absorb the
    // reallocs); larger ones geometrically, trimmed once full (Seal).
    size_t cap = need < 512 ? need : std::max(need, static_cast<size_t>(c->cap) + c->cap / 2);
    cap = (cap + 15) & ~static_cast<size_t>(15);
    // Stop at a default full chunk (8 KB with the header) unless more is needed.
    constexpr size_t kFull = 8192 - sizeof(Chunk);
    if (c->cap < kFull) cap = std::min(cap, std::max(need, kFull));
    auto* n = static_cast<Chunk*>(realloc(c, sizeof(Chunk) + cap));
    if (!n) throw std::bad_alloc();
    n->cap = static_cast<uint32_t>(cap);
    return n;
  }
};

namespace {

size_t VarLen(uint64_t x) {
  size_t n = 1;
  while (x >= 128) {
    x >>= 7;
    ++n;
  }
  return n;
}

// An entry's header is one LEB128 number: (length << 1) for bytes, or
// (zigzag(value) << 1 | 1) for an integer kept in canonical decimal form,
// which then needs no payload (as listpack's integer encodings).
constexpr int64_t kIntLimit = int64_t{1} << 61;

uint64_t Header(std::string_view v) {
  int64_t iv;
  if (!v.empty() && v.size() <= 20 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) &&
      ParseInt64(v, &iv) && iv > -kIntLimit && iv < kIntLimit) {
    char buf[kMaxInt64Chars];
    if (std::string_view(buf, FormatInt64(iv, buf)) == v) {
      uint64_t zz = (static_cast<uint64_t>(iv) << 1) ^ static_cast<uint64_t>(iv >> 63);
      return zz << 1 | 1;
    }
  }
  return static_cast<uint64_t>(v.size()) << 1;
}

size_t PayloadLen(uint64_t header) { return header & 1 ? 0 : header >> 1; }

// [header LEB128][payload][backlen]: backlen is the byte count of header
// and payload as LEB128 with its bytes reversed, so the entry can be found
// from its end (as listpack's backlen).
size_t EntrySize(std::string_view v) {
  uint64_t h = Header(v);
  size_t front = VarLen(h) + PayloadLen(h);
  return front + VarLen(front);
}

// Writes x as LEB128 at p (reversed: last byte first); returns its length.
size_t PutVar(char* p, uint64_t x, bool reversed) {
  uint8_t var[10];
  size_t n = 0;
  do {
    uint8_t b = x & 0x7f;
    x >>= 7;
    if (x) b |= 0x80;
    var[n++] = b;
  } while (x);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>(var[reversed ? n - 1 - i : i]);
  return n;
}

// Writes an entry at p; returns bytes written.
size_t WriteEntry(char* p, std::string_view v) {
  uint64_t h = Header(v);
  size_t len = PayloadLen(h);
  size_t n = PutVar(p, h, false);
  if (len) memcpy(p + n, v.data(), len);
  return n + len + PutVar(p + n + len, n + len, true);
}

std::string_view Value(uint64_t h, const char* payload, char* buf) {
  if (!(h & 1)) return {payload, static_cast<size_t>(h >> 1)};
  uint64_t zz = h >> 1;
  auto iv = static_cast<int64_t>((zz >> 1) ^ (~(zz & 1) + 1));
  return {buf, FormatInt64(iv, buf)};
}

// Reads the header of the entry starting at p; returns the entry's size.
size_t ReadHeader(const char* p, uint64_t* h, size_t* hdr_len) {
  uint64_t x = 0;
  size_t shift = 0, n = 0;
  uint8_t b;
  do {
    b = static_cast<uint8_t>(p[n++]);
    x |= static_cast<uint64_t>(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  *h = x;
  *hdr_len = n;
  size_t front = n + PayloadLen(x);
  return front + VarLen(front);
}

// The size of the entry ending at `end`.
size_t EntrySizeBack(const char* end) {
  uint64_t x = 0;
  size_t shift = 0, n = 0;
  uint8_t b;
  do {
    b = static_cast<uint8_t>(end[-1 - static_cast<ptrdiff_t>(n)]);
    ++n;
    x |= static_cast<uint64_t>(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return x + n;
}

size_t ReadHeaderBack(const char* end, uint64_t* h, size_t* hdr_len) {
  size_t sz = EntrySizeBack(end);
  ReadHeader(end - sz, h, hdr_len);
  return sz;
}

size_t SkipEntry(const char* p) {
  uint64_t h;
  size_t n;
  return ReadHeader(p, &h, &n);
}

size_t SkipEntryBack(const char* end) { return EntrySizeBack(end); }

// Reads the entry starting at p into *v (integers are formatted into buf,
// kMaxInt64Chars bytes); returns its total size.
size_t ReadEntry(const char* p, std::string_view* v, char* buf) {
  uint64_t h;
  size_t n;
  size_t sz = ReadHeader(p, &h, &n);
  *v = Value(h, p + n, buf);
  return sz;
}

// Reads the entry ending at `end`; returns its total size.
size_t ReadEntryBack(const char* end, std::string_view* v, char* buf) {
  uint64_t h;
  size_t n;
  size_t sz = ReadHeaderBack(end, &h, &n);
  *v = Value(h, end - sz + n, buf);
  return sz;
}

// Byte offset of element k of chunk data (walks from the nearer end).
size_t OffsetOf(const char* data, size_t used, size_t count, size_t k) {
  if (k <= count / 2) {
    size_t off = 0;
    for (size_t i = 0; i < k; ++i) off += SkipEntry(data + off);
    return off;
  }
  size_t end = used;
  for (size_t i = count; i > k; --i) end -= SkipEntryBack(data + end);
  return end;
}

constexpr size_t kSafetyLimit = 8192;

}  // namespace

List::List(const List& other) : count_(other.count_), fill_(other.fill_) {
  chunks_.reserve(other.chunks_.size());
  for (const Chunk* c : other.chunks_) {
    Chunk* n = Chunk::New(c->used);
    n->count = c->count;
    n->used = c->used;
    memcpy(n->data, c->data, c->used);
    chunks_.push_back(n);
  }
}

List::~List() {
  for (Chunk* c : chunks_) free(c);
}

size_t List::ByteLimit() const {
  if (fill_ >= 0) return kSafetyLimit;
  static constexpr size_t kLimits[] = {4096, 8192, 16384, 32768, 65536};
  int idx = -fill_ - 1;
  if (idx > 4) idx = 4;
  return kLimits[idx];
}

bool List::Fits(const Chunk* c, size_t extra_bytes, size_t extra_entries) const {
  if (c->count == 0) return true;
  if (fill_ > 0 && c->count + extra_entries > static_cast<size_t>(fill_)) return false;
  // The limit covers the header too, so a full chunk fills an allocator size class.
  return sizeof(Chunk) + c->used + extra_bytes <= ByteLimit();
}

std::vector<size_t> List::ChunkSizes() const {
  std::vector<size_t> out;
  for (const Chunk* c : chunks_) out.push_back(c->count);
  return out;
}

void List::Push(std::string_view v, bool front) {
  size_t sz = EntrySize(v);
  size_t ci;
  if (chunks_.empty() || !Fits(front ? chunks_.front() : chunks_.back(), sz, 1)) {
    if (!chunks_.empty()) {
      Chunk*& end = front ? chunks_.front() : chunks_.back();
      end = Chunk::Seal(end);
    }
    Chunk* c = Chunk::New((sz + 15) & ~static_cast<size_t>(15));
    if (front) {
      chunks_.insert(chunks_.begin(), c);
    } else {
      chunks_.push_back(c);
    }
  }
  ci = front ? 0 : chunks_.size() - 1;
  Chunk* c = Chunk::Reserve(chunks_[ci], chunks_[ci]->used + sz);
  chunks_[ci] = c;
  if (front) {
    memmove(c->data + sz, c->data, c->used);
    WriteEntry(c->data, v);
  } else {
    WriteEntry(c->data + c->used, v);
  }
  c->used += static_cast<uint32_t>(sz);
  ++c->count;
  ++count_;
}

std::string List::Pop(bool front) {
  size_t ci = front ? 0 : chunks_.size() - 1;
  Chunk* c = chunks_[ci];
  std::string_view v;
  std::string out;
  char buf[kMaxInt64Chars];
  if (front) {
    size_t sz = ReadEntry(c->data, &v, buf);
    out.assign(v);
    memmove(c->data, c->data + sz, c->used - sz);
    c->used -= static_cast<uint32_t>(sz);
  } else {
    size_t sz = ReadEntryBack(c->data + c->used, &v, buf);
    out.assign(v);
    c->used -= static_cast<uint32_t>(sz);
  }
  --c->count;
  --count_;
  if (c->count == 0) {
    free(c);
    chunks_.erase(chunks_.begin() + static_cast<ptrdiff_t>(ci));
  }
  return out;
}

List::Pos List::Locate(size_t i) const {
  if (i < count_ / 2) {
    size_t ci = 0;
    while (i >= chunks_[ci]->count) i -= chunks_[ci++]->count;
    return {ci, i};
  }
  size_t from_end = count_ - 1 - i;  // position counted from the back
  size_t ci = chunks_.size() - 1;
  while (from_end >= chunks_[ci]->count) from_end -= chunks_[ci--]->count;
  return {ci, chunks_[ci]->count - 1 - from_end};
}

std::string_view List::At(size_t i) const {
  Pos p = Locate(i);
  const Chunk* c = chunks_[p.chunk];
  size_t off = OffsetOf(c->data, c->used, c->count, p.in_chunk);
  std::string_view v;
  ReadEntry(c->data + off, &v, scratch_);
  return v;
}

std::vector<std::string> List::Decode(const Chunk* c) {
  std::vector<std::string> out;
  out.reserve(c->count);
  char buf[kMaxInt64Chars];
  std::string_view v;
  size_t off = 0;
  for (size_t k = 0; k < c->count; ++k) {
    off += ReadEntry(c->data + off, &v, buf);
    out.emplace_back(v);
  }
  return out;
}

void List::Repack(size_t ci, const std::vector<std::string>& items) {
  std::vector<Chunk*> fresh;
  Chunk* cur = nullptr;
  for (const std::string& v : items) {
    size_t sz = EntrySize(v);
    if (!cur || !Fits(cur, sz, 1)) {
      cur = Chunk::New(std::max(sz, std::min(ByteLimit(), static_cast<size_t>(256))));
      fresh.push_back(cur);
    }
    cur = Chunk::Reserve(cur, cur->used + sz);
    fresh.back() = cur;
    WriteEntry(cur->data + cur->used, v);
    cur->used += static_cast<uint32_t>(sz);
    ++cur->count;
  }
  free(chunks_[ci]);
  chunks_.erase(chunks_.begin() + static_cast<ptrdiff_t>(ci));
  chunks_.insert(chunks_.begin() + static_cast<ptrdiff_t>(ci), fresh.begin(), fresh.end());
}

void List::Set(size_t i, std::string_view v) {
  Pos p = Locate(i);
  Chunk* c = chunks_[p.chunk];
  size_t off = OffsetOf(c->data, c->used, c->count, p.in_chunk);
  size_t old_sz = SkipEntry(c->data + off);
  size_t new_sz = EntrySize(v);
  if (new_sz <= old_sz || c->count == 1 || Fits(c, new_sz - old_sz, 0)) {
    c = Chunk::Reserve(c, c->used - old_sz + new_sz);
    chunks_[p.chunk] = c;
    memmove(c->data + off + new_sz, c->data + off + old_sz, c->used - off - old_sz);
    WriteEntry(c->data + off, v);
    c->used = static_cast<uint32_t>(c->used - old_sz + new_sz);
    return;
  }
  // Too big for its chunk: split the chunk around the new value.
  std::vector<std::string> items = Decode(c);
  items[p.in_chunk] = std::string(v);
  Repack(p.chunk, items);
}

void List::Insert(size_t i, std::string_view v) {
  if (i == 0) return PushFront(v);
  if (i == count_) return PushBack(v);
  Pos p = Locate(i);
  Chunk* c = chunks_[p.chunk];
  size_t sz = EntrySize(v);
  if (Fits(c, sz, 1)) {
    size_t off = OffsetOf(c->data, c->used, c->count, p.in_chunk);
    c = Chunk::Reserve(c, c->used + sz);
    chunks_[p.chunk] = c;
    memmove(c->data + off + sz, c->data + off, c->used - off);
    WriteEntry(c->data + off, v);
    c->used += static_cast<uint32_t>(sz);
    ++c->count;
    ++count_;
    return;
  }
  std::vector<std::string> items = Decode(c);
  items.insert(items.begin() + static_cast<ptrdiff_t>(p.in_chunk), std::string(v));
  ++count_;
  Repack(p.chunk, items);
  MergeAround(p.chunk == 0 ? 0 : p.chunk - 1, p.chunk + 2);
}

void List::Erase(size_t i, size_t n) {
  if (i >= count_ || n == 0) return;
  n = std::min(n, count_ - i);
  std::vector<size_t> idx(n);
  for (size_t k = 0; k < n; ++k) idx[k] = i + k;
  EraseIndexes(idx);
}

void List::EraseIndexes(const std::vector<size_t>& sorted) {
  if (sorted.empty()) return;
  size_t base = 0;  // index of the chunk's first element
  size_t next = 0;  // next index in `sorted` to remove
  size_t first_touched = SIZE_MAX, last_touched = 0;
  std::vector<Chunk*> kept;
  kept.reserve(chunks_.size());
  for (Chunk* c : chunks_) {
    size_t end = base + c->count;
    if (next >= sorted.size() || sorted[next] >= end) {
      kept.push_back(c);
      base = end;
      continue;
    }
    // Compact the chunk in place, skipping removed entries.
    size_t rd = 0, wr = 0, removed = 0;
    for (size_t k = base; k < end; ++k) {
      size_t sz = SkipEntry(c->data + rd);
      if (next < sorted.size() && sorted[next] == k) {
        ++next;
        ++removed;
      } else {
        if (wr != rd) memmove(c->data + wr, c->data + rd, sz);
        wr += sz;
      }
      rd += sz;
    }
    c->used = static_cast<uint32_t>(wr);
    c->count -= static_cast<uint32_t>(removed);
    count_ -= removed;
    base = end;
    if (c->count == 0) {
      free(c);
      if (first_touched == SIZE_MAX) first_touched = kept.size();
      last_touched = kept.size();
      continue;
    }
    if (first_touched == SIZE_MAX) first_touched = kept.size();
    last_touched = kept.size();
    kept.push_back(c);
  }
  chunks_.swap(kept);
  if (first_touched != SIZE_MAX) {
    MergeAround(first_touched == 0 ? 0 : first_touched - 1, last_touched + 1);
  }
}

void List::MergeAround(size_t lo, size_t hi) {
  if (chunks_.size() < 2) return;
  if (hi >= chunks_.size()) hi = chunks_.size() - 1;
  size_t i = lo;
  while (i < hi && i + 1 < chunks_.size()) {
    Chunk* a = chunks_[i];
    Chunk* b = chunks_[i + 1];
    if (Fits(a, b->used, b->count)) {
      a = Chunk::Reserve(a, a->used + b->used);
      memcpy(a->data + a->used, b->data, b->used);
      a->used += b->used;
      a->count += b->count;
      chunks_[i] = a;
      free(b);
      chunks_.erase(chunks_.begin() + static_cast<ptrdiff_t>(i) + 1);
      --hi;
    } else {
      ++i;
    }
  }
}

void List::ForEach(size_t start, size_t stop,
                   const std::function<bool(std::string_view)>& fn) const {
  if (start > stop || start >= count_) return;
  Pos p = Locate(start);
  size_t remaining = stop - start + 1;
  for (size_t ci = p.chunk; ci < chunks_.size() && remaining > 0; ++ci) {
    const Chunk* c = chunks_[ci];
    size_t k = ci == p.chunk ? p.in_chunk : 0;
    size_t off = ci == p.chunk ? OffsetOf(c->data, c->used, c->count, k) : 0;
    std::string_view v;
    char buf[kMaxInt64Chars];
    for (; k < c->count && remaining > 0; ++k, --remaining) {
      off += ReadEntry(c->data + off, &v, buf);
      if (!fn(v)) return;
    }
  }
}

void List::ForEachReverse(size_t start, const std::function<bool(std::string_view)>& fn) const {
  if (start >= count_) return;
  Pos p = Locate(start);
  for (size_t ci = p.chunk + 1; ci-- > 0;) {
    const Chunk* c = chunks_[ci];
    size_t k = ci == p.chunk ? p.in_chunk + 1 : c->count;  // entries left to visit
    size_t end = ci == p.chunk ? OffsetOf(c->data, c->used, c->count, k) : c->used;
    std::string_view v;
    char buf[kMaxInt64Chars];
    for (; k > 0; --k) {
      end -= ReadEntryBack(c->data + end, &v, buf);
      if (!fn(v)) return;
    }
  }
}

size_t List::MemoryUsage() const {
  size_t n = sizeof(List) + chunks_.capacity() * sizeof(Chunk*);
  for (const Chunk* c : chunks_) n += sizeof(Chunk) + c->cap;
  return n;
}

}  // namespace basalt::db
