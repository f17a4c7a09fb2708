// Helpers shared by the sorted-set command files (zset_family.cc,
// zset_setops.cc); not a public API.
#pragma once

#include <cstddef>
#include <string_view>

#include "db/entry.h"
#include "db/zset.h"
#include "server/command.h"

namespace basalt::server {
namespace zset_internal {

// zset-max-listpack-entries / -value from the live config.
db::ZSetLimits Limits(CommandContext& ctx);
// Makes entry->enc name the encoding the ZSet currently has.
void SyncEncoding(db::Entry* e);
db::Entry* NewZSetEntry(std::string_view key, db::ZSet* z);
// Replaces whatever `key` holds by `z` (dropping any TTL) / deletes `key`;
// both report the change.
void StoreResult(CommandContext& ctx, std::string_view key, db::ZSet* z);
void DeleteResult(CommandContext& ctx, std::string_view key);
// numkeys at args[idx]: an integer in [1, arguments after it]. Shared by the
// key finders and handlers so both agree on which arguments are keys.
bool ParseNumKeys(const ArgList& args, size_t idx, size_t* out);

// One (member, score) of a reply: WITHSCORES pairs are nested in RESP3 and
// flattened in RESP2, as Redis 7.0 replies them.
void EmitElement(protocol::ReplyBuilder* rb, std::string_view m, double s, bool withscores);
void EmitHeader(protocol::ReplyBuilder* rb, size_t n, bool withscores);

void CmdZUnion(const ArgList& args, CommandContext& ctx);
void CmdZInter(const ArgList& args, CommandContext& ctx);
void CmdZDiff(const ArgList& args, CommandContext& ctx);
void CmdZInterCard(const ArgList& args, CommandContext& ctx);
void CmdZUnionStore(const ArgList& args, CommandContext& ctx);
void CmdZInterStore(const ArgList& args, CommandContext& ctx);
void CmdZDiffStore(const ArgList& args, CommandContext& ctx);

}  // namespace zset_internal
}  // namespace basalt::server
