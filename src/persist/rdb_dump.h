// DUMP/RESTORE payloads in Redis's format: the serialized object (type byte
// + value, as in an RDB file), the 2-byte RDB version little-endian, then
// the CRC64 of everything before it, little-endian.
#pragma once

#include <string>
#include <string_view>

#include "db/entry.h"
#include "persist/rdb_reader.h"
#include "persist/rdb_writer.h"

namespace basalt::persist::rdb {

std::string DumpPayload(const db::Entry& e, const WriteOptions& opt);

// Redis's verifyDumpPayload: long enough, a version this server reads, and a
// matching checksum (unless `skip_checksum`).
bool VerifyDumpPayload(std::string_view payload, bool skip_checksum);

// The value of a verified payload as a new entry for `key`; nullptr if the
// object is malformed or an empty aggregate ("Bad data format").
db::Entry* ParseDumpPayload(std::string_view payload, std::string_view key,
                            const LoadLimits& limits, std::string* error);

}  // namespace basalt::persist::rdb
