// Serializes keyspace entries in RDB version 10, choosing encodings
// redis-server 7.0 loads as its own: compact aggregates as listpacks (or an
// intset), lists as quicklist-2 of listpack nodes, large hashes/sets as plain
// string sequences, large sorted sets as ZSET_2 (binary doubles).
//
// These functions only append bytes; framing (checksum, where the bytes go)
// belongs to the caller. The entry's shard lock must be held while reading it.
#pragma once

#include <cstdint>
#include <string>

#include "db/entry.h"

namespace basalt::persist::rdb {

struct WriteOptions {
  bool compress = true;  // rdbcompression
  // As Redis under an LRU/LFU maxmemory-policy: each key carries its idle
  // time (IDLE) or access frequency (FREQ) as of `now_ms`.
  enum class AccessMeta { kNone, kIdle, kFreq } access_meta = AccessMeta::kNone;
  int64_t now_ms = 0;
};

// True if `e`'s type has an RDB encoding here (streams are not stored yet).
bool CanSerialize(const db::Entry& e);
// The object type byte then the object (rdbSaveObjectType + rdbSaveObject).
void SerializeValue(const db::Entry& e, const WriteOptions& opt, std::string* out);
// [EXPIRETIME_MS] [IDLE|FREQ] type key value, as one key of a database section.
void SerializeKeyValue(const db::Entry& e, const WriteOptions& opt, std::string* out);

struct HeaderInfo {
  int64_t ctime_s = 0;
  uint64_t used_mem = 0;
  bool aof_base = false;
};
// "REDIS0010" and the AUX fields redis-server 7.0 writes.
void WriteHeader(const HeaderInfo& info, std::string* out);
void WriteSelectDb(int db, std::string* out);
void WriteResizeDb(uint64_t keys, uint64_t expires, std::string* out);
// The EOF opcode; the caller appends the 8-byte checksum of everything before it.
void WriteEof(std::string* out);

// The version the AUX field redis-ver announces.
inline constexpr const char* kRedisVersion = "7.0.15";

}  // namespace basalt::persist::rdb
