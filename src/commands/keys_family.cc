// Generic keyspace commands: DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX,
// COPY, MOVE, KEYS, SCAN, RANDOMKEY, TOUCH, OBJECT, the EXPIRE/TTL family,
// PERSIST, DBSIZE, FLUSHDB, FLUSHALL and SWAPDB (Redis's db.c, expire.c and
// object.c).
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.h"
#include "common/strutil.h"
#include "db/access_clock.h"
#include "db/database.h"
#include "db/keyspace.h"
#include "db/table.h"
#include "commands/scan_options.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/command.h"
#include "server/db_access.h"
#include "server/effects.h"
#include "server/notify.h"
#include "server/server.h"
#include "server/transaction.h"

namespace basalt::server {
namespace {

using db::Database;
using db::Entry;
using protocol::ReplyBuilder;

// ---------------------------------------------------------------- helpers

// Redis's keyIsExpired: a key whose expiry equals the command time is still alive.
bool IsExpired(const Entry* e, int64_t now_ms) {
  return e->expire_ms != 0 && e->expire_ms < now_ms;
}

// Whole-database writes have no single key to report through KeyModified,
// so they count towards the dirty counter directly.
void CountDirty(CommandContext& ctx, uint64_t n) {
  ctx.dirty += n;
  if (n && ctx.client) Bump(ctx.client->worker()->stats().dirty, n);
}

// Redis's getIntFromObjectOrReply: an int64 first, then the int range. With
// `msg`, every failure replies `msg` (SWAPDB's "invalid first DB index").
bool ParseIntArg(std::string_view s, int* out, ReplyBuilder* rb, std::string_view msg = {}) {
  int64_t v;
  if (!ParseInt64(s, &v)) {
    rb->Error(msg.empty() ? errors::kNotInteger : msg);
    return false;
  }
  if (v < INT_MIN || v > INT_MAX) {
    rb->Error(msg.empty() ? errors::kIntOutOfRange : msg);
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

// Parses a DB index argument of MOVE/COPY; replies and returns false on error.
bool ParseDbIndex(CommandContext& ctx, std::string_view s, int* out) {
  if (!ParseIntArg(s, out, ctx.rb)) return false;
  if (*out < 0 || *out >= ctx.server->keyspace().size()) {
    ctx.rb->Error(errors::kDbIndexOutOfRange);
    return false;
  }
  return true;
}

// Frees values and detached tables off the request path (UNLINK, FLUSH*
// ASYNC). One thread, started on first use and never joined: pending work at
// exit is memory the process returns anyway.
class LazyFreer {
 public:
  static LazyFreer& Get() {
    static LazyFreer* instance = new LazyFreer();  // never destroyed: the thread may outlive main
    return *instance;
  }

  void Submit(std::function<void()> job) {
    std::lock_guard lock(mu_);
    if (!started_) {
      std::thread([this] { Run(); }).detach();
      started_ = true;
    }
    jobs_.push_back(std::move(job));
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return !jobs_.empty(); });
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool started_ = false;
};

// Strings cost one free(); aggregates may hold millions of allocations, so
// UNLINK hands them to the background thread.
void FreeLazily(Entry* e) {
  if (e->type == db::ObjType::kString) {
    Entry::Free(e);
  } else {
    LazyFreer::Get().Submit([e] { Entry::Free(e); });
  }
}

// Empties the shard tables of the given databases while every one of their
// shards is locked by the caller, moving the contents into `out` so they can
// be freed after the locks are released. Returns the number of keys removed.
size_t DetachTables(db::Keyspace& ks, int first_db, int last_db,
                    std::vector<std::unique_ptr<db::Table>>* out) {
  size_t removed = 0;
  for (int d = first_db; d <= last_db; ++d) {
    Database& database = ks.db(d);
    for (unsigned s = 0; s < db::kShardCount; ++s) {
      db::Shard& sh = database.shard(s);
      sh.expires = 0;
      sh.expire_cursor = 0;
      if (sh.table.size() == 0 && sh.table.bucket_count() == 0) continue;
      removed += sh.table.size();
      auto detached = std::make_unique<db::Table>();
      detached->Swap(sh.table);
      out->push_back(std::move(detached));
    }
  }
  return removed;
}

void FreeTables(std::vector<std::unique_ptr<db::Table>> tables, size_t keys, bool async) {
  // Small flushes are cheaper done inline than handed over (Redis's LAZYFREE_THRESHOLD).
  constexpr size_t kLazyFreeThreshold = 64;
  if (!async || keys <= kLazyFreeThreshold) return;  // destroyed here, on return
  auto shared = std::make_shared<std::vector<std::unique_ptr<db::Table>>>(std::move(tables));
  LazyFreer::Get().Submit([shared] { shared->clear(); });
}

// ---------------------------------------------------------------- DEL, EXISTS, TYPE, TOUCH

void DelGeneric(const ArgList& args, CommandContext& ctx, bool lazy) {
  int64_t deleted = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    // Redis expires the key first, so an expired key does not count as deleted.
    if (!LookupWrite(ctx, args[i])) continue;
    Entry* e = ctx.db->Take(args[i]);
    if (lazy) {
      FreeLazily(e);
    } else {
      Entry::Free(e);
    }
    KeyModified(ctx, args[i]);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[i]);
    ++deleted;
  }
  ctx.rb->Integer(deleted);
}

void CmdDel(const ArgList& args, CommandContext& ctx) { DelGeneric(args, ctx, false); }
void CmdUnlink(const ArgList& args, CommandContext& ctx) { DelGeneric(args, ctx, true); }

void CmdExists(const ArgList& args, CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    if (LookupRead(ctx, args[i], kLookupNoTouch)) ++n;
  }
  ctx.rb->Integer(n);
}

void CmdTouch(const ArgList& args, CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    if (LookupRead(ctx, args[i])) ++n;
  }
  ctx.rb->Integer(n);
}

void CmdType(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1], kLookupNoTouch);
  ctx.rb->SimpleString(e ? db::TypeName(e->type) : "none");
}

// ---------------------------------------------------------------- RENAME, MOVE, COPY

void RenameGeneric(const ArgList& args, CommandContext& ctx, bool nx) {
  std::string_view src = args[1], dst = args[2];
  if (!LookupWrite(ctx, src)) {
    ctx.rb->Error(errors::kNoSuchKey);
    return;
  }
  if (src == dst) {
    if (nx) {
      ctx.rb->Integer(0);
    } else {
      ctx.rb->Ok();
    }
    return;
  }
  // This lookup may expire `dst` and so move entries of a shared shard: only
  // keys, not entry pointers, are carried past it.
  bool dst_exists = LookupWrite(ctx, dst) != nullptr;
  if (dst_exists && nx) {
    ctx.rb->Integer(0);
    return;
  }
  Entry* taken = ctx.db->Take(src);
  if (dst_exists) ctx.db->Delete(dst);
  Entry* moved = Entry::MoveValue(dst, taken);  // keeps the TTL, as RENAME must
  Entry::FreeShell(taken);
  ctx.db->Add(moved);
  // Notified before KeyModified wakes a blocked client, whose events must come after.
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "rename_from", src);
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "rename_to", dst);
  KeyModified(ctx, src, 0);
  KeyModified(ctx, dst);
  if (nx) {
    ctx.rb->Integer(1);
  } else {
    ctx.rb->Ok();
  }
}

void CmdRename(const ArgList& args, CommandContext& ctx) { RenameGeneric(args, ctx, false); }
void CmdRenameNx(const ArgList& args, CommandContext& ctx) { RenameGeneric(args, ctx, true); }

// MOVE and COPY ... DB touch two databases, and the dispatcher locks only the
// selected one's shards, so both are kKeyspaceWide and lock here.
void CmdMove(const ArgList& args, CommandContext& ctx) {
  std::string_view key = args[1];
  int dst_index;
  if (!ParseDbIndex(ctx, args[2], &dst_index)) return;
  if (dst_index == ctx.db->index()) {
    ctx.rb->Error(errors::kSameObject);
    return;
  }
  db::Keyspace& ks = ctx.server->keyspace();
  Database& dst = ks.db(dst_index);
  db::LockSet locks(&ks);
  locks.AddKey(ctx.db->index(), key);
  locks.AddKey(dst_index, key);
  locks.Lock();
  if (!LookupWrite(ctx, key) || dst.Find(key, ctx.now_ms)) {
    ctx.rb->Integer(0);
    return;
  }
  // The same entry changes tables: value, TTL and LRU travel with it.
  dst.Add(ctx.db->Take(key));
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "move_from", key);
  NotifyKeyspaceEvent(*ctx.server, dst_index, kNotifyGeneric, "move_to", key);
  SignalKeyIfReady(dst, key, ctx.now_ms);  // a client may block on it in the other db
  TouchWatchedKey(dst, key);                // and WATCH it there
  KeyModified(ctx, key);
  ctx.rb->Integer(1);
}

void CmdCopy(const ArgList& args, CommandContext& ctx) {
  std::string_view key = args[1], newkey = args[2];
  int dst_index = ctx.db->index();
  bool replace = false;
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(args[i], "DB") && i + 1 < args.size()) {
      if (!ParseDbIndex(ctx, args[++i], &dst_index)) return;
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
  }
  if (dst_index == ctx.db->index() && key == newkey) {
    ctx.rb->Error(errors::kSameObject);
    return;
  }
  db::Keyspace& ks = ctx.server->keyspace();
  Database& dst = ks.db(dst_index);
  db::LockSet locks(&ks);
  locks.AddKey(ctx.db->index(), key);
  locks.AddKey(dst_index, newkey);
  locks.Lock();
  if (!LookupRead(ctx, key)) {
    ctx.rb->Integer(0);
    return;
  }
  bool dst_exists = dst.Find(newkey, ctx.now_ms) != nullptr;
  if (dst_exists && !replace) {
    ctx.rb->Integer(0);
    return;
  }
  // Looked up again: expiring `newkey` above may have moved entries of a shared shard.
  Entry* copy = Entry::CopyValue(newkey, ctx.db->Find(key, ctx.now_ms));
  copy->lru = db::AccessClock::Initial(ctx.now_ms);  // a new object, not an access of the old one
  if (dst_exists) dst.Delete(newkey);
  dst.Add(copy);
  NotifyKeyspaceEvent(*ctx.server, dst_index, kNotifyGeneric, "copy_to", newkey);
  SignalKeyIfReady(dst, newkey, ctx.now_ms);
  // The change is in `dst` (watchers, waiters of that database).
  Database* src = ctx.db;
  ctx.db = &dst;
  KeyModified(ctx, newkey);
  ctx.db = src;
  ctx.rb->Integer(1);
}

// ---------------------------------------------------------------- KEYS, SCAN, RANDOMKEY

void CmdKeys(const ArgList& args, CommandContext& ctx) {
  std::string_view pattern = args[1];
  bool all = pattern == "*";  // Redis skips matching for this pattern (so "" is listed too)
  std::vector<std::string> keys;
  for (unsigned s = 0; s < db::kShardCount; ++s) {
    db::Shard& sh = ctx.db->shard(s);
    std::lock_guard lock(sh.mu);
    sh.table.ForEach([&](const Entry* e) {
      std::string_view k = e->key();
      if ((all || StringMatch(pattern, k)) && !IsExpired(e, ctx.now_ms)) keys.emplace_back(k);
    });
  }
  ctx.rb->ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.rb->Bulk(k);
}

// The SCAN cursor: the low kShardBits bits are the shard, the rest that
// shard's Table::Scan cursor. Shards are walked in order, each with Redis's
// reverse-binary cursor, so every key present for the whole iteration is
// returned whatever the tables do in between. A table cursor is below the
// table's bucket count, so the shift cannot lose bits.
void CmdScan(const ArgList& args, CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(args[1], &cursor)) {
    ctx.rb->Error(errors::kInvalidCursor);
    return;
  }
  ScanOptions opt;
  if (!ParseScanOptions(args, 2, /*allow_type=*/true, &opt, ctx.rb)) return;
  const int64_t count = opt.count;

  unsigned shard = static_cast<unsigned>(cursor & (db::kShardCount - 1));
  uint64_t table_cursor = cursor >> db::kShardBits;
  // As Redis: stop after `count` keys (before filtering) or count*10 table steps.
  int64_t max_steps = opt.MaxSteps();
  size_t collected = 0;
  std::vector<std::string> keys;
  std::vector<std::string> batch;
  while (true) {
    db::Shard& sh = ctx.db->shard(shard);
    {
      std::lock_guard lock(sh.mu);
      batch.clear();
      if (sh.table.size() == 0) {
        table_cursor = 0;  // empty shards are free: no step counted
      } else {
        do {
          table_cursor =
              sh.table.Scan(table_cursor, [&](const Entry* e) { batch.emplace_back(e->key()); });
          --max_steps;
        } while (table_cursor && max_steps > 0 &&
                 collected + batch.size() < static_cast<uint64_t>(count));
      }
      collected += batch.size();
      for (std::string& k : batch) {
        if (!opt.Matches(k)) continue;
        // Expired keys are deleted on the way, as Redis's expireIfNeeded does.
        Entry* e =
            opt.use_type ? LookupRead(ctx, k, kLookupNoTouch) : ctx.db->Find(k, ctx.now_ms);
        if (!e) continue;
        if (opt.use_type && !EqualsIgnoreCase(db::TypeName(e->type), opt.type)) continue;
        keys.push_back(std::move(k));
      }
    }
    if (table_cursor == 0) {
      if (++shard == db::kShardCount) {
        cursor = 0;
        break;
      }
    }
    if (collected >= static_cast<uint64_t>(count) || max_steps <= 0) {
      cursor = table_cursor << db::kShardBits | shard;
      break;
    }
  }
  ctx.rb->ArrayHeader(2);
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(cursor));
  ctx.rb->Bulk(std::string_view(buf, static_cast<size_t>(n)));
  ctx.rb->ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.rb->Bulk(k);
}

uint64_t RandomU64() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

void CmdRandomKey(const ArgList&, CommandContext& ctx) {
  Database& d = *ctx.db;
  // Pick a shard with probability proportional to its size, then an entry
  // in it. Each round either answers or deletes one expired key, so it ends.
  size_t sizes[db::kShardCount];
  while (true) {
    size_t total = 0;
    for (unsigned s = 0; s < db::kShardCount; ++s) {
      std::lock_guard lock(d.shard(s).mu);
      sizes[s] = d.shard(s).table.size();
      total += sizes[s];
    }
    if (total == 0) {
      ctx.rb->Null();
      return;
    }
    uint64_t pick = RandomU64() % total;
    unsigned s = 0;
    while (pick >= sizes[s]) pick -= sizes[s++];
    db::Shard& sh = d.shard(s);
    std::lock_guard lock(sh.mu);
    Entry* e = sh.table.RandomEntry(RandomU64());
    if (!e) continue;  // emptied meanwhile
    if (e->expire_ms) {
      std::string key(e->key());
      if (!d.Find(key, ctx.now_ms)) continue;  // it expired: try another
    }
    ctx.rb->Bulk(e->key());
    return;
  }
}

// ---------------------------------------------------------------- OBJECT

// Redis shares the integers 0..9999 unless an LRU/LFU policy with maxmemory
// needs per-object access data; shared objects report INT_MAX references.
bool SharesIntegers(CommandContext& ctx) {
  if (ctx.server->config().maxmemory.load() == 0) return true;
  std::string policy = ctx.server->config().maxmemory_policy();
  return policy.find("-lru") == std::string::npos && policy.find("-lfu") == std::string::npos;
}

void CmdObjectEncoding(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[2], kLookupNoTouch | kLookupNoNotify);
  if (!e) {
    ctx.rb->Null();
    return;
  }
  ctx.rb->Bulk(db::EncodingName(e->enc));
}

void CmdObjectRefcount(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[2], kLookupNoTouch | kLookupNoNotify);
  if (!e) {
    ctx.rb->Null();
    return;
  }
  bool shared = e->is_int() && e->int_value() >= 0 && e->int_value() < 10000 && SharesIntegers(ctx);
  ctx.rb->Integer(shared ? INT_MAX : 1);
}

void CmdObjectIdletime(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[2], kLookupNoTouch | kLookupNoNotify);
  if (!e) {
    ctx.rb->Null();
    return;
  }
  if (db::AccessClock::lfu()) {
    ctx.rb->Error(errors::kLfuSelected);
    return;
  }
  ctx.rb->Integer(static_cast<int64_t>(db::AccessClock::IdleSeconds(e->lru, ctx.now_ms)));
}

void CmdObjectFreq(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[2], kLookupNoTouch | kLookupNoNotify);
  if (!e) {
    ctx.rb->Null();
    return;
  }
  if (!db::AccessClock::lfu()) {
    ctx.rb->Error(errors::kLfuNotSelected);
    return;
  }
  ctx.rb->Integer(db::AccessClock::LfuDecayed(e->lru, ctx.now_ms));
}

void CmdObjectHelp(const ArgList&, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->SimpleStrings(kLines);
}

void CmdContainer(const ArgList&, CommandContext& ctx) {
  // Reached only with argc == 1, which arity already rejects.
  ctx.rb->Error(errors::kSyntax);
}

// ---------------------------------------------------------------- EXPIRE, TTL, PERSIST

enum ExpireFlag { kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8 };

// Redis's expireGenericCommand. `basetime_ms` is 0 for the *AT forms.
void ExpireGeneric(const ArgList& args, CommandContext& ctx, int64_t basetime_ms, bool seconds) {
  int flags = 0;
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "NX")) {
      flags |= kExpireNx;
    } else if (EqualsIgnoreCase(args[i], "XX")) {
      flags |= kExpireXx;
    } else if (EqualsIgnoreCase(args[i], "GT")) {
      flags |= kExpireGt;
    } else if (EqualsIgnoreCase(args[i], "LT")) {
      flags |= kExpireLt;
    } else {
      ctx.rb->Error("ERR Unsupported option " + std::string(args[i]));
      return;
    }
  }
  if ((flags & kExpireNx) && (flags & (kExpireXx | kExpireGt | kExpireLt))) {
    ctx.rb->Error(errors::kExpireNxIncompatible);
    return;
  }
  if ((flags & kExpireGt) && (flags & kExpireLt)) {
    ctx.rb->Error(errors::kExpireGtLtIncompatible);
    return;
  }
  int64_t when;
  if (!ParseInt64(args[2], &when)) {
    ctx.rb->Error(errors::kNotInteger);
    return;
  }
  auto invalid_time = [&] {
    ctx.rb->Error("ERR invalid expire time in '" + ctx.spec->name + "' command");
  };
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) return invalid_time();
    when *= 1000;
  }
  if (when > INT64_MAX - basetime_ms) return invalid_time();
  when += basetime_ms;

  Entry* e = LookupWrite(ctx, args[1]);
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  if (flags) {
    int64_t current = e->has_expire() ? e->expire_ms : -1;
    if ((flags & kExpireNx) && current != -1) return ctx.rb->Integer(0);
    if ((flags & kExpireXx) && current == -1) return ctx.rb->Integer(0);
    // No TTL counts as an infinite one: never greater-than, always less-than.
    if ((flags & kExpireGt) && (current == -1 || when <= current)) return ctx.rb->Integer(0);
    if ((flags & kExpireLt) && current != -1 && when >= current) return ctx.rb->Integer(0);
  }
  if (when <= ctx.now_ms) {
    ctx.db->Delete(args[1]);
    KeyModified(ctx, args[1]);
    Propagate(ctx, {"DEL", args[1]});
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  } else {
    ctx.db->SetExpire(e, when);
    KeyModified(ctx, args[1]);
    // Logged as PEXPIREAT with the absolute time (options kept), as Redis
    // rewrites only the command name and the time argument.
    if (PropagationEnabled(*ctx.server)) {
      std::string abs = Int64ToString(when);
      ArgList argv(args.begin(), args.end());
      argv[0] = "PEXPIREAT";
      if (basetime_ms != 0 || seconds) argv[2] = abs;
      Propagate(ctx, argv);
    }
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "expire", args[1]);
  }
  ctx.rb->Integer(1);
}

void CmdExpire(const ArgList& args, CommandContext& ctx) {
  ExpireGeneric(args, ctx, ctx.now_ms, true);
}
void CmdPExpire(const ArgList& args, CommandContext& ctx) {
  ExpireGeneric(args, ctx, ctx.now_ms, false);
}
void CmdExpireAt(const ArgList& args, CommandContext& ctx) { ExpireGeneric(args, ctx, 0, true); }
void CmdPExpireAt(const ArgList& args, CommandContext& ctx) { ExpireGeneric(args, ctx, 0, false); }

// Redis's ttlGenericCommand: -2 without the key, -1 without a TTL.
void TtlGeneric(const ArgList& args, CommandContext& ctx, bool ms, bool absolute) {
  Entry* e = LookupRead(ctx, args[1], kLookupNoTouch);
  if (!e) {
    ctx.rb->Integer(-2);
    return;
  }
  if (!e->has_expire()) {
    ctx.rb->Integer(-1);
    return;
  }
  int64_t ttl = absolute ? e->expire_ms : e->expire_ms - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  // ttl >= 0 here; unsigned rounding gives Redis's reply near INT64_MAX
  // (9223372036854776) without signed overflow.
  uint64_t rounded = (static_cast<uint64_t>(ttl) + 500) / 1000;
  ctx.rb->Integer(ms ? ttl : static_cast<int64_t>(rounded));
}

void CmdTtl(const ArgList& args, CommandContext& ctx) { TtlGeneric(args, ctx, false, false); }
void CmdPTtl(const ArgList& args, CommandContext& ctx) { TtlGeneric(args, ctx, true, false); }
void CmdExpireTime(const ArgList& args, CommandContext& ctx) { TtlGeneric(args, ctx, false, true); }
void CmdPExpireTime(const ArgList& args, CommandContext& ctx) { TtlGeneric(args, ctx, true, true); }

void CmdPersist(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupWrite(ctx, args[1]);
  if (!e || !e->has_expire()) {
    ctx.rb->Integer(0);
    return;
  }
  ctx.db->ClearExpire(e);
  KeyModified(ctx, args[1]);
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "persist", args[1]);
  ctx.rb->Integer(1);
}

// ---------------------------------------------------------------- DBSIZE, FLUSH*, SWAPDB

void CmdDbSize(const ArgList&, CommandContext& ctx) {
  ctx.rb->Integer(static_cast<int64_t>(ctx.db->SizeAllShards()));
}

// FLUSHDB/FLUSHALL [ASYNC|SYNC]. Returns false after replying an error.
bool ParseFlushMode(const ArgList& args, CommandContext& ctx, bool* async) {
  *async = false;  // lazyfree-lazy-user-flush defaults to no
  if (args.size() == 2) {
    if (EqualsIgnoreCase(args[1], "ASYNC")) {
      *async = true;
    } else if (!EqualsIgnoreCase(args[1], "SYNC")) {
      ctx.rb->Error(errors::kSyntax);
      return false;
    }
  } else if (args.size() > 2) {
    ctx.rb->Error(errors::kSyntax);
    return false;
  }
  return true;
}

// The tables are detached under the locks and freed after them, so the flush
// is one point in time for every command while the locks are held only for
// the swaps. SYNC frees before replying, as Redis does.
void CmdFlushDb(const ArgList& args, CommandContext& ctx) {
  bool async;
  if (!ParseFlushMode(args, ctx, &async)) return;
  db::Keyspace& ks = ctx.server->keyspace();
  std::vector<std::unique_ptr<db::Table>> tables;
  size_t removed;
  {
    db::LockSet locks(&ks);
    locks.AddAllShards(ctx.db->index());
    locks.Lock();
    // Watchers of keys that exist now fail their EXEC (touchAllWatchedKeysInDb).
    TouchAllWatchedKeysInDb(ks, ctx.db->index(), -1, ctx.now_ms);
    removed = DetachTables(ks, ctx.db->index(), ctx.db->index(), &tables);
    Propagate(ctx, args);  // under the locks; even when empty, as Redis 7 forces it
  }
  FreeTables(std::move(tables), removed, async);
  CountDirty(ctx, removed);
  ctx.rb->Ok();
}

void CmdFlushAll(const ArgList& args, CommandContext& ctx) {
  bool async;
  if (!ParseFlushMode(args, ctx, &async)) return;
  db::Keyspace& ks = ctx.server->keyspace();
  std::vector<std::unique_ptr<db::Table>> tables;
  ks.LockAll();
  for (int d = 0; d < ks.size(); ++d) TouchAllWatchedKeysInDb(ks, d, -1, ctx.now_ms);
  size_t removed = DetachTables(ks, 0, ks.size() - 1, &tables);
  Propagate(ctx, args);  // under the locks; logged even when empty, as Redis does
  ks.UnlockAll();
  FreeTables(std::move(tables), removed, async);
  CountDirty(ctx, removed + 1);  // Redis counts FLUSHALL itself as one more change
  ctx.rb->Ok();
}

void CmdSwapDb(const ArgList& args, CommandContext& ctx) {
  int a, b;
  if (!ParseIntArg(args[1], &a, ctx.rb, errors::kInvalidFirstDbIndex)) return;
  if (!ParseIntArg(args[2], &b, ctx.rb, errors::kInvalidSecondDbIndex)) return;
  db::Keyspace& ks = ctx.server->keyspace();
  if (a < 0 || a >= ks.size() || b < 0 || b >= ks.size()) {
    ctx.rb->Error(errors::kDbIndexOutOfRange);
    return;
  }
  // Watchers of a key present in either database fail their EXEC.
  ks.SwapDb(a, b, [&] {
    TouchAllWatchedKeysInDb(ks, a, b, ctx.now_ms);
    TouchAllWatchedKeysInDb(ks, b, a, ctx.now_ms);
    Propagate(ctx, args);  // under the locks, so the file orders it among the writes
  });
  // Clients blocked in either database may now see their keys (no locks held).
  SignalAllReadyKeys(ks.db(a), ctx.now_ms);
  SignalAllReadyKeys(ks.db(b), ctx.now_ms);
  CountDirty(ctx, 1);
  ctx.rb->Ok();
}

}  // namespace

void RegisterKeysFamily(CommandRegistry& r) {
  constexpr uint32_t kKs = kAclKeyspace;
  constexpr uint32_t kRead = kAclKeyspace | kAclRead;
  constexpr uint32_t kWr = kAclKeyspace | kAclWrite;
  constexpr uint32_t kObj = kReadOnly;
  r.Register({
      Cmd("del", -2, kWrite, kWr | kAclSlow, CmdDel)
          .Keys(1, -1, 1)
          .Doc("generic", "1.0.0", "Delete a key",
               "O(N) where N is the number of keys that will be removed. When a key to remove "
               "holds a value other than a string, the individual complexity for this key is "
               "O(M) where M is the number of elements in the list, set, sorted set or hash. "
               "Removing a single key that holds a string value is O(1)."),
      Cmd("unlink", -2, kWrite | kFast, kWr | kAclFast, CmdUnlink)
          .Keys(1, -1, 1)
          .Doc("generic", "4.0.0",
               "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but "
               "non blocking.",
               "O(1) for each key removed regardless of its size. Then the command does O(N) "
               "work in a different thread in order to reclaim memory, where N is the number of "
               "allocations the deleted objects where composed of."),
      Cmd("exists", -2, kReadOnly | kFast, kRead | kAclFast, CmdExists)
          .Keys(1, -1, 1)
          .Doc("generic", "1.0.0", "Determine if a key exists",
               "O(N) where N is the number of keys to check."),
      Cmd("type", 2, kReadOnly | kFast, kRead | kAclFast, CmdType)
          .Keys(1, 1, 1)
          .Doc("generic", "1.0.0", "Determine the type stored at key"),
      Cmd("rename", 3, kWrite, kWr | kAclSlow, CmdRename)
          .Keys(1, 2, 1)
          .Doc("generic", "1.0.0", "Rename a key"),
      Cmd("renamenx", 3, kWrite | kFast, kWr | kAclFast, CmdRenameNx)
          .Keys(1, 2, 1)
          .Doc("generic", "1.0.0", "Rename a key, only if the new key does not exist"),
      Cmd("copy", -3, kWrite | kDenyOom | kKeyspaceWide, kWr | kAclSlow, CmdCopy)
          .Keys(1, 2, 1)
          .Doc("generic", "6.2.0", "Copy a key",
               "O(N) worst case for collections, where N is the number of nested items. O(1) "
               "for string values."),
      Cmd("move", 3, kWrite | kFast | kKeyspaceWide, kWr | kAclFast, CmdMove)
          .Keys(1, 1, 1)
          .Doc("generic", "1.0.0", "Move a key to another database"),
      Cmd("keys", 2, kReadOnly | kKeyspaceWide, kRead | kAclSlow | kAclDangerous, CmdKeys)
          .Doc("generic", "1.0.0", "Find all keys matching the given pattern",
               "O(N) with N being the number of keys in the database, under the assumption "
               "that the key names in the database and the given pattern have limited length."),
      Cmd("scan", -2, kReadOnly | kKeyspaceWide, kRead | kAclSlow, CmdScan)
          .Doc("generic", "2.8.0", "Incrementally iterate the keys space",
               "O(1) for every call. O(N) for a complete iteration, including enough command "
               "calls for the cursor to return back to 0. N is the number of elements inside "
               "the collection."),
      Cmd("randomkey", 1, kReadOnly | kKeyspaceWide, kRead | kAclSlow, CmdRandomKey)
          .Doc("generic", "1.0.0", "Return a random key from the keyspace"),
      Cmd("touch", -2, kReadOnly | kFast, kRead | kAclFast, CmdTouch)
          .Keys(1, -1, 1)
          .Doc("generic", "3.2.1",
               "Alters the last access time of a key(s). Returns the number of existing keys "
               "specified.",
               "O(N) where N is the number of keys that will be touched."),
      Cmd("object", -2, 0, kAclSlow, CmdContainer)
          .Doc("generic", "2.2.3", "A container for object introspection commands",
               "Depends on subcommand.")
          .Sub(Cmd("encoding", 3, kObj, kRead | kAclSlow, CmdObjectEncoding)
                   .Keys(2, 2, 1)
                   .Doc("generic", "2.2.3", "Inspect the internal encoding of a Redis object"))
          .Sub(Cmd("freq", 3, kObj, kRead | kAclSlow, CmdObjectFreq)
                   .Keys(2, 2, 1)
                   .Doc("generic", "4.0.0",
                        "Get the logarithmic access frequency counter of a Redis object"))
          .Sub(Cmd("idletime", 3, kObj, kRead | kAclSlow, CmdObjectIdletime)
                   .Keys(2, 2, 1)
                   .Doc("generic", "2.2.3", "Get the time since a Redis object was last accessed"))
          .Sub(Cmd("refcount", 3, kObj, kRead | kAclSlow, CmdObjectRefcount)
                   .Keys(2, 2, 1)
                   .Doc("generic", "2.2.3", "Get the number of references to the value of the key"))
          .Sub(Cmd("help", 2, kLoading | kStale, kKs | kAclSlow, CmdObjectHelp)
                   .Doc("generic", "6.2.0", "Show helpful text about the different subcommands")),
      Cmd("expire", -3, kWrite | kFast, kWr | kAclFast, CmdExpire)
          .Keys(1, 1, 1)
          .Doc("generic", "1.0.0", "Set a key's time to live in seconds"),
      Cmd("pexpire", -3, kWrite | kFast, kWr | kAclFast, CmdPExpire)
          .Keys(1, 1, 1)
          .Doc("generic", "2.6.0", "Set a key's time to live in milliseconds"),
      Cmd("expireat", -3, kWrite | kFast, kWr | kAclFast, CmdExpireAt)
          .Keys(1, 1, 1)
          .Doc("generic", "1.2.0", "Set the expiration for a key as a UNIX timestamp"),
      Cmd("pexpireat", -3, kWrite | kFast, kWr | kAclFast, CmdPExpireAt)
          .Keys(1, 1, 1)
          .Doc("generic", "2.6.0",
               "Set the expiration for a key as a UNIX timestamp specified in milliseconds"),
      Cmd("ttl", 2, kReadOnly | kFast, kRead | kAclFast, CmdTtl)
          .Keys(1, 1, 1)
          .Doc("generic", "1.0.0", "Get the time to live for a key in seconds"),
      Cmd("pttl", 2, kReadOnly | kFast, kRead | kAclFast, CmdPTtl)
          .Keys(1, 1, 1)
          .Doc("generic", "2.6.0", "Get the time to live for a key in milliseconds"),
      Cmd("expiretime", 2, kReadOnly | kFast, kRead | kAclFast, CmdExpireTime)
          .Keys(1, 1, 1)
          .Doc("generic", "7.0.0", "Get the expiration Unix timestamp for a key"),
      Cmd("pexpiretime", 2, kReadOnly | kFast, kRead | kAclFast, CmdPExpireTime)
          .Keys(1, 1, 1)
          .Doc("generic", "7.0.0", "Get the expiration Unix timestamp for a key in milliseconds"),
      Cmd("persist", 2, kWrite | kFast, kWr | kAclFast, CmdPersist)
          .Keys(1, 1, 1)
          .Doc("generic", "2.2.0", "Remove the expiration from a key"),
      Cmd("dbsize", 1, kReadOnly | kFast | kKeyspaceWide, kRead | kAclFast, CmdDbSize)
          .Doc("server", "1.0.0", "Return the number of keys in the selected database"),
      Cmd("flushdb", -1, kWrite | kKeyspaceWide, kWr | kAclSlow | kAclDangerous, CmdFlushDb)
          .Doc("server", "1.0.0", "Remove all keys from the current database",
               "O(N) where N is the number of keys in the selected database"),
      Cmd("flushall", -1, kWrite | kKeyspaceWide, kWr | kAclSlow | kAclDangerous, CmdFlushAll)
          .Doc("server", "1.0.0", "Remove all keys from all databases",
               "O(N) where N is the total number of keys in all databases"),
      Cmd("swapdb", 3, kWrite | kFast | kKeyspaceWide, kWr | kAclFast | kAclDangerous, CmdSwapDb)
          .Doc("server", "4.0.0", "Swaps two Redis databases",
               "O(N) where N is the count of clients watching or blocking on keys from both "
               "databases."),
  });
}

}  // namespace basalt::server
