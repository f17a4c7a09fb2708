// One keyspace entry: the table link, expiry, LRU bits, key and value in a
// single allocation.
//
// Layout: a 32-byte header, then the key bytes, then the payload. The payload
// is either the string bytes themselves (inline strings, kInlineValue) or one
// 8-byte slot holding an int64 (Encoding::kInt), a HeapString* (long strings)
// or an aggregate object pointer (every other type, owned through ObjectOps).
//
// Thread-safety: an Entry belongs to one shard table and is only touched with
// that shard's lock held.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/strutil.h"
#include "db/value_types.h"

namespace basalt::db {

// Strings up to this length live inside the entry.
inline constexpr size_t kInlineStringMax = 64;

struct HeapString {
  size_t len;
  size_t cap;
  char data[];  // NOLINT: flexible array member, allocated with the header

  static HeapString* Create(std::string_view s, size_t cap);
  static void Destroy(HeapString* h);
};

// Type-specific operations for aggregate values, registered by the type modules.
struct ObjectOps {
  void (*destroy)(void* obj) = nullptr;
  void* (*clone)(const void* obj) = nullptr;
  size_t (*memory_usage)(const void* obj) = nullptr;
};
void RegisterObjectOps(ObjType type, const ObjectOps& ops);
const ObjectOps& GetObjectOps(ObjType type);

struct Entry {
  enum Flags : uint8_t { kInlineValue = 1 };

  Entry* next;
  int64_t expire_ms;  // absolute Unix ms; 0 = no expiry
  uint32_t key_len;
  uint32_t val_len;  // inline payload bytes
  uint32_t lru;      // LRU clock (seconds) or LFU data, as Redis's robj.lru
  ObjType type;
  Encoding enc;
  uint8_t flags;
  uint8_t reserved;

  std::string_view key() const { return {data(), key_len}; }
  bool has_expire() const { return expire_ms != 0; }

  // --- strings ---
  bool is_int() const { return type == ObjType::kString && enc == Encoding::kInt; }
  int64_t int_value() const { return LoadSlot<int64_t>(); }
  void set_int_value(int64_t v) { StoreSlot(v); }
  // The string's bytes; integers are formatted into `buf`.
  std::string_view StringValue(char (&buf)[kMaxInt64Chars]) const;
  size_t StringLength() const;
  HeapString* heap_string() const { return LoadSlot<HeapString*>(); }
  void set_heap_string(HeapString* h) { StoreSlot(h); }

  // --- aggregates ---
  void* object() const { return LoadSlot<void*>(); }
  void set_object(void* obj) { StoreSlot(obj); }
  template <class T>
  T* As() const {
    return static_cast<T*>(object());
  }

  // Bytes this entry and its value occupy (MEMORY USAGE, eviction accounting).
  size_t MemoryUsage() const;

  // Allocation: key and value bytes are copied. With Encoding::kInt the value
  // is parsed and stored as an integer.
  static Entry* NewString(std::string_view key, std::string_view value, Encoding enc);
  static Entry* NewInt(std::string_view key, int64_t value);
  static Entry* NewObject(std::string_view key, ObjType type, Encoding enc, void* obj);
  // A new entry under `key` that takes over `from`'s value (from's payload is
  // left empty and `from` must then be freed with FreeShell).
  static Entry* MoveValue(std::string_view key, Entry* from);
  // A deep copy of `from`'s value under `key`.
  static Entry* CopyValue(std::string_view key, const Entry* from);
  static void Free(Entry* e);       // frees the value too
  static void FreeShell(Entry* e);  // frees only the entry (value moved away)

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

 private:
  char* payload() { return data() + key_len; }
  const char* payload() const { return data() + key_len; }
  template <class T>
  T LoadSlot() const {
    T v;
    memcpy(&v, payload(), sizeof(T));
    return v;
  }
  template <class T>
  void StoreSlot(T v) {
    memcpy(payload(), &v, sizeof(T));
  }
  static Entry* Allocate(std::string_view key, size_t payload_len);
};

static_assert(sizeof(Entry) == 32, "entry header is a memory budget");

// Decides a string's encoding as Redis's tryObjectEncoding would.
Encoding ChooseStringEncoding(std::string_view value, int64_t* int_out);

}  // namespace basalt::db
