// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...): type-agnostic waiter
// queues, wake-up through the blocked client's worker inbox, and exact
// timeouts.
//
// How it works. A blocking handler that finds nothing to serve calls
// BlockClient(): the client is queued (FIFO) on each key in the key's shard
// (db::Database waiter queues, under the shard locks the dispatcher already
// holds), stops processing input (pipelined commands stay buffered) and gets
// no reply yet. Any effective write reported through KeyModified() that
// leaves a key holding a value of the type a waiter wants signals the FIRST
// such waiter of that key: the client's worker re-runs the same command
// through the dispatcher (same argv, keys locked as usual). On that re-run
// IsBlockedRerun(ctx) is true and the handler does one of:
//   - serves: calls UnblockClient(ctx) BEFORE its first KeyModified(), then
//     writes its reply normally (the KeyModified of its own pop then signals
//     the next waiter if the key still holds elements);
//   - errors (e.g. BLMOVE's destination became a string): calls
//     UnblockClient(ctx) and replies the error;
//   - finds nothing again (another client was faster): calls BlockClient()
//     again, which keeps the client's queue positions and writes nothing.
// If a re-run returns without doing any of these, the client is unblocked
// with no reply; don't rely on that.
//
// Timeouts reply TimeoutReply (null array or null bulk) exactly at the
// deadline. Disconnection while blocked removes the waiter. A key deleted,
// renamed away or replaced by another type leaves the client blocked; it is
// served only when a value of its type appears there again.
//
// Handler rules on a re-run: a key holding the wrong type must be treated as
// empty (Redis only serves from the key that became ready), not as
// WRONGTYPE. On the first run, WRONGTYPE is replied as usual.
//
// Inside MULTI/EXEC or scripts (once they exist) a blocking command must not
// block: CanBlock(ctx) is false there and the handler replies its timeout reply.
//
// Example (BZPOPMIN key [key ...] timeout):
//   int64_t timeout_ms;
//   if (!ParseBlockTimeout(ctx, args.back(), &timeout_ms)) return;
//   bool rerun = IsBlockedRerun(ctx);
//   for each key: e = LookupWrite(ctx, key);
//     if (!e) continue;
//     if (e->type != kZSet) { if (rerun) continue; rb->Error(kWrongType); return; }
//     UnblockClient(ctx); pop; reply; KeyModified(ctx, key); return;
//   if (!CanBlock(ctx)) { ctx.rb->NullArray(); return; }
//   BlockClient(ctx, args, keys, db::ObjType::kZSet, timeout_ms, TimeoutReply::kNullArray);
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "db/value_types.h"
#include "server/command.h"

namespace basalt::server {

enum class TimeoutReply : uint8_t {
  kNullArray,  // every list and zset block in Redis 7.0 (even BLMOVE): "*-1" (RESP3 "_")
  kNull,       // "$-1" (RESP3 "_"), for commands that time out with a null bulk
};

// Parses a blocking command's timeout in seconds (fractions allowed, as
// Redis 7.0's getTimeoutFromObjectOrReply). On error replies
// "ERR timeout is not a float or out of range" / "ERR timeout is negative" /
// "ERR timeout is out of range" and returns false. *timeout_ms is the
// relative timeout, 0 = block forever.
bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t* timeout_ms);

// True when this call is the re-run of a command the client blocked on.
bool IsBlockedRerun(const CommandContext& ctx);

// False where a command may not block (MULTI/EXEC, scripts); the handler
// then replies its timeout reply immediately.
bool CanBlock(const CommandContext& ctx);

// Blocks the client on `keys` (all locked by the dispatcher: they must be
// the command's declared keys, in ctx.db) until one of them holds a value of
// `type`, or `timeout_ms` (relative, 0 = forever) elapses. Writes no reply.
// `args` (the whole argv) is copied: the command re-runs with it. On a
// re-run, keeps the existing registration and queue positions.
void BlockClient(CommandContext& ctx, const ArgList& args,
                 const std::vector<std::string_view>& keys, db::ObjType type, int64_t timeout_ms,
                 TimeoutReply on_timeout);

// On a re-run: moves the key whose write woke the client to the front of
// `keys`, so the client is served from the key that became ready first, as
// Redis serves it (BLPOP a b, then RPUSH b, RPUSH a: served from b). A no-op
// on a first run.
void PreferReadyKey(const CommandContext& ctx, std::vector<std::string_view>* keys);

// On a re-run: leaves every waiter queue (the dispatcher holds the locks).
// The client resumes its buffered input after the reply. A no-op when the
// client is not blocked.
void UnblockClient(CommandContext& ctx);

// Called by KeyModified (shard lock of `key` held): wakes the first waiter
// of `key` whose type the key's value now has.
void SignalKeyIfReady(db::Database& db, std::string_view key, int64_t now_ms);

// After a whole-database change (SWAPDB, FLUSHALL never makes keys ready):
// signals every key of `db` that has waiters and is now ready. Locks shard by
// shard itself: call with no shard lock held.
void SignalAllReadyKeys(db::Database& db, int64_t now_ms);

class Client;
// Client teardown: removes a blocked client's waiters (locks the shards).
void DropBlockedClient(Client& c);

// CLIENT UNBLOCK: ends `c`'s block now, replying its timeout reply, or with
// `error` "-UNBLOCKED client unblocked via CLIENT UNBLOCK". Must run on c's
// worker thread with no shard lock held. False if c was not blocked.
bool ForceUnblock(Client& c, bool error);

}  // namespace basalt::server

// ---------------------------------------------------------------- internals
// The blocked state a Client owns while blocked (Client::block). Only the
// client's worker touches it, except Signal() and the waiter queue links,
// which are guarded by the shard locks.
namespace basalt::server {

class Worker;

struct BlockedState final : db::KeyWaiter {
  BlockedState(db::ObjType wants, Worker* w, uint64_t id)
      : KeyWaiter(wants), worker(w), client_id(id) {}
  void Signal(std::string_view key) override;

  Worker* worker;
  uint64_t client_id;
  uint64_t seq = 0;  // tells a stale timer entry from the current block
  int db_index = 0;
  std::vector<std::string> args;
  std::vector<std::string> keys;
  int64_t deadline_ms = 0;  // 0: forever
  TimeoutReply on_timeout = TimeoutReply::kNullArray;
  std::atomic<bool> pending{false};   // a wake-up is posted and not yet run
  std::atomic<int> ready_index{-1};   // keys[i] that posted the wake-up
  const CommandSpec* spec = nullptr;  // for commandstats when it times out
  bool mute = false;                  // sent under CLIENT REPLY OFF/SKIP
  bool stayed = false;                // the re-run blocked again
  bool done = false;                  // unblocked; freed once the re-run returns
};

}  // namespace basalt::server
