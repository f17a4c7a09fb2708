// Hash commands, as Redis 7.0's t_hash.c: HSET/HGET and friends, counters,
// HRANDFIELD and HSCAN. The value structure and its encodings are db::Hash;
// this file parses, calls it, and replies.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/errors.h"
#include "common/strutil.h"
#include "db/database.h"
#include "db/entry.h"
#include "db/hash.h"
#include "commands/scan_options.h"
#include "server/command.h"
#include "server/db_access.h"
#include "server/effects.h"
#include "server/notify.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using db::Entry;
using db::Hash;
using db::ObjType;
using FieldValue = std::pair<std::string_view, std::string_view>;

uint64_t RandomU64() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

db::HashLimits Limits(CommandContext& ctx) {
  const auto& cfg = ctx.server->config();
  const int64_t entries = cfg.hash_max_listpack_entries.load(std::memory_order_relaxed);
  const int64_t value = cfg.hash_max_listpack_value.load(std::memory_order_relaxed);
  return {static_cast<size_t>(std::max<int64_t>(entries, 0)),
          static_cast<size_t>(std::max<int64_t>(value, 0))};
}

// The entry's object pointer and OBJECT ENCODING follow the value after any
// call that may have moved or converted it.
void Sync(Entry* e, const Hash& h) {
  e->set_object(h.get());
  e->enc = h.encoding();
}

// lookupKeyRead + checkType: null with nothing replied when the key is
// missing; null with WRONGTYPE replied (and *wrong set) for another type.
Entry* ReadHash(CommandContext& ctx, std::string_view key, bool* wrong) {
  *wrong = false;
  Entry* e = LookupRead(ctx, key);
  if (e && e->type != ObjType::kHash) {
    ctx.rb->Error(errors::kWrongType);
    *wrong = true;
    return nullptr;
  }
  return e;
}

Entry* WriteHash(CommandContext& ctx, std::string_view key, bool* wrong) {
  *wrong = false;
  Entry* e = LookupWrite(ctx, key);
  if (e && e->type != ObjType::kHash) {
    ctx.rb->Error(errors::kWrongType);
    *wrong = true;
    return nullptr;
  }
  return e;
}

// hashTypeLookupWriteOrCreate's create half: an empty compact hash under key.
Entry* CreateHash(CommandContext& ctx, std::string_view key) {
  Entry* e = Entry::NewObject(key, ObjType::kHash, db::Encoding::kListPack, Hash::New());
  ctx.db->Add(e);
  return e;
}

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

void HSetGeneric(const ArgList& args, CommandContext& ctx, bool ok_reply) {
  if (args.size() % 2 == 1) {
    ctx.rb->Error("ERR wrong number of arguments for '" + ctx.spec->name + "' command");
    return;
  }
  bool wrong;
  Entry* e = WriteHash(ctx, args[1], &wrong);
  if (wrong) return;
  if (!e) e = CreateHash(ctx, args[1]);
  Hash h(e->object());
  const db::HashLimits limits = Limits(ctx);
  std::vector<size_t> lengths;
  lengths.reserve(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) lengths.push_back(args[i].size());
  h.ConvertForLengths(lengths, limits);
  int64_t created = 0;
  for (size_t i = 2; i < args.size(); i += 2) created += h.Set(args[i], args[i + 1], limits);
  Sync(e, h);
  KeyModified(ctx, args[1], (args.size() - 2) / 2);
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hset", args[1]);
  if (ok_reply) {
    ctx.rb->Ok();
  } else {
    ctx.rb->Integer(created);
  }
}

void CmdHSet(const ArgList& args, CommandContext& ctx) { HSetGeneric(args, ctx, false); }
void CmdHMSet(const ArgList& args, CommandContext& ctx) { HSetGeneric(args, ctx, true); }

void CmdHSetNx(const ArgList& args, CommandContext& ctx) {
  bool wrong;
  Entry* e = WriteHash(ctx, args[1], &wrong);
  if (wrong) return;
  if (!e) e = CreateHash(ctx, args[1]);
  Hash h(e->object());
  if (h.Exists(args[2])) {
    ctx.rb->Integer(0);
    return;
  }
  const db::HashLimits limits = Limits(ctx);
  h.ConvertForLengths({args[2].size(), args[3].size()}, limits);
  h.Set(args[2], args[3], limits);
  Sync(e, h);
  KeyModified(ctx, args[1]);
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hset", args[1]);
  ctx.rb->Integer(1);
}

void CmdHDel(const ArgList& args, CommandContext& ctx) {
  bool wrong;
  Entry* e = WriteHash(ctx, args[1], &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  Hash h(e->object());
  int64_t deleted = 0;
  bool key_removed = false;
  for (size_t i = 2; i < args.size(); ++i) {
    if (!h.Delete(args[i])) continue;
    ++deleted;
    if (h.Empty()) {
      Sync(e, h);
      ctx.db->Delete(args[1]);
      key_removed = true;
      break;
    }
  }
  if (!key_removed) Sync(e, h);
  if (deleted) {
    KeyModified(ctx, args[1], static_cast<uint64_t>(deleted));
    NotifyKeyspaceEvent(ctx, kNotifyHash, "hdel", args[1]);
    if (key_removed) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  }
  ctx.rb->Integer(deleted);
}

void CmdHIncrBy(const ArgList& args, CommandContext& ctx) {
  int64_t incr;
  if (!ParseInt64(args[3], &incr)) {
    ctx.rb->Error(errors::kNotInteger);
    return;
  }
  bool wrong;
  Entry* e = WriteHash(ctx, args[1], &wrong);
  if (wrong) return;
  int64_t value = 0;
  std::string_view current;
  if (e && Hash(e->object()).Get(args[2], &current) && !ParseInt64(current, &value)) {
    ctx.rb->Error(errors::kHashValueNotInteger);
    return;
  }
  if ((incr < 0 && value < 0 && incr < std::numeric_limits<int64_t>::min() - value) ||
      (incr > 0 && value > 0 && incr > std::numeric_limits<int64_t>::max() - value)) {
    ctx.rb->Error(errors::kOverflow);
    return;
  }
  value += incr;
  if (!e) e = CreateHash(ctx, args[1]);
  char buf[kMaxInt64Chars];
  Hash h(e->object());
  h.Set(args[2], std::string_view(buf, FormatInt64(value, buf)), Limits(ctx));
  Sync(e, h);
  KeyModified(ctx, args[1]);
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hincrby", args[1]);
  ctx.rb->Integer(value);
}

void CmdHIncrByFloat(const ArgList& args, CommandContext& ctx) {
  long double incr;
  if (!ParseLongDouble(args[3], &incr)) {
    ctx.rb->Error(errors::kNotFloat);
    return;
  }
  if (std::isnan(incr) || std::isinf(incr)) {
    ctx.rb->Error(errors::kHashIncrNanOrInf);
    return;
  }
  bool wrong;
  Entry* e = WriteHash(ctx, args[1], &wrong);
  if (wrong) return;
  long double value = 0;
  std::string_view current;
  if (e && Hash(e->object()).Get(args[2], &current) && !ParseLongDouble(current, &value)) {
    ctx.rb->Error(errors::kHashValueNotFloat);
    return;
  }
  value += incr;
  std::string text;
  if (!FormatLongDouble(value, &text)) {
    ctx.rb->Error(errors::kIncrNanInf);
    return;
  }
  if (!e) e = CreateHash(ctx, args[1]);
  Hash h(e->object());
  h.Set(args[2], text, Limits(ctx));
  Sync(e, h);
  KeyModified(ctx, args[1]);
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hincrbyfloat", args[1]);
  // Logged as the HSET of the result: float formatting must not be replayed.
  Propagate(ctx, {"HSET", args[1], args[2], text});
  ctx.rb->Bulk(text);
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

void CmdHGet(const ArgList& args, CommandContext& ctx) {
  bool wrong;
  Entry* e = ReadHash(ctx, args[1], &wrong);
  if (wrong) return;
  std::string_view v;
  if (e && Hash(e->object()).Get(args[2], &v)) {
    ctx.rb->Bulk(v);
  } else {
    ctx.rb->Null();
  }
}

void CmdHMGet(const ArgList& args, CommandContext& ctx) {
  bool wrong;
  Entry* e = ReadHash(ctx, args[1], &wrong);
  if (wrong) return;
  ctx.rb->ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view v;
    if (e && Hash(e->object()).Get(args[i], &v)) {
      ctx.rb->Bulk(v);
    } else {
      ctx.rb->Null();
    }
  }
}

void CmdHLen(const ArgList& args, CommandContext& ctx) {
  bool wrong;
  Entry* e = ReadHash(ctx, args[1], &wrong);
  if (wrong) return;
  ctx.rb->Integer(e ? static_cast<int64_t>(Hash(e->object()).Size()) : 0);
}

void CmdHStrLen(const ArgList& args, CommandContext& ctx) {
  bool wrong;
  Entry* e = ReadHash(ctx, args[1], &wrong);
  if (wrong) return;
  std::string_view v;
  ctx.rb->Integer(e && Hash(e->object()).Get(args[2], &v) ? static_cast<int64_t>(v.size()) : 0);
}

void CmdHExists(const ArgList& args, CommandContext& ctx) {
  bool wrong;
  Entry* e = ReadHash(ctx, args[1], &wrong);
  if (wrong) return;
  ctx.rb->Integer(e && Hash(e->object()).Exists(args[2]) ? 1 : 0);
}

enum GetAllWhat { kKeys = 1, kValues = 2 };

void HGetAllGeneric(const ArgList& args, CommandContext& ctx, int what) {
  bool wrong;
  Entry* e = ReadHash(ctx, args[1], &wrong);
  if (wrong) return;
  const bool map = what == (kKeys | kValues);
  if (!e) {
    if (map) {
      ctx.rb->MapHeader(0);
    } else {
      ctx.rb->ArrayHeader(0);
    }
    return;
  }
  Hash h(e->object());
  if (map) {
    ctx.rb->MapHeader(h.Size());
  } else {
    ctx.rb->ArrayHeader(h.Size());
  }
  h.ForEach([&](std::string_view f, std::string_view v) {
    if (what & kKeys) ctx.rb->Bulk(f);
    if (what & kValues) ctx.rb->Bulk(v);
  });
}

void CmdHKeys(const ArgList& args, CommandContext& ctx) { HGetAllGeneric(args, ctx, kKeys); }
void CmdHVals(const ArgList& args, CommandContext& ctx) { HGetAllGeneric(args, ctx, kValues); }
void CmdHGetAll(const ArgList& args, CommandContext& ctx) {
  HGetAllGeneric(args, ctx, kKeys | kValues);
}

// ---------------------------------------------------------------------------
// HRANDFIELD
// ---------------------------------------------------------------------------

void ReplyPair(CommandContext& ctx, std::string_view f, std::string_view v, bool withvalues) {
  if (withvalues && ctx.rb->resp3()) ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(f);
  if (withvalues) ctx.rb->Bulk(v);
}

std::vector<FieldValue> AllPairs(const Hash& h) {
  std::vector<FieldValue> pairs;
  pairs.reserve(h.Size());
  h.ForEach([&](std::string_view f, std::string_view v) { pairs.emplace_back(f, v); });
  return pairs;
}

// hrandfieldWithCountCommand.
void HRandFieldWithCount(const ArgList& args, CommandContext& ctx, int64_t l, bool withvalues) {
  const bool unique = l >= 0;
  const uint64_t count = unique ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  bool wrong;
  Entry* e = ReadHash(ctx, args[1], &wrong);
  if (wrong) return;
  if (!e || count == 0) {
    ctx.rb->ArrayHeader(0);
    return;
  }
  Hash h(e->object());
  const size_t size = h.Size();
  const bool flat_values = withvalues && !ctx.rb->resp3();

  // Repeats allowed (or a single pick): independent draws.
  if (!unique || count == 1) {
    ctx.rb->ArrayHeader(flat_values ? count * 2 : count);
    if (h.encoding() == db::Encoding::kListPack) {
      const std::vector<FieldValue> pairs = AllPairs(h);
      for (uint64_t i = 0; i < count; ++i) {
        const FieldValue& p = pairs[RandomU64() % pairs.size()];
        ReplyPair(ctx, p.first, p.second, withvalues);
      }
    } else {
      for (uint64_t i = 0; i < count; ++i) {
        std::string_view f, v;
        h.RandomPair(&RandomU64, &f, &v);
        ReplyPair(ctx, f, v, withvalues);
      }
    }
    return;
  }

  // Everything requested: the whole hash in its own order.
  if (count >= size) {
    ctx.rb->ArrayHeader(flat_values ? size * 2 : size);
    h.ForEach([&](std::string_view f, std::string_view v) { ReplyPair(ctx, f, v, withvalues); });
    return;
  }

  ctx.rb->ArrayHeader(flat_values ? count * 2 : count);
  // A large sample of a big table, or any compact hash: choose positions
  // without replacement (a partial Fisher-Yates), keeping the hash's order.
  if (h.encoding() == db::Encoding::kListPack || count * 3 > size) {
    const std::vector<FieldValue> pairs = AllPairs(h);
    std::vector<size_t> idx(pairs.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    for (size_t i = 0; i < count; ++i) {
      std::swap(idx[i], idx[i + RandomU64() % (idx.size() - i)]);
    }
    std::sort(idx.begin(), idx.begin() + static_cast<ptrdiff_t>(count));
    for (size_t i = 0; i < count; ++i) {
      ReplyPair(ctx, pairs[idx[i]].first, pairs[idx[i]].second, withvalues);
    }
    return;
  }
  // A small sample of a big table: random draws, duplicates skipped.
  std::unordered_set<std::string_view> seen;
  while (seen.size() < count) {
    std::string_view f, v;
    h.RandomPair(&RandomU64, &f, &v);
    if (seen.insert(f).second) ReplyPair(ctx, f, v, withvalues);
  }
}

void CmdHRandField(const ArgList& args, CommandContext& ctx) {
  if (args.size() >= 3) {
    int64_t l;
    if (!ParseInt64(args[2], &l)) {
      ctx.rb->Error(errors::kNotInteger);
      return;
    }
    if (l < -std::numeric_limits<int64_t>::max()) {
      ctx.rb->Error(errors::kHashRandCountRange);
      return;
    }
    bool withvalues = false;
    if (args.size() > 4 || (args.size() == 4 && !EqualsIgnoreCase(args[3], "withvalues"))) {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
    if (args.size() == 4) {
      withvalues = true;
      // count*2 reply elements must not overflow.
      if (l < -std::numeric_limits<int64_t>::max() / 2 ||
          l > std::numeric_limits<int64_t>::max() / 2) {
        ctx.rb->Error(errors::kHashCountOutOfRange);
        return;
      }
    }
    HRandFieldWithCount(args, ctx, l, withvalues);
    return;
  }
  bool wrong;
  Entry* e = ReadHash(ctx, args[1], &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->Null();
    return;
  }
  std::string_view f, v;
  Hash(e->object()).RandomPair(&RandomU64, &f, &v);
  ctx.rb->Bulk(f);
}

// ---------------------------------------------------------------------------
// HSCAN
// ---------------------------------------------------------------------------

void CmdHScan(const ArgList& args, CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(args[2], &cursor)) {
    ctx.rb->Error(errors::kInvalidCursor);
    return;
  }
  bool wrong;
  Entry* e = ReadHash(ctx, args[1], &wrong);
  if (wrong) return;
  if (!e) {
    ReplyEmptyScan(ctx.rb);
    return;
  }
  ScanOptions opt;
  if (!ParseScanOptions(args, 3, /*allow_type=*/false, &opt, ctx.rb)) return;
  int64_t count = opt.count;

  Hash h(e->object());
  std::vector<FieldValue> found;
  auto collect = [&](std::string_view f, std::string_view v) { found.emplace_back(f, v); };
  if (h.encoding() == db::Encoding::kListPack) {
    cursor = h.ScanStep(cursor, collect);
  } else {
    // As dictScan's caller: stop after `count` elements or count*10 buckets.
    int64_t budget = opt.MaxSteps();
    do {
      cursor = h.ScanStep(cursor, collect);
    } while (cursor && budget-- && found.size() < static_cast<uint64_t>(count));
  }
  size_t kept = 0;
  for (const FieldValue& p : found) {
    if (opt.Matches(p.first)) found[kept++] = p;
  }
  found.resize(kept);

  const std::string cursor_text = std::to_string(cursor);
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(cursor_text);
  ctx.rb->ArrayHeader(found.size() * 2);
  for (const FieldValue& p : found) {
    ctx.rb->Bulk(p.first);
    ctx.rb->Bulk(p.second);
  }
}

}  // namespace

void RegisterHashFamily(CommandRegistry& r) {
  db::RegisterObjectOps(ObjType::kHash, {Hash::Destroy, Hash::Clone, Hash::MemoryUsage});
  constexpr uint32_t kW = kAclWrite | kAclHash;
  constexpr uint32_t kR = kAclRead | kAclHash;
  r.Register({
      Cmd("hset", -4, kWrite | kDenyOom | kFast, kW | kAclFast, CmdHSet)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Set the string value of a hash field",
               "O(1) for each field/value pair added, so O(N) to add N field/value pairs when "
               "the command is called with multiple field/value pairs."),
      Cmd("hsetnx", 4, kWrite | kDenyOom | kFast, kW | kAclFast, CmdHSetNx)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Set the value of a hash field, only if the field does not exist"),
      Cmd("hmset", -4, kWrite | kDenyOom | kFast, kW | kAclFast, CmdHMSet)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Set multiple hash fields to multiple values",
               "O(N) where N is the number of fields being set."),
      Cmd("hget", 3, kReadOnly | kFast, kR | kAclFast, CmdHGet)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Get the value of a hash field"),
      Cmd("hmget", -3, kReadOnly | kFast, kR | kAclFast, CmdHMGet)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Get the values of all the given hash fields",
               "O(N) where N is the number of fields being requested."),
      Cmd("hdel", -3, kWrite | kFast, kW | kAclFast, CmdHDel)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Delete one or more hash fields",
               "O(N) where N is the number of fields to be removed."),
      Cmd("hlen", 2, kReadOnly | kFast, kR | kAclFast, CmdHLen)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Get the number of fields in a hash"),
      Cmd("hstrlen", 3, kReadOnly | kFast, kR | kAclFast, CmdHStrLen)
          .Keys(1, 1, 1)
          .Doc("hash", "3.2.0", "Get the length of the value of a hash field"),
      Cmd("hexists", 3, kReadOnly | kFast, kR | kAclFast, CmdHExists)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Determine if a hash field exists"),
      Cmd("hkeys", 2, kReadOnly, kR | kAclSlow, CmdHKeys)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Get all the fields in a hash",
               "O(N) where N is the size of the hash."),
      Cmd("hvals", 2, kReadOnly, kR | kAclSlow, CmdHVals)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Get all the values in a hash",
               "O(N) where N is the size of the hash."),
      Cmd("hgetall", 2, kReadOnly, kR | kAclSlow, CmdHGetAll)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Get all the fields and values in a hash",
               "O(N) where N is the size of the hash."),
      Cmd("hincrby", 4, kWrite | kDenyOom | kFast, kW | kAclFast, CmdHIncrBy)
          .Keys(1, 1, 1)
          .Doc("hash", "2.0.0", "Increment the integer value of a hash field by the given number"),
      Cmd("hincrbyfloat", 4, kWrite | kDenyOom | kFast, kW | kAclFast, CmdHIncrByFloat)
          .Keys(1, 1, 1)
          .Doc("hash", "2.6.0", "Increment the float value of a hash field by the given amount"),
      Cmd("hrandfield", -2, kReadOnly, kR | kAclSlow, CmdHRandField)
          .Keys(1, 1, 1)
          .Doc("hash", "6.2.0", "Get one or multiple random fields from a hash",
               "O(N) where N is the number of fields returned"),
      Cmd("hscan", -3, kReadOnly, kR | kAclSlow, CmdHScan)
          .Keys(1, 1, 1)
          .Doc("hash", "2.8.0", "Incrementally iterate hash fields and associated values",
               "O(1) for every call. O(N) for a complete iteration, including enough command "
               "calls for the cursor to return back to 0. N is the number of elements inside "
               "the collection."),
  });
}

}  // namespace basalt::server
