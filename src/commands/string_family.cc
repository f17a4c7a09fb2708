// String commands, as Redis 7.0's t_string.c: GET/SET and their variants,
// counters, APPEND/SETRANGE/GETRANGE and LCS.
//
// The first half is the string storage API (it knows no RESP); the second the
// command handlers. Hot paths (GET, SET, INCR, MSET) reuse the existing entry
// when the new value has the same representation, so overwriting a key with a
// same-sized value or bumping a counter allocates nothing.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "common/errors.h"
#include "db/access_clock.h"
#include "common/strutil.h"
#include "db/database.h"
#include "db/entry.h"
#include "server/command.h"
#include "server/db_access.h"
#include "server/effects.h"
#include "server/notify.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using db::Encoding;
using db::Entry;
using db::HeapString;
using db::ObjType;
using protocol::ReplyBuilder;

// ---------------------------------------------------------------------------
// String storage
// ---------------------------------------------------------------------------

bool IsString(const Entry* e) { return e->type == ObjType::kString; }

bool IsHeapString(const Entry* e) {
  return IsString(e) && !(e->flags & Entry::kInlineValue) && e->enc != Encoding::kInt;
}

// entry.h lays an entry out as header, key bytes, payload; inline strings are
// the payload itself. Entry has no mutable accessor for them.
char* InlineBytes(Entry* e) { return e->data() + e->key_len; }

// sds's greedy growth (sdsMakeRoomFor): double below 1 MiB, then add 1 MiB,
// so a run of APPENDs or growing SETRANGEs is amortized O(1) per byte.
size_t GreedyCapacity(size_t need) {
  constexpr size_t kMaxPrealloc = 1024 * 1024;
  return need < kMaxPrealloc ? need * 2 : need + kMaxPrealloc;
}

// Links `fresh` under its key, replacing `old` (the key's current entry, or
// null when the key is absent) and freeing it.
Entry* Install(CommandContext& ctx, Entry* old, Entry* fresh, bool keep_ttl) {
  if (!old) {
    ctx.db->Add(fresh);
    return fresh;
  }
  return ctx.db->Put(fresh, keep_ttl);
}

// Overwrites a string entry's value when it keeps its representation (int
// slot, inline bytes of the same length, or a heap buffer that fits without
// much slack, which Redis would have trimmed). False when a new entry is needed.
bool RewriteInPlace(Entry* e, std::string_view value, Encoding enc, int64_t int_value) {
  if (enc == Encoding::kInt) {
    if (!e->is_int()) return false;
    e->set_int_value(int_value);
    return true;
  }
  if (e->flags & Entry::kInlineValue) {
    if (e->val_len != value.size()) return false;
    if (!value.empty()) memcpy(InlineBytes(e), value.data(), value.size());
  } else if (e->enc != Encoding::kInt) {
    HeapString* h = e->heap_string();
    if (value.size() <= db::kInlineStringMax || value.size() > h->cap ||
        h->cap - value.size() > value.size() / 10) {
      return false;
    }
    memcpy(h->data, value.data(), value.size());
    h->len = value.size();
  } else {
    return false;
  }
  e->enc = enc;
  return true;
}

// Stores `value` as SET does (tryObjectEncoding picks int/embstr/raw). `old`
// is the key's current entry from LookupWrite, or null.
Entry* StoreString(CommandContext& ctx, std::string_view key, Entry* old, std::string_view value,
                   bool keep_ttl) {
  int64_t int_value = 0;
  Encoding enc = db::ChooseStringEncoding(value, &int_value);
  if (old && IsString(old) && RewriteInPlace(old, value, enc, int_value)) {
    if (!keep_ttl) ctx.db->ClearExpire(old);
    // A new value object to Redis: a fresh LRU stamp, but LFU data survives overwrites.
    if (!db::AccessClock::lfu()) old->lru = db::AccessClock::Initial(ctx.now_ms);
    return old;
  }
  Entry* fresh =
      enc == Encoding::kInt ? Entry::NewInt(key, int_value) : Entry::NewString(key, value, enc);
  return Install(ctx, old, fresh, keep_ttl);
}

// A new raw string entry: `cur`, then zeros up to `offset`, with `src` written
// at `offset`. `greedy` leaves room to grow, as sdsgrowzero/sdscatlen do.
Entry* ComposeRaw(std::string_view key, std::string_view cur, size_t offset, std::string_view src,
                  bool greedy) {
  size_t len = std::max(cur.size(), offset + src.size());
  auto fill = [&](char* out) {
    if (!cur.empty()) memcpy(out, cur.data(), cur.size());
    if (offset > cur.size()) memset(out + cur.size(), 0, offset - cur.size());
    if (!src.empty()) memcpy(out + offset, src.data(), src.size());
  };
  if (len <= db::kInlineStringMax) {
    char tmp[db::kInlineStringMax];
    fill(tmp);
    return Entry::NewString(key, {tmp, len}, Encoding::kRaw);
  }
  HeapString* h = HeapString::Create({}, greedy ? GreedyCapacity(len) : len);
  fill(h->data);
  h->len = len;
  // A heap string is the slot layout NewObject builds; Free() recognizes it by type and encoding.
  return Entry::NewObject(key, ObjType::kString, Encoding::kRaw, h);
}

// Writes `src` at `offset` into the string held by `e` (zero-filling any gap),
// leaving it raw, as dbUnshareStringValue followed by sdsgrowzero/sdscatlen
// does. Keeps the TTL. Returns the entry now holding the key.
Entry* WriteRange(CommandContext& ctx, Entry* e, size_t offset, std::string_view src) {
  size_t need = offset + src.size();
  if (IsHeapString(e)) {
    HeapString* h = e->heap_string();
    size_t len = std::max(h->len, need);
    if (len > h->cap) {
      HeapString* bigger = HeapString::Create({h->data, h->len}, GreedyCapacity(len));
      HeapString::Destroy(h);
      e->set_heap_string(bigger);
      h = bigger;
    }
    if (offset > h->len) memset(h->data + h->len, 0, offset - h->len);
    if (!src.empty()) memcpy(h->data + offset, src.data(), src.size());
    h->len = len;
    e->enc = Encoding::kRaw;
    return e;
  }
  if ((e->flags & Entry::kInlineValue) && need <= e->val_len) {
    if (!src.empty()) memcpy(InlineBytes(e) + offset, src.data(), src.size());
    e->enc = Encoding::kRaw;
    return e;
  }
  char buf[kMaxInt64Chars];
  Entry* fresh = ComposeRaw(e->key(), e->StringValue(buf), offset, src, /*greedy=*/true);
  return Install(ctx, e, fresh, /*keep_ttl=*/true);
}

// checkStringLength: the result of writing `add` bytes at `at` must fit in
// proto-max-bulk-len (both are below 2^63, so the sum cannot wrap).
bool ExceedsMaxString(CommandContext& ctx, uint64_t at, uint64_t add) {
  int64_t max = ctx.server->config().proto_max_bulk_len.load(std::memory_order_relaxed);
  return at + add > static_cast<uint64_t>(max);
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

void ReplyString(ReplyBuilder* rb, const Entry* e) {
  char buf[kMaxInt64Chars];
  rb->Bulk(e->StringValue(buf));
}

// getGenericCommand: replies with the value or nil; false after a WRONGTYPE
// reply. Sets *found when the key held a string.
bool ReplyValue(CommandContext& ctx, std::string_view key, bool* found = nullptr) {
  Entry* e = LookupRead(ctx, key);
  if (!e) {
    ctx.rb->Null();
    return true;
  }
  if (!IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
    return false;
  }
  ReplyString(ctx.rb, e);
  if (found) *found = true;
  return true;
}

enum StringFlag : unsigned {
  kSetNx = 1 << 0,
  kSetXx = 1 << 1,
  kSetGet = 1 << 2,
  kKeepTtl = 1 << 3,
  kPersist = 1 << 4,
  kEx = 1 << 5,
  kPx = 1 << 6,
  kExAt = 1 << 7,
  kPxAt = 1 << 8,
};
constexpr unsigned kAnyExpire = kEx | kPx | kExAt | kPxAt;

struct StringOptions {
  unsigned flags = 0;
  std::string_view expire;  // the argument of EX/PX/EXAT/PXAT
};

// Redis compares option names as C strings, so an argument ends at its first NUL.
std::string_view OptionName(std::string_view arg) {
  size_t nul = arg.find('\0');
  return nul == std::string_view::npos ? arg : arg.substr(0, nul);
}

// parseExtendedStringArgumentsOrReply for SET (`is_set`) and GETEX. An option
// may repeat (the last value wins); one that conflicts with an earlier one is
// a syntax error, as is an expiry option without its argument.
bool ParseStringOptions(const ArgList& args, size_t first, bool is_set, StringOptions* out) {
  for (size_t j = first; j < args.size(); ++j) {
    std::string_view opt = OptionName(args[j]);
    const bool has_next = j + 1 < args.size();
    const unsigned f = out->flags;
    unsigned expire_flag = 0;
    if (is_set && EqualsIgnoreCase(opt, "NX") && !(f & kSetXx)) {
      out->flags |= kSetNx;
    } else if (is_set && EqualsIgnoreCase(opt, "XX") && !(f & kSetNx)) {
      out->flags |= kSetXx;
    } else if (is_set && EqualsIgnoreCase(opt, "GET")) {
      out->flags |= kSetGet;
    } else if (is_set && EqualsIgnoreCase(opt, "KEEPTTL") && !(f & (kPersist | kAnyExpire))) {
      out->flags |= kKeepTtl;
    } else if (!is_set && EqualsIgnoreCase(opt, "PERSIST") && !(f & (kAnyExpire | kKeepTtl))) {
      out->flags |= kPersist;
    } else if (EqualsIgnoreCase(opt, "EX")) {
      expire_flag = kEx;
    } else if (EqualsIgnoreCase(opt, "PX")) {
      expire_flag = kPx;
    } else if (EqualsIgnoreCase(opt, "EXAT")) {
      expire_flag = kExAt;
    } else if (EqualsIgnoreCase(opt, "PXAT")) {
      expire_flag = kPxAt;
    } else {
      return false;
    }
    if (expire_flag) {
      if (!has_next || (f & (kKeepTtl | kPersist | (kAnyExpire & ~expire_flag)))) return false;
      out->flags |= expire_flag;
      out->expire = args[++j];
    }
  }
  return true;
}

std::string_view InvalidExpireError(const CommandContext& ctx) {
  const std::string& name = ctx.spec->name;
  if (name == "setex") return errors::kInvalidExpireSetex;
  if (name == "psetex") return errors::kInvalidExpirePsetex;
  if (name == "getex") return errors::kInvalidExpireGetex;
  return errors::kInvalidExpireSet;
}

// getExpireMillisecondsOrReply: the absolute expiry in ms, or false after an
// error reply. Relative times are added to the command's time; a sum that
// wraps is refused like a non-positive time.
bool AbsoluteExpire(CommandContext& ctx, std::string_view arg, unsigned flags, int64_t* out) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.rb->Error(errors::kNotInteger);
    return false;
  }
  const bool seconds = flags & (kEx | kExAt);
  if (v <= 0 || (seconds && v > std::numeric_limits<int64_t>::max() / 1000)) {
    ctx.rb->Error(InvalidExpireError(ctx));
    return false;
  }
  if (seconds) v *= 1000;
  if (flags & (kEx | kPx)) {
    v = static_cast<int64_t>(static_cast<uint64_t>(v) + static_cast<uint64_t>(ctx.now_ms));
  }
  if (v <= 0) {
    ctx.rb->Error(InvalidExpireError(ctx));
    return false;
  }
  *out = v;
  return true;
}

// SET ... GET is logged as the plain SET it amounts to (without its GET options).
void PropagateWithoutGet(CommandContext& ctx, const ArgList& argv) {
  ArgList out;
  for (size_t j = 0; j < argv.size(); ++j) {
    if (j >= 3 && EqualsIgnoreCase(OptionName(argv[j]), "GET")) continue;
    out.push_back(argv[j]);
  }
  Propagate(ctx, out);
}

// setGenericCommand. `int_reply`: SETNX answers 1/0 where SET answers OK/nil.
// An absolute expiry already in the past is set as given: the key then
// expires on its next access, as in Redis 7.0 (DBSIZE still counts it).
void SetGeneric(CommandContext& ctx, std::string_view key, std::string_view value,
                const StringOptions& opt, bool int_reply) {
  int64_t when = 0;
  if ((opt.flags & kAnyExpire) && !AbsoluteExpire(ctx, opt.expire, opt.flags, &when)) return;
  if ((opt.flags & kSetGet) && !ReplyValue(ctx, key)) return;
  Entry* old = LookupWrite(ctx, key);
  if (((opt.flags & kSetNx) && old) || ((opt.flags & kSetXx) && !old)) {
    if (opt.flags & kSetGet) return;
    if (int_reply) {
      ctx.rb->Integer(0);
    } else {
      ctx.rb->Null();
    }
    return;
  }
  Entry* e = StoreString(ctx, key, old, value, opt.flags & kKeepTtl);
  KeyModified(ctx, key);
  NotifyKeyspaceEvent(ctx, kNotifyString, "set", key);
  if (opt.flags & kAnyExpire) {
    ctx.db->SetExpire(e, when);
    // Replicas and the AOF must not restart a relative TTL.
    Propagate(ctx, {"SET", key, value, "PXAT", Int64ToString(when)});
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "expire", key);
  }
  if (opt.flags & kSetGet) return;
  if (int_reply) {
    ctx.rb->Integer(1);
  } else {
    ctx.rb->Ok();
  }
}

void CmdGet(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->Null();
  } else if (!IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
  } else {
    ReplyString(ctx.rb, e);
  }
}

void CmdSet(const ArgList& args, CommandContext& ctx) {
  StringOptions opt;
  if (!ParseStringOptions(args, 3, /*is_set=*/true, &opt)) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  uint64_t dirty = ctx.dirty;
  SetGeneric(ctx, args[1], args[2], opt, /*int_reply=*/false);
  if ((opt.flags & kSetGet) && !(opt.flags & kAnyExpire) && ctx.dirty > dirty) {
    PropagateWithoutGet(ctx, args);
  }
}

void CmdSetNx(const ArgList& args, CommandContext& ctx) {
  SetGeneric(ctx, args[1], args[2], StringOptions{kSetNx, {}}, /*int_reply=*/true);
}

void CmdSetEx(const ArgList& args, CommandContext& ctx) {
  SetGeneric(ctx, args[1], args[3], StringOptions{kEx, args[2]}, /*int_reply=*/false);
}

void CmdPSetEx(const ArgList& args, CommandContext& ctx) {
  SetGeneric(ctx, args[1], args[3], StringOptions{kPx, args[2]}, /*int_reply=*/false);
}

void CmdGetSet(const ArgList& args, CommandContext& ctx) {
  if (!ReplyValue(ctx, args[1])) return;
  StoreString(ctx, args[1], LookupWrite(ctx, args[1]), args[2], /*keep_ttl=*/false);
  KeyModified(ctx, args[1]);
  NotifyKeyspaceEvent(ctx, kNotifyString, "set", args[1]);
  Propagate(ctx, {"SET", args[1], args[2]});
}

void CmdGetDel(const ArgList& args, CommandContext& ctx) {
  bool found = false;
  if (!ReplyValue(ctx, args[1], &found) || !found) return;
  ctx.db->Delete(args[1]);
  KeyModified(ctx, args[1]);
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  Propagate(ctx, {"DEL", args[1]});
}

void CmdGetEx(const ArgList& args, CommandContext& ctx) {
  StringOptions opt;
  if (!ParseStringOptions(args, 2, /*is_set=*/false, &opt)) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->Null();
    return;
  }
  if (!IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
    return;
  }
  int64_t when = 0;
  if ((opt.flags & kAnyExpire) && !AbsoluteExpire(ctx, opt.expire, opt.flags, &when)) return;
  ReplyString(ctx.rb, e);
  if ((opt.flags & (kExAt | kPxAt)) && when <= ctx.now_ms) {
    ctx.db->Delete(args[1]);
    KeyModified(ctx, args[1]);
    Propagate(ctx, {"DEL", args[1]});
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  } else if (opt.flags & kAnyExpire) {
    ctx.db->SetExpire(e, when);
    KeyModified(ctx, args[1]);
    Propagate(ctx, {"PEXPIREAT", args[1], Int64ToString(when)});
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "expire", args[1]);
  } else if ((opt.flags & kPersist) && e->has_expire()) {
    ctx.db->ClearExpire(e);
    KeyModified(ctx, args[1]);
    Propagate(ctx, {"PERSIST", args[1]});
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "persist", args[1]);
  }
}

void CmdMGet(const ArgList& args, CommandContext& ctx) {
  ctx.rb->ArrayHeader(args.size() - 1);
  for (size_t i = 1; i < args.size(); ++i) {
    Entry* e = LookupRead(ctx, args[i]);
    if (e && IsString(e)) {
      ReplyString(ctx.rb, e);
    } else {
      ctx.rb->Null();
    }
  }
}

// msetGenericCommand. MSETNX checks every key before writing any; the
// dispatcher holds all their shards, so no other client sees a partial MSET.
void MSetGeneric(const ArgList& args, CommandContext& ctx, bool nx) {
  if (args.size() % 2 == 0) {
    ctx.rb->Error("ERR wrong number of arguments for '" + ctx.spec->name + "' command");
    return;
  }
  if (nx) {
    for (size_t i = 1; i < args.size(); i += 2) {
      if (LookupWrite(ctx, args[i])) {
        ctx.rb->Integer(0);
        return;
      }
    }
  }
  for (size_t i = 1; i < args.size(); i += 2) {
    StoreString(ctx, args[i], LookupWrite(ctx, args[i]), args[i + 1], /*keep_ttl=*/false);
    KeyModified(ctx, args[i]);
    NotifyKeyspaceEvent(ctx, kNotifyString, "set", args[i]);
  }
  if (nx) {
    ctx.rb->Integer(1);
  } else {
    ctx.rb->Ok();
  }
}

void CmdMSet(const ArgList& args, CommandContext& ctx) { MSetGeneric(args, ctx, false); }
void CmdMSetNx(const ArgList& args, CommandContext& ctx) { MSetGeneric(args, ctx, true); }

void CmdAppend(const ArgList& args, CommandContext& ctx) {
  std::string_view key = args[1], tail = args[2];
  Entry* e = LookupWrite(ctx, key);
  size_t total;
  if (!e) {
    // A new key gets the value as SET would store it (it may be int or embstr).
    StoreString(ctx, key, nullptr, tail, /*keep_ttl=*/false);
    total = tail.size();
  } else {
    if (!IsString(e)) {
      ctx.rb->Error(errors::kWrongType);
      return;
    }
    size_t len = e->StringLength();
    if (ExceedsMaxString(ctx, len, tail.size())) {
      ctx.rb->Error(errors::kStringTooLong);
      return;
    }
    WriteRange(ctx, e, len, tail);
    total = len + tail.size();
  }
  KeyModified(ctx, key);
  NotifyKeyspaceEvent(ctx, kNotifyString, "append", key);
  ctx.rb->Integer(static_cast<int64_t>(total));
}

void CmdStrLen(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->Integer(0);
  } else if (!IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
  } else {
    ctx.rb->Integer(static_cast<int64_t>(e->StringLength()));
  }
}

// incrDecrCommand. An int-encoded counter is bumped in place.
void IncrBy(CommandContext& ctx, std::string_view key, int64_t incr) {
  Entry* e = LookupWrite(ctx, key);
  int64_t value = 0;
  if (e) {
    if (!IsString(e)) {
      ctx.rb->Error(errors::kWrongType);
      return;
    }
    if (e->is_int()) {
      value = e->int_value();
    } else {
      char buf[kMaxInt64Chars];
      if (!ParseInt64(e->StringValue(buf), &value)) {
        ctx.rb->Error(errors::kNotInteger);
        return;
      }
    }
  }
  if ((incr < 0 && value < 0 && incr < std::numeric_limits<int64_t>::min() - value) ||
      (incr > 0 && value > 0 && incr > std::numeric_limits<int64_t>::max() - value)) {
    ctx.rb->Error(errors::kOverflow);
    return;
  }
  value += incr;
  if (e && e->is_int()) {
    e->set_int_value(value);
  } else {
    Install(ctx, e, Entry::NewInt(key, value), /*keep_ttl=*/true);
  }
  KeyModified(ctx, key);
  NotifyKeyspaceEvent(ctx, kNotifyString, "incrby", key);
  ctx.rb->Integer(value);
}

void CmdIncr(const ArgList& args, CommandContext& ctx) { IncrBy(ctx, args[1], 1); }
void CmdDecr(const ArgList& args, CommandContext& ctx) { IncrBy(ctx, args[1], -1); }

void CmdIncrBy(const ArgList& args, CommandContext& ctx) {
  int64_t incr;
  if (!ParseInt64(args[2], &incr)) {
    ctx.rb->Error(errors::kNotInteger);
    return;
  }
  IncrBy(ctx, args[1], incr);
}

void CmdDecrBy(const ArgList& args, CommandContext& ctx) {
  int64_t decr;
  if (!ParseInt64(args[2], &decr)) {
    ctx.rb->Error(errors::kNotInteger);
    return;
  }
  // Negating INT64_MIN would overflow.
  if (decr == std::numeric_limits<int64_t>::min()) {
    ctx.rb->Error(errors::kDecrementOverflow);
    return;
  }
  IncrBy(ctx, args[1], -decr);
}

// incrbyfloatCommand: the result is stored as text (embstr or raw, never int),
// exactly as it is replied.
void CmdIncrByFloat(const ArgList& args, CommandContext& ctx) {
  std::string_view key = args[1];
  Entry* e = LookupWrite(ctx, key);
  long double value = 0;
  if (e) {
    if (!IsString(e)) {
      ctx.rb->Error(errors::kWrongType);
      return;
    }
    if (e->is_int()) {
      value = static_cast<long double>(e->int_value());
    } else {
      char buf[kMaxInt64Chars];
      if (!ParseLongDouble(e->StringValue(buf), &value)) {
        ctx.rb->Error(errors::kNotFloat);
        return;
      }
    }
  }
  long double incr;
  if (!ParseLongDouble(args[2], &incr)) {
    ctx.rb->Error(errors::kNotFloat);
    return;
  }
  value += incr;
  std::string text;
  if (std::isnan(value) || std::isinf(value) || !FormatLongDouble(value, &text)) {
    ctx.rb->Error(errors::kIncrNanInf);
    return;
  }
  Encoding enc = text.size() <= db::kEmbStrMaxLen ? Encoding::kEmbStr : Encoding::kRaw;
  Install(ctx, e, Entry::NewString(key, text, enc), /*keep_ttl=*/true);
  KeyModified(ctx, key);
  NotifyKeyspaceEvent(ctx, kNotifyString, "incrbyfloat", key);
  // Float formatting may differ where the log is replayed: log the result.
  Propagate(ctx, {"SET", key, text, "KEEPTTL"});
  ctx.rb->Bulk(text);
}

void CmdSetRange(const ArgList& args, CommandContext& ctx) {
  std::string_view key = args[1], value = args[3];
  int64_t offset;
  if (!ParseInt64(args[2], &offset)) {
    ctx.rb->Error(errors::kNotInteger);
    return;
  }
  if (offset < 0) {
    ctx.rb->Error(errors::kOffsetOutOfRange);
    return;
  }
  Entry* e = LookupWrite(ctx, key);
  if (e && !IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
    return;
  }
  size_t len = e ? e->StringLength() : 0;
  // Writing nothing changes nothing, not even the encoding, whatever the offset.
  if (value.empty()) {
    ctx.rb->Integer(static_cast<int64_t>(len));
    return;
  }
  if (ExceedsMaxString(ctx, static_cast<uint64_t>(offset), value.size())) {
    ctx.rb->Error(errors::kStringTooLong);
    return;
  }
  const size_t at = static_cast<size_t>(offset);
  if (e) {
    WriteRange(ctx, e, at, value);
  } else {
    Install(ctx, nullptr, ComposeRaw(key, {}, at, value, /*greedy=*/false), false);
  }
  KeyModified(ctx, key);
  NotifyKeyspaceEvent(ctx, kNotifyString, "setrange", key);
  ctx.rb->Integer(static_cast<int64_t>(std::max(len, at + value.size())));
}

// getrangeCommand, SUBSTR too: inclusive range, negative indexes from the end.
void CmdGetRange(const ArgList& args, CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(args[2], &start) || !ParseInt64(args[3], &end)) {
    ctx.rb->Error(errors::kNotInteger);
    return;
  }
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->Bulk({});
    return;
  }
  if (!IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
    return;
  }
  char buf[kMaxInt64Chars];
  std::string_view s = e->StringValue(buf);
  const int64_t len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) {
    ctx.rb->Bulk({});
    return;
  }
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    ctx.rb->Bulk({});
    return;
  }
  ctx.rb->Bulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

struct LcsRange {
  uint32_t a_start, a_end, b_start, b_end;
};

// lcsCommand: the classic dynamic-programming table, then a walk back from
// its corner that collects the matched string and/or the matching ranges,
// last ones first, exactly in Redis's order.
void CmdLcs(const ArgList& args, CommandContext& ctx) {
  Entry* ea = LookupRead(ctx, args[1]);
  Entry* eb = LookupRead(ctx, args[2]);
  if ((ea && !IsString(ea)) || (eb && !IsString(eb))) {
    ctx.rb->Error(errors::kLcsWrongType);
    return;
  }
  char abuf[kMaxInt64Chars], bbuf[kMaxInt64Chars];
  std::string_view a = ea ? ea->StringValue(abuf) : std::string_view();
  std::string_view b = eb ? eb->StringValue(bbuf) : std::string_view();

  bool get_len = false, get_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < args.size(); ++j) {
    std::string_view opt = OptionName(args[j]);
    if (EqualsIgnoreCase(opt, "IDX")) {
      get_idx = true;
    } else if (EqualsIgnoreCase(opt, "LEN")) {
      get_len = true;
    } else if (EqualsIgnoreCase(opt, "WITHMATCHLEN")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "MINMATCHLEN") && j + 1 < args.size()) {
      if (!ParseInt64(args[j + 1], &min_match_len)) {
        ctx.rb->Error(errors::kNotInteger);
        return;
      }
      if (min_match_len < 0) min_match_len = 0;
      ++j;
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
  }
  if (get_idx && get_len) {
    ctx.rb->Error(errors::kLcsIdxAndLen);
    return;
  }
  constexpr size_t kMaxLen = std::numeric_limits<uint32_t>::max() - 1;
  if (a.size() >= kMaxLen || b.size() >= kMaxLen) {
    ctx.rb->Error(errors::kLcsStringTooLong);
    return;
  }
  const uint32_t alen = static_cast<uint32_t>(a.size());
  const uint32_t blen = static_cast<uint32_t>(b.size());
  const uint64_t cells = (uint64_t{alen} + 1) * (uint64_t{blen} + 1);
  const uint64_t bytes = cells * sizeof(uint32_t);
  int64_t max_bulk = ctx.server->config().proto_max_bulk_len.load(std::memory_order_relaxed);
  if (bytes > static_cast<uint64_t>(max_bulk)) {
    ctx.rb->Error(errors::kLcsTableTooBig);
    return;
  }
  std::unique_ptr<uint32_t[]> table(new (std::nothrow) uint32_t[cells]);
  if (!table) {
    ctx.rb->Error(errors::kLcsAllocFailed);
    return;
  }
  const uint64_t row = uint64_t{blen} + 1;
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& { return table[i * row + j]; };
  for (uint32_t j = 0; j <= blen; ++j) at(0, j) = 0;
  for (uint32_t i = 1; i <= alen; ++i) {
    at(i, 0) = 0;
    for (uint32_t j = 1; j <= blen; ++j) {
      if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  const uint32_t lcs_len = at(alen, blen);

  if (get_len) {
    ctx.rb->Integer(lcs_len);
    return;
  }
  std::string result;
  if (!get_idx) result.resize(lcs_len);
  std::vector<LcsRange> ranges;
  uint32_t idx = lcs_len;
  uint32_t a_start = alen, a_end = 0, b_start = 0, b_end = 0;  // a_start == alen: no range open
  uint32_t i = alen, j = blen;
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      if (!get_idx) result[idx - 1] = a[i - 1];
      if (a_start == alen) {
        a_start = a_end = i - 1;
        b_start = b_end = j - 1;
      } else if (a_start == i && b_start == j) {
        --a_start;
        --b_start;
      } else {
        emit = true;
      }
      if (a_start == 0 || b_start == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (a_start != alen) emit = true;
    }
    if (emit) {
      const uint32_t match_len = a_end - a_start + 1;
      if (get_idx && (min_match_len == 0 || match_len >= min_match_len)) {
        ranges.push_back({a_start, a_end, b_start, b_end});
      }
      a_start = alen;
    }
  }

  if (!get_idx) {
    ctx.rb->Bulk(result);
    return;
  }
  ReplyBuilder* rb = ctx.rb;
  rb->MapHeader(2);
  rb->Bulk("matches");
  rb->ArrayHeader(ranges.size());
  for (const LcsRange& r : ranges) {
    rb->ArrayHeader(with_match_len ? 3 : 2);
    rb->ArrayHeader(2);
    rb->Integer(r.a_start);
    rb->Integer(r.a_end);
    rb->ArrayHeader(2);
    rb->Integer(r.b_start);
    rb->Integer(r.b_end);
    if (with_match_len) rb->Integer(r.a_end - r.a_start + 1);
  }
  rb->Bulk("len");
  rb->Integer(lcs_len);
}

}  // namespace

void RegisterStringFamily(CommandRegistry& r) {
  constexpr uint32_t kReadFast = kAclRead | kAclString | kAclFast;
  constexpr uint32_t kReadSlow = kAclRead | kAclString | kAclSlow;
  constexpr uint32_t kWriteFast = kAclWrite | kAclString | kAclFast;
  constexpr uint32_t kWriteSlow = kAclWrite | kAclString | kAclSlow;
  constexpr std::string_view kRangeComplexity =
      "O(N) where N is the length of the returned string. The complexity is ultimately "
      "determined by the returned length, but because creating a substring from an existing "
      "string is very cheap, it can be considered O(1) for small strings.";
  r.Register({
      Cmd("get", 2, kReadOnly | kFast, kReadFast, CmdGet)
          .Keys(1, 1, 1)
          .Doc("string", "1.0.0", "Get the value of a key"),
      Cmd("set", -3, kWrite | kDenyOom, kWriteSlow, CmdSet)
          .Keys(1, 1, 1)
          .Doc("string", "1.0.0", "Set the string value of a key"),
      Cmd("setnx", 3, kWrite | kDenyOom | kFast, kWriteFast, CmdSetNx)
          .Keys(1, 1, 1)
          .Doc("string", "1.0.0", "Set the value of a key, only if the key does not exist"),
      Cmd("setex", 4, kWrite | kDenyOom, kWriteSlow, CmdSetEx)
          .Keys(1, 1, 1)
          .Doc("string", "2.0.0", "Set the value and expiration of a key"),
      Cmd("psetex", 4, kWrite | kDenyOom, kWriteSlow, CmdPSetEx)
          .Keys(1, 1, 1)
          .Doc("string", "2.6.0", "Set the value and expiration in milliseconds of a key"),
      Cmd("getset", 3, kWrite | kDenyOom | kFast, kWriteFast, CmdGetSet)
          .Keys(1, 1, 1)
          .Doc("string", "1.0.0", "Set the string value of a key and return its old value"),
      Cmd("getdel", 2, kWrite | kFast, kWriteFast, CmdGetDel)
          .Keys(1, 1, 1)
          .Doc("string", "6.2.0", "Get the value of a key and delete the key"),
      Cmd("getex", -2, kWrite | kFast, kWriteFast, CmdGetEx)
          .Keys(1, 1, 1)
          .Doc("string", "6.2.0", "Get the value of a key and optionally set its expiration"),
      Cmd("mget", -2, kReadOnly | kFast, kReadFast, CmdMGet)
          .Keys(1, -1, 1)
          .Doc("string", "1.0.0", "Get the values of all the given keys",
               "O(N) where N is the number of keys to retrieve."),
      Cmd("mset", -3, kWrite | kDenyOom, kWriteSlow, CmdMSet)
          .Keys(1, -1, 2)
          .Doc("string", "1.0.1", "Set multiple keys to multiple values",
               "O(N) where N is the number of keys to set."),
      Cmd("msetnx", -3, kWrite | kDenyOom, kWriteSlow, CmdMSetNx)
          .Keys(1, -1, 2)
          .Doc("string", "1.0.1",
               "Set multiple keys to multiple values, only if none of the keys exist",
               "O(N) where N is the number of keys to set."),
      Cmd("append", 3, kWrite | kDenyOom | kFast, kWriteFast, CmdAppend)
          .Keys(1, 1, 1)
          .Doc("string", "2.0.0", "Append a value to a key",
               "O(1). The amortized time complexity is O(1) assuming the appended value is "
               "small and the already present value is of any size, since the dynamic string "
               "library used by Redis will double the free space available on every "
               "reallocation."),
      Cmd("strlen", 2, kReadOnly | kFast, kReadFast, CmdStrLen)
          .Keys(1, 1, 1)
          .Doc("string", "2.2.0", "Get the length of the value stored in a key"),
      Cmd("incr", 2, kWrite | kDenyOom | kFast, kWriteFast, CmdIncr)
          .Keys(1, 1, 1)
          .Doc("string", "1.0.0", "Increment the integer value of a key by one"),
      Cmd("decr", 2, kWrite | kDenyOom | kFast, kWriteFast, CmdDecr)
          .Keys(1, 1, 1)
          .Doc("string", "1.0.0", "Decrement the integer value of a key by one"),
      Cmd("incrby", 3, kWrite | kDenyOom | kFast, kWriteFast, CmdIncrBy)
          .Keys(1, 1, 1)
          .Doc("string", "1.0.0", "Increment the integer value of a key by the given amount"),
      Cmd("decrby", 3, kWrite | kDenyOom | kFast, kWriteFast, CmdDecrBy)
          .Keys(1, 1, 1)
          .Doc("string", "1.0.0", "Decrement the integer value of a key by the given number"),
      Cmd("incrbyfloat", 3, kWrite | kDenyOom | kFast, kWriteFast, CmdIncrByFloat)
          .Keys(1, 1, 1)
          .Doc("string", "2.6.0", "Increment the float value of a key by the given amount"),
      Cmd("setrange", 4, kWrite | kDenyOom, kWriteSlow, CmdSetRange)
          .Keys(1, 1, 1)
          .Doc("string", "2.2.0",
               "Overwrite part of a string at key starting at the specified offset",
               "O(1), not counting the time taken to copy the new string in place. Usually, "
               "this string is very small so the amortized complexity is O(1). Otherwise, "
               "complexity is O(M) with M being the length of the value argument."),
      Cmd("getrange", 4, kReadOnly, kReadSlow, CmdGetRange)
          .Keys(1, 1, 1)
          .Doc("string", "2.4.0", "Get a substring of the string stored at a key",
               kRangeComplexity),
      Cmd("substr", 4, kReadOnly, kReadSlow, CmdGetRange)
          .Keys(1, 1, 1)
          .Doc("string", "1.0.0", "Get a substring of the string stored at a key",
               kRangeComplexity),
      Cmd("lcs", -3, kReadOnly, kReadSlow, CmdLcs)
          .Keys(1, 2, 1)
          .Doc("string", "7.0.0", "Find longest common substring",
               "O(N*M) where N and M are the lengths of s1 and s2, respectively"),
  });
}

}  // namespace basalt::server
