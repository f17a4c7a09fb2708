// Sorted-set commands (Redis 7.0's t_zset.c "zset commands"): ZADD and
// friends, the ZRANGE family, removals, pops (blocking too), ZRANDMEMBER and
// ZSCAN. The set-algebra commands (ZUNION, ZINTER, ZDIFF and their STORE
// forms, ZINTERCARD) live in zset_setops.cc.
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "commands/scan_options.h"
#include "commands/zset_internal.h"
#include "common/errors.h"
#include "common/strutil.h"
#include "db/database.h"
#include "db/entry.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/command.h"
#include "server/db_access.h"
#include "server/effects.h"
#include "server/notify.h"
#include "server/server.h"

namespace basalt::server {

namespace zset_internal {

db::ZSetLimits Limits(CommandContext& ctx) {
  auto& cfg = ctx.server->config();
  int64_t entries = cfg.zset_max_listpack_entries.load();
  int64_t value = cfg.zset_max_listpack_value.load();
  return {static_cast<size_t>(std::max<int64_t>(entries, 0)),
          static_cast<size_t>(std::max<int64_t>(value, 0))};
}

void SyncEncoding(db::Entry* e) {
  e->enc = e->As<db::ZSet>()->compact() ? db::Encoding::kListPack : db::Encoding::kSkipList;
}

db::Entry* NewZSetEntry(std::string_view key, db::ZSet* z) {
  db::Entry* e = db::Entry::NewObject(
      key, db::ObjType::kZSet, z->compact() ? db::Encoding::kListPack : db::Encoding::kSkipList, z);
  return e;
}

void StoreResult(CommandContext& ctx, std::string_view key, db::ZSet* z) {
  db::Entry* old = LookupWrite(ctx, key);
  db::Entry* e = NewZSetEntry(key, z);
  if (old) {
    ctx.db->Put(e, /*keep_ttl=*/false);
  } else {
    ctx.db->Add(e);
  }
  // The event is the command's name (zunionstore, zinterstore, zdiffstore,
  // zrangestore), published before KeyModified wakes a client blocked on it.
  NotifyKeyspaceEvent(ctx, kNotifyZSet, ctx.spec->name, key);
  KeyModified(ctx, key);
}

void DeleteResult(CommandContext& ctx, std::string_view key) {
  if (LookupWrite(ctx, key) && ctx.db->Delete(key)) {
    KeyModified(ctx, key);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
  }
}

void EmitElement(protocol::ReplyBuilder* rb, std::string_view m, double s, bool withscores) {
  if (withscores && rb->resp3()) rb->ArrayHeader(2);
  rb->Bulk(m);
  if (withscores) rb->Double(s);
}

void EmitHeader(protocol::ReplyBuilder* rb, size_t n, bool withscores) {
  rb->ArrayHeader(withscores && !rb->resp3() ? n * 2 : n);
}

bool ParseNumKeys(const ArgList& args, size_t idx, size_t* out) {
  int64_t n;
  if (idx >= args.size() || !ParseInt64(args[idx], &n)) return false;
  if (n < 1 || static_cast<uint64_t>(n) > args.size() - idx - 1) return false;
  *out = static_cast<size_t>(n);
  return true;
}

}  // namespace zset_internal

namespace {

using db::Entry;
using db::ZSet;
using protocol::ReplyBuilder;
using namespace zset_internal;  // NOLINT: this file's own helpers

// Looks up `key` for a zset command. Returns false after replying WRONGTYPE;
// *out is null when the key is absent.
bool GetZSet(CommandContext& ctx, std::string_view key, bool write, Entry** out) {
  Entry* e = write ? LookupWrite(ctx, key) : LookupRead(ctx, key);
  if (e && e->type != db::ObjType::kZSet) {
    ctx.rb->Error(errors::kWrongType);
    return false;
  }
  *out = e;
  return true;
}

// After a write that may have emptied or converted the set: notifies
// `event`, then the key's deletion if it emptied.
void AfterWrite(CommandContext& ctx, std::string_view key, Entry* e, std::string_view event,
                uint64_t dirty) {
  NotifyKeyspaceEvent(ctx, kNotifyZSet, event, key);
  bool emptied = e->As<ZSet>()->size() == 0;
  if (emptied) {
    ctx.db->Delete(key);
  } else {
    SyncEncoding(e);
  }
  KeyModified(ctx, key, dirty);
  if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
}

// zslParseRange's bound: strtod over the C string (leading spaces and the
// empty string pass, as in Redis), NaN rejected.
bool ParseScoreBound(std::string_view arg, double* v, bool* ex) {
  *ex = false;
  if (!arg.empty() && arg[0] == '(') {
    *ex = true;
    arg.remove_prefix(1);
  }
  std::string s(arg);
  char* end = nullptr;
  double d = strtod(s.c_str(), &end);
  if (*end != '\0' || std::isnan(d)) return false;
  *v = d;
  return true;
}

bool ParseScoreRange(std::string_view min, std::string_view max, db::ZScoreRange* r) {
  return ParseScoreBound(min, &r->min, &r->minex) && ParseScoreBound(max, &r->max, &r->maxex);
}

bool ParseLexRange(std::string_view min, std::string_view max, db::ZLexRange* r) {
  return db::ParseLexBound(min, &r->min) && db::ParseLexBound(max, &r->max);
}

bool ParseLong(ReplyBuilder* rb, std::string_view s, int64_t* v) {
  if (!ParseInt64(s, v)) {
    rb->Error(errors::kNotInteger);
    return false;
  }
  return true;
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

// ------------------------------------------------------------------ ZADD

enum ZAddFlags { kNx = 1, kXx = 2, kGt = 4, kLt = 8, kCh = 16, kIncr = 32 };

void ZAddGeneric(const ArgList& args, CommandContext& ctx, int flags) {
  ReplyBuilder* rb = ctx.rb;
  size_t idx = 2;
  for (; idx < args.size(); ++idx) {
    std::string_view a = args[idx];
    if (EqualsIgnoreCase(a, "nx"))
      flags |= kNx;
    else if (EqualsIgnoreCase(a, "xx"))
      flags |= kXx;
    else if (EqualsIgnoreCase(a, "ch"))
      flags |= kCh;
    else if (EqualsIgnoreCase(a, "incr"))
      flags |= kIncr;
    else if (EqualsIgnoreCase(a, "gt"))
      flags |= kGt;
    else if (EqualsIgnoreCase(a, "lt"))
      flags |= kLt;
    else
      break;
  }
  size_t elements = args.size() - idx;
  if (elements == 0 || elements % 2) {
    rb->Error(errors::kSyntax);
    return;
  }
  elements /= 2;
  if ((flags & kNx) && (flags & kXx)) {
    rb->Error(errors::kZAddXxNx);
    return;
  }
  if (((flags & kGt) && (flags & kNx)) || ((flags & kLt) && (flags & kNx)) ||
      ((flags & kGt) && (flags & kLt))) {
    rb->Error(errors::kZAddGtLtNx);
    return;
  }
  if ((flags & kIncr) && elements > 1) {
    rb->Error(errors::kZAddIncrPairs);
    return;
  }
  std::vector<double> scores(elements);
  for (size_t i = 0; i < elements; ++i) {
    if (!ParseDouble(args[idx + 2 * i], &scores[i])) {
      rb->Error(errors::kNotFloat);
      return;
    }
  }
  std::string_view key = args[1];
  Entry* e;
  if (!GetZSet(ctx, key, true, &e)) return;
  db::ZSetLimits lim = Limits(ctx);
  if (!e) {
    if (flags & kXx) {
      if (flags & kIncr) {
        rb->Null();
      } else {
        rb->Integer(0);
      }
      return;
    }
    // Redis 7.0 picks the encoding from the first member only.
    std::string_view first = args[idx + 1];
    ZSet* z = (lim.max_entries == 0 || first.size() > lim.max_value)
                  ? ZSet::Create(SIZE_MAX, 0, lim)
                  : ZSet::Create(0, 0, lim);
    e = NewZSetEntry(key, z);
    ctx.db->Add(e);
  }
  ZSet* z = e->As<ZSet>();
  int64_t added = 0, updated = 0, processed = 0;
  double newscore = 0;
  bool nan = false;
  for (size_t i = 0; i < elements; ++i) {
    double score = scores[i];
    std::string_view member = args[idx + 2 * i + 1];
    double cur;
    if (z->Score(member, &cur)) {
      if (flags & kNx) continue;
      if (flags & kIncr) {
        score += cur;
        if (std::isnan(score)) {
          nan = true;
          break;
        }
      }
      if (((flags & kLt) && score >= cur) || ((flags & kGt) && score <= cur)) continue;
      newscore = score;
      if (score != cur) {
        z->Set(member, score, lim);
        ++updated;
      }
      ++processed;
    } else if (!(flags & kXx)) {
      z->Set(member, score, lim);
      newscore = score;
      ++added;
      ++processed;
    }
  }
  if (nan) {
    rb->Error(errors::kZScoreNan);
  } else if (flags & kIncr) {
    if (processed) {
      rb->Double(newscore);
    } else {
      rb->Null();
    }
  } else {
    rb->Integer((flags & kCh) ? added + updated : added);
  }
  if (added || updated) {
    AfterWrite(ctx, key, e, (flags & kIncr) ? "zincr" : "zadd", added + updated);
  } else if (z->size() == 0) {
    ctx.db->Delete(key);  // created for nothing (cannot normally happen)
  }
}

void CmdZAdd(const ArgList& args, CommandContext& ctx) { ZAddGeneric(args, ctx, 0); }
void CmdZIncrBy(const ArgList& args, CommandContext& ctx) { ZAddGeneric(args, ctx, kIncr); }

// ------------------------------------------------------------ simple reads

void CmdZRem(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!GetZSet(ctx, args[1], true, &e)) return;
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  int64_t deleted = 0;
  ZSet* z = e->As<ZSet>();
  for (size_t i = 2; i < args.size(); ++i) {
    if (z->Remove(args[i])) {
      ++deleted;
      if (z->size() == 0) break;
    }
  }
  ctx.rb->Integer(deleted);
  if (deleted) AfterWrite(ctx, args[1], e, "zrem", static_cast<uint64_t>(deleted));
}

void CmdZCard(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!GetZSet(ctx, args[1], false, &e)) return;
  ctx.rb->Integer(e ? static_cast<int64_t>(e->As<ZSet>()->size()) : 0);
}

void CmdZScore(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!GetZSet(ctx, args[1], false, &e)) return;
  double s;
  if (e && e->As<ZSet>()->Score(args[2], &s)) {
    ctx.rb->Double(s);
  } else {
    ctx.rb->Null();
  }
}

void CmdZMScore(const ArgList& args, CommandContext& ctx) {
  Entry* e;
  if (!GetZSet(ctx, args[1], false, &e)) return;
  ctx.rb->ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    double s;
    if (e && e->As<ZSet>()->Score(args[i], &s)) {
      ctx.rb->Double(s);
    } else {
      ctx.rb->Null();
    }
  }
}

void ZRankGeneric(const ArgList& args, CommandContext& ctx, bool reverse) {
  Entry* e;
  if (!GetZSet(ctx, args[1], false, &e)) return;
  int64_t r = e ? e->As<ZSet>()->Rank(args[2], reverse) : -1;
  if (r < 0) {
    ctx.rb->Null();
  } else {
    ctx.rb->Integer(r);
  }
}
void CmdZRank(const ArgList& args, CommandContext& ctx) { ZRankGeneric(args, ctx, false); }
void CmdZRevRank(const ArgList& args, CommandContext& ctx) { ZRankGeneric(args, ctx, true); }

void CmdZCount(const ArgList& args, CommandContext& ctx) {
  db::ZScoreRange r;
  if (!ParseScoreRange(args[2], args[3], &r)) {
    ctx.rb->Error(errors::kZMinMaxFloat);
    return;
  }
  Entry* e;
  if (!GetZSet(ctx, args[1], false, &e)) return;
  size_t lo = 0, hi = 0;
  if (e) e->As<ZSet>()->ScoreRankInterval(r, &lo, &hi);
  ctx.rb->Integer(static_cast<int64_t>(hi - lo));
}

void CmdZLexCount(const ArgList& args, CommandContext& ctx) {
  db::ZLexRange r;
  if (!ParseLexRange(args[2], args[3], &r)) {
    ctx.rb->Error(errors::kZMinMaxLex);
    return;
  }
  Entry* e;
  if (!GetZSet(ctx, args[1], false, &e)) return;
  size_t lo = 0, hi = 0;
  if (e) e->As<ZSet>()->LexRankInterval(r, &lo, &hi);
  ctx.rb->Integer(static_cast<int64_t>(hi - lo));
}

// ------------------------------------------------------------ ZRANGE family

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// Turns a rank range (Redis's start/end, negatives from the end) into the
// ascending interval [lo, hi) of a set of `len` elements; reverse ranks count
// from the top.
void RankInterval(int64_t start, int64_t end, size_t len, bool reverse, size_t* lo, size_t* hi) {
  int64_t llen = static_cast<int64_t>(len);
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) {
    *lo = *hi = 0;
    return;
  }
  if (end >= llen) end = llen - 1;
  if (reverse) {
    *lo = static_cast<size_t>(llen - 1 - end);
    *hi = static_cast<size_t>(llen - start);
  } else {
    *lo = static_cast<size_t>(start);
    *hi = static_cast<size_t>(end + 1);
  }
}

// Applies LIMIT offset count to the interval [lo, hi) walked in `reverse` order.
void ApplyLimit(int64_t offset, int64_t limit, bool reverse, size_t* lo, size_t* hi) {
  if (*hi <= *lo || offset < 0 || static_cast<uint64_t>(offset) >= *hi - *lo) {
    *lo = *hi = 0;
    return;
  }
  size_t avail = *hi - *lo - static_cast<size_t>(offset);
  size_t take = limit < 0 ? avail : std::min(avail, static_cast<size_t>(limit));
  if (reverse) {
    *hi -= static_cast<size_t>(offset);
    *lo = *hi - take;
  } else {
    *lo += static_cast<size_t>(offset);
    *hi = *lo + take;
  }
}

// zrangeGenericCommand. `keyidx` is the source key's index; `store` puts the
// result at args[1] (ZRANGESTORE).
void ZRangeGeneric(const ArgList& args, CommandContext& ctx, size_t keyidx, bool store,
                   RangeType rtype, Direction dir) {
  ReplyBuilder* rb = ctx.rb;
  size_t minidx = keyidx + 1, maxidx = keyidx + 2;
  bool withscores = false, has_limit = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = keyidx + 3; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    std::string_view a = args[j];
    if (!store && EqualsIgnoreCase(a, "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!ParseLong(rb, args[j + 1], &offset) || !ParseLong(rb, args[j + 2], &limit)) return;
      has_limit = true;
      j += 2;
    } else if (dir == Direction::kAuto && EqualsIgnoreCase(a, "rev")) {
      dir = Direction::kReverse;
    } else if (rtype == RangeType::kAuto && EqualsIgnoreCase(a, "bylex")) {
      rtype = RangeType::kLex;
    } else if (rtype == RangeType::kAuto && EqualsIgnoreCase(a, "byscore")) {
      rtype = RangeType::kScore;
    } else {
      rb->Error(errors::kSyntax);
      return;
    }
  }
  if (rtype == RangeType::kAuto) rtype = RangeType::kRank;
  if (dir == Direction::kAuto) dir = Direction::kForward;
  bool reverse = dir == Direction::kReverse;
  if (has_limit && rtype == RangeType::kRank) {
    rb->Error(errors::kZLimitRank);
    return;
  }
  if (withscores && rtype == RangeType::kLex) {
    rb->Error(errors::kZWithscoresLex);
    return;
  }
  if (reverse && rtype != RangeType::kRank) std::swap(minidx, maxidx);

  int64_t start = 0, end = 0;
  db::ZScoreRange srange;
  db::ZLexRange lrange;
  switch (rtype) {
    case RangeType::kAuto:
    case RangeType::kRank:
      if (!ParseLong(rb, args[minidx], &start) || !ParseLong(rb, args[maxidx], &end)) return;
      break;
    case RangeType::kScore:
      if (!ParseScoreRange(args[minidx], args[maxidx], &srange)) {
        rb->Error(errors::kZMinMaxFloat);
        return;
      }
      break;
    case RangeType::kLex:
      if (!ParseLexRange(args[minidx], args[maxidx], &lrange)) {
        rb->Error(errors::kZMinMaxLex);
        return;
      }
      break;
  }

  Entry* e;
  if (!GetZSet(ctx, args[keyidx], /*write=*/false, &e)) return;  // a read even when storing
  size_t lo = 0, hi = 0;
  const ZSet* z = e ? e->As<ZSet>() : nullptr;
  if (z) {
    if (rtype == RangeType::kRank) {
      RankInterval(start, end, z->size(), reverse, &lo, &hi);
    } else {
      if (rtype == RangeType::kScore) {
        z->ScoreRankInterval(srange, &lo, &hi);
      } else {
        z->LexRankInterval(lrange, &lo, &hi);
      }
      ApplyLimit(offset, limit, reverse, &lo, &hi);
    }
  }
  if (store) {
    std::string_view dst = args[1];
    if (hi <= lo) {
      rb->Integer(0);
      DeleteResult(ctx, dst);
      return;
    }
    db::ZSetLimits lim = Limits(ctx);
    ZSet* out = ZSet::Create(rtype == RangeType::kRank ? hi - lo : 0, 0, lim);
    z->VisitRanks(lo, hi, reverse, [&](std::string_view m, double s) { out->Set(m, s, lim); });
    rb->Integer(static_cast<int64_t>(hi - lo));
    StoreResult(ctx, dst, out);
    return;
  }
  EmitHeader(rb, hi - lo, withscores);
  if (z) {
    z->VisitRanks(lo, hi, reverse,
                  [&](std::string_view m, double s) { EmitElement(rb, m, s, withscores); });
  }
}

void CmdZRange(const ArgList& args, CommandContext& ctx) {
  ZRangeGeneric(args, ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
void CmdZRangeStore(const ArgList& args, CommandContext& ctx) {
  ZRangeGeneric(args, ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
void CmdZRevRange(const ArgList& args, CommandContext& ctx) {
  ZRangeGeneric(args, ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
void CmdZRangeByScore(const ArgList& args, CommandContext& ctx) {
  ZRangeGeneric(args, ctx, 1, false, RangeType::kScore, Direction::kForward);
}
void CmdZRevRangeByScore(const ArgList& args, CommandContext& ctx) {
  ZRangeGeneric(args, ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void CmdZRangeByLex(const ArgList& args, CommandContext& ctx) {
  ZRangeGeneric(args, ctx, 1, false, RangeType::kLex, Direction::kForward);
}
void CmdZRevRangeByLex(const ArgList& args, CommandContext& ctx) {
  ZRangeGeneric(args, ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

// ------------------------------------------------------------ ZREMRANGEBY*

void ZRemRangeGeneric(const ArgList& args, CommandContext& ctx, RangeType rtype) {
  ReplyBuilder* rb = ctx.rb;
  int64_t start = 0, end = 0;
  db::ZScoreRange srange;
  db::ZLexRange lrange;
  if (rtype == RangeType::kRank) {
    if (!ParseLong(rb, args[2], &start) || !ParseLong(rb, args[3], &end)) return;
  } else if (rtype == RangeType::kScore) {
    if (!ParseScoreRange(args[2], args[3], &srange)) {
      rb->Error(errors::kZMinMaxFloat);
      return;
    }
  } else if (!ParseLexRange(args[2], args[3], &lrange)) {
    rb->Error(errors::kZMinMaxLex);
    return;
  }
  Entry* e;
  if (!GetZSet(ctx, args[1], true, &e)) return;
  if (!e) {
    rb->Integer(0);
    return;
  }
  ZSet* z = e->As<ZSet>();
  size_t lo, hi;
  if (rtype == RangeType::kRank) {
    RankInterval(start, end, z->size(), false, &lo, &hi);
  } else if (rtype == RangeType::kScore) {
    z->ScoreRankInterval(srange, &lo, &hi);
  } else {
    z->LexRankInterval(lrange, &lo, &hi);
  }
  size_t removed = z->RemoveRanks(lo, hi);
  rb->Integer(static_cast<int64_t>(removed));
  static constexpr std::string_view kEvents[] = {"zremrangebyrank", "zremrangebyscore",
                                                 "zremrangebylex"};
  std::string_view event = kEvents[rtype == RangeType::kRank    ? 0
                                   : rtype == RangeType::kScore ? 1
                                                                : 2];
  if (removed) AfterWrite(ctx, args[1], e, event, removed);
}

void CmdZRemRangeByRank(const ArgList& args, CommandContext& ctx) {
  ZRemRangeGeneric(args, ctx, RangeType::kRank);
}
void CmdZRemRangeByScore(const ArgList& args, CommandContext& ctx) {
  ZRemRangeGeneric(args, ctx, RangeType::kScore);
}
void CmdZRemRangeByLex(const ArgList& args, CommandContext& ctx) {
  ZRemRangeGeneric(args, ctx, RangeType::kLex);
}

// ------------------------------------------------------------------ pops

// How a pop reply is shaped (genericZpopCommand's emitkey/use_nested_array).
enum class PopShape {
  kFlat,       // ZPOPMIN/MAX (RESP2, or RESP3 without COUNT): [m, s, ...]
  kNested,     // ZPOPMIN/MAX with COUNT in RESP3: [[m, s], ...]
  kKeyFlat,    // BZPOPMIN/MAX: [key, m, s]
  kKeyNested,  // ZMPOP/BZMPOP: [key, [[m, s], ...]]
};

// Pops up to `count` elements from `e` (a non-empty zset at `key`) and replies.
void PopAndReply(CommandContext& ctx, std::string_view key, Entry* e, bool max, size_t count,
                 PopShape shape) {
  ReplyBuilder* rb = ctx.rb;
  ZSet* z = e->As<ZSet>();
  size_t n = std::min(count, z->size());
  switch (shape) {
    case PopShape::kFlat:
      rb->ArrayHeader(n * 2);
      break;
    case PopShape::kNested:
      rb->ArrayHeader(n);
      break;
    case PopShape::kKeyFlat:
      rb->ArrayHeader(n * 2 + 1);
      rb->Bulk(key);
      break;
    case PopShape::kKeyNested:
      rb->ArrayHeader(2);
      rb->Bulk(key);
      rb->ArrayHeader(n);
      break;
  }
  bool nested = shape == PopShape::kNested || shape == PopShape::kKeyNested;
  size_t len = z->size();
  size_t lo = max ? len - n : 0, hi = max ? len : n;
  z->VisitRanks(lo, hi, max, [&](std::string_view m, double s) {
    if (nested) rb->ArrayHeader(2);
    rb->Bulk(m);
    rb->Double(s);
  });
  z->RemoveRanks(lo, hi);
  AfterWrite(ctx, key, e, max ? "zpopmax" : "zpopmin", n);
  // BZPOPMIN/MAX are logged as ZPOPMIN/MAX, [B]ZMPOP as ZPOPMIN/MAX with the count served.
  std::string_view cmd = max ? "ZPOPMAX" : "ZPOPMIN";
  if (shape == PopShape::kKeyFlat) {
    Propagate(ctx, {cmd, key});
  } else if (shape == PopShape::kKeyNested) {
    Propagate(ctx, {cmd, key, Int64ToString(static_cast<int64_t>(n))});
  }
}

void ZPopGeneric(const ArgList& args, CommandContext& ctx, bool max) {
  ReplyBuilder* rb = ctx.rb;
  if (args.size() > 3) {
    rb->Error(errors::kSyntax);
    return;
  }
  int64_t count = 1;
  bool has_count = args.size() == 3;
  if (has_count) {
    if (!ParseInt64(args[2], &count) || count < 0) {
      rb->Error(errors::kZMustBePositive);
      return;
    }
  }
  Entry* e;
  if (!GetZSet(ctx, args[1], true, &e)) return;
  if (!e || count == 0) {
    rb->ArrayHeader(0);
    return;
  }
  PopAndReply(ctx, args[1], e, max, static_cast<size_t>(count),
              has_count && rb->resp3() ? PopShape::kNested : PopShape::kFlat);
}
void CmdZPopMin(const ArgList& args, CommandContext& ctx) { ZPopGeneric(args, ctx, false); }
void CmdZPopMax(const ArgList& args, CommandContext& ctx) { ZPopGeneric(args, ctx, true); }

// getRangeLongFromObjectOrReply(1, LONG_MAX, msg): every failure says `msg`.
bool ParsePositive(ReplyBuilder* rb, std::string_view s, std::string_view msg, int64_t* out) {
  if (!ParseInt64(s, out) || *out < 1) {
    rb->Error(msg);
    return false;
  }
  return true;
}

// ZMPOP/BZMPOP argument parsing from `numkeys_idx`. Replies on error.
bool ParseMPop(const ArgList& args, CommandContext& ctx, size_t numkeys_idx, size_t* numkeys,
               bool* max, int64_t* count) {
  ReplyBuilder* rb = ctx.rb;
  int64_t nk;
  if (!ParsePositive(rb, args[numkeys_idx], errors::kZNumKeysPositive, &nk)) return false;
  if (static_cast<uint64_t>(nk) >= args.size() - numkeys_idx - 1) {
    rb->Error(errors::kSyntax);
    return false;
  }
  size_t where = numkeys_idx + static_cast<size_t>(nk) + 1;
  if (EqualsIgnoreCase(args[where], "min")) {
    *max = false;
  } else if (EqualsIgnoreCase(args[where], "max")) {
    *max = true;
  } else {
    rb->Error(errors::kSyntax);
    return false;
  }
  *count = -1;
  for (size_t j = where + 1; j < args.size(); ++j) {
    if (*count == -1 && EqualsIgnoreCase(args[j], "count") && j + 1 < args.size()) {
      if (!ParsePositive(rb, args[++j], errors::kZCountPositive, count)) return false;
    } else {
      rb->Error(errors::kSyntax);
      return false;
    }
  }
  if (*count == -1) *count = 1;
  *numkeys = static_cast<size_t>(nk);
  return true;
}

void CmdZMPop(const ArgList& args, CommandContext& ctx) {
  size_t numkeys;
  bool max;
  int64_t count;
  if (!ParseMPop(args, ctx, 1, &numkeys, &max, &count)) return;
  for (size_t i = 0; i < numkeys; ++i) {
    Entry* e;
    if (!GetZSet(ctx, args[2 + i], true, &e)) return;
    if (!e) continue;
    PopAndReply(ctx, args[2 + i], e, max, static_cast<size_t>(count), PopShape::kKeyNested);
    return;
  }
  ctx.rb->NullArray();
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout, and BZMPOP timeout numkeys ...:
// serve the first non-empty zset, else block (see server/blocking.h).
void BlockingPop(const ArgList& args, CommandContext& ctx, size_t first_key, size_t nkeys, bool max,
                 size_t count, PopShape shape, std::string_view timeout_arg) {
  int64_t timeout_ms;
  if (!ParseBlockTimeout(ctx, timeout_arg, &timeout_ms)) return;
  bool rerun = IsBlockedRerun(ctx);
  std::vector<std::string_view> keys;
  for (size_t i = 0; i < nkeys; ++i) {
    std::string_view key = args[first_key + i];
    keys.push_back(key);
    Entry* e = LookupWrite(ctx, key);
    if (!e) continue;
    if (e->type != db::ObjType::kZSet) {
      if (rerun) continue;
      ctx.rb->Error(errors::kWrongType);
      return;
    }
    UnblockClient(ctx);
    PopAndReply(ctx, key, e, max, count, shape);
    return;
  }
  if (!CanBlock(ctx)) {
    ctx.rb->NullArray();
    return;
  }
  BlockClient(ctx, args, keys, db::ObjType::kZSet, timeout_ms, TimeoutReply::kNullArray);
}

void CmdBZPopMin(const ArgList& args, CommandContext& ctx) {
  BlockingPop(args, ctx, 1, args.size() - 2, false, 1, PopShape::kKeyFlat, args.back());
}
void CmdBZPopMax(const ArgList& args, CommandContext& ctx) {
  BlockingPop(args, ctx, 1, args.size() - 2, true, 1, PopShape::kKeyFlat, args.back());
}

void CmdBZMPop(const ArgList& args, CommandContext& ctx) {
  // Redis checks numkeys, MIN|MAX and COUNT before the timeout.
  size_t numkeys;
  bool max;
  int64_t count;
  if (!ParseMPop(args, ctx, 2, &numkeys, &max, &count)) return;
  BlockingPop(args, ctx, 3, numkeys, max, static_cast<size_t>(count), PopShape::kKeyNested,
              args[1]);
}

// ------------------------------------------------------------ ZRANDMEMBER

void CmdZRandMember(const ArgList& args, CommandContext& ctx) {
  ReplyBuilder* rb = ctx.rb;
  if (args.size() == 2) {
    Entry* e;
    if (!GetZSet(ctx, args[1], false, &e)) return;
    if (!e) {
      rb->Null();
      return;
    }
    const ZSet* z = e->As<ZSet>();
    std::string_view m;
    double s;
    z->At(Rng()() % z->size(), &m, &s);
    rb->Bulk(m);
    return;
  }
  int64_t l;
  if (!ParseLong(rb, args[2], &l)) return;
  if (l == INT64_MIN) {
    rb->Error(errors::kZRandCountRange);
    return;
  }
  bool withscores = false;
  if (args.size() == 4 && EqualsIgnoreCase(args[3], "withscores")) {
    withscores = true;
  } else if (args.size() >= 4) {
    rb->Error(errors::kSyntax);
    return;
  }
  // Redis 7.0 refuses counts whose flattened WITHSCORES reply length overflows.
  constexpr int64_t kHalf = INT64_MAX / 2;
  if (withscores && (l < -kHalf || l > kHalf)) {
    rb->Error(errors::kZOutOfRange);
    return;
  }
  Entry* e;
  if (!GetZSet(ctx, args[1], false, &e)) return;
  if (!e || l == 0) {
    rb->ArrayHeader(0);
    return;
  }
  const ZSet* z = e->As<ZSet>();
  size_t size = z->size();
  // Element access by rank: the compact encoding is decoded once.
  std::vector<std::pair<std::string_view, double>> all;
  if (z->compact()) {
    all.reserve(size);
    z->ForEach([&](std::string_view m, double s) { all.emplace_back(m, s); });
  }
  auto at = [&](size_t i, std::string_view* m, double* s) {
    if (!all.empty()) {
      *m = all[i].first;
      *s = all[i].second;
    } else {
      z->At(i, m, s);
    }
  };
  auto& rng = Rng();
  if (l < 0) {
    uint64_t count = static_cast<uint64_t>(-l);
    EmitHeader(rb, count, withscores);
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view m;
      double s;
      at(rng() % size, &m, &s);
      EmitElement(rb, m, s, withscores);
    }
    return;
  }
  uint64_t count = static_cast<uint64_t>(l);
  if (count >= size) {
    EmitHeader(rb, size, withscores);
    z->ForEach([&](std::string_view m, double s) { EmitElement(rb, m, s, withscores); });
    return;
  }
  std::vector<size_t> picks;
  if (count * 3 > size) {
    // Most of the set: shuffle a prefix of all ranks.
    std::vector<size_t> idx(size);
    for (size_t i = 0; i < size; ++i) idx[i] = i;
    for (size_t i = 0; i < count; ++i) std::swap(idx[i], idx[i + rng() % (size - i)]);
    picks.assign(idx.begin(), idx.begin() + static_cast<ptrdiff_t>(count));
  } else {
    std::unordered_set<size_t> seen;
    while (picks.size() < count) {
      size_t r = rng() % size;
      if (seen.insert(r).second) picks.push_back(r);
    }
  }
  EmitHeader(rb, count, withscores);
  for (size_t r : picks) {
    std::string_view m;
    double s;
    at(r, &m, &s);
    EmitElement(rb, m, s, withscores);
  }
}

// ------------------------------------------------------------------ ZSCAN

void CmdZScan(const ArgList& args, CommandContext& ctx) {
  ReplyBuilder* rb = ctx.rb;
  uint64_t cursor;
  if (!ParseScanCursor(args[2], &cursor)) {
    rb->Error(errors::kInvalidCursor);
    return;
  }
  Entry* e;
  if (!GetZSet(ctx, args[1], false, &e)) return;
  if (!e) {
    ReplyEmptyScan(rb);
    return;
  }
  ScanOptions opt;
  if (!ParseScanOptions(args, 3, /*allow_type=*/false, &opt, rb)) return;
  int64_t count = opt.count;
  const ZSet* z = e->As<ZSet>();
  std::vector<std::pair<std::string, double>> found;
  auto collect = [&](std::string_view m, double s) { found.emplace_back(std::string(m), s); };
  if (z->compact()) {
    cursor = z->Scan(cursor, collect);
  } else {
    int64_t max_iter = count * 10;
    do {
      cursor = z->Scan(cursor, collect);
    } while (cursor && max_iter-- && found.size() < static_cast<uint64_t>(count));
  }
  size_t kept = 0;
  for (size_t i = 0; i < found.size(); ++i) {
    if (!opt.Matches(found[i].first)) continue;
    if (kept != i) found[kept] = std::move(found[i]);
    ++kept;
  }
  found.resize(kept);
  rb->ArrayHeader(2);
  rb->Bulk(std::to_string(cursor));
  rb->ArrayHeader(found.size() * 2);
  for (auto& f : found) {
    rb->Bulk(f.first);
    rb->Bulk(FormatDouble(f.second));
  }
}

// ------------------------------------------------------------ key finders

// ZMPOP numkeys key ... / ZINTERCARD / ZUNION / ZINTER / ZDIFF: numkeys at 1.
void NumKeysAt1(const ArgList& args, std::vector<int>* out) {
  size_t n;
  if (!ParseNumKeys(args, 1, &n)) return;
  for (size_t i = 0; i < n; ++i) out->push_back(static_cast<int>(2 + i));
}
// BZMPOP timeout numkeys key ...
void NumKeysAt2(const ArgList& args, std::vector<int>* out) {
  size_t n;
  if (!ParseNumKeys(args, 2, &n)) return;
  for (size_t i = 0; i < n; ++i) out->push_back(static_cast<int>(3 + i));
}
// Z*STORE dst numkeys key ...
void StoreNumKeys(const ArgList& args, std::vector<int>* out) {
  size_t n;
  if (!ParseNumKeys(args, 2, &n)) return;
  out->push_back(1);
  for (size_t i = 0; i < n; ++i) out->push_back(static_cast<int>(3 + i));
}

void DestroyZSet(void* p) { delete static_cast<ZSet*>(p); }
void* CloneZSet(const void* p) { return static_cast<const ZSet*>(p)->Clone(); }
size_t ZSetMemory(const void* p) { return static_cast<const ZSet*>(p)->MemoryUsage(); }

}  // namespace

void RegisterZSetFamily(CommandRegistry& r) {
  db::RegisterObjectOps(db::ObjType::kZSet, {DestroyZSet, CloneZSet, ZSetMemory});
  constexpr uint32_t kR = kAclRead | kAclSortedSet;
  constexpr uint32_t kW = kAclWrite | kAclSortedSet;
  using namespace zset_internal;  // NOLINT
  r.Register({
      Cmd("zadd", -4, kWrite | kDenyOom | kFast, kW | kAclFast, CmdZAdd)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "1.2.0",
               "Add one or more members to a sorted set, or update its score if it already exists",
               "O(log(N)) for each item added, where N is the number of elements in the sorted "
               "set."),
      Cmd("zincrby", 4, kWrite | kDenyOom | kFast, kW | kAclFast, CmdZIncrBy)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "1.2.0", "Increment the score of a member in a sorted set",
               "O(log(N)) where N is the number of elements in the sorted set."),
      Cmd("zrem", -3, kWrite | kFast, kW | kAclFast, CmdZRem)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "1.2.0", "Remove one or more members from a sorted set",
               "O(M*log(N)) with N being the number of elements in the sorted set and M the "
               "number of elements to be removed."),
      Cmd("zcard", 2, kReadOnly | kFast, kR | kAclFast, CmdZCard)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "1.2.0", "Get the number of members in a sorted set"),
      Cmd("zscore", 3, kReadOnly | kFast, kR | kAclFast, CmdZScore)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "1.2.0",
               "Get the score associated with the given member in a sorted set"),
      Cmd("zmscore", -3, kReadOnly | kFast, kR | kAclFast, CmdZMScore)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "6.2.0",
               "Get the score associated with the given members in a sorted set",
               "O(N) where N is the number of members being requested."),
      Cmd("zrank", 3, kReadOnly | kFast, kR | kAclFast, CmdZRank)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.0.0", "Determine the index of a member in a sorted set",
               "O(log(N))"),
      Cmd("zrevrank", 3, kReadOnly | kFast, kR | kAclFast, CmdZRevRank)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.0.0",
               "Determine the index of a member in a sorted set, with scores ordered from high to "
               "low",
               "O(log(N))"),
      Cmd("zcount", 4, kReadOnly | kFast, kR | kAclFast, CmdZCount)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.0.0",
               "Count the members in a sorted set with scores within the given values",
               "O(log(N)) with N being the number of elements in the sorted set."),
      Cmd("zlexcount", 4, kReadOnly | kFast, kR | kAclFast, CmdZLexCount)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.8.9",
               "Count the number of members in a sorted set between a given lexicographical range",
               "O(log(N)) with N being the number of elements in the sorted set."),
      Cmd("zrange", -4, kReadOnly, kR | kAclSlow, CmdZRange)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "1.2.0", "Return a range of members in a sorted set",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements returned."),
      Cmd("zrangestore", -5, kWrite | kDenyOom, kW | kAclSlow, CmdZRangeStore)
          .Keys(1, 2, 1)
          .Doc("sorted_set", "6.2.0", "Store a range of members from sorted set into another key",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements stored into the destination key."),
      Cmd("zrevrange", -4, kReadOnly, kR | kAclSlow, CmdZRevRange)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "1.2.0",
               "Return a range of members in a sorted set, by index, with scores ordered from "
               "high "
               "to low",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements returned."),
      Cmd("zrangebyscore", -4, kReadOnly, kR | kAclSlow, CmdZRangeByScore)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "1.0.5", "Return a range of members in a sorted set, by score",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements being returned."),
      Cmd("zrevrangebyscore", -4, kReadOnly, kR | kAclSlow, CmdZRevRangeByScore)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.2.0",
               "Return a range of members in a sorted set, by score, with scores ordered from "
               "high "
               "to low",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements being returned."),
      Cmd("zrangebylex", -4, kReadOnly, kR | kAclSlow, CmdZRangeByLex)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.8.9",
               "Return a range of members in a sorted set, by lexicographical range",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements being returned."),
      Cmd("zrevrangebylex", -4, kReadOnly, kR | kAclSlow, CmdZRevRangeByLex)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.8.9",
               "Return a range of members in a sorted set, by lexicographical range, ordered from "
               "higher to lower strings.",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements being returned."),
      Cmd("zremrangebyrank", 4, kWrite, kW | kAclSlow, CmdZRemRangeByRank)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.0.0", "Remove all members in a sorted set within the given indexes",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements removed by the operation."),
      Cmd("zremrangebyscore", 4, kWrite, kW | kAclSlow, CmdZRemRangeByScore)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "1.2.0", "Remove all members in a sorted set within the given scores",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements removed by the operation."),
      Cmd("zremrangebylex", 4, kWrite, kW | kAclSlow, CmdZRemRangeByLex)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.8.9",
               "Remove all members in a sorted set between the given lexicographical range",
               "O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements removed by the operation."),
      Cmd("zpopmin", -2, kWrite | kFast, kW | kAclFast, CmdZPopMin)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "5.0.0",
               "Remove and return members with the lowest scores in a sorted set",
               "O(log(N)*M) with N being the number of elements in the sorted set, and M being "
               "the number of elements popped."),
      Cmd("zpopmax", -2, kWrite | kFast, kW | kAclFast, CmdZPopMax)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "5.0.0",
               "Remove and return members with the highest scores in a sorted set",
               "O(log(N)*M) with N being the number of elements in the sorted set, and M being "
               "the number of elements popped."),
      Cmd("zmpop", -4, kWrite, kW | kAclSlow, CmdZMPop)
          .Finder(NumKeysAt1)
          .Doc("sorted_set", "7.0.0", "Remove and return members with scores in a sorted set",
               "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
               "elements in the sorted set, and M being the number of elements popped."),
      Cmd("bzpopmin", -3, kWrite | kNoScript | kFast | kBlocking, kW | kAclFast | kAclBlocking,
          CmdBZPopMin)
          .Keys(1, -2, 1)
          .Doc("sorted_set", "5.0.0",
               "Remove and return the member with the lowest score from one or more sorted sets, "
               "or block until one is available",
               "O(log(N)) with N being the number of elements in the sorted set."),
      Cmd("bzpopmax", -3, kWrite | kNoScript | kFast | kBlocking, kW | kAclFast | kAclBlocking,
          CmdBZPopMax)
          .Keys(1, -2, 1)
          .Doc("sorted_set", "5.0.0",
               "Remove and return the member with the highest score from one or more sorted sets, "
               "or block until one is available",
               "O(log(N)) with N being the number of elements in the sorted set."),
      Cmd("bzmpop", -5, kWrite | kBlocking, kW | kAclSlow | kAclBlocking, CmdBZMPop)
          .Finder(NumKeysAt2)
          .Doc("sorted_set", "7.0.0",
               "Remove and return members with scores in a sorted set or block until one is "
               "available",
               "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
               "elements in the sorted set, and M being the number of elements popped."),
      Cmd("zrandmember", -2, kReadOnly, kR | kAclSlow, CmdZRandMember)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "6.2.0", "Get one or multiple random elements from a sorted set",
               "O(N) where N is the number of elements returned"),
      Cmd("zscan", -3, kReadOnly, kR | kAclSlow, CmdZScan)
          .Keys(1, 1, 1)
          .Doc("sorted_set", "2.8.0",
               "Incrementally iterate sorted sets elements and associated scores",
               "O(1) for every call. O(N) for a complete iteration, including enough command "
               "calls "
               "for the cursor to return back to 0. N is the number of elements inside the "
               "collection.."),
      Cmd("zunion", -3, kReadOnly, kR | kAclSlow, CmdZUnion)
          .Finder(NumKeysAt1)
          .Doc("sorted_set", "6.2.0", "Add multiple sorted sets",
               "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and "
               "M being the number of elements in the resulting sorted set."),
      Cmd("zinter", -3, kReadOnly, kR | kAclSlow, CmdZInter)
          .Finder(NumKeysAt1)
          .Doc("sorted_set", "6.2.0", "Intersect multiple sorted sets",
               "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being "
               "the number of input sorted sets and M being the number of elements in the "
               "resulting sorted set."),
      Cmd("zdiff", -3, kReadOnly, kR | kAclSlow, CmdZDiff)
          .Finder(NumKeysAt1)
          .Doc("sorted_set", "6.2.0", "Subtract multiple sorted sets",
               "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the "
               "sets, N is the size of the first set, and K is the size of the result set."),
      Cmd("zintercard", -3, kReadOnly, kR | kAclSlow, CmdZInterCard)
          .Finder(NumKeysAt1)
          .Doc("sorted_set", "7.0.0",
               "Intersect multiple sorted sets and return the cardinality of the result",
               "O(N*K) worst case with N being the smallest input sorted set, K being the number "
               "of input sorted sets."),
      Cmd("zunionstore", -4, kWrite | kDenyOom, kW | kAclSlow, CmdZUnionStore)
          .Keys(1, 1, 1)  // the legacy triple Redis reports: the destination
          .Finder(StoreNumKeys)
          .Doc("sorted_set", "2.0.0",
               "Add multiple sorted sets and store the resulting sorted set in a new key",
               "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and "
               "M "
               "being the number of elements in the resulting sorted set."),
      Cmd("zinterstore", -4, kWrite | kDenyOom, kW | kAclSlow, CmdZInterStore)
          .Keys(1, 1, 1)  // the legacy triple Redis reports: the destination
          .Finder(StoreNumKeys)
          .Doc("sorted_set", "2.0.0",
               "Intersect multiple sorted sets and store the resulting sorted set in a new key",
               "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being "
               "the number of input sorted sets and M being the number of elements in the "
               "resulting sorted set."),
      Cmd("zdiffstore", -4, kWrite | kDenyOom, kW | kAclSlow, CmdZDiffStore)
          .Keys(1, 1, 1)  // the legacy triple Redis reports: the destination
          .Finder(StoreNumKeys)
          .Doc("sorted_set", "6.2.0",
               "Subtract multiple sorted sets and store the resulting sorted set in a new key",
               "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the "
               "sets, N is the size of the first set, and K is the size of the result set."),
  });
}

}  // namespace basalt::server
