#include "db/entry.h"

#include <time.h>

#include <cstdlib>
#include <new>

#include "common/memory.h"
#include "db/access_clock.h"

namespace basalt::db {
namespace {

ObjectOps g_ops[8];

// Allocation-time stamp: second resolution is all the LRU/LFU clocks use.
int64_t CoarseNowMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

void* CheckedMalloc(size_t n) {
  void* p = malloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

HeapString* HeapString::Create(std::string_view s, size_t cap) {
  if (cap < s.size()) cap = s.size();
  auto* h = static_cast<HeapString*>(CheckedMalloc(sizeof(HeapString) + cap));
  h->len = s.size();
  h->cap = cap;
  if (!s.empty()) memcpy(h->data, s.data(), s.size());
  return h;
}

void HeapString::Destroy(HeapString* h) { free(h); }

void RegisterObjectOps(ObjType type, const ObjectOps& ops) { g_ops[static_cast<int>(type)] = ops; }
const ObjectOps& GetObjectOps(ObjType type) { return g_ops[static_cast<int>(type)]; }

Encoding ChooseStringEncoding(std::string_view value, int64_t* int_out) {
  if (value.size() <= 20 && ParseInt64(value, int_out)) return Encoding::kInt;
  return value.size() <= kEmbStrMaxLen ? Encoding::kEmbStr : Encoding::kRaw;
}

Entry* Entry::Allocate(std::string_view key, size_t payload_len) {
  auto* e = static_cast<Entry*>(CheckedMalloc(sizeof(Entry) + key.size() + payload_len));
  e->next = nullptr;
  e->expire_ms = 0;
  e->key_len = static_cast<uint32_t>(key.size());
  e->val_len = 0;
  e->lru = AccessClock::Initial(CoarseNowMs());
  e->type = ObjType::kString;
  e->enc = Encoding::kRaw;
  e->flags = 0;
  e->reserved = 0;
  if (!key.empty()) memcpy(e->data(), key.data(), key.size());
  return e;
}

Entry* Entry::NewString(std::string_view key, std::string_view value, Encoding enc) {
  int64_t iv;
  if (enc == Encoding::kInt && ParseInt64(value, &iv)) return NewInt(key, iv);
  if (enc == Encoding::kInt) enc = Encoding::kRaw;  // not an integer after all
  if (value.size() <= kInlineStringMax) {
    Entry* e = Allocate(key, value.size());
    e->enc = enc;
    e->flags = kInlineValue;
    e->val_len = static_cast<uint32_t>(value.size());
    if (!value.empty()) memcpy(e->payload(), value.data(), value.size());
    return e;
  }
  Entry* e = Allocate(key, sizeof(void*));
  e->enc = enc;
  e->set_heap_string(HeapString::Create(value, value.size()));
  return e;
}

Entry* Entry::NewInt(std::string_view key, int64_t value) {
  Entry* e = Allocate(key, sizeof(int64_t));
  e->enc = Encoding::kInt;
  e->set_int_value(value);
  return e;
}

Entry* Entry::NewObject(std::string_view key, ObjType type, Encoding enc, void* obj) {
  Entry* e = Allocate(key, sizeof(void*));
  e->type = type;
  e->enc = enc;
  e->set_object(obj);
  return e;
}

std::string_view Entry::StringValue(char (&buf)[kMaxInt64Chars]) const {
  if (enc == Encoding::kInt) return {buf, FormatInt64(int_value(), buf)};
  if (flags & kInlineValue) return {payload(), val_len};
  HeapString* h = heap_string();
  return {h->data, h->len};
}

size_t Entry::StringLength() const {
  char buf[kMaxInt64Chars];
  return StringValue(buf).size();
}

Entry* Entry::MoveValue(std::string_view key, Entry* from) {
  Entry* e;
  if (from->flags & kInlineValue) {
    e = Allocate(key, from->val_len);
    e->val_len = from->val_len;
    if (from->val_len) memcpy(e->payload(), from->payload(), from->val_len);
  } else {
    e = Allocate(key, sizeof(void*));
    memcpy(e->payload(), from->payload(), sizeof(void*));
  }
  e->type = from->type;
  e->enc = from->enc;
  e->flags = from->flags;
  e->expire_ms = from->expire_ms;
  e->lru = from->lru;
  return e;
}

Entry* Entry::CopyValue(std::string_view key, const Entry* from) {
  Entry* e = MoveValue(key, const_cast<Entry*>(from));
  if (from->flags & kInlineValue || from->enc == Encoding::kInt) return e;
  if (from->type == ObjType::kString) {
    HeapString* h = from->heap_string();
    e->set_heap_string(HeapString::Create({h->data, h->len}, h->len));
  } else {
    e->set_object(GetObjectOps(from->type).clone(from->object()));
  }
  return e;
}

void Entry::FreeShell(Entry* e) { free(e); }

void Entry::Free(Entry* e) {
  if (!(e->flags & kInlineValue) && e->enc != Encoding::kInt) {
    if (e->type == ObjType::kString) {
      HeapString::Destroy(e->heap_string());
    } else {
      GetObjectOps(e->type).destroy(e->object());
    }
  }
  free(e);
}

size_t Entry::MemoryUsage() const {
  size_t n = AllocationSize(this);
  if (flags & kInlineValue || enc == Encoding::kInt) return n;
  if (type == ObjType::kString) return n + AllocationSize(heap_string());
  const ObjectOps& ops = GetObjectOps(type);
  return n + (ops.memory_usage ? ops.memory_usage(object()) : 0);
}

}  // namespace basalt::db
