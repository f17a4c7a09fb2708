// Key access for handlers, with Redis's side effects: lookups update the LRU
// clock and keyspace_hits/misses, writes bump the dirty counter and (later)
// wake watchers, notify and feed the AOF. Every handler goes through these so
// those effects live in one place.
#pragma once

#include <string_view>

#include "db/access_clock.h"
#include "db/database.h"
#include "db/entry.h"
#include "server/command.h"

namespace basalt::server {

enum LookupFlags : int {
  kLookupNone = 0,
  kLookupNoTouch = 1,   // don't update the LRU clock (OBJECT, TYPE, TTL ...)
  kLookupNoStats = 2,   // don't count keyspace hits/misses
  kLookupNoNotify = 4,  // no "keymiss" notification (OBJECT)
};

// lookupKeyRead: expires lazily, counts hits/misses, touches LRU.
db::Entry* LookupRead(CommandContext& ctx, std::string_view key, int flags = kLookupNone);
// lookupKeyWrite: expires lazily; no stats.
db::Entry* LookupWrite(CommandContext& ctx, std::string_view key);

// Call after every effective change to `key` (write, delete, expire set).
// `dirty` is how many changes to count towards rdb_changes_since_last_save.
void KeyModified(CommandContext& ctx, std::string_view key, uint64_t dirty = 1);

}  // namespace basalt::server
