// Loads RDB data (every encoding redis-server 7.0 writes, and the older ones
// it still reads) into keyspace entries built through the type APIs, so each
// value gets the encoding Basalt's own thresholds choose.
//
// Corrupt or truncated input is never trusted: every failure comes back as a
// message naming the offset, and nothing is read out of bounds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "db/entry.h"
#include "db/hash.h"
#include "db/keyspace.h"
#include "db/zset.h"
#include "persist/rdb_codec.h"

namespace basalt::persist::rdb {

// The encoding thresholds new values are built with (from the config).
struct LoadLimits {
  int list_fill = -2;
  db::HashLimits hash;
  size_t set_max_intset_entries = 512;
  db::ZSetLimits zset;
};

bool IsObjectType(uint8_t type);

// Reads one object of `type` for `key`. Returns the new entry (expiry unset),
// or nullptr: then either c.failed(), or the value was an empty aggregate
// (*empty set), which Redis refuses to restore and skips when loading.
db::Entry* ReadObject(Cursor& c, uint8_t type, std::string_view key, const LoadLimits& limits,
                      bool* empty);

struct LoadStats {
  uint64_t keys_loaded = 0;
  uint64_t keys_expired = 0;
  // Bytes of `data` the RDB image occupied (up to and including its CRC):
  // an AOF with an RDB preamble continues with commands from there.
  uint64_t bytes_read = 0;
};

// Loads a whole RDB file image into `ks` (which should be empty). Keys
// already expired at `now_ms` are skipped, as a Redis master does. With
// `verify_checksum` false the trailing CRC64 is not checked (rdbchecksum no).
bool LoadRdb(std::string_view data, db::Keyspace& ks, const LoadLimits& limits, int64_t now_ms,
             bool verify_checksum, LoadStats* stats, std::string* error);

}  // namespace basalt::persist::rdb
