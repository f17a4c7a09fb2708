// Set commands, as Redis 7.0's t_set.c: membership, random pops and picks,
// the algebra (SINTER/SUNION/SDIFF and their STORE forms, SINTERCARD) and
// SSCAN. The storage lives in db/set.h; this file parses, operates, replies.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/errors.h"
#include "common/strutil.h"
#include "db/access_clock.h"
#include "db/database.h"
#include "db/entry.h"
#include "db/set.h"
#include "commands/scan_options.h"
#include "server/command.h"
#include "server/db_access.h"
#include "server/effects.h"
#include "server/notify.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using db::Entry;
using db::ObjType;
using db::Set;

uint64_t Rng() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen();
}

size_t MaxIntsetEntries(CommandContext& ctx) {
  int64_t v = ctx.server->config().set_max_intset_entries.load();
  return v < 0 ? 0 : static_cast<size_t>(v);
}

Set* SetOf(Entry* e) { return e->As<Set>(); }

// Looks `key` up for reading (`write`: for writing). Replies WRONGTYPE and
// returns false when the key holds another type; *out is null when absent.
bool FindSet(CommandContext& ctx, std::string_view key, bool write, Entry** out) {
  Entry* e = write ? LookupWrite(ctx, key) : LookupRead(ctx, key);
  if (e && e->type != ObjType::kSet) {
    ctx.rb->Error(errors::kWrongType);
    return false;
  }
  *out = e;
  return true;
}

// Links a new set entry under `key`, replacing whatever is there (TTL dropped, as setKey).
Entry* InstallSet(CommandContext& ctx, std::string_view key, Set* set, bool key_exists) {
  Entry* e = Entry::NewObject(key, ObjType::kSet, set->encoding(), set);
  if (key_exists) return ctx.db->Put(e, false);
  ctx.db->Add(e);
  return e;
}

void ReplyMembers(CommandContext& ctx, const Set& set) {
  ctx.rb->SetHeader(set.size());
  set.ForEach([&](std::string_view m) { ctx.rb->Bulk(m); });
}

// Stores `result` (owned) under `dst` as the *STORE commands do: an empty
// result deletes `dst`. Replies the stored cardinality.
void StoreResult(CommandContext& ctx, std::string_view dst, Set* result) {
  bool dst_exists = LookupWrite(ctx, dst) != nullptr;
  size_t n = result->size();
  if (n == 0) {
    delete result;
    if (dst_exists) {
      ctx.db->Delete(dst);
      KeyModified(ctx, dst);
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", dst);
    }
    ctx.rb->Integer(0);
    return;
  }
  InstallSet(ctx, dst, result, dst_exists);
  KeyModified(ctx, dst);
  ctx.rb->Integer(static_cast<int64_t>(n));
  // The event is the command's name: sinterstore, sunionstore or sdiffstore.
  NotifyKeyspaceEvent(ctx, kNotifySet, ctx.spec->name, dst);
}

// ---------------------------------------------------------------- membership

void CmdSAdd(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!FindSet(ctx, args[1], true, &e)) return;
  if (!e) e = InstallSet(ctx, args[1], Set::CreateFor(args[2]), false);
  Set* set = SetOf(e);
  size_t max = MaxIntsetEntries(ctx);
  int64_t added = 0;
  for (size_t i = 2; i < args.size(); ++i) added += set->Add(args[i], max);
  e->enc = set->encoding();
  if (added) {
    KeyModified(ctx, args[1], static_cast<uint64_t>(added));
    NotifyKeyspaceEvent(ctx, kNotifySet, "sadd", args[1]);
  }
  ctx.rb->Integer(added);
}

void CmdSRem(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!FindSet(ctx, args[1], true, &e)) return;
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  Set* set = SetOf(e);
  int64_t removed = 0;
  bool key_removed = false;
  for (size_t i = 2; i < args.size(); ++i) {
    removed += set->Remove(args[i]);
    if (set->size() == 0) {
      ctx.db->Delete(args[1]);
      key_removed = true;
      break;
    }
  }
  if (removed) {
    KeyModified(ctx, args[1], static_cast<uint64_t>(removed));
    NotifyKeyspaceEvent(ctx, kNotifySet, "srem", args[1]);
    if (key_removed) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  }
  ctx.rb->Integer(removed);
}

void CmdSCard(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!FindSet(ctx, args[1], false, &e)) return;
  ctx.rb->Integer(e ? static_cast<int64_t>(SetOf(e)->size()) : 0);
}

void CmdSIsMember(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!FindSet(ctx, args[1], false, &e)) return;
  ctx.rb->Integer(e && SetOf(e)->Contains(args[2]) ? 1 : 0);
}

void CmdSMIsMember(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!FindSet(ctx, args[1], false, &e)) return;
  ctx.rb->ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) ctx.rb->Integer(e && SetOf(e)->Contains(args[i]));
}

void CmdSMembers(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!FindSet(ctx, args[1], false, &e)) return;
  if (!e) {
    ctx.rb->SetHeader(0);
    return;
  }
  ReplyMembers(ctx, *SetOf(e));
}

void CmdSMove(const ArgList& args, CommandContext& ctx) {
  std::string_view src = args[1], dst = args[2], member = args[3];
  Entry* se = LookupWrite(ctx, src);
  Entry* de = LookupWrite(ctx, dst);
  if (!se) {
    ctx.rb->Integer(0);
    return;
  }
  if (se->type != ObjType::kSet || (de && de->type != ObjType::kSet)) {
    ctx.rb->Error(errors::kWrongType);
    return;
  }
  if (se == de) {
    ctx.rb->Integer(SetOf(se)->Contains(member) ? 1 : 0);
    return;
  }
  if (!SetOf(se)->Remove(member)) {
    ctx.rb->Integer(0);
    return;
  }
  NotifyKeyspaceEvent(ctx, kNotifySet, "srem", src);
  if (SetOf(se)->size() == 0) {
    ctx.db->Delete(src);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", src);
  }
  KeyModified(ctx, src);
  if (!de) de = InstallSet(ctx, dst, Set::CreateFor(member), false);
  bool added = SetOf(de)->Add(member, MaxIntsetEntries(ctx));
  de->enc = SetOf(de)->encoding();
  KeyModified(ctx, dst, added ? 1 : 0);
  if (added) NotifyKeyspaceEvent(ctx, kNotifySet, "sadd", dst);
  ctx.rb->Integer(1);
}

// ---------------------------------------------------------------- random

// Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX).
bool ParseRandCount(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (!ParseInt64(arg, out)) {
    ctx.rb->Error(errors::kNotInteger);
    return false;
  }
  if (*out == INT64_MIN) {
    ctx.rb->Error(errors::kCountOutOfRangeLong);
    return false;
  }
  return true;
}

// `count` distinct random members (count < size).
std::vector<std::string> SampleDistinct(const Set& set, size_t count) {
  std::vector<std::string> out;
  out.reserve(count);
  if (count * 3 > set.size()) {
    // Many of the members: shuffle a copy partially, as cheap as sampling.
    std::vector<std::string> all;
    all.reserve(set.size());
    set.ForEach([&](std::string_view m) { all.emplace_back(m); });
    for (size_t i = 0; i < count; ++i) {
      size_t j = i + Rng() % (all.size() - i);
      std::swap(all[i], all[j]);
      out.push_back(std::move(all[i]));
    }
    return out;
  }
  std::unordered_set<std::string> seen;
  while (out.size() < count) {
    std::string m = set.Random(Rng);
    if (seen.insert(m).second) out.push_back(std::move(m));
  }
  return out;
}

void CmdSRandMember(const ArgList& args, CommandContext& ctx) {
  if (args.size() > 3) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  int64_t count = 0;
  bool with_count = args.size() == 3;
  if (with_count && !ParseRandCount(ctx, args[2], &count)) return;
  Entry* e;
  if (!FindSet(ctx, args[1], false, &e)) return;
  if (!with_count) {
    if (!e) {
      ctx.rb->Null();
      return;
    }
    ctx.rb->Bulk(SetOf(e)->Random(Rng));
    return;
  }
  if (!e || count == 0) {
    ctx.rb->ArrayHeader(0);
    return;
  }
  const Set& set = *SetOf(e);
  if (count < 0) {
    auto n = static_cast<uint64_t>(-count);
    ctx.rb->ArrayHeader(n);
    for (uint64_t i = 0; i < n; ++i) ctx.rb->Bulk(set.Random(Rng));
    return;
  }
  if (static_cast<uint64_t>(count) >= set.size()) {
    ctx.rb->ArrayHeader(set.size());
    set.ForEach([&](std::string_view m) { ctx.rb->Bulk(m); });
    return;
  }
  std::vector<std::string> picked = SampleDistinct(set, static_cast<size_t>(count));
  ctx.rb->ArrayHeader(picked.size());
  for (const std::string& m : picked) ctx.rb->Bulk(m);
}

void CmdSPop(const ArgList& args, CommandContext& ctx) {
  if (args.size() > 3) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  std::string_view key = args[1];
  if (args.size() == 2) {
    Entry* e;
    if (!FindSet(ctx, key, true, &e)) return;
    if (!e) {
      ctx.rb->Null();
      return;
    }
    Set* set = SetOf(e);
    std::string m = set->Random(Rng);
    set->Remove(m);
    NotifyKeyspaceEvent(ctx, kNotifySet, "spop", key);
    // A random pick must not be replayed: log the member removed.
    Propagate(ctx, {"SREM", key, m});
    bool emptied = set->size() == 0;
    if (emptied) ctx.db->Delete(key);
    KeyModified(ctx, key);
    if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
    ctx.rb->Bulk(m);
    return;
  }
  int64_t count;
  if (!ParseInt64(args[2], &count) || count < 0) {
    ctx.rb->Error(errors::kMustBePositive);
    return;
  }
  Entry* e;
  if (!FindSet(ctx, key, true, &e)) return;
  if (!e || count == 0) {
    ctx.rb->SetHeader(0);
    return;
  }
  Set* set = SetOf(e);
  size_t size = set->size();
  NotifyKeyspaceEvent(ctx, kNotifySet, "spop", key);
  if (static_cast<uint64_t>(count) >= size) {
    ReplyMembers(ctx, *set);
    ctx.db->Delete(key);
    KeyModified(ctx, key);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
    Propagate(ctx, {"DEL", key});
    return;
  }
  std::vector<std::string> popped = SampleDistinct(*set, static_cast<size_t>(count));
  for (const std::string& m : popped) {
    set->Remove(m);
    Propagate(ctx, {"SREM", key, m});
  }
  KeyModified(ctx, key);
  ctx.rb->SetHeader(popped.size());
  for (const std::string& m : popped) ctx.rb->Bulk(m);
}

// ---------------------------------------------------------------- algebra

// Looks every key up; false (WRONGTYPE replied) when one is not a set.
// Absent keys are null entries.
// Sources are reads even for the *STORE forms, as in Redis (hits, misses, keymiss).
bool CollectSets(CommandContext& ctx, const ArgList& args, size_t first, size_t end,
                 std::vector<const Set*>* out) {
  for (size_t i = first; i < end; ++i) {
    Entry* e;
    if (!FindSet(ctx, args[i], /*write=*/false, &e)) return false;
    out->push_back(e ? SetOf(e) : nullptr);
  }
  return true;
}

// SINTER, SINTERSTORE, SINTERCARD and SMEMBERS-like replies.
// `dst` empty: reply members (or the count when `card_only`).
void InterGeneric(const ArgList& args, CommandContext& ctx, size_t first, size_t end,
                  std::string_view dst, bool store, bool card_only, int64_t limit) {
  std::vector<const Set*> sets;
  if (!CollectSets(ctx, args, first, end, &sets)) return;
  bool empty = std::any_of(sets.begin(), sets.end(), [](const Set* s) { return !s; });
  if (empty) {
    if (store) {
      StoreResult(ctx, dst, Set::CreateIntSet());
    } else if (card_only) {
      ctx.rb->Integer(0);
    } else {
      ctx.rb->SetHeader(0);
    }
    return;
  }
  // Walk the smallest set; each member must be in all the others.
  std::sort(sets.begin(), sets.end(),
            [](const Set* a, const Set* b) { return a->size() < b->size(); });
  auto in_all = [&](std::string_view m) {
    for (size_t j = 1; j < sets.size(); ++j) {
      if (!sets[j]->Contains(m)) return false;
    }
    return true;
  };
  if (card_only) {
    int64_t n = 0;
    sets[0]->ForEachUntil([&](std::string_view m) {
      if (in_all(m)) ++n;
      return limit == 0 || n < limit;
    });
    ctx.rb->Integer(n);
    return;
  }
  if (store) {
    Set* result = Set::CreateIntSet();
    size_t max = MaxIntsetEntries(ctx);
    sets[0]->ForEach([&](std::string_view m) {
      if (in_all(m)) result->Add(m, max);
    });
    StoreResult(ctx, dst, result);
    return;
  }
  std::vector<std::string> members;
  sets[0]->ForEach([&](std::string_view m) {
    if (in_all(m)) members.emplace_back(m);
  });
  ctx.rb->SetHeader(members.size());
  for (const std::string& m : members) ctx.rb->Bulk(m);
}

enum class SetOp { kUnion, kDiff };

void UnionDiffGeneric(const ArgList& args, CommandContext& ctx, size_t first, SetOp op,
                      std::string_view dst, bool store) {
  std::vector<const Set*> sets;
  if (!CollectSets(ctx, args, first, args.size(), &sets)) return;
  Set* result = Set::CreateIntSet();
  size_t max = MaxIntsetEntries(ctx);
  if (op == SetOp::kUnion) {
    for (const Set* s : sets) {
      if (s) s->ForEach([&](std::string_view m) { result->Add(m, max); });
    }
  } else if (sets[0]) {
    sets[0]->ForEach([&](std::string_view m) {
      for (size_t j = 1; j < sets.size(); ++j) {
        if (sets[j] && sets[j]->Contains(m)) return;
      }
      result->Add(m, max);
    });
  }
  if (store) {
    StoreResult(ctx, dst, result);
    return;
  }
  ReplyMembers(ctx, *result);
  delete result;
}

void CmdSInter(const ArgList& args, CommandContext& ctx) {
  InterGeneric(args, ctx, 1, args.size(), {}, false, false, 0);
}

void CmdSInterStore(const ArgList& args, CommandContext& ctx) {
  InterGeneric(args, ctx, 2, args.size(), args[1], true, false, 0);
}

// numkeys as Redis's getRangeLongFromObjectOrReply(1, LONG_MAX): any
// failure is worded "numkeys should be greater than 0".
bool ParseNumKeys(std::string_view arg, int64_t* out) { return ParseInt64(arg, out) && *out >= 1; }

void CmdSInterCard(const ArgList& args, CommandContext& ctx) {
  int64_t numkeys;
  if (!ParseNumKeys(args[1], &numkeys)) {
    ctx.rb->Error(errors::kNumkeysNotPositive);
    return;
  }
  if (numkeys > static_cast<int64_t>(args.size()) - 2) {
    ctx.rb->Error(errors::kNumkeysTooMany);
    return;
  }
  int64_t limit = 0;
  size_t end = 2 + static_cast<size_t>(numkeys);
  for (size_t i = end; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "LIMIT") && i + 1 < args.size()) {
      ++i;
      if (!ParseInt64(args[i], &limit) || limit < 0) {
        ctx.rb->Error(errors::kLimitNegative);
        return;
      }
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
  }
  InterGeneric(args, ctx, 2, end, {}, false, true, limit);
}

void SInterCardKeys(const ArgList& args, std::vector<int>* out) {
  int64_t numkeys;
  if (args.size() < 2 || !ParseNumKeys(args[1], &numkeys) ||
      numkeys > static_cast<int64_t>(args.size()) - 2) {
    return;
  }
  for (int64_t i = 0; i < numkeys; ++i) out->push_back(static_cast<int>(2 + i));
}

void CmdSUnion(const ArgList& args, CommandContext& ctx) {
  UnionDiffGeneric(args, ctx, 1, SetOp::kUnion, {}, false);
}
void CmdSUnionStore(const ArgList& args, CommandContext& ctx) {
  UnionDiffGeneric(args, ctx, 2, SetOp::kUnion, args[1], true);
}
void CmdSDiff(const ArgList& args, CommandContext& ctx) {
  UnionDiffGeneric(args, ctx, 1, SetOp::kDiff, {}, false);
}
void CmdSDiffStore(const ArgList& args, CommandContext& ctx) {
  UnionDiffGeneric(args, ctx, 2, SetOp::kDiff, args[1], true);
}

// ---------------------------------------------------------------- SSCAN

void CmdSScan(const ArgList& args, CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(args[2], &cursor)) {
    ctx.rb->Error(errors::kInvalidCursor);
    return;
  }
  Entry* e;
  if (!FindSet(ctx, args[1], false, &e)) return;
  if (!e) {
    ReplyEmptyScan(ctx.rb);
    return;
  }
  ScanOptions opt;
  if (!ParseScanOptions(args, 3, /*allow_type=*/false, &opt, ctx.rb)) return;
  int64_t count = opt.count;
  const Set& set = *SetOf(e);
  std::vector<std::string> found;
  auto collect = [&](std::string_view m) {
    if (opt.Matches(m)) found.emplace_back(m);
  };
  if (set.is_intset()) {
    cursor = set.Scan(cursor, collect);
  } else {
    // Redis's budget: up to COUNT*10 buckets while fewer than COUNT were found.
    uint64_t budget = static_cast<uint64_t>(count) * 10;
    size_t seen = 0;
    do {
      cursor = set.Scan(cursor, [&](std::string_view m) {
        ++seen;
        collect(m);
      });
    } while (cursor && budget-- && seen < static_cast<uint64_t>(count));
  }
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(Int64ToString(static_cast<int64_t>(cursor)));
  ctx.rb->ArrayHeader(found.size());
  for (const std::string& m : found) ctx.rb->Bulk(m);
}

}  // namespace

void RegisterSetFamily(CommandRegistry& r) {
  db::RegisterSetObjectOps();
  constexpr uint32_t kR = kAclRead | kAclSet;
  constexpr uint32_t kW = kAclWrite | kAclSet;
  r.Register({
      Cmd("sadd", -3, kWrite | kDenyOom | kFast, kW | kAclFast, CmdSAdd)
          .Keys(1, 1, 1)
          .Doc("set", "1.0.0", "Add one or more members to a set",
               "O(1) for each element added, so O(N) to add N elements when the command is "
               "called with multiple arguments."),
      Cmd("srem", -3, kWrite | kFast, kW | kAclFast, CmdSRem)
          .Keys(1, 1, 1)
          .Doc("set", "1.0.0", "Remove one or more members from a set",
               "O(N) where N is the number of members to be removed."),
      Cmd("scard", 2, kReadOnly | kFast, kR | kAclFast, CmdSCard)
          .Keys(1, 1, 1)
          .Doc("set", "1.0.0", "Get the number of members in a set", "O(1)"),
      Cmd("sismember", 3, kReadOnly | kFast, kR | kAclFast, CmdSIsMember)
          .Keys(1, 1, 1)
          .Doc("set", "1.0.0", "Determine if a given value is a member of a set", "O(1)"),
      Cmd("smismember", -3, kReadOnly | kFast, kR | kAclFast, CmdSMIsMember)
          .Keys(1, 1, 1)
          .Doc("set", "6.2.0",
               "Returns the membership associated with the given elements for a set",
               "O(N) where N is the number of elements being checked for membership"),
      Cmd("smembers", 2, kReadOnly, kR | kAclSlow, CmdSMembers)
          .Keys(1, 1, 1)
          .Doc("set", "1.0.0", "Get all the members in a set",
               "O(N) where N is the set cardinality."),
      Cmd("srandmember", -2, kReadOnly, kR | kAclSlow, CmdSRandMember)
          .Keys(1, 1, 1)
          .Doc("set", "1.0.0", "Get one or multiple random members from a set",
               "Without the count argument O(1), otherwise O(N) where N is the absolute value of "
               "the passed count."),
      Cmd("spop", -2, kWrite | kFast, kW | kAclFast, CmdSPop)
          .Keys(1, 1, 1)
          .Doc("set", "1.0.0", "Remove and return one or multiple random members from a set",
               "Without the count argument O(1), otherwise O(N) where N is the value of the "
               "passed count."),
      Cmd("smove", 4, kWrite | kFast, kW | kAclFast, CmdSMove)
          .Keys(1, 2, 1)
          .Doc("set", "1.0.0", "Move a member from one set to another", "O(1)"),
      Cmd("sinter", -2, kReadOnly, kR | kAclSlow, CmdSInter)
          .Keys(1, -1, 1)
          .Doc("set", "1.0.0", "Intersect multiple sets",
               "O(N*M) worst case where N is the cardinality of the smallest set and M is the "
               "number of sets."),
      Cmd("sintercard", -3, kReadOnly, kR | kAclSlow, CmdSInterCard)
          .Finder(SInterCardKeys)
          .Doc("set", "7.0.0", "Intersect multiple sets and return the cardinality of the result",
               "O(N*M) worst case where N is the cardinality of the smallest set and M is the "
               "number of sets."),
      Cmd("sinterstore", -3, kWrite | kDenyOom, kW | kAclSlow, CmdSInterStore)
          .Keys(1, -1, 1)
          .Doc("set", "1.0.0", "Intersect multiple sets and store the resulting set in a key",
               "O(N*M) worst case where N is the cardinality of the smallest set and M is the "
               "number of sets."),
      Cmd("sunion", -2, kReadOnly, kR | kAclSlow, CmdSUnion)
          .Keys(1, -1, 1)
          .Doc("set", "1.0.0", "Add multiple sets",
               "O(N) where N is the total number of elements in all given sets."),
      Cmd("sunionstore", -3, kWrite | kDenyOom, kW | kAclSlow, CmdSUnionStore)
          .Keys(1, -1, 1)
          .Doc("set", "1.0.0", "Add multiple sets and store the resulting set in a key",
               "O(N) where N is the total number of elements in all given sets."),
      Cmd("sdiff", -2, kReadOnly, kR | kAclSlow, CmdSDiff)
          .Keys(1, -1, 1)
          .Doc("set", "1.0.0", "Subtract multiple sets",
               "O(N) where N is the total number of elements in all given sets."),
      Cmd("sdiffstore", -3, kWrite | kDenyOom, kW | kAclSlow, CmdSDiffStore)
          .Keys(1, -1, 1)
          .Doc("set", "1.0.0", "Subtract multiple sets and store the resulting set in a key",
               "O(N) where N is the total number of elements in all given sets."),
      Cmd("sscan", -3, kReadOnly, kR | kAclSlow, CmdSScan)
          .Keys(1, 1, 1)
          .Doc("set", "2.8.0", "Incrementally iterate Set elements",
               "O(1) for every call. O(N) for a complete iteration, including enough command "
               "calls for the cursor to return back to 0. N is the number of elements inside the "
               "collection."),
  });
}

}  // namespace basalt::server
