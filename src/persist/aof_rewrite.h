// A database's contents as the commands that rebuild it: the RESP AOF base
// (aof-use-rdb-preamble no, or no RDB writer), as Redis's
// rewriteAppendOnlyFileRio writes it: SET for strings, RPUSH/SADD/ZADD/HSET
// in batches of 64 items, PEXPIREAT for keys with a TTL.
#pragma once

#include <string>

#include "db/entry.h"

namespace basalt::persist {

// Redis's AOF_REWRITE_ITEMS_PER_CMD.
inline constexpr size_t kRewriteItemsPerCmd = 64;

// Appends the commands recreating `e` (its key, value and expiry).
void AppendEntryCommands(std::string* out, const db::Entry& e);
// Appends "SELECT <db>".
void AppendSelect(std::string* out, int db);

}  // namespace basalt::persist
