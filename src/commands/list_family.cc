// List commands (t_list.c), including the blocking ones, which use the
// waiter queues of server/blocking.h.
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/strutil.h"
#include "db/database.h"
#include "db/entry.h"
#include "db/list.h"
#include "server/blocking.h"
#include "server/command.h"
#include "server/db_access.h"
#include "server/effects.h"
#include "server/notify.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using db::Encoding;
using db::Entry;
using db::List;
using db::ObjType;
using protocol::ReplyBuilder;

constexpr std::string_view kIndexOutOfRange = errors::kListIndexOutOfRange;
constexpr std::string_view kMustBePositive = errors::kMustBePositive;
constexpr std::string_view kNumKeys = errors::kNumkeysNotPositive;
constexpr std::string_view kCountPositive = errors::kListCountPositive;
constexpr std::string_view kRankZero = errors::kLPosRankZero;
constexpr std::string_view kCountNegative = errors::kLPosCountNegative;
constexpr std::string_view kMaxlenNegative = errors::kLPosMaxlenNegative;

List* AsList(Entry* e) { return e->As<List>(); }

int Fill(CommandContext& ctx) {
  int64_t f = ctx.server->config().list_max_listpack_size.load(std::memory_order_relaxed);
  return static_cast<int>(std::clamp<int64_t>(f, -5, INT32_MAX));
}

// The list at `key` for writing, created when absent.
List* ListForWrite(CommandContext& ctx, std::string_view key, Entry* existing) {
  if (existing) return AsList(existing);
  auto* l = new List(Fill(ctx));
  ctx.db->Add(Entry::NewObject(key, ObjType::kList, Encoding::kQuickList, l));
  return l;
}

bool ParseLong(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (!ParseInt64(arg, out)) {
    ctx.rb->Error(errors::kNotInteger);
    return false;
  }
  return true;
}

bool WrongType(CommandContext& ctx, Entry* e) {
  if (e && e->type != ObjType::kList) {
    ctx.rb->Error(errors::kWrongType);
    return true;
  }
  return false;
}

// Reports the removal of `removed` elements (`event`), then deletes the key
// if its list became empty, as Redis's listElementsRemoved.
void AfterPop(CommandContext& ctx, std::string_view key, List* l, std::string_view event,
              size_t removed) {
  NotifyKeyspaceEvent(ctx, kNotifyList, event, key);
  bool emptied = l->empty();
  if (emptied) ctx.db->Delete(key);
  KeyModified(ctx, key, removed);
  if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
}

std::string_view PopEvent(bool left) { return left ? "lpop" : "rpop"; }

// ---------------------------------------------------------------- push / pop

void PushGeneric(const ArgList& args, CommandContext& ctx, bool front, bool only_existing) {
  Entry* e = LookupWrite(ctx, args[1]);
  if (WrongType(ctx, e)) return;
  if (!e && only_existing) {
    ctx.rb->Integer(0);
    return;
  }
  List* l = ListForWrite(ctx, args[1], e);
  for (size_t i = 2; i < args.size(); ++i) l->Push(args[i], front);
  int64_t len = static_cast<int64_t>(l->size());
  // Notified before KeyModified wakes a blocked client, whose events must come after.
  NotifyKeyspaceEvent(ctx, kNotifyList, front ? "lpush" : "rpush", args[1]);
  KeyModified(ctx, args[1], args.size() - 2);
  ctx.rb->Integer(len);
}

void CmdLPush(const ArgList& args, CommandContext& ctx) { PushGeneric(args, ctx, true, false); }
void CmdRPush(const ArgList& args, CommandContext& ctx) { PushGeneric(args, ctx, false, false); }
void CmdLPushX(const ArgList& args, CommandContext& ctx) { PushGeneric(args, ctx, true, true); }
void CmdRPushX(const ArgList& args, CommandContext& ctx) { PushGeneric(args, ctx, false, true); }

void PopGeneric(const ArgList& args, CommandContext& ctx, bool front) {
  if (args.size() > 3) {
    ctx.rb->Error("ERR wrong number of arguments for '" + ctx.spec->name + "' command");
    return;
  }
  bool has_count = args.size() == 3;
  int64_t count = 1;
  if (has_count && (!ParseInt64(args[2], &count) || count < 0)) {
    ctx.rb->Error(kMustBePositive);
    return;
  }
  Entry* e = LookupWrite(ctx, args[1]);
  if (!e) {
    if (has_count) {
      ctx.rb->NullArray();
    } else {
      ctx.rb->Null();
    }
    return;
  }
  if (WrongType(ctx, e)) return;
  List* l = AsList(e);
  size_t n = 1;
  if (!has_count) {
    ctx.rb->Bulk(l->Pop(front));
  } else {
    n = std::min<size_t>(static_cast<size_t>(count), l->size());
    ctx.rb->ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) ctx.rb->Bulk(l->Pop(front));
    if (n == 0) return;
  }
  AfterPop(ctx, args[1], l, PopEvent(front), n);
}

void CmdLPop(const ArgList& args, CommandContext& ctx) { PopGeneric(args, ctx, true); }
void CmdRPop(const ArgList& args, CommandContext& ctx) { PopGeneric(args, ctx, false); }

// ---------------------------------------------------------------- reads

void CmdLLen(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (WrongType(ctx, e)) return;
  ctx.rb->Integer(e ? static_cast<int64_t>(AsList(e)->size()) : 0);
}

void CmdLIndex(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->Null();
    return;
  }
  if (WrongType(ctx, e)) return;
  int64_t index;
  if (!ParseLong(ctx, args[2], &index)) return;
  List* l = AsList(e);
  int64_t len = static_cast<int64_t>(l->size());
  if (index < 0) index += len;
  if (index < 0 || index >= len) {
    ctx.rb->Null();
    return;
  }
  ctx.rb->Bulk(l->At(static_cast<size_t>(index)));
}

// Normalizes a [start, stop] range as Redis does; false if empty.
bool NormalizeRange(int64_t len, int64_t* start, int64_t* stop) {
  if (*start < 0) *start += len;
  if (*stop < 0) *stop += len;
  if (*start < 0) *start = 0;
  if (*start > *stop || *start >= len) return false;
  if (*stop >= len) *stop = len - 1;
  return true;
}

void CmdLRange(const ArgList& args, CommandContext& ctx) {
  int64_t start, stop;
  if (!ParseLong(ctx, args[2], &start) || !ParseLong(ctx, args[3], &stop)) return;
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->ArrayHeader(0);
    return;
  }
  if (WrongType(ctx, e)) return;
  List* l = AsList(e);
  if (!NormalizeRange(static_cast<int64_t>(l->size()), &start, &stop)) {
    ctx.rb->ArrayHeader(0);
    return;
  }
  ctx.rb->ArrayHeader(static_cast<size_t>(stop - start + 1));
  l->ForEach(static_cast<size_t>(start), static_cast<size_t>(stop), [&](std::string_view v) {
    ctx.rb->Bulk(v);
    return true;
  });
}

void CmdLPos(const ArgList& args, CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t i = 3; i < args.size(); ++i) {
    bool more = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "RANK") && more) {
      if (!ParseLong(ctx, args[++i], &rank)) return;
      if (rank == 0) {
        ctx.rb->Error(kRankZero);
        return;
      }
    } else if (EqualsIgnoreCase(args[i], "COUNT") && more) {
      if (!ParseInt64(args[++i], &count) || count < 0) {
        ctx.rb->Error(kCountNegative);
        return;
      }
    } else if (EqualsIgnoreCase(args[i], "MAXLEN") && more) {
      if (!ParseInt64(args[++i], &maxlen) || maxlen < 0) {
        ctx.rb->Error(kMaxlenNegative);
        return;
      }
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
  }
  bool want_array = count != -1;
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    if (want_array) {
      ctx.rb->ArrayHeader(0);
    } else {
      ctx.rb->Null();
    }
    return;
  }
  if (WrongType(ctx, e)) return;
  List* l = AsList(e);
  bool from_tail = rank < 0;
  // Redis 7.0 negates the rank without guarding LLONG_MIN, which then stays
  // negative and lets the first match qualify: the same as rank 1.
  uint64_t skip = rank == LLONG_MIN ? 0 : static_cast<uint64_t>(from_tail ? -rank : rank) - 1;
  uint64_t want = count == 0 || !want_array ? UINT64_MAX : static_cast<uint64_t>(count);
  if (!want_array) want = 1;
  std::vector<int64_t> found;
  int64_t len = static_cast<int64_t>(l->size());
  int64_t index = from_tail ? len - 1 : 0;
  uint64_t seen = 0;
  std::string_view elem = args[2];
  auto visit = [&](std::string_view v) {
    if (maxlen != 0 && static_cast<int64_t>(seen) >= maxlen) return false;
    ++seen;
    if (v == elem) {
      if (skip > 0) {
        --skip;
      } else {
        found.push_back(index);
        if (found.size() >= want) return false;
      }
    }
    index += from_tail ? -1 : 1;
    return true;
  };
  if (len > 0) {
    if (from_tail) {
      l->ForEachReverse(static_cast<size_t>(len - 1), visit);
    } else {
      l->ForEach(0, static_cast<size_t>(len - 1), visit);
    }
  }
  if (!want_array) {
    if (found.empty()) {
      ctx.rb->Null();
    } else {
      ctx.rb->Integer(found[0]);
    }
    return;
  }
  ctx.rb->ArrayHeader(found.size());
  for (int64_t i : found) ctx.rb->Integer(i);
}

// ---------------------------------------------------------------- writes

void CmdLSet(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupWrite(ctx, args[1]);
  if (!e) {
    ctx.rb->Error(errors::kNoSuchKey);
    return;
  }
  if (WrongType(ctx, e)) return;
  int64_t index;
  if (!ParseLong(ctx, args[2], &index)) return;
  List* l = AsList(e);
  int64_t len = static_cast<int64_t>(l->size());
  if (index < 0) index += len;
  if (index < 0 || index >= len) {
    ctx.rb->Error(kIndexOutOfRange);
    return;
  }
  l->Set(static_cast<size_t>(index), args[3]);
  KeyModified(ctx, args[1]);
  NotifyKeyspaceEvent(ctx, kNotifyList, "lset", args[1]);
  ctx.rb->Ok();
}

void CmdLRem(const ArgList& args, CommandContext& ctx) {
  int64_t count;
  if (!ParseLong(ctx, args[2], &count)) return;
  Entry* e = LookupWrite(ctx, args[1]);
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  if (WrongType(ctx, e)) return;
  List* l = AsList(e);
  std::string_view elem = args[3];
  std::vector<size_t> hits;
  size_t len = l->size();
  uint64_t limit = count == 0  ? UINT64_MAX
                   : count < 0 ? (count == LLONG_MIN ? static_cast<uint64_t>(LLONG_MAX) + 1
                                                     : static_cast<uint64_t>(-count))
                               : static_cast<uint64_t>(count);
  if (count >= 0) {
    size_t idx = 0;
    l->ForEach(0, len - 1, [&](std::string_view v) {
      if (v == elem) hits.push_back(idx);
      ++idx;
      return hits.size() < limit;
    });
  } else {
    size_t idx = len - 1;
    l->ForEachReverse(len - 1, [&](std::string_view v) {
      if (v == elem) hits.push_back(idx);
      --idx;
      return hits.size() < limit;
    });
    std::reverse(hits.begin(), hits.end());
  }
  if (!hits.empty()) {
    l->EraseIndexes(hits);
    AfterPop(ctx, args[1], l, "lrem", hits.size());
  }
  ctx.rb->Integer(static_cast<int64_t>(hits.size()));
}

void CmdLTrim(const ArgList& args, CommandContext& ctx) {
  int64_t start, stop;
  if (!ParseLong(ctx, args[2], &start) || !ParseLong(ctx, args[3], &stop)) return;
  Entry* e = LookupWrite(ctx, args[1]);
  if (!e) {
    ctx.rb->Ok();
    return;
  }
  if (WrongType(ctx, e)) return;
  List* l = AsList(e);
  int64_t len = static_cast<int64_t>(l->size());
  bool emptied = true;
  if (NormalizeRange(len, &start, &stop)) {
    l->Erase(static_cast<size_t>(stop + 1), static_cast<size_t>(len - stop - 1));
    l->Erase(0, static_cast<size_t>(start));
    emptied = l->empty();
  }
  NotifyKeyspaceEvent(ctx, kNotifyList, "ltrim", args[1]);
  if (emptied) ctx.db->Delete(args[1]);
  // Redis counts the elements removed: a trim that removes none is not logged.
  KeyModified(ctx, args[1], static_cast<uint64_t>(len) - (emptied ? 0 : l->size()));
  if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  ctx.rb->Ok();
}

void CmdLInsert(const ArgList& args, CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(args[2], "AFTER")) {
    after = true;
  } else if (EqualsIgnoreCase(args[2], "BEFORE")) {
    after = false;
  } else {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  Entry* e = LookupWrite(ctx, args[1]);
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  if (WrongType(ctx, e)) return;
  List* l = AsList(e);
  int64_t pos = -1, idx = 0;
  l->ForEach(0, l->size() - 1, [&](std::string_view v) {
    if (v == args[3]) {
      pos = idx;
      return false;
    }
    ++idx;
    return true;
  });
  if (pos < 0) {
    ctx.rb->Integer(-1);
    return;
  }
  l->Insert(static_cast<size_t>(pos + (after ? 1 : 0)), args[4]);
  KeyModified(ctx, args[1]);
  NotifyKeyspaceEvent(ctx, kNotifyList, "linsert", args[1]);
  ctx.rb->Integer(static_cast<int64_t>(l->size()));
}

// ---------------------------------------------------------------- move

bool ParseWhere(std::string_view arg, bool* left) {
  if (EqualsIgnoreCase(arg, "LEFT")) {
    *left = true;
  } else if (EqualsIgnoreCase(arg, "RIGHT")) {
    *left = false;
  } else {
    return false;
  }
  return true;
}

// Moves one element from src to dst (src holds a non-empty list). Replies
// the element. False (with WRONGTYPE replied) if dst holds another type.
bool MoveOne(CommandContext& ctx, std::string_view src, std::string_view dst, bool from_left,
             bool to_left) {
  Entry* d = LookupWrite(ctx, dst);
  if (d && d->type != ObjType::kList) {
    UnblockClient(ctx);
    ctx.rb->Error(errors::kWrongType);
    return false;
  }
  UnblockClient(ctx);
  List* sl = AsList(ctx.db->Find(src, ctx.now_ms));
  std::string v = sl->Pop(from_left);
  bool src_emptied = sl->empty() && src != dst;
  if (src_emptied) ctx.db->Delete(src);
  Entry* de = LookupWrite(ctx, dst);
  List* dl = ListForWrite(ctx, dst, de);
  dl->Push(v, to_left);
  // Redis's order: the push, then the pop, then the source's deletion; all
  // before KeyModified wakes a client blocked on dst (its events come after).
  NotifyKeyspaceEvent(ctx, kNotifyList, to_left ? "lpush" : "rpush", dst);
  NotifyKeyspaceEvent(ctx, kNotifyList, PopEvent(from_left), src);
  if (src_emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", src);
  KeyModified(ctx, src, 0);  // one change, as Redis counts a move
  KeyModified(ctx, dst);
  ctx.rb->Bulk(v);
  return true;
}

void LMoveGeneric(CommandContext& ctx, std::string_view src, std::string_view dst, bool from_left,
                  bool to_left) {
  Entry* s = LookupWrite(ctx, src);
  if (!s) {
    ctx.rb->Null();
    return;
  }
  if (WrongType(ctx, s)) return;
  MoveOne(ctx, src, dst, from_left, to_left);
}

void CmdLMove(const ArgList& args, CommandContext& ctx) {
  bool from_left, to_left;
  if (!ParseWhere(args[3], &from_left) || !ParseWhere(args[4], &to_left)) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  LMoveGeneric(ctx, args[1], args[2], from_left, to_left);
}

void CmdRPopLPush(const ArgList& args, CommandContext& ctx) {
  LMoveGeneric(ctx, args[1], args[2], false, true);
}

// ---------------------------------------------------------------- multi-pop

// Pops up to `count` from the first non-empty list among keys; replies
// [key, [elements]]. Returns false if every key was empty (nothing replied),
// true if it replied (served or WRONGTYPE).
bool MPopFirst(CommandContext& ctx, const std::vector<std::string_view>& keys, bool left,
               int64_t count, bool rerun) {
  for (std::string_view k : keys) {
    Entry* e = LookupWrite(ctx, k);
    if (!e) continue;
    if (e->type != ObjType::kList) {
      if (rerun) continue;
      ctx.rb->Error(errors::kWrongType);
      return true;
    }
    UnblockClient(ctx);
    List* l = AsList(e);
    size_t n = std::min<size_t>(static_cast<size_t>(count), l->size());
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk(k);
    ctx.rb->ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) ctx.rb->Bulk(l->Pop(left));
    AfterPop(ctx, k, l, PopEvent(left), n);
    // [B]LMPOP is logged as the [LR]POP with the count it served.
    Propagate(ctx, {left ? "LPOP" : "RPOP", k, Int64ToString(static_cast<int64_t>(n))});
    return true;
  }
  return false;
}

// Parses "numkeys key... LEFT|RIGHT [COUNT n]" starting at args[at].
bool ParseMPop(CommandContext& ctx, const ArgList& args, size_t at,
               std::vector<std::string_view>* keys, bool* left, int64_t* count) {
  int64_t numkeys;
  if (!ParseInt64(args[at], &numkeys) || numkeys <= 0) {
    ctx.rb->Error(kNumKeys);
    return false;
  }
  size_t where = at + 1 + static_cast<size_t>(numkeys);
  if (numkeys > static_cast<int64_t>(args.size()) || where >= args.size() ||
      !ParseWhere(args[where], left)) {
    ctx.rb->Error(errors::kSyntax);
    return false;
  }
  *count = 1;
  bool seen_count = false;
  for (size_t i = where + 1; i < args.size(); ++i) {
    if (!seen_count && EqualsIgnoreCase(args[i], "COUNT") && i + 1 < args.size()) {
      if (!ParseInt64(args[++i], count) || *count <= 0) {
        ctx.rb->Error(kCountPositive);
        return false;
      }
      seen_count = true;
    } else {
      ctx.rb->Error(errors::kSyntax);
      return false;
    }
  }
  keys->assign(args.begin() + static_cast<ptrdiff_t>(at) + 1,
               args.begin() + static_cast<ptrdiff_t>(where));
  return true;
}

void CmdLMPop(const ArgList& args, CommandContext& ctx) {
  std::vector<std::string_view> keys;
  bool left;
  int64_t count;
  if (!ParseMPop(ctx, args, 1, &keys, &left, &count)) return;
  if (!MPopFirst(ctx, keys, left, count, false)) ctx.rb->NullArray();
}

// ---------------------------------------------------------------- blocking

void BPopGeneric(const ArgList& args, CommandContext& ctx, bool left) {
  int64_t timeout;
  if (!ParseBlockTimeout(ctx, args.back(), &timeout)) return;
  bool rerun = IsBlockedRerun(ctx);
  std::vector<std::string_view> keys(args.begin() + 1, args.end() - 1);
  std::vector<std::string_view> order = keys;
  PreferReadyKey(ctx, &order);
  for (std::string_view k : order) {
    Entry* e = LookupWrite(ctx, k);
    if (!e) continue;
    if (e->type != ObjType::kList) {
      if (rerun) continue;
      ctx.rb->Error(errors::kWrongType);
      return;
    }
    UnblockClient(ctx);
    List* l = AsList(e);
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk(k);
    ctx.rb->Bulk(l->Pop(left));
    AfterPop(ctx, k, l, PopEvent(left), 1);
    Propagate(ctx, {left ? "LPOP" : "RPOP", k});
    return;
  }
  if (!CanBlock(ctx)) {
    ctx.rb->NullArray();
    return;
  }
  BlockClient(ctx, args, keys, ObjType::kList, timeout, TimeoutReply::kNullArray);
}

void CmdBLPop(const ArgList& args, CommandContext& ctx) { BPopGeneric(args, ctx, true); }
void CmdBRPop(const ArgList& args, CommandContext& ctx) { BPopGeneric(args, ctx, false); }

void BLMoveGeneric(const ArgList& args, CommandContext& ctx, bool from_left, bool to_left,
                   std::string_view timeout_arg) {
  int64_t timeout;
  if (!ParseBlockTimeout(ctx, timeout_arg, &timeout)) return;
  bool rerun = IsBlockedRerun(ctx);
  std::string_view src = args[1], dst = args[2];
  Entry* s = LookupWrite(ctx, src);
  if (s && s->type != ObjType::kList && !rerun) {
    ctx.rb->Error(errors::kWrongType);
    return;
  }
  if (s && s->type == ObjType::kList) {
    if (MoveOne(ctx, src, dst, from_left, to_left)) {
      if (ctx.spec->name == "brpoplpush") {
        Propagate(ctx, {"RPOPLPUSH", src, dst});
      } else {
        Propagate(ctx, {"LMOVE", src, dst, args[3], args[4]});
      }
    }
    return;
  }
  if (!CanBlock(ctx)) {
    ctx.rb->Null();
    return;
  }
  // Redis 7.0 answers a timed-out BLMOVE with a null array, as every list block.
  BlockClient(ctx, args, {src}, ObjType::kList, timeout, TimeoutReply::kNullArray);
}

void CmdBLMove(const ArgList& args, CommandContext& ctx) {
  bool from_left, to_left;
  if (!ParseWhere(args[3], &from_left) || !ParseWhere(args[4], &to_left)) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  BLMoveGeneric(args, ctx, from_left, to_left, args[5]);
}

void CmdBRPopLPush(const ArgList& args, CommandContext& ctx) {
  BLMoveGeneric(args, ctx, false, true, args[3]);
}

void CmdBLMPop(const ArgList& args, CommandContext& ctx) {
  std::vector<std::string_view> keys;
  bool left;
  int64_t count;
  if (!ParseMPop(ctx, args, 2, &keys, &left, &count)) return;
  int64_t timeout;
  if (!ParseBlockTimeout(ctx, args[1], &timeout)) return;
  std::vector<std::string_view> order = keys;
  PreferReadyKey(ctx, &order);
  if (MPopFirst(ctx, order, left, count, IsBlockedRerun(ctx))) return;
  if (!CanBlock(ctx)) {
    ctx.rb->NullArray();
    return;
  }
  BlockClient(ctx, args, keys, ObjType::kList, timeout, TimeoutReply::kNullArray);
}

// Key finders for "numkeys key ..." at args[at]; nothing when numkeys is bad
// (the handler replies the error).
void NumKeysAt(const ArgList& args, size_t at, std::vector<int>* out) {
  int64_t n;
  if (at >= args.size() || !ParseInt64(args[at], &n) || n <= 0) return;
  if (n > static_cast<int64_t>(args.size()) - static_cast<int64_t>(at) - 1) return;
  for (int64_t i = 0; i < n; ++i) out->push_back(static_cast<int>(at + 1 + i));
}
void LMPopKeys(const ArgList& args, std::vector<int>* out) { NumKeysAt(args, 1, out); }
void BLMPopKeys(const ArgList& args, std::vector<int>* out) { NumKeysAt(args, 2, out); }

void DestroyList(void* p) { delete static_cast<List*>(p); }
void* CloneList(const void* p) { return new List(*static_cast<const List*>(p)); }
size_t ListMemory(const void* p) { return static_cast<const List*>(p)->MemoryUsage(); }

}  // namespace

void RegisterListFamily(CommandRegistry& r) {
  db::RegisterObjectOps(ObjType::kList, {DestroyList, CloneList, ListMemory});
  constexpr uint32_t kRd = kAclRead | kAclList;
  constexpr uint32_t kWr = kAclWrite | kAclList;
  constexpr uint32_t kBlk = kAclWrite | kAclList | kAclSlow | kAclBlocking;
  r.Register({
      Cmd("lpush", -3, kWrite | kDenyOom | kFast, kWr | kAclFast, CmdLPush)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Prepend one or multiple elements to a list",
               "O(1) for each element added, so O(N) to add N elements when the command is "
               "invoked with multiple arguments."),
      Cmd("rpush", -3, kWrite | kDenyOom | kFast, kWr | kAclFast, CmdRPush)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Append one or multiple elements to a list",
               "O(1) for each element added, so O(N) to add N elements when the command is "
               "invoked with multiple arguments."),
      Cmd("lpushx", -3, kWrite | kDenyOom | kFast, kWr | kAclFast, CmdLPushX)
          .Keys(1, 1, 1)
          .Doc("list", "2.2.0", "Prepend an element to a list, only if the list exists",
               "O(1) for each element added, so O(N) to add N elements when the command is "
               "invoked with multiple arguments."),
      Cmd("rpushx", -3, kWrite | kDenyOom | kFast, kWr | kAclFast, CmdRPushX)
          .Keys(1, 1, 1)
          .Doc("list", "2.2.0", "Append an element to a list, only if the list exists",
               "O(1) for each element added, so O(N) to add N elements when the command is "
               "invoked with multiple arguments."),
      Cmd("lpop", -2, kWrite | kFast, kWr | kAclFast, CmdLPop)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Remove and get the first elements in a list",
               "O(N) where N is the number of elements returned"),
      Cmd("rpop", -2, kWrite | kFast, kWr | kAclFast, CmdRPop)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Remove and get the last elements in a list",
               "O(N) where N is the number of elements returned"),
      Cmd("llen", 2, kReadOnly | kFast, kRd | kAclFast, CmdLLen)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Get the length of a list"),
      Cmd("lindex", 3, kReadOnly, kRd | kAclSlow, CmdLIndex)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Get an element from a list by its index",
               "O(N) where N is the number of elements to traverse to get to the element at "
               "index. This makes asking for the first or the last element of the list O(1)."),
      Cmd("lrange", 4, kReadOnly, kRd | kAclSlow, CmdLRange)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Get a range of elements from a list",
               "O(S+N) where S is the distance of start offset from HEAD for small lists, from "
               "nearest end (HEAD or TAIL) for large lists; and N is the number of elements in "
               "the specified range."),
      Cmd("lpos", -3, kReadOnly, kRd | kAclSlow, CmdLPos)
          .Keys(1, 1, 1)
          .Doc("list", "6.0.6", "Return the index of matching elements on a list",
               "O(N) where N is the number of elements in the list, for the average case. When "
               "searching for elements near the head or the tail of the list, or when the "
               "MAXLEN option is provided, the command may run in constant time."),
      Cmd("lset", 4, kWrite | kDenyOom, kWr | kAclSlow, CmdLSet)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Set the value of an element in a list by its index",
               "O(N) where N is the length of the list. Setting either the first or the last "
               "element of the list is O(1)."),
      Cmd("lrem", 4, kWrite, kWr | kAclSlow, CmdLRem)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Remove elements from a list",
               "O(N+M) where N is the length of the list and M is the number of elements "
               "removed."),
      Cmd("ltrim", 4, kWrite, kWr | kAclSlow, CmdLTrim)
          .Keys(1, 1, 1)
          .Doc("list", "1.0.0", "Trim a list to the specified range",
               "O(N) where N is the number of elements to be removed by the operation."),
      Cmd("linsert", 5, kWrite | kDenyOom, kWr | kAclSlow, CmdLInsert)
          .Keys(1, 1, 1)
          .Doc("list", "2.2.0", "Insert an element before or after another element in a list",
               "O(N) where N is the number of elements to traverse before seeing the value "
               "pivot. This means that inserting somewhere on the left end on the list (head) "
               "can be considered O(1) and inserting somewhere on the right end (tail) is O(N)."),
      Cmd("lmove", 5, kWrite | kDenyOom, kWr | kAclSlow, CmdLMove)
          .Keys(1, 2, 1)
          .Doc("list", "6.2.0",
               "Pop an element from a list, push it to another list and return it"),
      Cmd("rpoplpush", 3, kWrite | kDenyOom, kWr | kAclSlow, CmdRPopLPush)
          .Keys(1, 2, 1)
          .Doc("list", "1.2.0",
               "Remove the last element in a list, prepend it to another list and return it"),
      Cmd("lmpop", -4, kWrite, kWr | kAclSlow, CmdLMPop)
          .Finder(LMPopKeys)
          .Doc("list", "7.0.0", "Pop elements from a list",
               "O(N+M) where N is the number of provided keys and M is the number of elements "
               "returned."),
      Cmd("blpop", -3, kWrite | kNoScript | kBlocking, kBlk, CmdBLPop)
          .Keys(1, -2, 1)
          .Doc("list", "2.0.0",
               "Remove and get the first element in a list, or block until one is available",
               "O(N) where N is the number of provided keys."),
      Cmd("brpop", -3, kWrite | kNoScript | kBlocking, kBlk, CmdBRPop)
          .Keys(1, -2, 1)
          .Doc("list", "2.0.0",
               "Remove and get the last element in a list, or block until one is available",
               "O(N) where N is the number of provided keys."),
      Cmd("blmove", 6, kWrite | kDenyOom | kNoScript | kBlocking, kBlk, CmdBLMove)
          .Keys(1, 2, 1)
          .Doc("list", "6.2.0",
               "Pop an element from a list, push it to another list and return it; or block "
               "until one is available"),
      Cmd("brpoplpush", 4, kWrite | kDenyOom | kNoScript | kBlocking, kBlk, CmdBRPopLPush)
          .Keys(1, 2, 1)
          .Doc("list", "2.2.0",
               "Pop an element from a list, push it to another list and return it; or block "
               "until one is available"),
      Cmd("blmpop", -5, kWrite | kBlocking, kBlk, CmdBLMPop)
          .Finder(BLMPopKeys)
          .Doc("list", "7.0.0", "Pop elements from a list, or block until one is available",
               "O(N+M) where N is the number of provided keys and M is the number of elements "
               "returned."),
  });
}

}  // namespace basalt::server
