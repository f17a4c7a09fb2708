// The options every SCAN-family command takes, parsed as Redis's
// scanGenericCommand does: COUNT n (n >= 1), MATCH pattern, and TYPE name for
// the keyspace SCAN only. Options are parsed after the key lookup, so a
// missing key answers the empty reply whatever follows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/strutil.h"
#include "protocol/reply_builder.h"
#include "server/command.h"

namespace basalt::server {

struct ScanOptions {
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;  // false for no MATCH and for "*", which Redis doesn't apply
  std::string_view type;
  bool use_type = false;

  bool Matches(std::string_view s) const { return !use_pattern || StringMatch(pattern, s); }
  // Redis's budget of table steps for one call: COUNT * 10, saturated.
  int64_t MaxSteps() const { return count > INT64_MAX / 10 ? INT64_MAX : count * 10; }
};

// Parses args[first..]. On a bad option replies Redis's error and returns false.
bool ParseScanOptions(const ArgList& args, size_t first, bool allow_type, ScanOptions* out,
                      protocol::ReplyBuilder* rb);

// A missing key's reply: cursor 0 and no elements.
void ReplyEmptyScan(protocol::ReplyBuilder* rb);

}  // namespace basalt::server
